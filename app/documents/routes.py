"""Routes under ``/documents``. Officials who may see a decision (services/decisions.can_see_decision) get
its PDF, its certificates and the zip; a household gets only its own certificate, from its dossier page.
Anything else is a 404, as everywhere: whether a decision exists is not told to those outside it."""

from flask import Response, jsonify, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.documents import bp
from app.models import DECISION_KINDS
from app.services import documents
from app.services.dossiers import get_visible_dossier
from app.services.errors import NotFound


def send_pdf(path, download_name: str):
    """A generated PDF, saved rather than opened, and sandboxed should a browser open it anyway."""
    response = send_file(
        path, mimetype="application/pdf", download_name=download_name, as_attachment=True, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response


@bp.app_template_global()
def document_panel(decision) -> dict:
    """What ``decisions/_documents.html`` shows of ``decision``: progress, and which files exist."""
    done, total = documents.document_progress(decision)
    return {
        "done": done,
        "total": total,
        "document": decision.document_sha256 is not None,
        "entries": decision.entries,
    }


@bp.route("/decisions/<int:decision_id>.pdf")
@login_required
def decision_document(decision_id: int):
    decision, path = documents.decision_document(decision_id, current_user)
    return send_pdf(path, documents.decision_file_name(decision))


@bp.route("/decisions/<int:decision_id>/progress")
@login_required
def progress(decision_id: int):
    """Polled by static/js/document_progress.js while the certificates are being made."""
    decision = documents.visible_decision(decision_id, current_user)
    done, total = documents.document_progress(decision)
    response = jsonify(done=done, total=total, document=decision.document_sha256 is not None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/decisions/<int:decision_id>/certificates.zip")
@login_required
def certificates_zip(decision_id: int):
    decision = documents.visible_decision(decision_id, current_user)
    done, total = documents.document_progress(decision)
    if done < total or total == 0:
        # A zip missing some families would be handed on as if it were the whole list.
        raise NotFound(_("Giấy chứng nhận còn đang được tạo (%(done)s/%(total)s).", done=done, total=total))
    name = documents.decision_file_name(decision).removesuffix(".pdf") + "-giay-chung-nhan.zip"
    response = Response(
        stream_with_context(documents.certificates_zip(decision)),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/certificates/<int:entry_id>.pdf")
@login_required
def certificate(entry_id: int):
    entry = documents.visible_entry(entry_id, current_user)
    return send_pdf(documents.entry_certificate(entry), documents.certificate_file_name(entry))


@bp.route("/dossiers/<int:dossier_id>/certificate/<kind>.pdf")
@login_required
def dossier_certificate(dossier_id: int, kind: str):
    """The certificate of a dossier, for its household (and whoever may see the dossier) while the
    decision stands: the link on the dossier page."""
    if kind not in DECISION_KINDS:
        raise NotFound(_("Hồ sơ chưa có giấy chứng nhận."))
    entry = documents.certificate_entry(get_visible_dossier(dossier_id, current_user), kind)
    return send_pdf(documents.entry_certificate(entry), documents.certificate_file_name(entry))


@bp.app_template_global()
def dossier_certificates(dossier) -> list[dict]:
    """The certificates of a dossier whose decisions stand, for ``documents/_dossier_certificates.html``."""
    found = []
    for kind in DECISION_KINDS:
        try:
            entry = documents.certificate_entry(dossier, kind)
        except NotFound:
            continue
        found.append(
            {
                "kind": kind,
                "entry": entry,
                "ready": entry.certificate_sha256 is not None,
                "url": url_for("documents.dossier_certificate", dossier_id=dossier.id, kind=kind),
                "number": documents.number_label(entry.decision),
            }
        )
    return found

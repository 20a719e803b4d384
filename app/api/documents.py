"""A decision's PDF and a dossier's certificate over the API (the files the decision page offers)."""

from flask import g
from flask_babel import gettext as _

from app.api import bp
from app.api.params import choice_arg
from app.api.routes import token_required
from app.documents.routes import send_pdf
from app.models import DECISION_KINDS
from app.services import documents
from app.services.dossiers import get_visible_dossier
from app.services.errors import InvalidInput


@bp.route("/decisions/<int:decision_id>/document")
@token_required
def decision_document(decision_id: int):
    decision, path = documents.decision_document(decision_id, g.api_user)
    return send_pdf(path, documents.decision_file_name(decision))


@bp.route("/dossiers/<int:dossier_id>/certificate")
@token_required
def dossier_certificate(dossier_id: int):
    errors = {}
    kind = choice_arg("kind", DECISION_KINDS, errors) or "recognition"
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    entry = documents.certificate_entry(get_visible_dossier(dossier_id, g.api_user), kind)
    return send_pdf(documents.entry_certificate(entry), documents.certificate_file_name(entry))

"""Decisions over the API: candidates, draft, issue, revoke, read (issue 9, item 7)."""

from flask import current_app, g, jsonify
from flask_babel import gettext as _

from app.api import bp
from app.api.params import MAX_ID, choice_arg, int_arg
from app.api.routes import _iso, _json_body, token_required
from app.extensions import db
from app.models import Dossier, utcnow
from app.models.decision import DECISION_KINDS, Decision, DecisionEntry
from app.services import decisions
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import InvalidInput

CANDIDATES_LIMIT = decisions.MAX_DOSSIERS


def verify_url(entry: DecisionEntry) -> str:
    """The certificate's verification address: the documents service's, once it exists."""
    try:
        from app.services.documents import verify_url as documents_verify_url
    except ImportError:
        return f"{current_app.config['PUBLIC_URL']}/verify/{entry.verify_code}"
    return documents_verify_url(entry)


def decision_json(decision: Decision) -> dict:
    return {
        "id": decision.id,
        "kind": decision.kind,
        "title": decision.title,
        "year": decision.year,
        "number": decision.number,
        "signed_on": _iso(decision.signed_on),
        "signer": decision.signer,
        "position": decision.position,
        "legal_basis": decision.legal_basis,
        "issuing_unit": decision.issuing_unit.code,
        "status": decision.status,
        "issued_at": _iso(decision.issued_at),
        "revoked_at": _iso(decision.revoked_at),
        "revoke_reason": decision.revoke_reason,
        "dossiers": [
            {
                "dossier_id": entry.dossier_id,
                "dossier_code": entry.dossier.code,
                "subject": entry.subject.name,
                "name_as_printed": entry.name_as_printed,
                # Only once issued: a draft's codes verify nothing yet.
                "verify_url": verify_url(entry) if decision.status != "draft" else None,
            }
            for entry in decision.entries
        ],
    }


@bp.route("/decisions/candidates")
@token_required
def decision_candidates():
    errors: dict = {}
    kind = choice_arg("kind", DECISION_KINDS, errors) or "recognition"
    year = int_arg("year", None, MIN_YEAR, MAX_YEAR, errors)
    unit = int_arg("unit", None, 1, MAX_ID, errors)
    score_min = int_arg("score_min", None, 0, MAX_ID, errors)
    in_a_row = int_arg("years_in_a_row", None, 1, decisions.MAX_YEARS_IN_A_ROW, errors)
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    from flask import request

    user = g.api_user
    decisions.require_decider(user)
    query = decisions.candidates(
        user,
        kind=kind,
        title=request.args.get("title") or None,
        year=year,
        unit_id=unit,
        score_min=score_min,
        rating=request.args.get("rating") or None,
        years_in_a_row=in_a_row,
    )
    rows = db.session.scalars(query.order_by(Dossier.id).limit(CANDIDATES_LIMIT)).all()
    return jsonify(
        items=[
            {
                "dossier_id": d.id,
                "dossier_code": d.code,
                "subject": d.subject.name,
                "year": d.year,
                "score": d.score,
                "rating": d.rating,
            }
            for d in rows
        ]
    )


@bp.route("/decisions", methods=["POST"])
@token_required
def decision_create():
    body = _json_body()
    decision = decisions.draft_decision(
        g.api_user,
        kind=body.get("kind"),
        title=body.get("title"),
        year=body.get("year"),
        number=body.get("number"),
        signed_on=body.get("signed_on"),
        signer=body.get("signer"),
        position=body.get("position"),
        legal_basis=body.get("legal_basis"),
        issuing_unit_id=body.get("issuing_unit_id"),
        dossier_ids=body.get("dossier_ids"),
        names=body.get("names"),
        now=utcnow(),
    )
    return jsonify(id=decision.id, status=decision.status), 201


@bp.route("/decisions/<int:decision_id>")
@token_required
def decision_detail(decision_id: int):
    return jsonify(decision_json(decisions.visible_decision(decision_id, g.api_user)))


@bp.route("/decisions/<int:decision_id>/issue", methods=["POST"])
@token_required
def decision_issue(decision_id: int):
    try:
        decision = decisions.issue_decision(decision_id, actor=g.api_user, now=utcnow())
    except decisions.DecisionRefused as exc:
        blocking = [
            {"dossier_id": b.dossier_id, "dossier_code": b.code, "message": b.message} for b in exc.blockers
        ]
        return jsonify(error={"status": 409, "message": exc.message}, dossiers=blocking), 409
    return jsonify(id=decision.id, status=decision.status, dossiers=len(decision.entries))


@bp.route("/decisions/<int:decision_id>/revoke", methods=["POST"])
@token_required
def decision_revoke(decision_id: int):
    body = _json_body()
    decision = decisions.revoke_decision(decision_id, body.get("reason"), actor=g.api_user, now=utcnow())
    return jsonify(id=decision.id, status=decision.status)

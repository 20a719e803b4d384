"""Drafts of a task's answers over the API: save without validation, come back, discard."""

from flask import g, jsonify

from app.api import bp
from app.api.routes import _iso, _json_body, token_required
from app.models import utcnow
from app.services.drafts import discard_draft, save_draft


@bp.route("/tasks/<int:task_id>/draft", methods=["PUT"])
@token_required
def task_draft_save(task_id: int):
    draft = save_draft(task_id, _json_body().get("data"), actor=g.api_user, now=utcnow())
    # What was kept is returned too: keys that are not fields of the form were dropped.
    return jsonify(saved_at=_iso(draft.saved_at), data=draft.data)


@bp.route("/tasks/<int:task_id>/draft", methods=["DELETE"])
@token_required
def task_draft_discard(task_id: int):
    discard_draft(task_id, actor=g.api_user)
    return "", 204

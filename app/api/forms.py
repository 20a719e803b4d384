"""The form library over the API: drafts, publishing, published versions and score previews.

Admins only, reading and previewing included: the library holds criteria sets before anyone decides
to use them, and officials already see the version their task pins through /tasks/{id}.
``/forms/schema.json`` (app/api/routes.py) stays public; the routes here never match it, since
every one of them has a segment after the key.
"""

from functools import wraps

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.routes import _iso, _json_body, _locale, token_required
from app.labels import localized
from app.models import utcnow
from app.services import forms as library


def forms_admin_api(view):
    """Everyone but admins is told so (403)."""

    @token_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_admin:
            return jsonify(
                error={"status": 403, "message": _("Chỉ quản trị hệ thống được quản lý biểu mẫu.")}
            ), 403
        return view(*args, **kwargs)

    return wrapped


@bp.errorhandler(library.DefinitionInvalid)
def definition_invalid(exc: library.DefinitionInvalid):
    return jsonify(errors=exc.problems, message=exc.message), 422


def _definition_body():
    """The request's JSON as sent (any JSON value: the service says what is wrong with it)."""
    body = request.get_json(silent=True)
    if body is None:
        raise library.DefinitionInvalid(
            [{"path": "", "message": _("Nội dung gửi lên không phải JSON hợp lệ.")}]
        )
    return body


def _draft_saved(form, status: int):
    # What publishing would still refuse, so the builder can show it beside the saved draft.
    return jsonify(key=form.key, version=None, problems=library.definition_problems(form.draft)), status


@bp.route("/forms")
@forms_admin_api
def forms_list():
    locale = _locale()
    return jsonify(
        items=[
            {
                "key": row.form.key,
                "title": localized(row.title, locale),
                "versions": [
                    {
                        "version": v.version.version,
                        "sha256": v.version.sha256,
                        "published_at": _iso(v.version.published_at),
                        "published_by": v.published_by,
                        "used_by": [{"procedure": key, "version": number} for key, number in v.used_by],
                    }
                    for v in row.versions
                ],
                "draft": row.has_draft,
            }
            for row in library.form_library()
        ]
    )


@bp.route("/forms", methods=["POST"])
@forms_admin_api
def forms_create():
    form = library.create_form(_definition_body(), actor=g.api_user, now=utcnow())
    return _draft_saved(form, 201)


@bp.route("/forms/<key>/draft")
@forms_admin_api
def form_draft(key: str):
    form = library.get_draft(key)
    return jsonify(
        key=form.key,
        definition=form.draft,
        saved_at=_iso(form.draft_saved_at),
        problems=library.definition_problems(form.draft),
    )


@bp.route("/forms/<key>/draft", methods=["PUT"])
@forms_admin_api
def form_draft_save(key: str):
    form = library.save_draft(key, _definition_body(), actor=g.api_user, now=utcnow())
    return _draft_saved(form, 200)


@bp.route("/forms/<key>/draft", methods=["DELETE"])
@forms_admin_api
def form_draft_discard(key: str):
    library.discard_draft(key, actor=g.api_user, now=utcnow())
    return "", 204


@bp.route("/forms/<key>/publish", methods=["POST"])
@forms_admin_api
def form_publish(key: str):
    version, created = library.publish(key, actor=g.api_user, now=utcnow())
    return jsonify(key=key, version=version.version), 201 if created else 200


@bp.route("/forms/<key>/versions/<int:version>")
@forms_admin_api
def form_version(key: str, version: int):
    found = library.get_version(key, version)
    return jsonify(key=key, version=found.version, definition=found.definition)


@bp.route("/forms/<key>/versions/<int:version>/score", methods=["POST"])
@forms_admin_api
def form_score_preview(key: str, version: int):
    return jsonify(library.score_preview(key, version, _json_body().get("data"), _locale()))

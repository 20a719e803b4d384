"""The form library: admins keep criteria sets as drafts, publish them as immutable versions, preview
their scores. Procedure versions pin the versions they use (``deploy_procedure``), so publishing here
changes nothing running until a procedure version using the new version is activated.

A draft is work in progress: it must be a JSON object of the right top-level shape (a snake_case
``key``, a ``title``, a ``fields`` array) but may fail the meaning checks, so an admin can save half a
form and come back. Publishing requires the full ``load_form_definition`` check; its problems come back
as ``{"path", "message"}`` pairs, the path in the loader's notation (``fields[3].max``).

Library forms are keyed by the definition's own ``key`` (snake_case, no dot); the copies a package
deploy makes of forms it does not find in the library are keyed ``<procedure>.<form>`` and stay out
of the library.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import FormDefinition, FormVersion, ProcessDefinition, ProcessForm, User
from app.services import audit
from app.services.bounds import DEFINITION_TEXT, long_texts
from app.services.dossiers import step_variables
from app.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from app.services.procedures import form_for, publish_form_version
from app.services.uow import commit
from forms import (
    FormDefinitionError,
    formdata_from_json,
    load_form_definition,
    score_submission,
    validate_submission,
)

KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The loader prefixes each problem with its path ("fields[3].max: ..."); the root has an empty path.
_LOCATED = re.compile(r"((?:[^\s.\[\]:]+)?(?:\[\d+\]|\.[^\s.\[\]:]+)*): (.*)", re.DOTALL)


class DefinitionInvalid(ServiceError):
    """A definition was refused; ``problems`` are ``{"path", "message"}`` pairs. Nothing was stored."""

    status = 422

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(_("Định nghĩa biểu mẫu không hợp lệ; chưa có gì được lưu."))
        self.problems = problems


@dataclass
class VersionRow:
    version: FormVersion
    published_by: str | None
    # (procedure key, procedure version) of every deployed procedure version that pins this version.
    used_by: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class FormRow:
    form: FormDefinition
    title: Any
    versions: list[VersionRow]

    @property
    def has_draft(self) -> bool:
        return self.form.draft_saved_at is not None


def located(errors: list[str]) -> list[dict[str, str]]:
    """The loader's messages as ``{"path", "message"}`` pairs."""
    problems = []
    for error in errors:
        match = _LOCATED.fullmatch(error)
        path, message = match.groups() if match else ("", error)
        problems.append({"path": path, "message": message})
    return problems


def definition_problems(raw: dict) -> list[dict[str, str]]:
    """What would stop ``raw`` from being published (empty when it is a valid definition)."""
    try:
        load_form_definition(raw)
    except FormDefinitionError as exc:
        return located(exc.errors)
    return []


def _shape_problems(raw, key: str | None = None) -> list[dict[str, str]]:
    """The little a draft must get right: an object naming its form, with a title and a field list,
    and no text longer than ``bounds.DEFINITION_TEXT``."""
    if not isinstance(raw, dict):
        return [{"path": "", "message": _("Định nghĩa biểu mẫu phải là một đối tượng JSON.")}]
    problems = []
    if not isinstance(raw.get("key"), str) or not KEY.fullmatch(raw["key"]):
        message = _("Mã biểu mẫu phải là chuỗi snake_case (chữ thường, số, dấu gạch dưới), tối đa 64 ký tự.")
        problems.append({"path": "key", "message": message})
    elif key is not None and raw["key"] != key:
        message = _("Mã biểu mẫu phải trùng với mã trong đường dẫn (%(key)s).", key=key)
        problems.append({"path": "key", "message": message})
    if not isinstance(raw.get("title"), str | dict):
        message = _("Tiêu đề phải là chuỗi hoặc đối tượng nhãn theo ngôn ngữ (vi, en).")
        problems.append({"path": "title", "message": message})
    if not isinstance(raw.get("fields"), list):
        problems.append({"path": "fields", "message": _("Danh sách trường phải là một mảng.")})
    # Even a draft is shown (the library, the builder): no title or label longer than a definition's bound.
    reported = {problem["path"] for problem in problems}
    problems += [
        {"path": path, "message": message}
        for path, message in long_texts(raw, DEFINITION_TEXT)
        if path not in reported
    ]
    return problems


def _library_form(key: str, *, with_draft: bool = False, lock: bool = False) -> FormDefinition:
    query = select(FormDefinition).where(FormDefinition.key == key)
    if with_draft:
        query = query.options(undefer(FormDefinition.draft))
    if lock:
        # Two admins publishing at once would both pick the same next version number.
        query = query.with_for_update()
    form = db.session.scalars(query).first() if KEY.fullmatch(key) else None
    if form is None:
        raise NotFound(_("Không tìm thấy biểu mẫu."))
    return form


def _store_draft(form: FormDefinition, raw: dict, *, actor: User | None, now: datetime) -> None:
    form.draft = raw
    form.draft_saved_at = now
    form.draft_saved_by_id = actor.id if actor else None


def _clear_draft(form: FormDefinition) -> None:
    form.draft = None
    form.draft_saved_at = None
    form.draft_saved_by_id = None


def create_form(raw, *, actor: User | None, now: datetime) -> FormDefinition:
    """A new library form, its definition stored as the draft; nothing is published.

    Raises ``DefinitionInvalid`` for a definition of the wrong shape, ``Conflict`` for a key in use.
    """
    problems = _shape_problems(raw)
    if problems:
        raise DefinitionInvalid(problems)
    key = raw["key"]
    if db.session.scalar(select(FormDefinition.id).where(FormDefinition.key == key)) is not None:
        raise Conflict(_("Đã có biểu mẫu mã %(key)s; hãy sửa bản nháp của biểu mẫu đó.", key=key))
    form = FormDefinition(key=key, created_at=now)
    _store_draft(form, raw, actor=actor, now=now)
    db.session.add(form)
    db.session.flush()
    audit.record("form.created", actor=actor, at=now, obj=form, details={"form": key})
    commit()
    return form


def save_draft(key: str, raw, *, actor: User | None, now: datetime) -> FormDefinition:
    """Replace the draft of a library form (started empty or from a published version)."""
    form = _library_form(key)
    problems = _shape_problems(raw, key)
    if problems:
        raise DefinitionInvalid(problems)
    _store_draft(form, raw, actor=actor, now=now)
    audit.record("form.draft_saved", actor=actor, at=now, obj=form, details={"form": key})
    commit()
    return form


def get_draft(key: str) -> FormDefinition:
    form = _library_form(key, with_draft=True)
    if form.draft_saved_at is None:
        raise NotFound(_("Biểu mẫu này không có bản nháp."))
    return form


def discard_draft(key: str, *, actor: User | None, now: datetime) -> None:
    form = get_draft(key)
    _clear_draft(form)
    audit.record("form.draft_discarded", actor=actor, at=now, obj=form, details={"form": key})
    commit()


def publish(key: str, *, actor: User | None, now: datetime) -> tuple[FormVersion, bool]:
    """The draft becomes the next immutable version and is cleared. A draft identical to the latest
    version gives that version back (``created`` False). Raises ``DefinitionInvalid`` (the draft is
    kept) and ``Conflict`` when there is no draft."""
    form = _library_form(key, with_draft=True, lock=True)
    if form.draft_saved_at is None:
        raise Conflict(_("Biểu mẫu này không có bản nháp để xuất bản."))
    try:
        definition = load_form_definition(form.draft)
    except FormDefinitionError as exc:
        raise DefinitionInvalid(located(exc.errors)) from exc
    latest = form.versions[-1] if form.versions else None
    version = publish_form_version(key, definition, actor=actor, now=now)
    created = version is not latest
    _clear_draft(form)
    if not created:
        # The draft is gone all the same: say why, since no "form.published" event follows.
        audit.record(
            "form.draft_discarded",
            actor=actor,
            at=now,
            obj=form,
            details={"form": key, "same_as_version": version.version},
        )
    commit()
    return version, created


def get_version(key: str, version: int) -> FormVersion:
    """A published version of any form, the package copies included (dossiers may pin those)."""
    found = db.session.scalars(
        select(FormVersion)
        .join(FormDefinition)
        .where(FormDefinition.key == key, FormVersion.version == version)
    ).first()
    if found is None:
        raise NotFound(_("Không tìm thấy phiên bản biểu mẫu."))
    return found


def score_preview(key: str, version: int, data, locale: str) -> dict[str, Any]:
    """The score a published version would give ``data``, by the engine a submitted step uses.

    Raises ``InvalidInput`` with the field errors a submission would get (evidence is not checked:
    a preview has no dossier, so a required file field always reports missing).
    """
    form = form_for(get_version(key, version))
    if not isinstance(data, dict):
        raise InvalidInput({"data": [_('Thiếu đối tượng "data" chứa giá trị các trường.')]})
    formdata, errors = formdata_from_json(form, data, locale=locale)
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ."))
    checked = validate_submission(form, formdata, locale=locale)
    if not checked.valid:
        raise InvalidInput(checked.errors, _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."))
    clean, _variables, score = step_variables(form, checked.data)
    if score is None:
        # Unscored form, or a step whose scores do not apply (e.g. a return): no score is recorded.
        return {"data": clean, "score": None, "outcome": None}
    if locale != "vi":
        # step_variables scores in Vietnamese, the language stored with a dossier; same rules, reader's words.
        score = score_submission(form, clean, locale=locale)
    result = score.as_dict(items=True)
    return {
        "data": clean,
        "score": result,
        "outcome": {
            "passed": result["passed"],
            "rating": result["rating"],
            "shortfalls": result["shortfalls"],
        },
    }


def form_library() -> list[FormRow]:
    """Every library form with its versions (oldest first), who published them, which procedure
    versions pin them, and whether a draft is being edited."""
    forms = db.session.scalars(
        select(FormDefinition).where(FormDefinition.key.not_like("%.%")).order_by(FormDefinition.key)
    ).all()
    version_ids = [v.id for form in forms for v in form.versions]
    used: dict[int, list[tuple[str, int]]] = {}
    for version_id, procedure, number in db.session.execute(
        select(ProcessForm.form_version_id, ProcessDefinition.key, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessForm.process_definition_id)
        .where(ProcessForm.form_version_id.in_(version_ids))
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
    ):
        used.setdefault(version_id, []).append((procedure, number))
    publisher_ids = {v.published_by_id for form in forms for v in form.versions} - {None}
    publishers = dict(
        db.session.execute(select(User.id, User.username).where(User.id.in_(publisher_ids))).all()
    )
    rows = []
    for form in forms:
        versions = [
            VersionRow(v, publishers.get(v.published_by_id), used.get(v.id, [])) for v in form.versions
        ]
        # The newest version names the form; a form never published is named by its draft.
        title = form.versions[-1].definition.get("title") if form.versions else _draft_title(form)
        rows.append(FormRow(form, title, versions))
    return rows


def _draft_title(form: FormDefinition):
    draft = form.draft
    return draft.get("title") if isinstance(draft, dict) else None


def publish_shipped(*, actor: User | None, now: datetime) -> list[tuple[FormVersion, bool]]:
    """Publish the criteria sets shipped in ``CRITERIA_DIR`` as library forms; unchanged ones keep
    their version, so running it again changes nothing."""
    results = []
    for path in sorted(Path(current_app.config["CRITERIA_DIR"]).glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        form = db.session.scalar(select(FormDefinition).where(FormDefinition.key == raw.get("key")))
        latest = form.versions[-1] if form is not None and form.versions else None
        if latest is not None and latest.sha256 == load_form_definition(raw).sha256:
            results.append((latest, False))  # unchanged: no draft, no audit row
            continue
        if form is None:
            create_form(raw, actor=actor, now=now)
        else:
            save_draft(raw["key"], raw, actor=actor, now=now)
        results.append(publish(raw["key"], actor=actor, now=now))
    return results

"""Drafts of a task's answers: saved without validation by whoever holds the task, to come back to.

A draft belongs to the person who saved it (one per task and person) and is deleted in the
transaction that completes the task. Saving a draft writes no audit row: a draft decides nothing and
nobody else sees it, the submission that completes the task is audited, and saving every few minutes
(or on every autosave) would bury a dossier's history under entries that say nothing.
"""

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import HumanTask, TaskDraft, User
from app.services.bounds import check_lengths
from app.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from app.services.jurisdiction import can_act_on_task
from app.services.procedures import task_form
from app.services.uow import commit, rollback
from forms import JSONTypeError
from forms.fields.text import TextType

# Far above any shipped form (the largest has a few dozen fields), low enough that a draft cannot be
# used to park arbitrary data in the database.
MAX_KEYS = 200
MAX_BYTES = 100_000

_SCALARS = (str, int, float, bool, type(None))


def _is_value(value) -> bool:
    """What a form field's answer can be: a scalar, or a list of scalars (checkboxes, evidence ids)."""
    if isinstance(value, list):
        return all(isinstance(item, _SCALARS) for item in value)
    return isinstance(value, _SCALARS)


def _check_shape(data) -> dict:
    shape_error = _(
        "Bản nháp phải là một đối tượng JSON gồm tên trường và giá trị (chuỗi, số, đúng/sai, null "
        "hoặc danh sách các giá trị đó)."
    )
    if not isinstance(data, dict) or not all(_is_value(value) for value in data.values()):
        raise InvalidInput({"data": [shape_error]}, shape_error)
    try:
        # NaN and Infinity are not JSON; PostgreSQL would refuse them at the commit.
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode())
    except ValueError:
        raise InvalidInput({"data": [shape_error]}, shape_error) from None
    if len(data) > MAX_KEYS or size > MAX_BYTES:
        too_large = _(
            "Bản nháp quá lớn: tối đa %(keys)s trường và %(kb)s kB.", keys=MAX_KEYS, kb=MAX_BYTES // 1000
        )
        raise InvalidInput({"data": [too_large]}, too_large)
    return data


def _check_text_lengths(data: dict, fields: dict) -> None:
    """A draft is not validated, but a text answer longer than its field takes is refused already:
    nothing could complete the task with it, and saving it would only postpone saying so."""
    texts = {
        name: (value, fields[name].field_type.max_length(fields[name]))
        for name, value in data.items()
        if isinstance(value, str) and isinstance(fields[name].field_type, TextType)
    }
    check_lengths(texts, _("Chưa lưu bản nháp: có trường dài quá mức cho phép."))


def _own(task_id: int, user_id: int) -> TaskDraft | None:
    return db.session.scalar(
        select(TaskDraft).where(TaskDraft.human_task_id == task_id, TaskDraft.user_id == user_id)
    )


def save_draft(human_task_id: int, data, *, actor: User, now: datetime) -> TaskDraft:
    """Keep ``data`` (field name → value, not validated) as the actor's draft of the task.

    Raises ``NotFound`` outside the actor's reach, ``Conflict`` when the task is no longer open, is
    claimed by someone else or has no form, and ``InvalidInput`` when ``data`` is not a bounded
    object of field values. Keys that are not fields of the task's form are dropped.
    """
    try:
        # The task row is locked: a completion updates it (and deletes the drafts) in one transaction,
        # so a draft saved meanwhile waits for it, then finds the task closed. No draft outlives its task.
        task = db.session.scalars(
            select(HumanTask)
            .where(HumanTask.id == human_task_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if task is None or not can_act_on_task(actor, task):
            raise NotFound(_("Không tìm thấy công việc."))
        if task.state != "open":
            raise Conflict(_("Công việc này đã được xử lý."))
        if task.claimed_by_id is not None and task.claimed_by_id != actor.id:
            raise Conflict(_("Công việc đang do %(name)s xử lý.", name=task.claimed_by.full_name))
        if task.form_version is None:
            raise Conflict(_("Công việc này không có biểu mẫu để lưu nháp."))
        fields = {field.name: field for field in task_form(task).value_fields}
        kept = {name: value for name, value in _check_shape(data).items() if name in fields}
        _check_text_lengths(kept, fields)
    except ServiceError:
        rollback()
        raise
    draft = _own(task.id, actor.id)
    if draft is None:
        draft = TaskDraft(human_task_id=task.id, user_id=actor.id)
        db.session.add(draft)
    draft.data = kept
    draft.saved_at = now
    try:
        commit()
    except IntegrityError:
        # The same person saved the first draft of this task twice at once (two tabs, an autosave).
        rollback()
        raise Conflict(_("Bản nháp vừa được lưu ở một cửa sổ khác. Vui lòng lưu lại.")) from None
    return draft


def draft_for(task: HumanTask, user: User) -> dict | None:
    """``{"data", "saved_at"}`` of the user's own draft of an open task, or None."""
    if task.state != "open":
        return None
    draft = _own(task.id, user.id)
    return {"data": draft.data, "saved_at": draft.saved_at} if draft is not None else None


def discard_draft(human_task_id: int, *, actor: User) -> None:
    """Delete the actor's own draft of the task, if there is one (``NotFound`` outside their reach)."""
    task = db.session.get(HumanTask, human_task_id)
    if task is None or not can_act_on_task(actor, task):
        raise NotFound(_("Không tìm thấy công việc."))
    db.session.execute(
        delete(TaskDraft).where(TaskDraft.human_task_id == task.id, TaskDraft.user_id == actor.id)
    )
    commit()


def delete_task_drafts(task: HumanTask) -> None:
    """Everyone's drafts of a task, in the caller's transaction (the one that completes the task)."""
    db.session.execute(delete(TaskDraft).where(TaskDraft.human_task_id == task.id))


def draft_from_formdata(form, formdata) -> dict:
    """A web form's inputs as draft data, every value field included: an emptied input must stay
    empty when the draft is opened again, not fall back to its pre-filled value."""
    data = {}
    for field in form.value_fields:
        inputs = [value for value in formdata.getlist(field.name) if value != ""]
        if field.field_type.value_schema().get("type") == "array":
            data[field.name] = inputs
        else:
            data[field.name] = inputs[0] if inputs else None
    return data


def draft_inputs(form, data: dict) -> dict[str, list[str]]:
    """Draft data as input strings by field name, to draw the form with (every field the draft has)."""
    inputs = {}
    for field in form.value_fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if value is None:
            inputs[field.name] = []
            continue
        try:
            inputs[field.name] = field.formdata(value)
        except JSONTypeError:
            # Not validated when saved: show what was typed, as typed.
            inputs[field.name] = [str(item) for item in (value if isinstance(value, list) else [value])]
    return inputs

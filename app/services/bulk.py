"""Many tasks at once from the inbox: claim them, release them, or complete them with one answer.

Each act is all or none. The single-task services (``claim_task``, ``release_task``, ``submit_task``) run
for every task inside one transaction (``uow.one_transaction``), so each task is checked, audited and
notified exactly as when it is done alone, and each dossier's step stays one workflow step. When any
task cannot be done, nothing is, and the caller gets the reason for every task that could not.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.labels import localized
from app.models import Dossier, HumanTask, User
from app.services.dossiers import claim_task, release_task, submit_task
from app.services.errors import Conflict, InvalidInput, ServiceError
from app.services.jurisdiction import task_scope
from app.services.procedures import task_form
from app.services.uow import one_transaction
from forms import MultiDict
from workflow import bulk_tasks

# One inbox page at its largest: what a select-all can reach.
MAX_TASKS = 200
# No id is larger (an integer key); a larger number would not even reach the database as one.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Refusal:
    task_id: int
    # None for a task outside the caller's reach: its dossier is not named to them.
    dossier_code: str | None
    message: str


class BulkRefused(Conflict):
    """Nothing was done; ``refusals`` says why for each task that could not be."""

    def __init__(self, message: str, refusals: list[Refusal]):
        super().__init__(message)
        self.refusals = refusals


def selection(task_ids) -> list[int]:
    """The distinct task ids of a selection, in ascending order: rows are then locked in the same order
    by every bulk act, so two of them cannot wait on each other."""
    try:
        ids = sorted({int(task_id) for task_id in task_ids})
    except (TypeError, ValueError):
        ids = None
    if ids is None or any(not 0 < task_id <= MAX_ID for task_id in ids):
        raise InvalidInput({"task_ids": [_("Danh sách công việc không hợp lệ.")]}, _("Dữ liệu chưa hợp lệ."))
    if not ids:
        raise InvalidInput(
            {"task_ids": [_("Vui lòng chọn ít nhất một công việc.")]},
            _("Vui lòng chọn ít nhất một công việc."),
        )
    if len(ids) > MAX_TASKS:
        message = _("Mỗi lần chỉ chọn được tối đa %(n)s công việc.", n=MAX_TASKS)
        raise InvalidInput({"task_ids": [message]}, message)
    return ids


def _codes(task_ids: list[int], actor: User) -> dict[int, str]:
    """Dossier codes of the selected tasks the actor may work on (the others stay unnamed)."""
    return dict(
        db.session.execute(
            select(HumanTask.id, Dossier.code)
            .join(Dossier, Dossier.id == HumanTask.dossier_id)
            .where(HumanTask.id.in_(task_ids), task_scope(actor))
        ).all()
    )


def _each(task_ids: list[int], act: Callable[[int], object], refused: str, *, actor: User) -> None:
    """Run ``act`` on every task in one transaction; raise ``BulkRefused`` (nothing done) if any failed.

    Invalid answers are not a per-task refusal: they are the same for every task and go to the caller
    as they are, with the form's errors.
    """
    codes = _codes(task_ids, actor)
    refusals = []
    with one_transaction():
        for task_id in task_ids:
            try:
                act(task_id)
            except InvalidInput:
                raise
            except ServiceError as exc:
                refusals.append(Refusal(task_id, codes.get(task_id), exc.message))
        if refusals:
            raise BulkRefused(refused % {"n": len(refusals), "total": len(task_ids)}, refusals)


def claim_tasks(task_ids, *, actor: User, now: datetime) -> list[int]:
    """Nhận xử lý every selected task, or none of them. Returns the ids claimed."""
    ids = selection(task_ids)
    _each(
        ids,
        lambda task_id: claim_task(task_id, actor=actor, now=now),
        _("Chưa nhận xử lý công việc nào: %(n)s trong %(total)s công việc đã chọn không nhận được."),
        actor=actor,
    )
    return ids


def release_tasks(task_ids, *, actor: User, now: datetime) -> list[int]:
    """Trả lại hàng chờ every selected task, or none of them. Returns the ids released."""
    ids = selection(task_ids)
    _each(
        ids,
        lambda task_id: release_task(task_id, actor=actor, now=now),
        _("Chưa trả lại công việc nào: %(n)s trong %(total)s công việc đã chọn không trả lại được."),
        actor=actor,
    )
    return ids


def per_dossier_fields(form) -> list:
    """The fields whose answer someone must judge for each dossier on its own, so that one answer for
    many would be wrong: scores, values pre-filled from the dossier's earlier steps, required files (the
    dossier's own evidence). A form with any of them cannot be completed in bulk."""
    return [
        field
        for field in form.value_fields
        if field.type == "score"
        or field.prefill
        or (field.type == "file" and (field.required or field.required_when is not None))
    ]


def bulk_fields(form) -> list:
    """The fields the one answer fills in: an optional file belongs to one dossier, so it is left out."""
    return [field for field in form.fields if field.type != "file"]


def _refusal_for(step: str, form, allowed: bool, locale: str) -> str | None:
    if form.scoring is not None or any(field.type == "score" for field in form.value_fields):
        return _(
            "Bước “%(step)s” cần chấm điểm riêng cho từng hồ sơ nên không thể hoàn thành hàng loạt; "
            "vui lòng xử lý từng hồ sơ.",
            step=step,
        )
    judged = per_dossier_fields(form)
    if judged:
        return _(
            "Bước “%(step)s” cần đánh giá riêng từng hồ sơ (%(fields)s) nên không thể hoàn thành hàng loạt; "
            "vui lòng xử lý từng hồ sơ.",
            step=step,
            fields=", ".join(field.label(locale) for field in judged),
        )
    if not allowed:
        return _(
            "Quy trình không cho phép hoàn thành hàng loạt bước “%(step)s”; vui lòng xử lý từng hồ sơ.",
            step=step,
        )
    return None


def _completion_refused() -> str:
    return _("Chưa hoàn thành hồ sơ nào: %(n)s trong %(total)s công việc đã chọn không hoàn thành được.")


def bulk_completion(task_ids, *, actor: User, locale: str = "vi") -> tuple[list[HumanTask], object]:
    """The selected tasks and the one form they share, when they may be completed with one answer.

    They must all be open tasks the actor may work on, of the same step and form version, in procedures
    that mark the step ``"bulk": true``, with a form that asks nothing per dossier. Raises ``BulkRefused``
    naming the tasks that are not open or not the actor's, and ``Conflict`` for a selection that cannot
    be completed together at all.
    """
    ids = selection(task_ids)
    tasks = {
        task.id: task
        for task in db.session.scalars(
            select(HumanTask)
            .where(HumanTask.id.in_(ids), task_scope(actor))
            .options(selectinload(HumanTask.dossier).selectinload(Dossier.process_definition))
        )
    }
    refusals = []
    for task_id in ids:
        message = _unavailable(tasks.get(task_id), actor)
        if message:
            code = tasks[task_id].dossier.code if task_id in tasks else None
            refusals.append(Refusal(task_id, code, message))
    if refusals:
        raise BulkRefused(_completion_refused() % {"n": len(refusals), "total": len(ids)}, refusals)
    chosen = [tasks[task_id] for task_id in ids]
    first = chosen[0]
    if len({(task.name, task.form_version_id) for task in chosen}) > 1 or first.form_version is None:
        raise Conflict(
            _(
                "Chỉ hoàn thành hàng loạt được các công việc của cùng một bước, cùng một biểu mẫu. "
                "Vui lòng lọc danh sách theo bước rồi chọn lại."
            )
        )
    form = task_form(first)
    # Dossiers of one step may run different versions of the procedure: each must allow it.
    definitions = {task.dossier.process_definition for task in chosen}
    allowed = all(first.name in bulk_tasks(definition.manifest) for definition in definitions)
    message = _refusal_for(localized(first.label, locale), form, allowed, locale)
    if message:
        raise Conflict(message)
    return chosen, form


def _unavailable(task: HumanTask | None, actor: User) -> str | None:
    if task is None:
        return _("Không tìm thấy công việc.")
    if task.state != "open":
        return _("Công việc này đã được xử lý.")
    if task.claimed_by_id is not None and task.claimed_by_id != actor.id:
        return _("Công việc đang do %(name)s xử lý.", name=task.claimed_by.full_name)
    return None


def _answers(form, formdata) -> MultiDict:
    """Only the values of the shared form's fields (a web form also posts its selection and tokens)."""
    answers = MultiDict()
    for key in formdata.keys():
        if any(field.field_type.claims(field, key) for field in form.value_fields):
            answers.setlist(key, formdata.getlist(key))
    return answers


def complete_tasks(task_ids, formdata, *, actor: User, now: datetime, locale: str = "vi") -> list[int]:
    """Complete every selected task with the same answer, each as its dossier's own workflow step, all in
    one transaction: every one of them, or none. Raises what ``bulk_completion`` raises, ``InvalidInput``
    for an answer the form refuses, and ``BulkRefused`` with each dossier's reason (four eyes, a task
    taken meanwhile, a failing step)."""
    tasks, form = bulk_completion(task_ids, actor=actor, locale=locale)
    answers = _answers(form, formdata)
    ids = [task.id for task in tasks]
    _each(
        ids,
        lambda task_id: submit_task(task_id, answers, actor=actor, now=now, locale=locale),
        _completion_refused(),
        actor=actor,
    )
    return ids

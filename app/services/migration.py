"""Moving running dossiers to another version of their procedure: previewed, refused when unsafe,
audited, and with data, history and claims kept."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import Dossier, User
from app.services import audit
from app.services.dossiers import apply_step, save_step, task_holder
from app.services.errors import Conflict, NotFound, StepFailed
from app.services.procedures import compiled_for, form_version_ids, get_version, runtime
from app.services.uow import rollback
from workflow import MigrationRefused, WorkflowStepError


class MigrationUnsafe(Conflict):
    """The move would lose the dossier's place; ``plan`` says why, step by step."""

    def __init__(self, reasons: list[str], plan: dict | None):
        super().__init__(
            _("Không thể chuyển hồ sơ sang phiên bản này: %(reasons)s", reasons=" ".join(reasons))
        )
        self.reasons = reasons
        self.plan = plan


def _locked_dossier(dossier_id: int) -> Dossier:
    dossier = db.session.scalars(
        select(Dossier).where(Dossier.id == dossier_id).options(undefer(Dossier.state)).with_for_update()
    ).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return dossier


def _described(plan, old, new) -> dict:
    return {**plan.as_dict(), "from_version": old.version, "to_version": new.version, "key": new.key}


def _move(dossier: Dossier, new, *, dry_run: bool, actor: User, now: datetime) -> dict:
    """Plan or perform one locked dossier's move, without committing; ``MigrationUnsafe`` when unsafe."""
    old = dossier.process_definition
    if dossier.is_final:
        raise MigrationUnsafe([_("Hồ sơ %(code)s đã kết thúc.", code=dossier.code)], None)
    old_compiled, new_compiled = compiled_for(old), compiled_for(new)
    try:
        if dry_run:
            return _described(
                runtime().plan_migration(old_compiled, new_compiled, dossier.state, now=now), old, new
            )
        result = runtime().migrate(old_compiled, new_compiled, dossier.state, now=now, actor=actor.username)
    except MigrationRefused as exc:
        raise MigrationUnsafe(exc.reasons, _described(exc.plan, old, new) if exc.plan else None) from exc
    except WorkflowStepError as exc:
        raise StepFailed(str(exc)) from exc
    change = _described(result.migration, old, new)
    _move_open_tasks(dossier, new, result)
    dossier.process_definition = new
    audit.record(
        "dossier.migrated",
        actor=actor,
        at=now,
        dossier_id=dossier.id,
        obj=dossier,
        details={
            "key": new.key,
            "from_version": old.version,
            "to_version": new.version,
            "added": [s["bpmn_id"] for s in change["added"]],
            "removed": [s["bpmn_id"] for s in change["removed"]],
            "changed": [s["bpmn_id"] for s in change["changed"]],
            "task_id_changes": change["task_id_changes"],
        },
    )
    apply_step(dossier, new, result, actor=actor, now=now)
    return change


def migrate_dossier(dossier_id: int, to_version: int, *, dry_run: bool, actor: User, now: datetime) -> dict:
    """Move a dossier to ``to_version`` of its procedure (or only say what would change).

    Returns the change list. Raises ``MigrationUnsafe`` (409) with the reasons when the move is unsafe:
    then nothing changes.
    """
    dossier = _locked_dossier(dossier_id)
    new = get_version(dossier.process_definition.key, to_version)
    try:
        result = _move(dossier, new, dry_run=dry_run, actor=actor, now=now)
    except Exception:
        rollback()
        raise
    if dry_run:
        rollback()
        return result
    save_step(lambda: None)
    return result


def migrate_batch(
    key: str,
    from_version: int,
    to_version: int,
    *,
    dry_run: bool,
    actor: User,
    now: datetime,
    limit: int = 500,
) -> dict:
    """Move every running dossier of ``key`` v``from_version`` to v``to_version``: all or none.

    The dry run plans each dossier; the real run refuses the whole batch (409, listing the unsafe
    dossiers and why) when any one of them cannot move, and otherwise moves all in one transaction.
    """
    source, target = get_version(key, from_version), get_version(key, to_version)
    ids = db.session.scalars(
        select(Dossier.id)
        .where(Dossier.process_definition_id == source.id, Dossier.completed_at.is_(None))
        .order_by(Dossier.id)
    ).all()
    if len(ids) > limit:
        raise Conflict(_("Có %(n)s hồ sơ; mỗi lần chuyển tối đa %(max)s hồ sơ.", n=len(ids), max=limit))
    moved, unsafe = [], []
    try:
        for dossier_id in ids:
            dossier = _locked_dossier(dossier_id)
            try:
                change = _move(dossier, target, dry_run=dry_run, actor=actor, now=now)
            except MigrationUnsafe as exc:
                unsafe.append({"dossier_id": dossier.id, "code": dossier.code, "reasons": exc.reasons})
                continue
            if not change["safe"]:  # a dry run plans instead of refusing
                unsafe.append({"dossier_id": dossier.id, "code": dossier.code, "reasons": change["reasons"]})
                continue
            moved.append({"dossier_id": dossier.id, "code": dossier.code, "change": change})
    except Exception:
        rollback()
        raise
    report = {
        "key": key,
        "from_version": from_version,
        "to_version": to_version,
        "dossiers": moved,
        "unsafe": unsafe,
    }
    if dry_run:
        rollback()
        return report
    if unsafe:
        rollback()
        reasons = [f"{item['code']}: {' '.join(item['reasons'])}" for item in unsafe]
        raise MigrationUnsafe(reasons, report)
    save_step(lambda: None)
    return report


def _move_open_tasks(dossier: Dossier, new, result) -> None:
    """Open inbox rows follow their task into the new version (claims kept): new task ids, and the
    lane, role, unit, label and form the new version gives the same step."""
    renamed = result.migration.task_id_changes if result.migration else {}
    ready = {task.bpmn_id: task for task in result.ready_tasks}
    versions = form_version_ids(new)
    labels = new.manifest.get("tasks", {})
    for row in dossier.tasks:
        if row.state != "open":
            continue
        row.task_id = renamed.get(row.task_id, row.task_id)
        task = ready.get(row.name)
        if task is None:
            continue
        unit, row.subject_id = task_holder(dossier, task.level)
        row.lane, row.role, row.form_key = task.lane, task.role, task.form_key
        row.unit_id, row.unit_path = unit.id, unit.path
        row.form_version_id = versions.get(task.form_key)
        row.label = labels.get(task.bpmn_id, {}).get("label") or {"vi": task.name, "en": task.name}

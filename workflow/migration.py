"""Moving a running instance to another version of its procedure.

SpiffWorkflow keeps an instance's task tree, including the tasks it has already predicted, so simply
restoring a state against a newer spec either skips steps that were added (the old prediction is
kept) or fails to load (a task names a spec that no longer exists). The supported path is
``SpiffWorkflow.bpmn.util.diff``: align the old spec with the new one, point every task at its aligned
spec, then reset READY/WAITING tasks so their future is predicted again from the new diagram.

This module holds the pure parts: the version diff (which steps were added, removed or changed), the
checks that decide whether one instance can be moved, and the in-memory move itself.
``WorkflowRuntime.plan_migration`` / ``migrate`` drive it under the injected clock.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import LOCALTZ, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .procedure import CompiledProcedure
from .serialization import make_registry

# Only convert() is used on this registry (never serialize_json, whose encoder flag is shared
# mutable state), so one instance can serve every thread.
_REGISTRY = make_registry()

OPEN_MASK = TaskState.READY | TaskState.WAITING
# STARTED is what a call activity / subprocess task sits in while its child process runs.
_ACTIVE_MASK = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_FINISHED_MASK = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR

# Serialized spec attributes that only restate another one (the class description follows the type).
_NOISE = frozenset({"description", "lookahead", "manual"})

ATTRIBUTE_LABELS = {
    "typename": "loại phần tử",
    "name": "mã phần tử",
    "bpmn_id": "mã phần tử",
    "bpmn_name": "tên",
    "lane": "lane",
    "documentation": "mô tả",
    "extensions": "thuộc tính mở rộng (vd. sla_days)",
    "form": "biểu mẫu",
    "inputs": "luồng vào",
    "outputs": "luồng ra",
    "event_definition": "định nghĩa sự kiện (hẹn giờ, thông điệp…)",
    "cancel_activity": "kiểu sự kiện biên (ngắt/không ngắt)",
    "script": "mã lệnh",
    "prescript": "mã lệnh trước",
    "postscript": "mã lệnh sau",
    "cond_task_specs": "điều kiện rẽ nhánh",
    "default_task_spec": "nhánh mặc định",
    "decision_table": "bảng quyết định (DMN)",
    "data_input_associations": "dữ liệu vào",
    "data_output_associations": "dữ liệu ra",
    "io_specification": "đặc tả vào/ra",
    "spec": "quy trình con được gọi",
    "role": "vai trò thực hiện",
    "level": "cấp thực hiện",
    "label": "nhãn hiển thị",
}


def _name(spec) -> str:
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class StepChange:
    """One BPMN element added, removed or changed between two versions."""

    bpmn_id: str
    name: str
    type: str
    process: str
    attributes: list[str] = field(default_factory=list)
    previous_id: str | None = None

    def as_dict(self) -> dict:
        return {
            "bpmn_id": self.bpmn_id,
            "name": self.name,
            "type": self.type,
            "process": self.process,
            "attributes": list(self.attributes),
            "attribute_labels": [ATTRIBUTE_LABELS.get(a, a) for a in self.attributes],
            "previous_id": self.previous_id,
        }


@dataclass(frozen=True)
class ProcedureDiff:
    """What an administrator sees when comparing two versions; independent of any instance."""

    added: list[StepChange]
    removed: list[StepChange]
    changed: list[StepChange]

    def as_dict(self) -> dict:
        return {
            "added": [s.as_dict() for s in self.added],
            "removed": [s.as_dict() for s in self.removed],
            "changed": [s.as_dict() for s in self.changed],
        }


@dataclass(frozen=True)
class OpenTaskMove:
    """Where one open user task of the instance goes.

    ``outcome`` is ``"stays"`` (the same BPMN id exists in the new version as a user task) or
    ``"refused"``. ``new_task_id`` is the task id after the move; in a dry run it is only indicative
    when it differs from ``task_id`` (new task ids are random), the real run reports its own.
    """

    task_id: str
    bpmn_id: str
    name: str
    outcome: str
    new_task_id: str | None = None
    new_name: str | None = None
    lane: str | None = None
    role: str | None = None
    level: str | None = None
    form_key: str | None = None
    changes: list[str] = field(default_factory=list)
    reason: str | None = None

    def as_dict(self) -> dict:
        return {
            "task_id": self.task_id,
            "bpmn_id": self.bpmn_id,
            "name": self.name,
            "outcome": self.outcome,
            "new_task_id": self.new_task_id,
            "new_name": self.new_name,
            "lane": self.lane,
            "role": self.role,
            "level": self.level,
            "form_key": self.form_key,
            "changes": list(self.changes),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class TimerRestart:
    """A pending timer: migration resets it, so it counts again from the moment of the move."""

    bpmn_id: str
    name: str
    due_before: datetime | None
    due_after: datetime | None

    def as_dict(self) -> dict:
        return {
            "bpmn_id": self.bpmn_id,
            "name": self.name,
            "due_before": _iso(self.due_before),
            "due_after": _iso(self.due_after),
        }


@dataclass(frozen=True)
class MigrationPlan:
    """The dry run of moving one instance from ``from_version`` to ``to_version`` (sha256 each)."""

    from_version: str
    to_version: str
    added: list[StepChange]
    removed: list[StepChange]
    changed: list[StepChange]
    open_tasks: list[OpenTaskMove]
    task_id_changes: dict[str, str]
    timers: list[TimerRestart]
    safe: bool
    reasons: list[str]
    notes: list[str] = field(default_factory=list)
    next_timer_at: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "added": [s.as_dict() for s in self.added],
            "removed": [s.as_dict() for s in self.removed],
            "changed": [s.as_dict() for s in self.changed],
            "open_tasks": [t.as_dict() for t in self.open_tasks],
            "task_id_changes": dict(self.task_id_changes),
            "timers": [t.as_dict() for t in self.timers],
            "safe": self.safe,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "next_timer_at": _iso(self.next_timer_at),
        }


# --------------------------------------------------------------------------------------- version diff


@dataclass
class _SpecDiffs:
    top: SpecDiff
    # Subprocess/call-activity specs present in both versions; the others are wholly added or removed.
    dependencies: dict[str, SpecDiff]


def _spec_diffs(old: CompiledProcedure, new: CompiledProcedure) -> _SpecDiffs:
    return _SpecDiffs(
        top=SpecDiff(_REGISTRY, old.spec, new.spec),
        dependencies={
            name: SpecDiff(_REGISTRY, spec, new.subprocess_specs[name])
            for name, spec in old.subprocess_specs.items()
            if name in new.subprocess_specs
        },
    )


def _bpmn_specs(specs) -> list:
    # Engine-internal helpers (Start, EndJoin, boundary split/join) have no BPMN id and mean nothing
    # to an administrator.
    return [s for s in specs if getattr(s, "bpmn_id", None)]


def _step(spec, process: str, attributes=(), previous_id=None) -> StepChange:
    return StepChange(
        bpmn_id=spec.bpmn_id,
        name=_name(spec),
        type=type(spec).__name__,
        process=process,
        attributes=list(attributes),
        previous_id=previous_id,
    )


def _user_task_changes(old: CompiledProcedure, new: CompiledProcedure, bpmn_id: str) -> list[str]:
    """Differences the diagram does not show: who does the task, as declared in the manifest."""
    before, after = old.user_tasks.get(bpmn_id), new.user_tasks.get(bpmn_id)
    if before is None or after is None:
        return []
    return [attr for attr in ("role", "level", "label") if getattr(before, attr) != getattr(after, attr)]


def _procedure_diff(old: CompiledProcedure, new: CompiledProcedure, diffs: _SpecDiffs) -> ProcedureDiff:
    added: list[StepChange] = []
    removed: list[StepChange] = []
    changed: list[StepChange] = []
    pairs = [(new.process_id, diffs.top)] + list(diffs.dependencies.items())
    for process, diff in pairs:
        added += [_step(s, process) for s in _bpmn_specs(diff.added)]
        removed += [_step(s, process) for s in _bpmn_specs(diff.removed)]
        seen = set()
        for old_spec, attributes in diff.changed.items():
            new_spec = diff.alignment[old_spec]
            if not getattr(new_spec, "bpmn_id", None):
                continue
            attrs = [a for a in attributes if a not in _NOISE]
            attrs += _user_task_changes(old, new, new_spec.bpmn_id)
            seen.add(new_spec.bpmn_id)
            previous = old_spec.bpmn_id if old_spec.name != new_spec.name else None
            changed.append(_step(new_spec, process, dict.fromkeys(attrs), previous))
        # A user task whose lane now maps to another role changed even though its XML did not.
        for old_spec, new_spec in diff.alignment.items():
            if isinstance(new_spec, UserTask) and new_spec.bpmn_id not in seen:
                attrs = _user_task_changes(old, new, new_spec.bpmn_id)
                if attrs and old_spec.name == new_spec.name:
                    changed.append(_step(new_spec, process, attrs))
    for name, spec in old.subprocess_specs.items():
        if name not in new.subprocess_specs:
            removed += [_step(s, name) for s in _bpmn_specs(spec.task_specs.values())]
    for name, spec in new.subprocess_specs.items():
        if name not in old.subprocess_specs:
            added += [_step(s, name) for s in _bpmn_specs(spec.task_specs.values())]
    return ProcedureDiff(added=added, removed=removed, changed=changed)


def diff_procedures(old: CompiledProcedure, new: CompiledProcedure) -> ProcedureDiff:
    """Steps added, removed and changed from ``old`` to ``new`` (BPMN ids with names)."""
    return _procedure_diff(old, new, _spec_diffs(old, new))


# ------------------------------------------------------------------------------------ one instance


def _timer_due(task) -> datetime | None:
    value = task.internal_data.get("event_value")
    if not isinstance(value, str):
        return None  # cycle timers keep a dict; they are still listed, without a due time
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCALTZ)  # as Spiff itself reads naive values
    return moment.astimezone(UTC)


def _waiting_timers(workflow) -> dict:
    """task id → (task, due) for every WAITING timer event."""
    timers = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            timers[task.id] = (task, _timer_due(task))
    return timers


def _owner(spec):
    """The BPMN element an engine-internal helper spec belongs to (e.g. ``b.BoundaryEventSplit`` → b)."""
    if getattr(spec, "bpmn_id", None) or "." not in spec.name:
        return None
    owner = spec._wf_spec.task_specs.get(spec.name.rsplit(".", 1)[0])
    return owner if getattr(owner, "bpmn_id", None) else None


def _where_spec(spec) -> str:
    bpmn_id = getattr(spec, "bpmn_id", None)
    if bpmn_id:
        return f"'{_name(spec)}' ({bpmn_id})"
    owner = _owner(spec)
    if owner is not None:
        return f"phần nội bộ (sự kiện biên) của '{_name(owner)}' ({owner.bpmn_id})"
    return f"'{spec.name}'"


def _where(task) -> str:
    return _where_spec(task.task_spec)


class Migration:
    """One attempt to move one loaded instance; collects the reasons it would be unsafe.

    Use: ``check()``; if ``reasons`` is empty, ``apply()``, run the engine, then ``verify()``.
    Nothing here reads the clock; the caller runs ``apply`` and the engine under ``engine_clock``.
    """

    def __init__(self, workflow, old: CompiledProcedure, new: CompiledProcedure):
        self.workflow = workflow
        self.old = old
        self.new = new
        self.reasons: list[str] = []
        self.notes: list[str] = []
        self._diffs = _spec_diffs(old, new)
        self.procedure_diff = _procedure_diff(old, new, self._diffs)
        self._top_diff = WorkflowDiff(workflow, self._diffs.top)
        self._sub_diffs: dict = {}
        self._open = [t for t in workflow.get_tasks(state=OPEN_MASK) if isinstance(t.task_spec, UserTask)]
        self._timers_before = _waiting_timers(workflow)
        # apply() re-points tasks at the new specs; reports name what the instance showed before.
        self._names = {
            t.id: _name(t.task_spec) for t in [*self._open, *(t for t, _ in self._timers_before.values())]
        }
        self.moves: list[OpenTaskMove] = []
        self.task_id_changes: dict[str, str] = {}
        self.timers: list[TimerRestart] = []

    def _refuse(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    # -------------------------------------------------------------- before touching anything

    def check(self) -> None:
        wf = self.workflow
        if wf.is_completed():
            self._refuse("Hồ sơ đã kết thúc; không cần và không được chuyển sang phiên bản khác.")
        self._check_subprocesses()
        refused = self._check_open_user_tasks()
        self._check_open_path(refused)
        self._check_history(set(refused.values()))

    def _check_subprocesses(self) -> None:
        wf = self.workflow
        for sp_id, sub in wf.subprocesses.items():
            parent = wf.tasks.get(sp_id)
            where = _where(parent) if parent is not None else f"'{sub.spec.name}'"
            if not sub.is_completed():
                # migrate_workflow would have to realign the child tree and its parent task together;
                # Spiff offers no safe way to do that, so the move waits until the child finishes.
                self._refuse(
                    f"Hồ sơ đang ở trong quy trình con {where}; chưa thể chuyển phiên bản khi quy trình "
                    "con đang chạy. Hãy chuyển sau khi quy trình con kết thúc."
                )
                continue
            spec_diff = self._diffs.dependencies.get(sub.spec.name)
            if spec_diff is None:
                self._refuse(
                    f"Quy trình con {where} mà hồ sơ đã đi qua không còn trong phiên bản mới; lịch sử "
                    "hồ sơ sẽ không đọc lại được."
                )
                continue
            self._sub_diffs[sp_id] = WorkflowDiff(sub, spec_diff)

    def _check_open_user_tasks(self) -> dict:
        """Refuse open user tasks that have no user task with the same id in the new version."""
        refused = {}
        for task in self._open:
            spec = task.task_spec
            info = self.new.user_tasks.get(spec.bpmn_id)
            aligned = self._top_diff.alignment.get(task) if task.workflow is self.workflow else None
            reason = None
            if task.workflow is not self.workflow:
                reason = f"Bước đang mở {_where(task)} nằm trong quy trình con."
            elif info is None:
                renamed = (
                    f" (sơ đồ mới có vẻ thay nó bằng '{_name(aligned)}' ({aligned.bpmn_id}))"
                    if aligned is not None and getattr(aligned, "bpmn_id", None) and aligned.name != spec.name
                    else ""
                )
                reason = (
                    f"Bước đang mở {_where(task)} không còn là nhiệm vụ người dùng trong phiên bản mới "
                    f"(đã bị xóa, đổi mã hoặc đổi loại){renamed}."
                )
            if reason is not None:
                refused[task.id] = spec.bpmn_id
                self._refuse(reason)
                self.moves.append(
                    OpenTaskMove(
                        task_id=str(task.id),
                        bpmn_id=spec.bpmn_id,
                        name=_name(spec),
                        outcome="refused",
                        reason=reason,
                    )
                )
        return refused

    def _check_open_path(self, refused: dict) -> None:
        """Every task the instance is waiting at must land on the same element, at the same place."""
        wf = self.workflow
        alignment = self._top_diff.alignment
        for task in wf.get_tasks(state=_ACTIVE_MASK, skip_subprocesses=True):
            if task.id in refused:
                continue
            target = alignment.get(task)
            if target is None:
                self._refuse(f"Phần tử đang chờ {_where(task)} không còn trong phiên bản mới.")
                continue
            if target.name != task.task_spec.name:
                # SpecDiff matched it by shape to an element with another id; moving the instance
                # there silently would change what the waiting user is asked to do.
                self._refuse(
                    f"Phần tử đang chờ {_where(task)} chỉ khớp được theo cấu trúc với '{target.name}' "
                    "trong phiên bản mới; không tự động chuyển."
                )
                continue
            parent = task.parent
            parent_target = alignment.get(parent) if parent is not None else None
            if parent is not None and (
                parent_target is None or parent_target.name not in {s.name for s in target.inputs}
            ):
                # E.g. a boundary timer was added to or removed from the open task: the existing tree
                # cannot be re-predicted into the new shape, and the timer would be silently lost.
                self._refuse(
                    f"Vị trí của phần tử đang chờ {_where(task)} trong sơ đồ đã thay đổi (phần tử ngay "
                    "trước nó hoặc sự kiện biên gắn với nó khác đi); không thể đặt lại đúng chỗ."
                )

    def _check_history(self, reported: set) -> None:
        # The state names each task's spec by id; a finished task whose element disappeared could not be
        # restored afterwards, so history would be lost.
        gone = {}
        for task in self._top_diff.removed:
            owner = _owner(task.task_spec)
            if owner is not None and owner.bpmn_id in reported:
                continue  # the boundary-event helper of an open task already refused above
            if task.state & _FINISHED_MASK:
                gone.setdefault(task.task_spec.name, task)
        for task in gone.values():
            self._refuse(
                f"Bước đã thực hiện {_where(task)} không còn trong phiên bản mới; lịch sử hồ sơ sẽ không "
                "đọc lại được."
            )

    # -------------------------------------------------------------- the move

    def apply(self) -> None:
        """Point every task at the new version and reset READY/WAITING tasks (re-predicts the future).

        Resetting restarts pending timers from the current (injected) time.
        """
        wf = self.workflow
        migrate_workflow(self._top_diff, wf, self.new.spec)
        for sp_id, diff in self._sub_diffs.items():
            sub = wf.subprocesses[sp_id]
            migrate_workflow(diff, sub, self.new.subprocess_specs[sub.spec.name])
        wf.subprocess_specs = self.new.subprocess_specs
        wf.spec_ref = self.new.sha256

    def verify(self) -> None:
        """After the engine ran: nothing points at the old version and each open task is open again."""
        wf = self.workflow
        for task in wf.get_tasks():
            specs = (
                self.new.spec
                if task.workflow is wf
                else self.new.subprocess_specs.get(task.workflow.spec.name)
            )
            if specs is None or specs.task_specs.get(task.task_spec.name) is not task.task_spec:
                self._refuse(
                    f"Phần tử {_where(task)} ({TaskState.get_name(task.state)}) vẫn gắn với phiên bản cũ "
                    "sau khi chuyển."
                )
        ready_after = [t for t in wf.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTask)]
        claimed: set = set()
        for task in self._open:
            if any(m.task_id == str(task.id) for m in self.moves):
                continue
            self._move(task, ready_after, claimed)
        self._timer_changes()

    def _move(self, task, ready_after: list, claimed: set) -> None:
        bpmn_id = task.task_spec.bpmn_id
        same = [t for t in ready_after if t.task_spec.bpmn_id == bpmn_id and t.id not in claimed]
        # Prefer the very same task (reset keeps its id); otherwise the engine re-created it.
        after = next((t for t in same if t.id == task.id), same[0] if same else None)
        if after is None:
            reason = f"Bước {_where(task)} không còn sẵn sàng sau khi chuyển sang phiên bản mới."
            self._refuse(reason)
            self.moves.append(
                OpenTaskMove(
                    task_id=str(task.id),
                    bpmn_id=bpmn_id,
                    name=self._names[task.id],
                    outcome="refused",
                    reason=reason,
                )
            )
            return
        claimed.add(after.id)
        if after.id != task.id:
            self.task_id_changes[str(task.id)] = str(after.id)
        info = self.new.user_tasks[bpmn_id]
        changes = next(
            (c.attributes for c in self.procedure_diff.changed if c.bpmn_id == bpmn_id and not c.previous_id),
            [],
        )
        self.moves.append(
            OpenTaskMove(
                task_id=str(task.id),
                bpmn_id=bpmn_id,
                name=self._names[task.id],
                outcome="stays",
                new_task_id=str(after.id),
                new_name=info.name,
                lane=info.lane,
                role=info.role,
                level=info.level,
                form_key=info.form_key,
                changes=list(changes),
            )
        )

    def _timer_changes(self) -> None:
        after = _waiting_timers(self.workflow)
        by_bpmn = {}
        for task, due in after.values():
            by_bpmn.setdefault(getattr(task.task_spec, "bpmn_id", None), (task, due))
        for task_id, (task, due_before) in self._timers_before.items():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            match = after.get(task_id) or by_bpmn.get(bpmn_id)
            due_after = match[1] if match else None
            name = self._names[task_id]
            self.timers.append(TimerRestart(bpmn_id, name, due_before, due_after))
            if match is None:
                self.notes.append(f"Hẹn giờ '{name}' sẽ không còn chờ sau khi chuyển.")
            elif due_after != due_before:
                self.notes.append(
                    f"Hẹn giờ '{name}' được tính lại từ thời điểm chuyển: "
                    f"{_iso(due_before) or '?'} → {_iso(due_after) or '?'}."
                )
        known = {getattr(t.task_spec, "bpmn_id", None) for t, _ in self._timers_before.values()}
        for task, due in after.values():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            if bpmn_id not in known:
                self.timers.append(TimerRestart(bpmn_id, _name(task.task_spec), None, due))

    def record(self, *, at: datetime, actor: str | None) -> None:
        """Keep the move in the state itself (root task), so the instance's own history shows it."""
        root = self.workflow.task_tree
        history = list(root.internal_data.get("migrations", []))
        history.append({"from": self.old.sha256, "to": self.new.sha256, "at": at.isoformat(), "by": actor})
        root.internal_data["migrations"] = history

    def plan(self, *, next_timer_at: datetime | None = None) -> MigrationPlan:
        return MigrationPlan(
            from_version=self.old.sha256,
            to_version=self.new.sha256,
            added=self.procedure_diff.added,
            removed=self.procedure_diff.removed,
            changed=self.procedure_diff.changed,
            open_tasks=list(self.moves),
            task_id_changes=dict(self.task_id_changes),
            timers=list(self.timers),
            safe=not self.reasons,
            reasons=list(self.reasons),
            notes=list(self.notes),
            next_timer_at=next_timer_at,
        )


def refused_plan(old: CompiledProcedure, new: CompiledProcedure, reasons: list[str]) -> MigrationPlan:
    """A plan for a move refused before the instance could be examined."""
    return MigrationPlan(
        from_version=old.sha256,
        to_version=new.sha256,
        added=[],
        removed=[],
        changed=[],
        open_tasks=[],
        task_id_changes={},
        timers=[],
        safe=False,
        reasons=list(reasons),
    )


def same_version_plan(old: CompiledProcedure, new: CompiledProcedure) -> MigrationPlan:
    return refused_plan(old, new, ["Hồ sơ đã chạy trên phiên bản này; không có gì để chuyển."])

"""Running procedure instances: start, complete a user task, fire due timers.

Each call takes the instance state as a JSON string and returns a new one; nothing is mutated in
place, so on any error the caller simply keeps the state it already has. The state does not embed the
process spec: it carries ``spec_ref`` (the procedure's sha256) and the spec comes from the
CompiledProcedure passed in, which halves the size and the (de)serialization cost per request.
The state of a finished instance is returned deflated (``serialization.compact_state``); every call
accepts either form.
"""

import copy
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import LOCALTZ
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from .clock import engine_clock
from .errors import MigrationRefused, TaskNotReady, WorkflowStepError
from .migration import Migration, MigrationPlan, refused_plan, same_version_plan
from .procedure import CompiledProcedure
from .sandbox import (
    DEFAULT_STEP_BUDGET_SECONDS,
    Notice,
    ScriptBudgetExceeded,
    StepBudget,
    StepContext,
    engine_step,
    make_script_engine,
    reserved_names,
)
from .serialization import SERIALIZER_VERSION, compact_state, expand_state, make_registry


@dataclass(frozen=True)
class ReadyTask:
    id: str
    bpmn_id: str
    name: str
    lane: str
    role: str
    level: str
    form_key: str
    sla_days: int | None
    data: dict


@dataclass
class StepResult:
    state: str
    completed: bool
    end_state: str | None
    ready_tasks: list[ReadyTask]
    next_timer_at: datetime | None
    notices: list[Notice] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    completed_task: str | None = None
    # Format of ``state``; the app stores it next to the state so a later SpiffWorkflow upgrade knows
    # which serializer migrations to run.
    serializer_version: str = SERIALIZER_VERSION
    # Set only by WorkflowRuntime.migrate: what the move did (task id changes, restarted timers).
    migration: MigrationPlan | None = None


class ProcedureWorkflow(BpmnWorkflow):
    """A BpmnWorkflow that remembers which compiled procedure version it runs."""

    def __init__(self, spec, subprocess_specs=None, *, spec_ref: str, **kwargs):
        super().__init__(spec, subprocess_specs, **kwargs)
        self.spec_ref = spec_ref


class _SpecRefConverter(BpmnWorkflowConverter):
    """Writes ``spec_ref`` instead of the spec; restores against the procedure given by the caller."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_ref"] = workflow.spec_ref
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, procedure: CompiledProcedure | None = None):
        if procedure is None:
            raise ValueError("a CompiledProcedure is required to restore a workflow")
        stored = dct.get("spec_ref")
        if stored != procedure.sha256:
            raise ValueError(f"trạng thái thuộc phiên bản {stored!r}, không phải {procedure.sha256}")
        workflow = self.target_class(
            procedure.spec, procedure.subprocess_specs, spec_ref=procedure.sha256, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[ProcedureWorkflow] = _SpecRefConverter
    return BpmnWorkflowSerializer(make_registry(config), version=SERIALIZER_VERSION)


def _parse_timer_value(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        # Spiff interprets naive timer values in the server's local zone; follow it.
        moment = moment.replace(tzinfo=LOCALTZ)
    return moment.astimezone(UTC)


def _describe(exc: Exception, step: StepContext) -> str:
    where = getattr(getattr(exc, "task_spec", None), "bpmn_id", None) or step.last_source
    prefix = f"Lỗi khi chạy phần tử '{where}'" if where else "Lỗi khi chạy quy trình"
    return f"{prefix}: {exc}"


class WorkflowRuntime:
    """Runs instances of compiled procedures. One per process; safe to share between threads."""

    def __init__(self, step_budget_seconds: float = DEFAULT_STEP_BUDGET_SECONDS):
        # Wall-clock time all code of one step (scripts, conditions, timers, DMN) may use before the
        # step fails; checked here so a bad setting fails at start-up, not on the first request.
        StepBudget(step_budget_seconds)
        self._step_budget_seconds = step_budget_seconds
        self._engine = make_script_engine()
        self._reserved = reserved_names()
        # BpmnWorkflowSerializer flips a flag on its registry while encoding, so a serializer must not
        # be used by two threads at once; each thread gets its own.
        self._local = threading.local()

    # ------------------------------------------------------------------ public API

    def start(self, proc: CompiledProcedure, *, data: dict, now: datetime) -> StepResult:
        """Create an instance; ``data`` (over the manifest's ``defaults``) becomes its initial data."""
        start_data = self._checked_data({**proc.manifest.get("defaults", {}), **data})

        def step():
            wf = ProcedureWorkflow(
                proc.spec, proc.subprocess_specs, spec_ref=proc.sha256, script_engine=self._engine
            )
            wf.get_next_task(state=TaskState.READY).set_data(**start_data)
            wf.do_engine_steps()
            return wf, None

        return self._step(proc, now, step)

    def complete_task(
        self, proc: CompiledProcedure, state: str, task_id: str, data: dict, *, actor: str, now: datetime
    ) -> StepResult:
        task_data = self._checked_data(data)

        def step():
            wf = self._load(proc, state)
            task = self._ready_user_task(wf, task_id)
            task.set_data(**task_data)
            task.internal_data["completed_by"] = actor
            task.run()
            wf.do_engine_steps()
            return wf, task.task_spec.bpmn_id

        return self._step(proc, now, step)

    def fire_due_timers(self, proc: CompiledProcedure, state: str, *, now: datetime) -> StepResult:
        def step():
            wf = self._load(proc, state)
            wf.refresh_timers()
            wf.do_engine_steps()
            return wf, None

        return self._step(proc, now, step)

    # ------------------------------------------------------------------ migration between versions
    # Kept apart from the step methods above; the rules live in workflow/migration.py.

    def plan_migration(
        self, old: CompiledProcedure, new: CompiledProcedure, state: str, *, now: datetime | None = None
    ) -> MigrationPlan:
        """Dry run of ``migrate``: what moving this instance from ``old`` to ``new`` would change.

        The move is really performed, in memory, on a copy restored from ``state``, so the plan reports
        what ``migrate`` would do (including engine errors the new version raises on this instance's
        data and the restarted timers' due times as of ``now``, the real time when omitted). Nothing is
        returned that could be saved.
        """
        plan, _ = self._migration(old, new, state, now=now or datetime.now(UTC), actor=None)
        return plan

    def migrate(
        self, old: CompiledProcedure, new: CompiledProcedure, state: str, *, now: datetime, actor: str
    ) -> StepResult:
        """Move the instance in ``state`` (running ``old``) to ``new``; data and history are kept.

        Raises MigrationRefused (with the plan's reasons) when the move is unsafe; the caller keeps
        its state. READY/WAITING tasks are reset, so pending timers count again from ``now``.
        ``result.migration`` tells which open tasks got a new task id.
        """
        plan, result = self._migration(old, new, state, now=now, actor=actor)
        if result is None:
            raise MigrationRefused(plan.reasons, plan=plan)
        return result

    def _migration(
        self, old: CompiledProcedure, new: CompiledProcedure, state: str, *, now: datetime, actor
    ) -> tuple[MigrationPlan, StepResult | None]:
        try:
            spec_ref = json.loads(expand_state(state)).get("spec_ref")
        except (TypeError, ValueError, AttributeError) as exc:
            raise WorkflowStepError(f"Không đọc được trạng thái hồ sơ: {exc}") from exc
        if new.sha256 in (old.sha256, spec_ref):
            return same_version_plan(old, new), None
        if spec_ref != old.sha256:
            # A caller bug (wrong source version), not a property of the move.
            raise WorkflowStepError(f"Trạng thái hồ sơ thuộc phiên bản {spec_ref!r}, không phải {old.sha256}")
        attempt: Migration | None = None

        def step():
            nonlocal attempt
            wf = self._load(old, state)
            try:
                attempt = Migration(wf, old, new)
            except Exception as exc:  # SpecDiff/WorkflowDiff cannot align the two trees at all
                raise MigrationRefused(f"Không so khớp được hai phiên bản cho hồ sơ này: {exc}") from exc
            attempt.check()
            if attempt.reasons:
                raise MigrationRefused(attempt.reasons)
            attempt.apply()
            wf.do_engine_steps()
            attempt.verify()
            if attempt.reasons:
                raise MigrationRefused(attempt.reasons)
            attempt.record(at=now, actor=actor)
            return wf, None

        try:
            result = self._step(new, now, step)
        except MigrationRefused as exc:
            return (attempt.plan() if attempt is not None else refused_plan(old, new, exc.reasons)), None
        except WorkflowStepError as exc:
            if attempt is None:
                raise  # the stored state itself could not be restored
            attempt.reasons.append(f"Chạy thử trên phiên bản mới bị lỗi: {exc}")
            return attempt.plan(), None
        try:
            # A state that cannot be restored against the new version must never be handed out.
            self._load(new, result.state)
        except Exception as exc:
            attempt.reasons.append(f"Trạng thái sau khi chuyển không khôi phục được: {exc}")
            return attempt.plan(), None
        plan = attempt.plan(next_timer_at=result.next_timer_at)
        result.migration = plan
        return plan, result

    # ------------------------------------------------------------------ internals

    def _serializer(self) -> BpmnWorkflowSerializer:
        serializer = getattr(self._local, "serializer", None)
        if serializer is None:
            serializer = self._local.serializer = _make_serializer()
        return serializer

    def _checked_data(self, data: dict) -> dict:
        if not isinstance(data, dict):
            raise WorkflowStepError("Dữ liệu phải là một dict")
        # Such keys would shadow script helpers/guards or be unreachable from scripts; a field named
        # "today" would otherwise only fail when the reminder script runs days later.
        bad = sorted(
            k
            for k in data
            if not isinstance(k, str) or not k.isidentifier() or k.startswith("_") or k in self._reserved
        )
        if bad:
            raise WorkflowStepError(f"Tên trường dữ liệu không hợp lệ hoặc trùng tên dành riêng: {bad}")
        return copy.deepcopy(data)

    def _load(self, proc: CompiledProcedure, state: str) -> ProcedureWorkflow:
        serializer = self._serializer()
        dct = json.loads(expand_state(state))
        serializer.migrate(dct)
        wf = serializer.from_dict(dct, procedure=proc)
        # The script engine is not serialized; a restored workflow would otherwise get Spiff's
        # unrestricted default engine.
        wf.script_engine = self._engine
        return wf

    @staticmethod
    def _ready_user_task(wf: ProcedureWorkflow, task_id: str):
        try:
            task = wf.get_task_from_id(uuid.UUID(str(task_id)))
        except (ValueError, TaskNotFoundException):
            raise TaskNotReady(f"Không có công việc {task_id!r} trong hồ sơ này") from None
        if not isinstance(task.task_spec, UserTask):
            raise TaskNotReady(f"Công việc {task_id!r} không phải việc của người dùng")
        # task.run() does not check the state itself: running a FUTURE task would silently complete it.
        if task.state != TaskState.READY:
            raise TaskNotReady(
                f"Công việc {task_id!r} không ở trạng thái sẵn sàng ({TaskState.get_name(task.state)})"
            )
        return task

    def _step(self, proc: CompiledProcedure, now: datetime, step: Callable) -> StepResult:
        with engine_clock(now), engine_step(self._step_budget_seconds) as context:
            try:
                wf, completed_task = step()
                return self._result(proc, wf, context.notices, completed_task)
            except (TaskNotReady, WorkflowStepError):
                raise
            # ScriptBudgetExceeded is a BaseException (scripts must not catch it), so it is named here;
            # SpiffWorkflow lets it through unwrapped, and context.last_source names the element.
            except (Exception, ScriptBudgetExceeded) as exc:
                raise WorkflowStepError(_describe(exc, context)) from exc

    def _result(self, proc: CompiledProcedure, wf: ProcedureWorkflow, notices, completed_task) -> StepResult:
        ready = [
            t for t in wf.get_tasks(state=TaskState.READY, manual=True) if isinstance(t.task_spec, UserTask)
        ]
        completed = wf.is_completed()
        if completed:
            data = wf.data
        elif ready:
            data = ready[0].data
        else:
            data = wf.last_task.data if wf.last_task is not None else {}
        state = self._serializer().serialize_json(wf)
        return StepResult(
            # A finished instance takes no more steps: its state is kept deflated (about a fifth).
            state=compact_state(state) if completed else state,
            completed=completed,
            end_state=self._end_state(proc, wf) if completed else None,
            ready_tasks=[self._ready_task(proc, t) for t in ready],
            next_timer_at=self._next_timer(wf),
            notices=list(notices),
            data=copy.deepcopy(data),
            completed_task=completed_task,
        )

    @staticmethod
    def _ready_task(proc: CompiledProcedure, task) -> ReadyTask:
        info = proc.user_tasks[task.task_spec.bpmn_id]
        return ReadyTask(
            id=str(task.id),
            bpmn_id=info.bpmn_id,
            name=info.name,
            lane=info.lane,
            role=info.role,
            level=info.level,
            form_key=info.form_key,
            sla_days=info.sla_days,
            data=copy.deepcopy(task.data),
        )

    @staticmethod
    def _end_state(proc: CompiledProcedure, wf: ProcedureWorkflow) -> str | None:
        reached = [
            t
            for t in wf.get_tasks(state=TaskState.COMPLETED)
            if t.workflow is wf
            and isinstance(t.task_spec, EndEvent)
            and t.task_spec.bpmn_id in proc.end_states
        ]
        if not reached:
            return None
        last = max(reached, key=lambda t: t.last_state_change)
        return proc.end_states[last.task_spec.bpmn_id]

    @staticmethod
    def _next_timer(wf: ProcedureWorkflow) -> datetime | None:
        due = [
            _parse_timer_value(event.value)
            for event in wf.waiting_events()
            if "Timer" in event.event_type and isinstance(event.value, str)
        ]
        return min(due, default=None)

"""Replaying recorded submissions through a procedure version, in memory ("what if").

Before activating a candidate version, an administrator wants to know which finished dossiers would
end differently under it. A dossier's history is its start data plus the forms submitted at each user
task, in order; feeding the same submissions to the candidate shows where its gateways and decision
tables lead. Everything goes through WorkflowRuntime.start/complete_task, so the candidate runs exactly
as it would in production (sandbox, clock, end-state mapping), and nothing is persisted.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from .errors import TaskNotReady, WorkflowStepError
from .procedure import CompiledProcedure
from .runtime import StepResult, WorkflowRuntime

COMPLETED = "completed"  # the instance reached an end event
WAITING = "waiting"  # every step was applied and the instance still waits for a user task
DIVERGED = "diverged"  # the next recorded step's task is not ready under this version
FAILED = "failed"  # this version raised on the recorded data (script, condition, DMN, timer)


class ReplayStep(NamedTuple):
    """One recorded submission: the user task's BPMN id and the variables as they were submitted.

    ``at`` is when it was submitted; when given, the step runs at that time and timers due by then fire
    first (so an interrupting deadline can change the outcome). Without it the step runs at ``now``.
    """

    bpmn_id: str
    data: dict
    at: datetime | None = None


@dataclass(frozen=True)
class ReplayOutcome:
    status: str
    completed: bool
    end_state: str | None
    data: dict
    steps_applied: int
    # Index (into ``steps``) and BPMN id of the first recorded step that was not applied: the step that
    # diverged or failed, or the first one left over when the instance ended early.
    stopped_at: int | None = None
    stopped_step: str | None = None
    ready: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def diverged(self) -> bool:
        return self.status == DIVERGED

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "completed": self.completed,
            "end_state": self.end_state,
            "data": self.data,
            "steps_applied": self.steps_applied,
            "stopped_at": self.stopped_at,
            "stopped_step": self.stopped_step,
            "ready": list(self.ready),
            "error": self.error,
        }


def _outcome(
    status: str, result: StepResult | None, applied: int, steps: list, *, index=None, error=None
) -> ReplayOutcome:
    stopped = steps[index].bpmn_id if index is not None and index < len(steps) else None
    return ReplayOutcome(
        status=status,
        completed=bool(result and result.completed),
        end_state=result.end_state if result else None,
        data=dict(result.data) if result else {},
        steps_applied=applied,
        stopped_at=index,
        stopped_step=stopped,
        ready=[t.bpmn_id for t in result.ready_tasks] if result else [],
        error=error,
    )


def replay(
    runtime: WorkflowRuntime,
    proc: CompiledProcedure,
    *,
    start_data: dict,
    steps: Sequence[ReplayStep | tuple],
    now: datetime,
    actor: str = "replay",
) -> ReplayOutcome:
    """Run ``steps`` through ``proc`` from a fresh instance started with ``start_data``.

    Stops at the first step whose user task is not READY (``diverged``, with the tasks that were
    ready instead), at the first engine error (``failed``), or when the instance ends (``completed``;
    any steps left over are reported through ``stopped_at``). Nothing is persisted.
    """
    recorded = [s if isinstance(s, ReplayStep) else ReplayStep(*s) for s in steps]
    try:
        result = runtime.start(proc, data=start_data, now=now)
    except WorkflowStepError as exc:
        return _outcome(FAILED, None, 0, recorded, index=0 if recorded else None, error=str(exc))

    for index, step in enumerate(recorded):
        at = step.at or now
        if step.at is not None and result.next_timer_at is not None and result.next_timer_at <= at:
            try:
                result = runtime.fire_due_timers(proc, result.state, now=at)
            except WorkflowStepError as exc:
                return _outcome(FAILED, result, index, recorded, index=index, error=str(exc))
        if result.completed:
            return _outcome(COMPLETED, result, index, recorded, index=index)
        task = next((t for t in result.ready_tasks if t.bpmn_id == step.bpmn_id), None)
        if task is None:
            ready = ", ".join(t.bpmn_id for t in result.ready_tasks) or "không có"
            error = f"Bước '{step.bpmn_id}' không sẵn sàng ở phiên bản này (đang sẵn sàng: {ready})."
            return _outcome(DIVERGED, result, index, recorded, index=index, error=error)
        try:
            result = runtime.complete_task(proc, result.state, task.id, step.data, actor=actor, now=at)
        except (WorkflowStepError, TaskNotReady) as exc:
            return _outcome(FAILED, result, index, recorded, index=index, error=str(exc))

    return _outcome(COMPLETED if result.completed else WAITING, result, len(recorded), recorded)


def data_differences(before: dict, after: dict, keys: Iterable[str] | None = None) -> dict[str, tuple]:
    """Top-level variables whose value differs: name → (before, after); a missing side is None.

    Meant for the what-if report's "why": e.g. the DMN's ``rating``/``recognized`` outputs of the
    recorded run against the replay's.
    """
    names = list(keys) if keys is not None else sorted(set(before) | set(after))
    return {k: (before.get(k), after.get(k)) for k in names if before.get(k) != after.get(k)}

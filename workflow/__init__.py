"""Workflow layer: procedure packages and instance execution over SpiffWorkflow (no Flask here)."""

from .clock import engine_clock
from .errors import MigrationRefused, Problem, ProcedureError, TaskNotReady, WorkflowStepError
from .migration import MigrationPlan, OpenTaskMove, ProcedureDiff, StepChange, TimerRestart, diff_procedures
from .package import (
    PackageLimits,
    load_procedure_folder,
    load_procedure_zip,
    package_files,
    package_from_files,
    package_to_zip,
)
from .procedure import (
    CompiledProcedure,
    ProcedurePackage,
    UserTaskInfo,
    bulk_tasks,
    cached_procedure,
    compile_procedure,
    decides_tasks,
    decision_tasks,
    restore_procedure,
    scoring_tasks,
)
from .replay import ReplayOutcome, ReplayStep, data_differences  # replay() itself: workflow.replay
from .runtime import ReadyTask, StepResult, WorkflowRuntime
from .sandbox import Notice, compile_check, make_script_engine
from .serialization import SERIALIZER_VERSION
from .xmlsafe import parse_xml

__all__ = [
    "SERIALIZER_VERSION",
    "CompiledProcedure",
    "MigrationPlan",
    "MigrationRefused",
    "OpenTaskMove",
    "ProcedureDiff",
    "ReplayOutcome",
    "ReplayStep",
    "StepChange",
    "TimerRestart",
    "Notice",
    "PackageLimits",
    "Problem",
    "ProcedureError",
    "ProcedurePackage",
    "ReadyTask",
    "StepResult",
    "TaskNotReady",
    "UserTaskInfo",
    "WorkflowRuntime",
    "WorkflowStepError",
    "bulk_tasks",
    "cached_procedure",
    "compile_check",
    "compile_procedure",
    "data_differences",
    "decides_tasks",
    "decision_tasks",
    "diff_procedures",
    "engine_clock",
    "load_procedure_folder",
    "load_procedure_zip",
    "package_files",
    "package_from_files",
    "package_to_zip",
    "make_script_engine",
    "parse_xml",
    "restore_procedure",
    "scoring_tasks",
]

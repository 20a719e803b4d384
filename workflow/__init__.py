"""Workflow layer: procedure packages and instance execution over SpiffWorkflow (no Flask here)."""

from .clock import engine_clock
from .errors import ProcedureError, TaskNotReady, WorkflowStepError
from .procedure import (
    CompiledProcedure,
    ProcedurePackage,
    UserTaskInfo,
    compile_procedure,
    load_procedure_folder,
    restore_procedure,
)
from .runtime import ReadyTask, StepResult, WorkflowRuntime
from .sandbox import Notice, compile_check, make_script_engine
from .xmlsafe import parse_xml

__all__ = [
    "CompiledProcedure",
    "Notice",
    "ProcedureError",
    "ProcedurePackage",
    "ReadyTask",
    "StepResult",
    "TaskNotReady",
    "UserTaskInfo",
    "WorkflowRuntime",
    "WorkflowStepError",
    "compile_check",
    "compile_procedure",
    "engine_clock",
    "load_procedure_folder",
    "make_script_engine",
    "parse_xml",
    "restore_procedure",
]

"""Exceptions raised by the workflow layer.

Messages in ProcedureError are Vietnamese because they are shown verbatim to the administrators who
upload procedure packages.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a package cannot be deployed, located as precisely as the check allows.

    The modeler highlights ``element`` on the diagram; ``file`` and ``line`` point into the package.
    """

    message: str
    file: str | None = None
    line: int | None = None
    element: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line:
            where += f" (dòng {self.line})"
        if self.element:
            where += f"{': ' if where else ''}phần tử '{self.element}'"
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "element": self.element, "message": self.message}


class ProcedureError(ValueError):
    """A procedure package cannot be deployed; ``problems`` lists every problem found.

    ``errors`` is the same list as plain sentences, for command lines and logs.
    """

    def __init__(self, errors: "list[str | Problem] | str | Problem"):
        items = [errors] if isinstance(errors, str | Problem) else list(errors)
        self.problems = [p if isinstance(p, Problem) else Problem(message=str(p)) for p in items]
        self.errors = [str(p) for p in self.problems]
        super().__init__("\n".join(self.errors))


class TaskNotReady(Exception):  # noqa: N818 - public name fixed by the app contract
    """The task id is unknown, not READY, or not a user task."""


class WorkflowStepError(Exception):
    """The engine raised while advancing an instance; the caller must keep its previous state."""


class MigrationRefused(WorkflowStepError):  # noqa: N818 - reads as the outcome, like TaskNotReady
    """Moving an instance to another procedure version is unsafe; nothing was changed.

    ``reasons`` are Vietnamese sentences meant for the administrator; ``plan`` is the dry-run
    MigrationPlan that produced them (None when the refusal came before a plan existed).
    """

    def __init__(self, reasons: list[str] | str, plan=None):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.plan = plan
        super().__init__("\n".join(self.reasons))

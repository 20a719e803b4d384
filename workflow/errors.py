"""Exceptions raised by the workflow layer.

Messages in ProcedureError are Vietnamese because they are shown verbatim to the administrators who
upload procedure packages.
"""


class ProcedureError(ValueError):
    """A procedure package cannot be deployed; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


class TaskNotReady(Exception):  # noqa: N818 - public name fixed by the app contract
    """The task id is unknown, not READY, or not a user task."""


class WorkflowStepError(Exception):
    """The engine raised while advancing an instance; the caller must keep its previous state."""

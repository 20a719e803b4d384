class ServiceError(Exception):
    """Base of the errors an operation reports to its caller; ``message`` is shown to the user."""

    status = 400

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Unknown, or outside the caller's jurisdiction: both answer 404 so nothing leaks."""

    status = 404


class Forbidden(ServiceError):
    """The caller holds no role that may do this at all (403, unlike jurisdiction's 404): deciding,
    managing campaigns."""

    status = 403


class Conflict(ServiceError):
    status = 409


class InvalidInput(ServiceError):
    """Submitted data failed validation; nothing was changed."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "", form=None):
        super().__init__(message)
        self.errors = errors
        self.form = form


class EndingNotConfirmed(ServiceError):
    """The step would end the dossier without recognition and the caller wanted to confirm that
    first; nothing was changed."""

    status = 409


class StepFailed(ServiceError):
    """The procedure itself failed at this step; the dossier stays as it was."""

    status = 500

"""A task opened from the inbox keeps its list: the previous and next task of the same view, the way back
to it, and the task to open once this one is done ("save and next")."""

from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from app.inbox.query import (
    InboxFilter,
    Neighbours,
    neighbours,
    task_after,
    view_args,
    view_context,
    view_from_context,
)
from app.models import HumanTask, User


@dataclass(frozen=True)
class TaskNavigation:
    user: User
    # The inbox view (filters, sort, page) as the one query-string value the task page carries along.
    context: str
    filters: InboxFilter
    around: Neighbours

    @property
    def list_url(self) -> str:
        return url_for("inbox.index", **view_args(view_from_context(self.context)))

    def task_url(self, task_id: int) -> str:
        return url_for("dossiers.task", task_id=task_id, inbox=self.context)

    def after_completion(self, *, now: datetime) -> str | None:
        """The task page to open once this task is done: what now holds its place in the view, as the
        done task has left it. None when nothing follows it."""
        following = task_after(self.user, self.filters, self.around.values, now=now)
        return self.task_url(following) if following is not None else None

    @property
    def list_start_url(self) -> str:
        """The view from its first page: where tasks the official skipped remain."""
        args = view_args(view_from_context(self.context))
        args.pop("page", None)
        args.pop("after", None)
        return url_for("inbox.index", **args)


def task_navigation(user: User, args, task: HumanTask, *, now: datetime) -> TaskNavigation | None:
    """The navigation of an official's task page opened from the inbox (its ``inbox`` argument), else
    None (an applicant's own task has no inbox)."""
    if "inbox" not in args or task.subject_id is not None:
        return None
    view = view_from_context(args["inbox"])
    filters = InboxFilter.from_args(view)
    return TaskNavigation(user, view_context(view), filters, neighbours(user, filters, task.id, now=now))

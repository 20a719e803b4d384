"""Injected time for the engine.

SpiffWorkflow's timer code reads the wall clock itself (``datetime.now(timezone.utc)`` through the
module-level name ``datetime`` in ``SpiffWorkflow.bpmn.specs.event_definitions.timer``) and offers no
hook for another clock. Timers must follow the caller's clock so that due times are reproducible in
tests and a background job can fire them "as of" its scheduled time, so that one name is replaced by a
``datetime`` subclass whose ``now()`` consults a ContextVar. A ContextVar (not a module global) keeps
two threads or two requests with different clocks apart; outside ``engine_clock`` it is the real time.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_NOW: ContextVar[datetime | None] = ContextVar("workflow_engine_now", default=None)

# Vietnam has no daylight saving time; business dates ("today") follow local civil time.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        injected = _NOW.get()
        if injected is None:
            return super().now(tz)
        return injected.astimezone(tz) if tz is not None else injected.astimezone().replace(tzinfo=None)


def _install() -> None:
    if not issubclass(_timer_module.datetime, _EngineDatetime):
        _timer_module.datetime = _EngineDatetime


_install()


def _require_aware(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


@contextmanager
def engine_clock(now: datetime) -> Iterator[datetime]:
    """Run the enclosed engine calls as if the current time were ``now``."""
    token = _NOW.set(_require_aware(now))
    try:
        yield _NOW.get()
    finally:
        _NOW.reset(token)


def current_time() -> datetime:
    """The injected time if inside ``engine_clock``, otherwise the real time (aware UTC)."""
    injected = _NOW.get()
    return injected if injected is not None else datetime.now(UTC)


def business_date() -> date:
    return current_time().astimezone(VIETNAM_TZ).date()

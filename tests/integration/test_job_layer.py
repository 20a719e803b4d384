"""The job layer in one process: claims with a lease, retries with a doubling wait, incidents an admin
retries or dismisses, timers as jobs, and escalation of overdue tasks (injected clocks throughout)."""

from datetime import timedelta

import pytest

from tests.integration.test_timers_and_notifications import _notifications, _open_and_submit, _user


@pytest.fixture
def jobs(app_ctx):
    """Two job kinds of the test's own: one that counts its runs, one that fails while told to."""
    from app.jobs import _HANDLERS, job_kind

    runs = {"count": 0, "fail": True}
    from app.jobs import _DATABASE_ONLY

    @job_kind("test_counted")
    def counted(message, *, now):
        runs["count"] += 1

    @job_kind("test_flaky")
    def flaky(message, *, now):
        runs["count"] += 1
        if runs["fail"]:
            raise RuntimeError("máy chủ thư từ chối")

    @job_kind("test_notice", database_only=True)
    def notice(message, *, now):
        from app.extensions import db
        from app.models import Notification

        runs["count"] += 1
        db.session.add(
            Notification(
                user_id=message.payload["user_id"],
                kind="task_opened",
                params={},
                dedupe_key=f"test:{message.id}:{runs['count']}",
            )
        )
        if runs["fail"]:
            raise RuntimeError("hỏng giữa chừng")

    yield runs
    for kind in ("test_counted", "test_flaky", "test_notice"):
        _HANDLERS.pop(kind, None)
        _DATABASE_ONLY.discard(kind)


def _write(kind, *, at=None, **kwargs):
    from app.extensions import db
    from app.models import utcnow
    from app.services.outbox import add_job

    message = add_job(kind, {}, at=at or utcnow(), **kwargs)
    db.session.commit()  # not uow.commit: the test decides when the job is handed over
    return message.id


def _row(outbox_id):
    from app.extensions import db
    from app.models import OutboxMessage

    db.session.expire_all()
    return db.session.get(OutboxMessage, outbox_id)


def test_a_job_handed_over_twice_runs_once(jobs):
    from app.jobs import process_outbox_message

    outbox_id = _write("test_counted")
    assert process_outbox_message(outbox_id) is True
    assert process_outbox_message(outbox_id) is False
    assert jobs["count"] == 1
    row = _row(outbox_id)
    assert (row.status, row.attempts) == ("done", 1)


def _outbox_writes(run):
    """The UPDATE statements on the outbox while ``run`` runs."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, seen


def test_a_database_only_job_run_here_is_taken_and_finished_with_its_writes(jobs):
    from app.extensions import db
    from app.jobs import _run_here
    from app.models import Notification

    user = _user(db, "demo-commune")
    jobs["fail"] = False
    outbox_id = _write("test_notice")
    _row(outbox_id).payload = {"user_id": user.id}
    db.session.commit()
    db.session.info.pop("outbox_ids")  # handed over below, as the step's commit would

    done, updates = _outbox_writes(lambda: _run_here(outbox_id))

    assert done is True and len(updates) == 1  # one claim that is also the finish, no lease
    row = _row(outbox_id)
    assert (row.status, row.attempts, row.lease_until) == ("done", 1, None)
    assert len(db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all()) == 1
    assert _run_here(outbox_id) is False and jobs["count"] == 1


def test_a_database_only_job_that_fails_here_leaves_nothing_and_waits_for_its_retry(jobs):
    from app.extensions import db
    from app.jobs import _run_here
    from app.models import Notification

    user = _user(db, "demo-commune")
    outbox_id = _write("test_notice")
    _row(outbox_id).payload = {"user_id": user.id}
    db.session.commit()

    assert _run_here(outbox_id) is False

    # The quick run was undone whole; the leased run tried again, failed, and counted one attempt.
    assert jobs["count"] == 2
    row = _row(outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: hỏng giữa chừng")
    assert row.next_attempt_at is not None
    assert db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all() == []


def test_a_job_held_by_a_live_worker_is_not_taken_and_a_dead_workers_job_runs_again(jobs, app):
    from app.extensions import db
    from app.jobs import _claim, process_outbox_message, sweep_outbox
    from app.models import utcnow

    outbox_id = _write("test_counted")
    now = utcnow()
    assert _claim(outbox_id, now) == 1  # a worker took it, then died without a word
    assert process_outbox_message(outbox_id) is False, "its lease still runs"
    assert sweep_outbox() == 0
    assert jobs["count"] == 0

    row = _row(outbox_id)
    row.lease_until = now - timedelta(seconds=1)
    db.session.commit()
    assert sweep_outbox() == 1  # in-process: handed over and run
    row = _row(outbox_id)
    assert (row.status, row.attempts, jobs["count"]) == ("done", 2, 1)


def test_a_failing_job_waits_longer_after_each_failure_then_becomes_an_incident(jobs, app):
    from app.extensions import db
    from app.jobs import process_outbox_message, sweep_outbox

    app.config.update(JOB_RETRY_SECONDS=30, JOB_MAX_ATTEMPTS=3)
    outbox_id = _write("test_flaky")
    waits = []
    for attempt in (1, 2):
        process_outbox_message(outbox_id)
        row = _row(outbox_id)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "máy chủ thư từ chối" in row.last_error
        waits.append(round((row.next_attempt_at - row.created_at).total_seconds() / 30))
        assert process_outbox_message(outbox_id) is False, "not before its retry time"
        assert sweep_outbox() == 0
        row.next_attempt_at = row.created_at  # the wait is over
        db.session.commit()
    assert waits == [1, 2]
    process_outbox_message(outbox_id)
    row = _row(outbox_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert sweep_outbox() == 0, "an incident waits for an admin"
    assert jobs["count"] == 3


def test_an_admin_retries_an_incident_and_it_runs_again(jobs, app):
    from app.extensions import db
    from app.jobs import process_outbox_message, retry_incident
    from app.models import AuditEvent, utcnow

    app.config.update(JOB_RETRY_SECONDS=0, JOB_MAX_ATTEMPTS=1)
    outbox_id = _write("test_flaky")
    process_outbox_message(outbox_id)
    assert _row(outbox_id).status == "failed"

    jobs["fail"] = False  # the mail server is back
    retry_incident(outbox_id, actor=_user(db, "demo-admin"), now=utcnow())
    row = _row(outbox_id)
    assert (row.status, row.attempts, jobs["count"]) == ("done", 1, 2)
    retried = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "job.retried")).one()
    assert retried.actor.username == "demo-admin" and "máy chủ thư" in retried.details["error"]


def test_a_dismissed_incident_stays_on_record_and_cannot_be_retried(jobs, app):
    from app.extensions import db
    from app.jobs import dismiss_incident, process_outbox_message, retry_incident, sweep_outbox
    from app.models import utcnow
    from app.services.errors import NotFound

    app.config.update(JOB_MAX_ATTEMPTS=1)
    outbox_id = _write("test_flaky")
    process_outbox_message(outbox_id)
    admin = _user(db, "demo-admin")
    dismiss_incident(outbox_id, actor=admin, now=utcnow())
    assert _row(outbox_id).status == "dismissed"
    assert sweep_outbox() == 0
    with pytest.raises(NotFound):
        retry_incident(outbox_id, actor=admin, now=utcnow())
    with pytest.raises(NotFound):
        dismiss_incident(outbox_id, actor=admin, now=utcnow())


def test_a_job_under_a_dedupe_key_is_written_once(app_ctx):
    from app.extensions import db
    from app.models import OutboxMessage, utcnow
    from app.services.outbox import add_job

    now = utcnow()
    assert add_job("test_counted", {}, at=now, dedupe_key="digest:1:2026-12-01") is not None
    assert add_job("test_counted", {}, at=now, dedupe_key="digest:1:2026-12-01") is None, "same transaction"
    db.session.commit()
    assert add_job("test_counted", {}, at=now, dedupe_key="digest:1:2026-12-01") is None, "already stored"
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 1


def test_an_unknown_kind_fails_as_a_job_and_a_kind_registers_once(app_ctx):
    from app.jobs import handler_for, job_kind

    with pytest.raises(ValueError, match="unknown job kind"):
        handler_for("no_such_kind")
    with pytest.raises(ValueError, match="registered twice"):
        job_kind("task_opened")(lambda message, *, now: None)


def test_a_timer_that_keeps_failing_becomes_an_incident_and_the_dossier_is_unchanged(
    app, app_ctx, monkeypatch
):
    from app.extensions import db
    from app.jobs import sweep_outbox
    from app.models import Dossier, OutboxMessage, utcnow
    from app.services import timers
    from workflow import WorkflowStepError

    app.config.update(JOB_RETRY_SECONDS=0, JOB_MAX_ATTEMPTS=2)
    begin = utcnow().replace(microsecond=0)
    dossier = _open_and_submit(app_ctx, begin)
    dossier_id, timer_at = dossier.id, dossier.next_timer_at
    assert timer_at is not None, "the commune step has a reminder timer"

    class Broken:
        def fire_due_timers(self, *args, **kwargs):
            raise WorkflowStepError("script lỗi trong bước hẹn giờ")

    monkeypatch.setattr(timers, "runtime", Broken)
    later = timer_at + timedelta(minutes=1)
    assert timers.plan_due_timers(now=later) == 1
    assert timers.plan_due_timers(now=later) == 0, "the same timer date is planned once"

    sweep_outbox()  # the second attempt
    job = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "fire_timer")).one()
    db.session.refresh(job)
    assert (job.status, job.attempts, job.dossier_id) == ("failed", 2, dossier_id)
    assert "script lỗi" in job.last_error
    db.session.expire_all()
    assert db.session.get(Dossier, dossier_id).next_timer_at == timer_at


def test_an_overdue_task_tells_its_holders_and_the_unit_above_once(app, app_ctx):
    from app.extensions import db
    from app.jobs import tick
    from app.models import HumanTask, utcnow

    begin = utcnow().replace(microsecond=0)
    dossier = _open_and_submit(app_ctx, begin)
    task = db.session.scalars(
        db.select(HumanTask).where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
    ).one()
    assert task.due_at is not None
    late = task.due_at + timedelta(hours=1)
    assert tick(now=task.due_at - timedelta(minutes=1))["tasks_escalated"] == 0
    assert tick(now=late)["tasks_escalated"] == 1
    assert tick(now=late + timedelta(days=1))["tasks_escalated"] == 0

    holders = _notifications(db, "demo-commune", "task_overdue")
    above = _notifications(db, "demo-district", "task_overdue")
    assert len(holders) == 1 and "escalated_to" not in holders[0].params
    assert len(above) == 1 and above[0].params["escalated_to"] == task.unit.parent_id
    assert _notifications(db, "demo-commune-b", "task_overdue") == []
    db.session.refresh(task)
    assert task.escalated_at == late


def test_the_unit_above_sees_the_late_task_in_its_inbox(app):
    from app.extensions import db
    from app.jobs import tick
    from app.models import HumanTask, utcnow
    from tests.helpers import WebClient

    # Set up in an app context of its own: requests made inside one would share its ``g`` (and with it
    # the signed-in user) with each other.
    with app.app_context():
        dossier = _open_and_submit(app, utcnow() - timedelta(days=60))
        code = dossier.code
        task_id = db.session.scalars(
            db.select(HumanTask.id).where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
        ).one()
        tick(now=utcnow())

    district = WebClient(app)
    district.login("demo-district")
    assert code in _escalated_section(district.get("/inbox").get_data(as_text=True))
    commune = WebClient(app)
    commune.login("demo-commune")
    page = commune.get("/inbox").get_data(as_text=True)
    assert code not in _escalated_section(page), "the commune holds the task: it is in its own list"
    row = page[page.index(f'data-task-id="{task_id}"') :]
    assert "Quá hạn" in row[: row.index("</tr>")]


def _escalated_section(page: str) -> str:
    if 'data-testid="escalated"' not in page:
        return ""
    section = page[page.index('data-testid="escalated"') :]
    assert "Việc quá hạn ở cấp dưới" in section
    return section[: section.index("</section>")]

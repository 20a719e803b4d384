"""Nothing is lost: an engine failure leaves the dossier as it was; a failing job never undoes a step."""

from tests.helpers import self_report


def _state(app, dossier_id):
    from app.extensions import db
    from app.models import AuditEvent, Dossier, OutboxMessage, Submission

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        return (
            dossier.state,
            dossier.row_version,
            dossier.status,
            db.session.scalar(db.select(db.func.count(Submission.id))),
            # The failure itself is recorded for admins; nothing else may change.
            db.session.scalar(
                db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action != "step.failed")
            ),
            db.session.scalar(db.select(db.func.count(OutboxMessage.id))),
        )


def _failures(app, dossier_id):
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        return db.session.scalars(
            db.select(AuditEvent.details).where(
                AuditEvent.action == "step.failed", AuditEvent.dossier_id == dossier_id
            )
        ).all()


def test_engine_failure_mid_step_changes_nothing_and_says_so(app, api, monkeypatch):
    from workflow import WorkflowStepError

    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    before = _state(app, dossier_id)

    def broken(*args, **kwargs):
        raise WorkflowStepError("phần tử 'rate_dossier': lỗi giả lập")

    monkeypatch.setattr(app.extensions["workflow_runtime"], "complete_task", broken)
    response = api.post("demo-household", f"/tasks/{task['id']}/complete", json={"data": self_report()})
    assert response.status_code == 500
    assert "rate_dossier" in response.get_json()["error"]["message"]
    assert _state(app, dossier_id) == before
    [failure] = _failures(app, dossier_id)
    assert failure["task"] == "self_report" and "rate_dossier" in failure["error"]

    monkeypatch.undo()
    assert api.complete("demo-household", dossier_id, "self_report", self_report())["status"] == "in_progress"


def test_a_failing_notification_job_keeps_the_step_and_is_retried(app, api, monkeypatch):
    from app.extensions import db
    from app.jobs import sweep_outbox
    from app.models import Notification, OutboxMessage
    from app.services import notifications

    def failing(*args, **kwargs):
        raise RuntimeError("máy chủ thư không phản hồi")

    app.config["JOB_RETRY_SECONDS"] = 0  # retried at the next sweep rather than after a wait
    monkeypatch.setattr(notifications, "notify_task_opened", failing)
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report())
    assert api.dossier("demo-household", dossier_id)["current_tasks"][0]["name"] == "commune_scoring"
    with app.app_context():
        failed = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {(m.status, m.attempts) for m in failed} == {("pending", 1)}
        assert "máy chủ thư" in failed[-1].last_error

    monkeypatch.undo()
    with app.app_context():
        assert sweep_outbox() == 2
        assert {m.status for m in db.session.scalars(db.select(OutboxMessage))} == {"done"}
        assert db.session.scalar(db.select(db.func.count(Notification.id))) == 1

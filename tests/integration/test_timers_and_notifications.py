"""Notifications when tasks open, and the commune reminder timer driven by an injected clock."""

from datetime import timedelta


def _user(db, username):
    from app.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


def _notifications(db, username, kind=None):
    from app.models import Notification

    query = db.select(Notification).where(Notification.user_id == _user(db, username).id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query.order_by(Notification.id)).all()


def _open_and_submit(app_ctx, now):
    from app.extensions import db
    from app.models import Subject
    from app.services.dossiers import open_dossier, submit_task
    from forms import MultiDict
    from tests.helpers import self_report

    household = _user(db, "demo-household")
    subject = db.session.scalar(db.select(Subject).where(Subject.account_id == household.id))
    dossier = open_dossier(subject, "gia_dinh_hoc_tap", 2026, actor=household, now=now)
    task = next(t for t in dossier.tasks if t.state == "open")
    formdata = MultiDict()
    for key, value in self_report(9).items():
        formdata.add(key, str(value))
    submit_task(task.id, formdata, actor=household, now=now)
    return dossier


def test_every_eligible_official_is_notified_when_a_task_opens(app_ctx):
    from app.extensions import db
    from app.models import utcnow

    dossier = _open_and_submit(app_ctx, utcnow())
    assert [n.kind for n in _notifications(db, "demo-household")] == ["task_opened"]
    commune = _notifications(db, "demo-commune")
    assert [n.kind for n in commune] == ["task_opened"]
    assert commune[0].params["dossier_code"] == dossier.code
    assert commune[0].read_at is None
    assert _notifications(db, "demo-commune-b") == []
    assert _notifications(db, "demo-district") == []


def test_reminder_fires_after_the_configured_days_and_notifies_the_commune(app_ctx):
    from app.extensions import db
    from app.models import AuditEvent, Dossier, utcnow
    from app.services.timers import plan_due_timers

    start = utcnow().replace(microsecond=0)
    dossier = _open_and_submit(app_ctx, start)
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.next_timer_at == start + timedelta(days=10)
    commune_task = next(t for t in dossier.tasks if t.state == "open")

    assert plan_due_timers(now=start + timedelta(days=9, hours=23)) == 0
    assert _notifications(db, "demo-commune", "task_reminder") == []

    assert plan_due_timers(now=start + timedelta(days=10, minutes=1)) == 1
    reminders = _notifications(db, "demo-commune", "task_reminder")
    assert len(reminders) == 1
    assert reminders[0].human_task_id == commune_task.id
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.next_timer_at is None
    still_open = [t for t in dossier.tasks if t.state == "open"]
    assert [(t.id, t.name) for t in still_open] == [(commune_task.id, "commune_scoring")]
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.dossier_id == dossier.id)
    ).all()
    assert "timer.fired" in actions and "task.reminder_due" in actions

    assert plan_due_timers(now=start + timedelta(days=30)) == 0
    assert len(_notifications(db, "demo-commune", "task_reminder")) == 1


def test_reminder_goes_to_the_official_who_claimed_the_task(app_ctx):
    from app.extensions import db
    from app.models import utcnow
    from app.services.dossiers import claim_task
    from app.services.timers import plan_due_timers
    from tests.helpers import make_official

    start = utcnow()
    make_official(app_ctx)
    dossier = _open_and_submit(app_ctx, start)
    task = next(t for t in dossier.tasks if t.state == "open")
    claim_task(task.id, actor=_user(db, "can-bo-xa-2"), now=start)
    plan_due_timers(now=start + timedelta(days=11))
    assert len(_notifications(db, "can-bo-xa-2", "task_reminder")) == 1
    assert _notifications(db, "demo-commune", "task_reminder") == []


def test_notification_page_shows_counter_and_marks_read(web, api):
    from tests.helpers import walk

    walk(api, to="commune_scoring")
    web.login("demo-commune")
    page = web.get("/inbox").get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in page
    listing = web.get("/notifications").get_data(as_text=True)
    assert "Có công việc mới" in listing and "Chấm điểm cấp xã" in listing
    web.post("/notifications/read", {}, csrf_from="/notifications")
    assert 'data-testid="unread-count">0<' in web.get("/inbox").get_data(as_text=True)

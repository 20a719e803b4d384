"""Notices by e-mail and the daily digest, sent over SMTP to a real local server (aiosmtpd).

Jobs run in-process here (no Redis): a commit hands its outbox rows to the same process, so a service
call returns once its e-mail has reached the sink.
"""

import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

HOST = "hoctap.cantho.gov.vn"
PUBLIC_URL = f"https://{HOST}"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def mail_app(make_app, smtp_sink):
    return make_app(**smtp_sink.config(), PUBLIC_URL=PUBLIC_URL)


def _user(username):
    from app.extensions import db
    from app.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


def _set(username, **values):
    from app.extensions import db

    user = _user(username)
    for name, value in values.items():
        setattr(user, name, value)
    db.session.commit()
    return user


def _choose(username, **channels):
    from app.models import utcnow
    from app.services.preferences import set_preferences

    user = _user(username)
    set_preferences(user, channels, actor=user, now=utcnow())


def _open_commune_task(mail_app):
    """A dossier waiting for demo-commune's scoring, walked through the API of the mail-enabled app."""
    from tests.helpers import ApiClient, walk

    return walk(ApiClient(mail_app.test_client()), to="commune_scoring")


def _notification(username, kind):
    from app.extensions import db
    from app.models import Notification

    return db.session.scalar(
        db.select(Notification)
        .where(Notification.user_id == _user(username).id, Notification.kind == kind)
        .order_by(Notification.id.desc())
    )


# -- a notice by e-mail ---------------------------------------------------------------------------------


def test_a_task_that_opens_reaches_the_officers_mailbox_in_vietnamese(mail_app, smtp_sink):
    from app.extensions import db
    from app.models import Dossier, HumanTask

    with mail_app.app_context():
        _choose("demo-commune", task_opened="email")
    dossier_id = _open_commune_task(mail_app)
    [received] = smtp_sink.wait_for(1)
    with mail_app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        task = db.session.scalar(
            db.select(HumanTask).where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
        )
        notification = _notification("demo-commune", "task_opened")
        subject_name = dossier.subject.name
        code = dossier.code
    message = received.message
    assert received.rcpt_tos == ["demo-commune@example.org"]
    assert message["To"] == "demo-commune@example.org"
    assert message["From"] == "hoctap@localhost"
    assert message["Message-ID"] == f"<notification-{notification.id}@{HOST}>"
    assert message["Subject"] == f"Có công việc mới: Chấm điểm cấp xã – hồ sơ {code} ({subject_name})"
    assert message.get_content_type() == "multipart/alternative"
    link = f"{PUBLIC_URL}/tasks/{task.id}"
    text = received.text
    assert text.startswith("Kính gửi Cán bộ xã An Hòa,")
    assert message["Subject"] in text
    assert f"Mở công việc: {link}" in text
    assert "«Có công việc mới» qua thư điện tử" in text
    assert f"{PUBLIC_URL}/notifications/preferences" in text
    html = received.html
    assert '<html lang="vi">' in html
    assert f'href="{link}"' in html and "Kính gửi Cán bộ xã An Hòa," in html
    assert f'href="{PUBLIC_URL}/notifications/preferences"' in html


def test_the_reader_language_is_used(mail_app, smtp_sink):
    with mail_app.app_context():
        _choose("demo-commune", task_opened="email")
        _set("demo-commune", locale="en")
    _open_commune_task(mail_app)
    [received] = smtp_sink.wait_for(1)
    assert received.message["Subject"].startswith("New task: ")
    assert '<html lang="en">' in received.html
    assert received.message["Subject"] in received.text


def test_the_default_choice_sends_nothing_at_once_to_an_officer(mail_app, smtp_sink):
    # An officer's new tasks go to the daily digest unless they chose otherwise.
    _open_commune_task(mail_app)
    with mail_app.app_context():
        assert _notification("demo-commune", "task_opened") is not None
    assert smtp_sink.to("demo-commune@example.org") == []


def test_a_notice_about_a_late_task_elsewhere_leads_to_the_dossier_and_gives_the_reason(mail_app, smtp_sink):
    from app.extensions import db
    from app.models import HumanTask, Notification, utcnow
    from app.services.mail import send_notification_email

    dossier_id = _open_commune_task(mail_app)
    with mail_app.app_context():
        task = db.session.scalar(
            db.select(HumanTask).where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
        )
        district = _user("demo-district")
        notification = Notification(
            user_id=district.id,
            kind="task_overdue",
            params={
                "task_label": task.label,
                "dossier_code": task.dossier.code,
                "subject": task.dossier.subject.name,
                "escalated_to": 1,
                "unit_name": "xã An Hòa",
                "reason": "Chưa chấm điểm",
            },
            dossier_id=dossier_id,
            human_task_id=task.id,
            dedupe_key="test-escalated",
            created_at=utcnow(),
        )
        db.session.add(notification)
        db.session.commit()
        assert send_notification_email(notification.id, now=utcnow())
    received = smtp_sink.to("demo-district@example.org")
    assert len(received) == 1
    assert received[0].message["Subject"].startswith("Quá hạn ở xã An Hòa: Chấm điểm cấp xã")
    assert f"Xem hồ sơ: {PUBLIC_URL}/dossiers/{dossier_id}" in received[0].text
    assert "Lý do: Chưa chấm điểm" in received[0].text


def test_no_address_or_a_closed_account_gets_nothing(mail_app, smtp_sink):
    from app.models import utcnow
    from app.services.mail import send_notification_email

    with mail_app.app_context():
        _choose("demo-commune", task_opened="email")
        _set("demo-commune", email=None)
    _open_commune_task(mail_app)
    with mail_app.app_context():
        notification = _notification("demo-commune", "task_opened")
        assert not send_notification_email(notification.id, now=utcnow())
        _set("demo-commune", email="demo-commune@example.org", active=False)
        assert not send_notification_email(notification.id, now=utcnow())
    assert smtp_sink.messages == []


def test_a_reader_who_turned_email_off_after_the_notice_gets_no_email_from_a_late_job(mail_app, smtp_sink):
    """The e-mail job may run long after its notice (Redis down, retries): the reader's choice then is
    what counts, not the one when the notice was written."""
    from app.models import utcnow
    from app.services.mail import send_notification_email

    with mail_app.app_context():
        _choose("demo-commune", task_opened="email")
    _open_commune_task(mail_app)
    smtp_sink.wait_for(1)
    with mail_app.app_context():
        notification = _notification("demo-commune", "task_opened")
        _choose("demo-commune", task_opened="app")
        assert not send_notification_email(notification.id, now=utcnow())
        _choose("demo-commune", task_opened="digest")
        assert not send_notification_email(notification.id, now=utcnow())
        _choose("demo-commune", task_opened="email")
        assert send_notification_email(notification.id, now=utcnow())
    assert len(smtp_sink.wait_for(2)) == 2


def test_a_refused_recipient_fails_the_job_and_a_rerun_of_a_done_job_sends_nothing(mail_app, smtp_sink):
    from app.extensions import db
    from app.jobs import process_outbox_message
    from app.models import OutboxMessage, utcnow
    from app.services.mail import send_notification_email

    smtp_sink.refuse("demo-commune@example.org")
    with mail_app.app_context():
        _choose("demo-commune", task_opened="email")
    _open_commune_task(mail_app)
    with mail_app.app_context():
        notification = _notification("demo-commune", "task_opened")
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_notification_email(notification.id, now=utcnow())
        job = db.session.scalar(
            db.select(OutboxMessage).where(OutboxMessage.dedupe_key == f"email:{notification.id}")
        )
        assert job.status == "pending" and "SMTPRecipientsRefused" in job.last_error

        smtp_sink.refused.clear()
        db.session.execute(
            db.update(OutboxMessage).where(OutboxMessage.id == job.id).values(next_attempt_at=None)
        )
        db.session.commit()
        assert process_outbox_message(job.id)
        assert not process_outbox_message(job.id)
        notification_id = notification.id
    assert len(smtp_sink.wait_for(1)) == 1
    assert smtp_sink.messages[0].message["Message-ID"] == f"<notification-{notification_id}@{HOST}>"


# -- the daily digest -----------------------------------------------------------------------------------


def _local(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def commune_tasks(mail_app):
    """Four dossiers at demo-commune's scoring, at an injected clock two days ahead (08:00 local): one
    overdue, one due later, one with no due date, and one overdue but claimed by a colleague; plus a
    dossier of another commune and a task demo-commune already finished."""
    from app.extensions import db
    from app.models import Dossier, HumanTask, utcnow
    from app.services.dossiers import claim_task, submit_task
    from forms import MultiDict
    from tests.factories import at_commune_scoring, walk_dossier
    from tests.helpers import ApiClient, commune_accept, make_official

    day = (utcnow() + timedelta(days=2)).astimezone(LOCAL).date()
    now = _local(day, 8)
    ids = at_commune_scoring(mail_app, 5)
    walk_dossier(ApiClient(mail_app.test_client()), "demo-household-b", "DEMO-NA", to="commune_scoring")
    make_official(mail_app)
    with mail_app.app_context():
        tasks = [
            db.session.scalar(
                db.select(HumanTask).where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
            )
            for dossier_id in ids
        ]
        overdue, later, undated, claimed, done = tasks
        overdue.due_at = now - timedelta(days=1)
        later.due_at = now + timedelta(days=3)
        undated.due_at = None
        claimed.due_at = now - timedelta(hours=1)
        db.session.commit()
        claim_task(claimed.id, actor=_user("can-bo-xa-2"), now=utcnow())
        answers = MultiDict({key: str(value) for key, value in commune_accept().items()})
        submit_task(done.id, answers, actor=_user("demo-commune"), now=utcnow())
        codes = {
            name: db.session.get(Dossier, task.dossier_id).code
            for name, task in zip(("overdue", "later", "undated", "claimed"), tasks, strict=False)
        }
        task_ids = {name: task.id for name, task in zip(("overdue", "later", "undated"), tasks, strict=False)}
    return {"day": day, "now": now, "codes": codes, "task_ids": task_ids}


def _listed(html, testid):
    import re

    section = html.split(f'data-testid="{testid}"', 1)
    if len(section) == 1:
        return []
    return re.findall(r"hồ sơ ([A-Z0-9-]+)", section[1].split("</ul>", 1)[0])


def test_the_digest_lists_exactly_the_users_pending_and_overdue_tasks(mail_app, smtp_sink, commune_tasks):
    from app.services.digest import pending_tasks, send_digest

    day, now, codes = commune_tasks["day"], commune_tasks["now"], commune_tasks["codes"]
    with mail_app.app_context():
        officer = _user("demo-commune")
        assert send_digest(officer.id, day.isoformat(), now=now)
        # The colleague who claimed a task has it among theirs, overdue.
        colleague = pending_tasks(_user("can-bo-xa-2"), now=now)
        assert codes["claimed"] in {t.dossier.code for t in colleague.overdue}
    [received] = smtp_sink.to("demo-commune@example.org")
    message = received.message
    shown = day.strftime("%d/%m/%Y")
    assert message["Subject"] == f"Tổng hợp công việc ngày {shown}: 3 việc chờ xử lý, 1 việc quá hạn"
    assert message["Message-ID"] == f"<digest-{officer.id}-{day.isoformat()}@{HOST}>"
    html = received.html
    assert _listed(html, "digest-overdue") == [codes["overdue"]]
    assert _listed(html, "digest-pending") == [codes["later"], codes["undated"]]
    for name in ("overdue", "later", "undated"):
        assert f'href="{PUBLIC_URL}/tasks/{commune_tasks["task_ids"][name]}"' in html
    text = received.text
    assert text.startswith("Kính gửi Cán bộ xã An Hòa,")
    assert "Quá hạn xử lý (1)" in text and "Đang chờ xử lý (2)" in text
    assert f"hạn xử lý {(now - timedelta(days=1)).astimezone(LOCAL):%d/%m/%Y}" in text
    assert codes["claimed"] not in text and codes["claimed"] not in html
    for code in codes.values():
        assert text.count(code) == (0 if code == codes["claimed"] else 1)


def test_nothing_pending_means_no_digest(mail_app, smtp_sink):
    from app.models import utcnow
    from app.services.digest import send_digest

    with mail_app.app_context():
        officer = _user("demo-commune-d")
        assert not send_digest(officer.id, utcnow().date().isoformat(), now=utcnow())
    assert smtp_sink.messages == []


def test_digests_are_planned_once_a_day_after_the_digest_hour(mail_app, smtp_sink, commune_tasks):
    from app.extensions import db
    from app.models import OutboxMessage
    from app.services.digest import plan_digests

    day = commune_tasks["day"]
    digest_jobs = db.select(OutboxMessage).where(OutboxMessage.kind.in_(("plan_digests", "send_digest")))
    with mail_app.app_context():
        officer_id = _user("demo-commune").id
        assert plan_digests(_local(day, 6, 59)) == 0
        assert db.session.scalars(digest_jobs).all() == []
        assert plan_digests(_local(day, 7)) == 1
        assert plan_digests(_local(day, 15)) == 0
        jobs = db.session.scalars(digest_jobs).all()
        assert {job.status for job in jobs} == {"done"}
        assert [j.dedupe_key for j in jobs if j.kind == "plan_digests"] == [f"digests:{day.isoformat()}"]
        assert f"digest:{officer_id}:{day.isoformat()}" in {j.dedupe_key for j in jobs}
    digests = [m for m in smtp_sink.to("demo-commune@example.org") if "digest-" in m.message["Message-ID"]]
    assert [m.message["Message-ID"] for m in digests] == [f"<digest-{officer_id}-{day.isoformat()}@{HOST}>"]
    # Households keep the default (no digest): none of them gets one.
    assert smtp_sink.to("demo-household@example.org") == []
    with mail_app.app_context():
        assert plan_digests(_local(day + timedelta(days=1), 7, 30)) == 1
    assert len(smtp_sink.to("demo-commune@example.org")) == 2


def test_without_mail_settings_nothing_is_planned(app_ctx):
    from app.extensions import db
    from app.models import OutboxMessage, utcnow
    from app.services.digest import plan_digests

    assert plan_digests(_local(utcnow().date(), 20)) == 0
    assert db.session.scalar(db.select(OutboxMessage.id).where(OutboxMessage.kind == "plan_digests")) is None

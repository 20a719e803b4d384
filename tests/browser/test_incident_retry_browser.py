"""An e-mail that could not be sent becomes an incident; the admin runs it again from the incidents page.

The failure is real: the commune officer asked for new tasks by e-mail, the household's self-report opens
one, and the SMTP server (tests/smtp_sink.py, a real one on loopback) refuses the officer's mailbox. With
one attempt allowed the job is an incident at once. The mailbox is then accepted again, as when the mail
administrator fixes it; the admin's retry runs the job in-process (no Redis) and the e-mail arrives.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility_axe import problems
from tests.browser.test_recognition_loop_browser import expect_flash, log_in
from tests.helpers import ApiClient, self_report
from tests.smtp_sink import smtp_sink  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

OFFICER = "demo-commune"
ADDRESS = f"{OFFICER}@example.org"
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def app(make_app, smtp_sink):  # noqa: F811
    return make_app(**smtp_sink.config(), JOB_MAX_ATTEMPTS=1)


def _incident_from_a_refused_mailbox(app, smtp_sink) -> int:  # noqa: F811
    """The officer wants new tasks by e-mail; their mailbox is refused; a task opens for them."""
    from app.extensions import db
    from app.models import OutboxMessage, User, utcnow
    from app.services import preferences

    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == OFFICER))
        preferences.set_preferences(officer, {"task_opened": "email"}, actor=officer, now=utcnow())
    smtp_sink.refuse(ADDRESS)
    api = ApiClient(app.test_client())
    dossier_id = api.open_dossier()
    task = api.dossier("demo-household", dossier_id)["current_tasks"][0]
    done = api.post("demo-household", f"/tasks/{task['id']}/complete", json={"data": self_report(9)})
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        failed = db.session.scalars(
            db.select(OutboxMessage).where(
                OutboxMessage.kind == "send_email", OutboxMessage.status == "failed"
            )
        ).all()
        assert len(failed) == 1, "the refused e-mail should be an incident"
        assert "550" in failed[0].last_error
        return failed[0].id


def test_admin_retries_a_failed_email_and_it_is_sent(app, page: Page, new_context, smtp_sink):  # noqa: F811
    outbox_id = _incident_from_a_refused_mailbox(app, smtp_sink)
    assert smtp_sink.to(ADDRESS) == []

    log_in(page, "demo-admin")
    page.goto("/admin/incidents")
    expect(page.get_by_test_id("mail-status")).to_contain_text(f"127.0.0.1:{smtp_sink.port}")
    expect(page.get_by_test_id("job-counts")).to_contain_text("Lỗi: 1")
    job = page.locator(f'[data-testid="failed-job"][data-job-id="{outbox_id}"]')
    expect(job).to_contain_text("Gửi thư điện tử")
    expect(job).to_contain_text("Mailbox unavailable")

    # Dismissing asks first; saying no leaves the job where it was.
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    job.get_by_test_id("dismiss-job").click()
    expect(job).to_be_visible()
    assert questions and questions[0].startswith("Bỏ qua công việc nền này?")

    # On a phone the job and its buttons fit the screen.
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "demo-admin")
    phone.goto("/admin/incidents")
    expect(phone.get_by_test_id("retry-job")).to_be_visible()
    # No sideways scrolling, and nothing serious for axe (WCAG 2.1 AA), on the phone as on the desktop.
    assert problems(phone) + problems(page) == []

    # The mailbox is fixed; the retry runs the job here and now.
    smtp_sink.refused.clear()
    job.get_by_test_id("retry-job").click()
    expect_flash(page, "Đã chạy lại công việc nền: đã xong.")
    expect(page).to_have_url(re.compile(r"/admin/incidents$"))
    expect(page.get_by_test_id("failed-job")).to_have_count(0)
    expect(page.get_by_test_id("job-counts")).to_contain_text("Lỗi: 0")

    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == [ADDRESS]
    assert "Có công việc mới" in received.text


def test_dismissing_asks_and_then_the_job_is_gone(app, page: Page, smtp_sink):  # noqa: F811
    outbox_id = _incident_from_a_refused_mailbox(app, smtp_sink)

    log_in(page, "demo-admin")
    page.goto("/admin/incidents")
    job = page.locator(f'[data-testid="failed-job"][data-job-id="{outbox_id}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    job.get_by_test_id("dismiss-job").click()

    expect_flash(page, "Đã bỏ qua công việc nền lỗi")
    expect(page.get_by_test_id("failed-job")).to_have_count(0)
    # Dismissed, not run: nothing was sent.
    assert smtp_sink.messages == []

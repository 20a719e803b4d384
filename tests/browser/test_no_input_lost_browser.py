"""No typed answer is lost on a task form: not to an expired session or a lost session cookie, not to an
oversized upload (refused in the page, and by the server's 413 page), not to a reload; changes are
autosaved as the draft, and leaving with unsaved changes asks first (static/js/task_answers.js)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import User, UserSession, utcnow
from tests.browser.test_recognition_loop_browser import ITEMS, expect_flash, log_in

pytestmark = pytest.mark.browser

MAX_FILE = 50 * 1024
MAX_BODY = 200 * 1024
TYPED = {item: str(index % 10) for index, item in enumerate(ITEMS)}
NOTE = "Cháu đạt học sinh giỏi, giấy khen nộp sau"
RESTORED = "Đã khôi phục các câu trả lời bạn đã nhập"


@pytest.fixture
def app(make_app):
    # Limits small enough for a test to cross with a file built in memory.
    return make_app(MAX_EVIDENCE_BYTES=MAX_FILE, MAX_CONTENT_LENGTH=MAX_BODY)


@pytest.fixture
def task_id(api):
    dossier_id = api.open_dossier()
    return api.task_for("demo-household", dossier_id, "self_report")["id"]


def pdf(size: int, name: str = "anh-chup.pdf") -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (size - 9)}


def type_answers(page: Page) -> None:
    for item, value in TYPED.items():
        page.locator(f"#f-{item}").fill(value)
    page.locator("#f-note").fill(NOTE)


def expect_answers(page: Page) -> None:
    for item, value in TYPED.items():
        expect(page.locator(f"#f-{item}")).to_have_value(value)
    expect(page.locator("#f-note")).to_have_value(NOTE)


def expire_sessions(app, username: str) -> None:
    """The user's sessions idle longer than SESSION_IDLE_MINUTES, as after a long phone call."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        for row in db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)):
            row.last_seen_at = utcnow() - idle
        db.session.commit()


def log_in_here(page: Page, username: str = "demo-household") -> None:
    """Sign in on the login page the browser was sent to, keeping its ``next``."""
    page.locator("#username").fill(username)
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("lost", ["idle session", "session cookie"])
def test_answers_posted_after_the_session_ended_come_back_after_logging_in_again(
    page: Page, app, task_id, lost
):
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task_id}")
    type_answers(page)
    if lost == "idle session":
        expire_sessions(app, "demo-household")
        # The autosave finds the session over and says where the answers are.
        expect(page.get_by_test_id("autosave-status")).to_contain_text("phiên đăng nhập đã hết hạn")
    else:
        # The browser lost its cookies: the form's CSRF token no longer matches any session.
        page.context.clear_cookies()
    page.get_by_test_id("submit-task").click()

    expect(page).to_have_url(re.compile(rf"/login\?next=/tasks/{task_id}"))
    expect_flash(page, "vẫn được giữ trong trình duyệt này")
    log_in_here(page)

    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    expect(page.get_by_test_id("answers-restored")).to_contain_text(RESTORED)
    expect_answers(page)
    # Restored answers are the server's too as soon as the autosave has run.
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Đã tự động lưu nháp lúc")
    page.get_by_test_id("submit-task").click()
    expect_flash(page, "Đã hoàn thành")


def test_a_file_too_large_is_refused_in_the_page_and_the_form_stays(page: Page, task_id):
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task_id}")
    type_answers(page)
    upload = page.locator('input[name="upload__evidence_c1"]')
    upload.set_input_files(pdf(MAX_FILE + 1024, "anh-to.pdf"))
    error = page.get_by_test_id("file-size-error")
    expect(error).to_contain_text("anh-to.pdf")
    expect(error).to_contain_text("50 kB")
    expect(upload).to_have_attribute("aria-describedby", re.compile("size-error"))

    page.get_by_test_id("submit-task").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    expect(upload).to_be_focused()
    expect_answers(page)

    # Files each small enough, together over the limit of one post.
    upload.set_input_files([pdf(MAX_FILE - 1024, f"trang-{n}.pdf") for n in range(4)])
    expect(error).to_contain_text("tổng cộng")
    page.get_by_test_id("save-draft").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    expect(error).to_be_visible()

    upload.set_input_files(pdf(2048, "hoc-ba.pdf"))
    expect(error).to_have_count(0)
    page.get_by_test_id("submit-task").click()
    expect_flash(page, "Đã hoàn thành")


def test_the_servers_413_page_keeps_the_answers_and_leads_back_to_the_form(page: Page, task_id):
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task_id}")
    type_answers(page)
    page.locator('input[name="upload__evidence_c1"]').set_input_files(pdf(MAX_BODY + 50 * 1024))
    # As a browser without the page's script (or an older copy of the page) would post it.
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.evaluate("document.getElementById('task-form').submit()")

    expect(page.get_by_test_id("error-page")).to_have_attribute("data-status", "413")
    expect(page.get_by_test_id("error-message")).to_contain_text("tối đa 200 kB mỗi lần, 50 kB mỗi tệp")
    expect(page.get_by_test_id("error-hint")).to_contain_text("vẫn được giữ trong trình duyệt này")
    page.get_by_test_id("error-back").click()

    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    expect(page.get_by_test_id("answers-restored")).to_contain_text(RESTORED)
    expect_answers(page)


def test_a_reload_keeps_the_answers_and_leaving_unsaved_changes_asks_first(page: Page, new_context, task_id):
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task_id}")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    type_answers(page)
    page.reload()
    assert asked == ["beforeunload"]
    expect(page.get_by_test_id("answers-restored")).to_contain_text(RESTORED)
    expect_answers(page)

    # Once autosaved, the answers are the draft: leaving asks nothing, and another browser finds them.
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Đã tự động lưu nháp lúc")
    page.reload()
    assert asked == ["beforeunload"]
    expect(page.get_by_test_id("draft-note")).to_contain_text("Đang hiển thị bản nháp của bạn")
    expect(page.get_by_test_id("answers-restored")).to_have_count(0)
    expect_answers(page)

    elsewhere = new_context().new_page()
    log_in(elsewhere, "demo-household")
    elsewhere.goto(f"/tasks/{task_id}")
    expect_answers(elsewhere)

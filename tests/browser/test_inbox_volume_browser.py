"""The inbox for volume in a real browser: 25 tasks selected and claimed in one action, save and next
through three tasks (and the keys that move between them), and the phone-sized inbox as cards that need
no sideways scrolling."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import at_commune_scoring

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def log_in(page: Page, username: str = "demo-commune", password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def expect_flash(page: Page, text: str) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def test_select_25_tasks_and_claim_them_in_one_action(app, page):
    at_commune_scoring(app, 25)
    log_in(page)
    page.goto("/inbox?per_page=50")
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(25)
    count = page.get_by_test_id("selected-count")
    expect(count).to_have_text("Chưa chọn công việc nào.")
    expect(page.get_by_test_id("bulk-claim")).to_be_disabled()

    page.get_by_label("Chọn tất cả trên trang này").check()
    expect(count).to_have_text("Đã chọn 25 công việc.")
    expect(count).to_have_attribute("aria-live", "polite")
    # One row unticked and ticked again: the count follows, and "all" is ticked again.
    rows.nth(3).get_by_test_id("select-task").uncheck()
    expect(count).to_have_text("Đã chọn 24 công việc.")
    expect(page.get_by_test_id("select-all")).not_to_be_checked()
    rows.nth(3).get_by_test_id("select-task").check()
    expect(page.get_by_test_id("select-all")).to_be_checked()

    page.get_by_test_id("bulk-claim").click()
    expect_flash(page, "Đã nhận xử lý 25 công việc.")
    expect(page).to_have_url(re.compile(r"/inbox\?per_page=50$"))
    expect(page.get_by_test_id("release")).to_have_count(25)
    expect(page.get_by_test_id("claim")).to_have_count(0)


def test_save_and_next_through_three_tasks(app, page):
    at_commune_scoring(app, 3, points=lambda index: 8 + index)  # self-scores 80, 90, 100
    log_in(page)
    page.goto("/inbox?sort=-self_score")
    expect(page.get_by_test_id("self-score")).to_have_text(["100", "90", "80"])
    codes = [
        code.strip() for code in page.get_by_test_id("task-row").locator("td:nth-child(2)").all_inner_texts()
    ]
    page.get_by_test_id("open-task").first.click()

    for number, code in enumerate(codes, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text("Chấm điểm cấp xã")
        expect(page.locator("main")).to_contain_text(code)
        expect(page.get_by_test_id("task-position")).to_have_text(f"Việc 1 trong {4 - number} của danh sách")
        page.locator("#f-decision-accept").check()
        page.get_by_test_id("submit-task").click()
        expect_flash(page, "Đã hoàn thành: Chấm điểm cấp xã.")

    # Nothing left in the list: back on it, at the same sort, saying so.
    expect(page).to_have_url(re.compile(r"/inbox\?sort=-self_score$"))
    expect_flash(page, "Không còn công việc nào tiếp theo trong danh sách này.")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()


def test_keys_move_between_the_tasks_of_the_list(app, page):
    at_commune_scoring(app, 2)
    log_in(page)
    page.goto("/inbox?sort=created")
    first, second = (row.get_attribute("data-task-id") for row in page.get_by_test_id("task-row").all())
    page.get_by_test_id("open-task").first.click()
    expect(page.get_by_test_id("shortcut-help")).to_contain_text("J – việc tiếp theo")

    # Each key after the page has loaded: before that, its script is not listening yet.
    page.wait_for_load_state()
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/tasks/{second}\?inbox="))
    expect(page.get_by_test_id("task-position")).to_have_text("Việc 2 trong 2 của danh sách")
    page.wait_for_load_state()
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/tasks/{first}\?inbox="))
    page.wait_for_load_state()
    page.keyboard.press("u")
    expect(page).to_have_url(re.compile(r"/inbox\?sort=created$"))

    # A J typed into an answer stays in the answer.
    page.get_by_test_id("open-task").first.click()
    page.locator("#f-comment").press("j")
    expect(page.locator("#f-comment")).to_have_value("j")
    expect(page).to_have_url(re.compile(rf"/tasks/{first}\?"))


def test_the_inbox_on_a_phone_needs_no_sideways_scrolling(app, new_context):
    at_commune_scoring(app, 3)
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone)
    phone.goto("/inbox")
    expect(phone.get_by_test_id("task-row")).to_have_count(3)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Each task is a card: its buttons are on the screen, not in a table scrolled sideways.
    for button in (*phone.get_by_test_id("claim").all(), *phone.get_by_test_id("open-task").all()):
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    expect(phone.get_by_test_id("task-row").first.get_by_test_id("village")).to_contain_text("Khu vực")
    phone.get_by_test_id("task-row").first.get_by_test_id("claim").tap()
    expect(phone.get_by_role("alert").filter(has_text="Đã nhận xử lý công việc.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

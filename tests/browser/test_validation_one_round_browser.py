"""A refused task form opens on the list of its errors: the summary takes the focus, and each of its links
takes the person to the input concerned."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility_axe import log_in
from tests.helpers import ITEMS

pytestmark = pytest.mark.browser


def test_the_error_summary_takes_the_focus_and_leads_to_each_field(page, api):
    dossier_id = api.open_dossier()
    task_id = api.task_for("demo-household", dossier_id, "self_report")["id"]
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task_id}")
    for item in ITEMS:
        page.locator(f"#f-{item}").fill("9")
    page.locator("#f-c1a").fill("15")
    page.locator("#f-c1b").fill("-3")
    page.get_by_test_id("submit-task").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Chưa gửi được: có 2 lỗi cần sửa")
    expect(summary.get_by_role("link")).to_have_count(2)
    summary.get_by_role("link").nth(1).click()
    second = page.locator("#f-c1b")
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-invalid", "true")
    expect(second).to_have_accessible_description("Giá trị phải từ 0 đến 10.")
    assert api.dossier("demo-household", dossier_id)["self_score"] is None


def test_the_skip_link_comes_first_and_the_menu_marks_the_current_page(page):
    log_in(page, "demo-commune")
    page.goto("/inbox")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua đến nội dung chính")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    current = page.locator("nav [aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Việc cần xử lý")

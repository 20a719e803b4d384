"""An admin ends another browser's session from the user page; that browser is sent to the login page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_recognition_loop_browser import expect_flash, log_in

pytestmark = pytest.mark.browser


def test_an_admin_ends_a_session_and_that_browser_must_sign_in_again(page: Page, new_context):
    officer = new_context(user_agent="Officer-Laptop/1.0").new_page()
    log_in(officer, "demo-commune")
    officer.goto("/inbox")
    expect(officer).to_have_url(re.compile(r"/inbox"))

    log_in(page, "demo-admin")
    page.goto("/admin/users?q=demo-commune")
    page.get_by_role("link", name=re.compile("demo-commune")).first.click()
    row = page.get_by_test_id("session-row").filter(has_text="Officer-Laptop/1.0")
    expect(row).to_have_attribute("data-state", "open")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("end-session").click()
    expect_flash(page, "Đã kết thúc phiên đăng nhập.")
    expect(row).to_contain_text("Quản trị viên kết thúc")

    officer.goto("/inbox")
    expect(officer).to_have_url(re.compile(r"/login\?next="))
    expect(officer.get_by_test_id("logout")).to_have_count(0)
    # The admin's own session goes on.
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/admin/users$"))

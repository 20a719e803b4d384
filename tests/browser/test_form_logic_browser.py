"""Conditions and computations evaluate the same in the browser (the vendored json-logic-js, through
app/static/js/form_logic.js) and on the server (forms.expressions), and a task page shows, hides,
computes and repeats rows as the definition says."""

import io
import re

import pytest
from playwright.sync_api import Page, expect

from forms.expressions import evaluate
from tests.form_logic_cases import CASES
from tests.procedure_factory import TITLE, logic_package, zip_bytes

pytestmark = pytest.mark.browser


def open_task_page(page: Page, api) -> int:
    data = {"package": (io.BytesIO(zip_bytes(logic_package())), "goi.zip")}
    assert api.post("demo-admin", "/procedures", data=data).status_code == 201
    dossier = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026}).get_json()
    task = api.task_for("demo-household", dossier["id"], "report_books")
    page.goto("/login")
    page.locator("#username").fill("demo-household")
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()
    page.goto(f"/tasks/{task['id']}")
    return dossier["id"]


def test_both_evaluators_agree_on_every_case(page: Page, api):
    open_task_page(page, api)
    in_browser = page.evaluate(
        "cases => cases.map(([logic, data]) => window.FormLogic.evaluate(logic, data))",
        [[logic, data] for logic, data in CASES],
    )
    on_server = [evaluate(logic, data) for logic, data in CASES]
    differences = [
        (logic, data, server, browser)
        for (logic, data), server, browser in zip(CASES, on_server, in_browser, strict=True)
        if server != browser or type(server) is not type(browser)
    ]
    assert differences == []


def test_the_page_shows_hides_computes_and_repeats(page: Page, api):
    open_task_page(page, api)
    members = page.locator('[data-field="members"]')
    secret = page.locator('[data-field="secret"]')
    expect(members).to_be_hidden()
    expect(secret).to_be_hidden()
    expect(page.get_by_text("Kê khai trung thực.")).to_be_visible()

    page.locator("#f-books").fill("950")
    expect(secret).to_be_visible()
    page.locator("#f-books").fill("12")
    expect(secret).to_be_hidden()
    expect(page.locator("#f-secret")).to_be_disabled()

    page.locator("#f-has_members-yes").check()
    expect(members).to_be_visible()
    add = members.locator("[data-add-row]")
    for name in ("An", "Bình", "Chi"):
        add.click()
        members.locator("[data-row]").last.locator("input[name$='-full_name']").fill(name)
    expect(add).to_be_disabled()  # max_rows 3
    expect(page.locator('[data-field="per_member"] [data-computed-value]')).to_have_text("4")
    members.locator("[data-row]").nth(1).locator("[data-remove-row]").click()
    expect(page.locator('[data-field="per_member"] [data-computed-value]')).to_have_text("6")
    # What was typed stays when the group is hidden and shown again.
    page.locator("#f-has_members-no").check()
    page.locator("#f-has_members-yes").check()
    expect(members.locator("input[name$='-full_name']").nth(1)).to_have_value("Chi")

    page.get_by_test_id("submit-task").click()
    expect(page).to_have_url(re.compile(r"/dossiers/\d+$"))

"""A note pasted longer than its field takes is kept whole, counted while typed and refused by the server
with how much it is over: never cut at the limit without a word (issue 7: 2,520 characters cut at 2,000)."""

import pytest
from playwright.sync_api import expect

from tests.helpers import ITEMS

pytestmark = pytest.mark.browser


def test_an_overlong_note_is_counted_and_refused_not_cut(page, api):
    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    page.goto("/login")
    page.locator("#username").fill("demo-household")
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()

    page.goto(f"/tasks/{task['id']}")
    for item in ITEMS:
        page.locator(f"#f-{item}").fill("9")
    note = page.locator("#f-note")
    counter = page.locator("#f-note + [data-length-counter]")
    expect(counter).to_have_text("0 / 2.000")
    text = ("Gia đình học tập " * 160)[:2519] + "."
    note.fill(text)
    assert len(note.input_value()) == 2520
    expect(counter).to_have_text("2.520 / 2.000")
    expect(counter).to_have_class("form-text text-end text-danger")

    page.get_by_test_id("submit-task").click()
    expect(page.get_by_text("Tối đa 2000 ký tự (đã nhập 2520).", exact=True)).to_be_visible()
    # What was written is all there to shorten, and the dossier still waits for the household.
    assert page.locator("#f-note").input_value() == text
    assert api.dossier("demo-household", dossier_id)["self_score"] is None

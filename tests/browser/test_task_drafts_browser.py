"""A household on a phone saves its self-assessment as a draft, reloads, and finds what it typed."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import ITEMS, walk

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def test_scores_saved_as_a_draft_on_a_phone_come_back_after_a_reload(new_context, api):
    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    page = new_context(PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/login")
    page.locator("#username").fill("demo-household")
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()

    page.goto(f"/tasks/{task['id']}")
    typed = {item: str(index % 11) for index, item in enumerate(ITEMS)}
    typed["c2a"] = "15"  # out of range: a draft is not validated
    for item, value in typed.items():
        page.locator(f"#f-{item}").fill(value)
    page.locator("#f-note").fill("Chờ giấy khen của cháu")
    save = page.get_by_test_id("save-draft")
    # Reachable without sideways scrolling on a 375 px screen.
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    save.tap()

    expect(page).to_have_url(re.compile(rf"/tasks/{task['id']}$"))
    expect(page.get_by_role("alert").filter(has_text="Đã lưu nháp lúc")).to_be_visible()
    page.reload()
    for item, value in typed.items():
        expect(page.locator(f"#f-{item}")).to_have_value(value)
    expect(page.locator("#f-note")).to_have_value("Chờ giấy khen của cháu")
    expect(page.get_by_test_id("draft-note")).to_contain_text("Đang hiển thị bản nháp của bạn")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Nothing was submitted: the dossier still waits for the household's self-assessment.
    assert api.dossier("demo-household", dossier_id)["self_score"] is None


def test_saving_a_draft_asks_nothing_and_discarding_asks_first(page, api):
    dossier_id = walk(api, to="district_verification")
    task = api.task_for("demo-district", dossier_id, "district_verification")
    page.goto("/login")
    page.locator("#username").fill("demo-district")
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()
    page.goto(f"/tasks/{task['id']}")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    # "Từ chối" asks before it ends a dossier; saving that choice as a draft ends nothing, so asks nothing.
    page.get_by_label("Từ chối").check()
    page.locator("#f-reason").fill("Thiếu minh chứng tiêu chí 2")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_role("alert").filter(has_text="Đã lưu nháp lúc")).to_be_visible()
    assert questions == []
    expect(page.get_by_label("Từ chối")).to_be_checked()
    expect(page.locator("#f-reason")).to_have_value("Thiếu minh chứng tiêu chí 2")

    page.get_by_test_id("discard-draft").click()
    expect(page.get_by_role("alert").filter(has_text="Đã bỏ bản nháp.")).to_be_visible()
    assert len(questions) == 1 and "Bỏ bản nháp" in questions[0]
    expect(page.get_by_label("Từ chối")).not_to_be_checked()
    expect(page.locator("#f-reason")).to_have_value("")

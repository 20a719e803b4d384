"""Scoring never ends a dossier by surprise: the commune form states, while scores are typed, the outcome the
server will reach, and a submission that ends the dossier asks for confirmation with that sentence."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import commune_accept, self_report

pytestmark = pytest.mark.browser

# The household's own scores, pre-filled on the commune's form: 82 points, criterion 2 at 14 of 30.
EIGHTY_TWO = self_report(10, c1c=8, c2a=4, c2b=5, c2c=5)
FAILING = "Hồ sơ sẽ KHÔNG được công nhận vì: Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 14/30 điểm"


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def commune_task(api, self_scores: dict) -> tuple[int, int]:
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_scores)
    return dossier_id, api.task_for("demo-commune", dossier_id, "commune_scoring")["id"]


def no_dialogs(page: Page) -> list[str]:
    """Questions the page asks through window.confirm (none are expected: the confirmation is in the page)."""
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    return asked


def test_82_points_with_a_criterion_under_half_is_announced_and_confirmed_before_it_ends(page, api):
    dossier_id, task_id = commune_task(api, EIGHTY_TWO)
    asked = no_dialogs(page)
    log_in(page, "demo-commune")
    page.goto(f"/tasks/{task_id}")
    expect(page.get_by_test_id("running-total")).to_contain_text("Tổng điểm: 82/100")
    status = page.get_by_test_id("ending-status")
    expect(status).to_be_empty()  # no decision chosen yet: nothing is said to end

    page.get_by_label("Chấm điểm, chuyển thẩm định").check()
    # Before anything is submitted: the sentence in the live region, the failing rule marked.
    expect(status).to_contain_text(FAILING)
    expect(status).to_contain_text("Kết quả: Không được công nhận.")
    expect(status).to_have_attribute("role", "status")
    failing = page.get_by_test_id("outcome-preview").locator("[data-met=false]")
    expect(failing).to_have_count(1)
    expect(failing).to_contain_text(
        "Tiêu chí 2 (Học tập của người lớn trong gia đình): 14/30 điểm (tối thiểu 15)"
    )
    expect(failing).to_contain_text("Không đạt:")  # read out, not only a red cross

    page.get_by_test_id("submit-task").click()
    confirm = page.get_by_test_id("ending-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_be_focused()
    expect(confirm).to_contain_text(FAILING)
    expect(page).to_have_url(re.compile(rf"/tasks/{task_id}$"))
    assert api.dossier("demo-commune", dossier_id)["status"] == "in_progress"

    page.get_by_role("button", name="Xác nhận kết thúc hồ sơ").click()
    expect(page).to_have_url(re.compile(rf"/dossiers/{dossier_id}$"))
    expect(page.get_by_test_id("status")).to_have_text("Không được công nhận")
    dossier = api.dossier("demo-commune", dossier_id)
    assert dossier["status"] == "not_recognized" and dossier["score"] == 82
    assert asked == []


def test_the_verdict_follows_the_scores_and_a_recognisable_one_is_submitted_unasked(page, api):
    dossier_id, task_id = commune_task(api, EIGHTY_TWO)
    asked = no_dialogs(page)
    log_in(page, "demo-commune")
    page.goto(f"/tasks/{task_id}")
    page.get_by_label("Chấm điểm, chuyển thẩm định").check()
    status = page.get_by_test_id("ending-status")
    expect(status).to_contain_text(FAILING)

    # One more point in criterion 2 meets its floor: the sentence goes, the total follows the server.
    page.locator("#f-c2a").fill("5")
    expect(status).to_be_empty()
    expect(page.get_by_test_id("running-total")).to_contain_text("Tổng điểm: 83/100")
    expect(page.get_by_test_id("outcome-preview").locator("[data-met=false]")).to_have_count(0)
    # A value the server refuses is not counted, whatever the browser makes of it.
    page.locator("#f-c4b").fill("15")
    expect(page.get_by_test_id("running-total")).to_contain_text("Tổng điểm: 73/100")
    expect(page.get_by_test_id("outcome-preview")).to_contain_text("chưa hợp lệ")
    page.locator("#f-c4b").fill("10")

    page.get_by_test_id("submit-task").click()
    expect(page).to_have_url(re.compile(rf"/dossiers/{dossier_id}$"))
    dossier = api.dossier("demo-commune", dossier_id)
    assert dossier["status"] == "in_progress" and dossier["score"] == 83
    assert asked == []


def test_a_rejection_is_confirmed_in_the_page_with_the_reason(page, api):
    dossier_id, task_id = commune_task(api, self_report(9))
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9))
    task_id = api.task_for("demo-district", dossier_id, "district_verification")["id"]
    asked = no_dialogs(page)
    log_in(page, "demo-district")
    page.goto(f"/tasks/{task_id}")
    page.get_by_label("Từ chối").check()
    page.locator("#f-reason").fill("Thiếu minh chứng tiêu chí 2")
    expect(page.get_by_test_id("ending-status")).to_contain_text(
        "Hồ sơ sẽ KHÔNG được công nhận vì: Thiếu minh chứng tiêu chí 2. Kết quả: Từ chối."
    )
    page.get_by_test_id("submit-task").click()
    expect(page.get_by_test_id("ending-confirm")).to_be_focused()
    # Going back to the form asks nothing and changes nothing.
    page.get_by_text("Quay lại sửa kết quả").click()
    expect(page.get_by_test_id("ending-confirm")).to_be_hidden()
    assert api.dossier("demo-district", dossier_id)["status"] == "in_progress"
    page.get_by_test_id("submit-task").click()
    page.get_by_role("button", name="Xác nhận kết thúc hồ sơ").click()
    expect(page.get_by_test_id("status")).to_have_text("Từ chối")
    assert asked == []

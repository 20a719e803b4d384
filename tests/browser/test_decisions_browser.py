"""The decision pages in Chromium, on a desktop and on a 375 px phone: select, draft, review, issue, revoke;
axe finds no serious violation on any of them and none needs sideways scrolling on the phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility_axe import PHONE, log_in, problems
from tests.factories import at_decision_step

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_city_issues_and_revokes_a_recognition_decision_from_the_pages(app, new_context, viewport):
    ids = at_decision_step(app, 3)
    page = new_context(viewport=viewport).new_page()
    found = []
    log_in(page, "demo-city")

    page.goto("/decisions/candidates?kind=recognition&year=2026")
    expect(page.get_by_test_id("candidate-row")).to_have_count(3)
    found += problems(page)
    page.locator("#select-page").check()
    page.get_by_test_id("prepare-draft").click()
    expect(page.get_by_test_id("draft-form")).to_be_visible()
    found += problems(page)
    page.locator("#d-number").fill("15/QĐ-HĐTĐKT")
    page.locator(f"#n-{ids[0]}").fill("Hộ ông Nguyễn Văn Thử (in trên giấy)")
    page.get_by_test_id("save-draft").click()

    expect(page.get_by_test_id("annex-row")).to_have_count(3)
    expect(page.get_by_test_id("annex")).to_contain_text("Hộ ông Nguyễn Văn Thử (in trên giấy)")
    found += problems(page)
    page.locator("#issue-confirm").check()
    page.get_by_test_id("issue").click()
    expect(page.get_by_test_id("decision-status")).to_have_text("Đã ban hành")
    found += problems(page)

    page.goto(f"/dossiers/{ids[0]}")
    expect(page.get_by_test_id("dossier-decisions")).to_contain_text("15/QĐ-HĐTĐKT")
    found += problems(page)
    page.goto("/decisions")
    found += problems(page)
    page.get_by_role("link", name="15/QĐ-HĐTĐKT").click()
    page.locator("#revoke-reason").fill("Ghi sai số quyết định")
    page.locator("#revoke-confirm").check()
    page.get_by_test_id("revoke").click()
    expect(page.get_by_test_id("revoked-notice")).to_contain_text("Ghi sai số quyết định")
    found += problems(page)
    assert found == [], "\n".join(found)

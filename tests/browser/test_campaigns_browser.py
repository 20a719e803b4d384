"""Campaign pages in Chromium, on a desktop and on a 375 px phone: a village head registers the village's
households with "chọn tất cả"; the admin's campaign page and form. Axe finds no serious violation and no
page needs sideways scrolling on the phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility_axe import PHONE, log_in, problems
from tests.campaign_factories import PROVINCE, make_campaign
from tests.helpers import TITLE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_village_head_registers_the_village_and_the_admin_reviews_the_campaign(app, new_context, viewport):
    with app.app_context():
        campaign_id = make_campaign(registration=(-5, 20), assessment=(25, 40)).id
    found = []
    page = new_context(viewport=viewport).new_page()
    log_in(page, "demo-village-ck1")
    page.goto(f"/campaigns/{campaign_id}")
    found += problems(page)
    page.get_by_test_id("bulk-register").click()
    expect(page.get_by_test_id("subject-row").first).to_be_visible()
    rows = page.get_by_test_id("subject-row").count()
    found += problems(page)
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("register-selected").click()
    expect(page.get_by_test_id("registration-result")).to_contain_text(f"Đã đăng ký: {rows} đối tượng.")
    found += problems(page)

    admin = new_context(viewport=viewport).new_page()
    log_in(admin, "demo-admin")
    admin.goto(f"/campaigns/{campaign_id}")
    expect(admin.get_by_test_id("count-registered")).to_have_text(str(rows))
    found += problems(admin)
    admin.goto(f"/campaigns/new?province={PROVINCE}&title={TITLE}")
    expect(admin.get_by_test_id("deadline-village_review")).to_be_visible()
    found += problems(admin)
    admin.goto("/campaigns")
    found += problems(admin)
    assert found == [], "\n".join(found)

"""The village learning-community title in a real browser (two-tier demo province): the head of Khu vực 1
self-assesses on a phone, seeing the household share the system computed from the year's learning-family
recognitions and the list behind it; the ward officer scores, which freezes the share; one more family is
recognised afterwards; the chairman recognises the village, and the dossier page shows the frozen value
with its list."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_recognition_loop_browser import (
    PHONE,
    claim_and_open,
    expect_status,
    log_in,
    log_out,
    submit_task,
)
from tests.title_factories_village import (
    CHAIRMAN,
    COMMUNE_OFFICER,
    open_village_dossier,
    ready_village,
    recognise_families,
    recognised_families,
    village_households,
)

pytestmark = pytest.mark.browser


def vi_share(counted: int, total: int) -> str:
    return f"{counted * 100.0 / total:.1f}".replace(".", ",") + "%"


def dossier_code(app, dossier_id: int) -> str:
    from app.extensions import db
    from app.models import Dossier

    with app.app_context():
        return db.session.get(Dossier, dossier_id).code


def test_the_learning_community_title_shows_scores_and_freezes_the_household_share(
    app, api, page: Page, new_context, artifacts: Path
):
    setup = ready_village(app)
    recognise_families(api, app, 3)
    total = len(village_households(app))
    counted = len(recognised_families(app))
    dossier_id = open_village_dossier(app, setup)
    code = dossier_code(app, dossier_id)
    assert code.startswith("CDHTT-")

    # The head of Khu vực 1 self-assesses on a phone and sees the live share with its list.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, setup.head)
    claim_and_open(phone, code, "Thôn tự đánh giá")
    share = phone.get_by_test_id("derived-c3_households")
    expect(share.get_by_test_id("derived-value")).to_have_text(vi_share(counted, total))
    expect(share.get_by_test_id("derived-count")).to_have_text(f"{counted}/{total} hộ")
    expect(phone.locator('input[name="c3_households"]')).to_have_count(0)
    basis = phone.get_by_test_id("derived-basis-c3_households")
    basis.locator("summary").click()
    expect(basis.locator("tbody tr")).to_have_count(total)
    expect(basis.locator('tbody tr[data-counted="yes"]')).to_have_count(counted)
    for item in ("c1a", "c2a", "c3b", "c4a"):
        phone.locator(f"#f-{item}").fill("20")
    phone.screenshot(path=artifacts / "learning-community-self-assessment-phone.png", full_page=True)
    submit_task(phone, dossier_id, "Thôn tự đánh giá")
    phone.close()

    # The ward officer scores, seeing the same share; submitting freezes it.
    log_in(page, COMMUNE_OFFICER)
    claim_and_open(page, code, "Chấm điểm cấp xã")
    expect(page.get_by_test_id("derived-c3_households").get_by_test_id("derived-value")).to_have_text(
        vi_share(counted, total)
    )
    expect(page.get_by_test_id("derived-state-c3_households")).to_contain_text("Hệ thống tự tính")
    expect(page.locator("#f-c1a")).to_have_value("20")
    page.locator("#f-decision-accept").check()
    submit_task(page, dossier_id, "Chấm điểm cấp xã")
    expect(page.get_by_test_id("current-step")).to_contain_text("Quyết định công nhận")
    log_out(page)

    # One more family of the village is recognised after the scoring: the dossier keeps its value.
    recognise_families(api, app, 1)
    assert len(recognised_families(app)) == counted + 1

    log_in(page, CHAIRMAN)
    claim_and_open(page, code, "Quyết định công nhận")
    page.locator("#f-decision-approve").check()
    page.locator("#f-decision_number").fill("210/QĐ-UBND")
    page.locator("#f-decision_date").fill("2026-12-10")
    page.locator("#f-signer").fill("Trần Văn Chủ tịch")
    submit_task(page, dossier_id, "Quyết định công nhận")
    expect_status(page, "Được công nhận")

    frozen = page.get_by_test_id("frozen-indicator-c3_households")
    expect(frozen.get_by_test_id("derived-value")).to_have_text(vi_share(counted, total))
    expect(frozen.get_by_test_id("derived-count")).to_have_text(f"{counted}/{total} hộ")
    expect(frozen.get_by_test_id("derived-frozen")).to_have_text(
        re.compile(r"Giá trị đã chốt khi chấm điểm ngày \d{2}/\d{2}/\d{4}")
    )
    basis = frozen.get_by_test_id("derived-basis-c3_households")
    basis.locator("summary").click()
    expect(basis.locator('tbody tr[data-counted="yes"]')).to_have_count(counted)
    page.screenshot(path=artifacts / "learning-community-frozen-share.png", full_page=True)

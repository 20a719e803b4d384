"""The post-2025 two-tier procedure in a real browser: the demo household of Phường Cái Khế reports, the
head of its residential area holds the review meeting, the commune scores and the chairman recognises."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_recognition_loop_browser import (
    ITEMS,
    PHONE,
    claim_and_open,
    expect_status,
    fill_scores,
    log_in,
    log_out,
    register,
    submit_task,
)

pytestmark = pytest.mark.browser


def test_the_two_tier_demo_dossier_goes_from_household_to_commune_chairman(
    page: Page, new_context, pdf_bytes, artifacts: Path
):
    log_in(page, "demo-household-ck")
    dossier_id, code = register(page)
    assert code.startswith("GDHT-")
    page.get_by_test_id("do-task").click()
    fill_scores(page, dict.fromkeys(ITEMS, 9))
    submit_task(page, dossier_id, "Tự đánh giá")
    expect(page.get_by_test_id("current-step")).to_contain_text("Bình xét")
    log_out(page)

    # The head of Khu vực 1 records the review meeting, with its minutes, on a phone.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, "demo-village-ck1")
    claim_and_open(phone, code, "Bình xét ở thôn, tổ dân phố")
    phone.locator("#f-decision-propose").check()
    phone.locator("#f-meeting_date").fill("2026-11-20")
    phone.locator("#f-households_present").fill("41")
    phone.locator('input[name="upload__minutes"]').set_input_files(
        {"name": "bien-ban-binh-xet.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes}
    )
    phone.screenshot(path=artifacts / "two-tier-village-review-phone.png", full_page=True)
    submit_task(phone, dossier_id, "Bình xét ở thôn, tổ dân phố")
    expect(phone.get_by_test_id("evidence-list")).to_contain_text("bien-ban-binh-xet.pdf")
    phone.close()  # the phone context ends here; its logout sits in the collapsed menu

    # The commune council scores, pre-filled from the self-assessment; no district ever appears.
    log_in(page, "demo-commune-ck")
    claim_and_open(page, code, "Chấm điểm cấp xã")
    expect(page.locator("#f-c1a")).to_have_value("9")
    page.locator("#f-decision-accept").check()
    page.locator("#f-law_violation-no").check()
    submit_task(page, dossier_id, "Chấm điểm cấp xã")
    expect(page.get_by_test_id("current-step")).to_contain_text("Quyết định công nhận")
    log_out(page)

    # The commune chairman recognises the family.
    log_in(page, "demo-chairman-ck")
    claim_and_open(page, code, "Quyết định công nhận")
    page.locator("#f-decision-approve").check()
    page.locator("#f-decision_number").fill("125/QĐ-UBND")
    page.locator("#f-decision_date").fill("2026-12-15")
    page.locator("#f-signer").fill("Trần Văn Chủ tịch")
    submit_task(page, dossier_id, "Quyết định công nhận")
    expect_status(page, "Được công nhận")
    page.screenshot(path=artifacts / "two-tier-recognised.png", full_page=True)
    log_out(page)

    log_in(page, "demo-household-ck")
    page.goto(f"/dossiers/{dossier_id}")
    expect_status(page, "Được công nhận")
    history = page.get_by_test_id("history").inner_text()
    for step in ("Bình xét", "Chấm điểm cấp xã", "Quyết định công nhận"):
        assert step in history, (step, history)
    assert not re.search(r"huyện|Huyện", history)

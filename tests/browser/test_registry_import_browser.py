"""The registry import page in Chromium: a commune officer uploads an XLSX of 10,000 households, watches the
progress bar advance while the rows are checked, and sees the counts; a file with bad rows shows its
per-row report."""

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility_axe import problems as page_problems
from tests.browser.test_recognition_loop_browser import log_in
from tests.registry_files import as_xlsx, household_rows

pytestmark = pytest.mark.browser
VILLAGES = ["DEMO-AH-V1", "DEMO-AH-V2"]
PHONE = {"width": 375, "height": 812}


def _upload(page: Page, path) -> None:
    page.goto("/registry/")
    page.get_by_test_id("registry-import").click()
    page.get_by_label("Hộ gia đình và thành viên").check()
    page.get_by_label("Tệp dữ liệu").set_input_files(str(path))
    page.get_by_test_id("import-submit").click()


def test_ten_thousand_households_upload_with_a_progress_bar_that_advances(page: Page, tmp_path):
    rows = household_rows(10_000, VILLAGES)
    path = tmp_path / "ho-gia-dinh.xlsx"
    path.write_bytes(as_xlsx("households", rows))
    log_in(page, "demo-commune")
    started = time.monotonic()
    _upload(page, path)
    expect(page.get_by_test_id("import-panel")).to_be_visible()
    seen = []
    while time.monotonic() - started < 60:
        try:
            state = page.evaluate(
                """() => {
                    const bar = document.querySelector("[data-progress-bar]");
                    const counts = document.querySelector("[data-testid=import-counts]");
                    return {value: bar ? bar.value : null, max: bar ? bar.max : null, done: !!counts};
                }"""
            )
        except PlaywrightError:
            # The script reloads the page when the import ends; read again once the new page is there.
            page.wait_for_load_state()
            continue
        if state["done"]:
            break
        if state["value"] is not None:
            seen.append((state["value"], state["max"]))
        time.sleep(0.1)
    expect(page.get_by_test_id("import-counts")).to_be_visible(timeout=1_000)
    assert any(0 < value < maximum for value, maximum in seen if maximum > 1), seen[-20:]
    expect(page.get_by_test_id("import-created")).to_have_text("10.000")
    expect(page.get_by_test_id("import-unchanged")).to_have_text("0")
    assert time.monotonic() - started < 60


def test_a_file_with_bad_rows_shows_each_bad_row_on_a_phone_and_the_pages_pass_axe(new_context, tmp_path):
    rows = household_rows(5, VILLAGES)
    rows[1][5] = "Không rõ"
    rows[3][3] = "KHONG-CO"  # an unknown village, and so another village than the household's first row
    path = tmp_path / "ho-loi.xlsx"
    path.write_bytes(as_xlsx("households", rows))
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "demo-commune")
    found = []
    for address in ("/registry/", "/registry/import"):
        page.goto(address)
        found += page_problems(page)
    _upload(page, path)
    expect(page.get_by_test_id("import-rejected")).to_be_visible(timeout=20_000)
    found += page_problems(page)
    assert found == [], "\n".join(found)
    problems = page.get_by_test_id("import-problem")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("Giới tính")
    expect(problems.nth(1)).to_contain_text("một đơn vị")
    expect(problems.nth(2)).to_contain_text("KHONG-CO")

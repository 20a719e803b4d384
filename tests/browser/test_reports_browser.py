"""Progress reports in Chromium: the charts are drawn by Chart.js (from the page's JSON block, under
the site's Content-Security-Policy), and a commune officer's home shows the commune's progress against
its target."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_recognition_loop_browser import log_in
from tests.helpers import make_official
from tests.integration.test_reports import TITLE, YEAR, dataset  # noqa: F401  (the known dataset fixture)

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


def _drawn(page: Page, canvas_id: str) -> dict:
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.getElementById(id));
            return chart ? {points: chart.data.datasets[0].data, width: chart.width} : null;
        }""",
        canvas_id,
    )


def test_the_province_chart_renders(page: Page, dataset):  # noqa: F811
    log_in(page, "demo-admin")
    page.goto(f"/reports?unit={dataset['T-P']}&title={TITLE}&year={YEAR}")
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    expect(page.get_by_test_id("chart-units")).to_be_visible()
    units = _drawn(page, "chart-units")
    assert units is not None and units["width"] > 0
    assert units["points"] == [66.67, 0.0]
    trend = _drawn(page, "chart-trend")
    assert trend is not None and trend["points"][-1] == pytest.approx(100 * 10 / 19, abs=0.01)
    # Drill down to the commune: its villages.
    page.get_by_role("link", name="Xã Một").click()
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    expect(page.locator("[data-unit='T-V1'] [data-col='rate_base']")).to_have_text("60,00%")


def test_commune_officer_home_shows_progress_against_the_commune_target(app, new_context, dataset):  # noqa: F811
    from app.extensions import db
    from app.models import User, utcnow
    from app.reports.routes import local_today
    from app.services.targets import set_province_target

    year = None
    with app.test_request_context():
        year = local_today().year
        admin = db.session.query(User).filter_by(username="demo-admin").one()
        set_province_target(dataset["T-P"], TITLE, year, 75, "Kế hoạch 01/KH-UBND", actor=admin, now=utcnow())
    make_official(app, "can-bo-t-c1", unit="T-C1", full_name="Cán bộ Xã Một")
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, "can-bo-t-c1", "matkhau123")
    progress = page.get_by_test_id("home-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Xã Một")
    expect(progress.get_by_test_id("target-rate")).to_have_text("75%")
    expect(progress.get_by_test_id("target-marker")).to_be_attached()
    expect(progress.get_by_test_id("target-source")).to_contain_text("Kế hoạch 01/KH-UBND")
    if year == YEAR:
        expect(progress.get_by_test_id("rate-base")).to_have_text("66,67%")
    expect(page.get_by_test_id("home-open-tasks")).to_be_visible()
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

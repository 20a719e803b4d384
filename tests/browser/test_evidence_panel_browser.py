"""The official's working day in a real browser (issue 7, items 2 and 7): ten dossiers processed from the
inbox with the evidence viewed in the side panel and save-and-next, counting every click; and the phone
(375 × 667): the task page's tab strip, and no sideways scrolling on the task page, the dossiers list and
the household's home, whose status and next step are on the first screen."""

import io
import re
import time
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.factories import at_commune_scoring, make_household

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
# The count the README's user guide states: with the scores accepted as the household gave them, each
# dossier takes one click on its PDF in the panel (the first file, a photo, is shown already), one on
# "Đồng ý" and one on "Hoàn thành", which opens the next dossier of the list. One more click opens the
# first dossier from the inbox.
CLICKS_PER_DOSSIER = 3
DOSSIERS = 10


def log_in(page: Page, username: str = "demo-commune", password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def attach_evidence(app, dossier_ids: list[int], png: bytes, pdf: bytes) -> None:
    """A photo filed under the first criterion and a PDF under the second, as the household uploaded them
    while reporting."""
    from app.extensions import db
    from app.models import Dossier, User, utcnow
    from app.services.evidence import add_evidence, inspect_upload

    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.username == "demo-household"))
        for dossier_id in dossier_ids:
            dossier = db.session.get(Dossier, dossier_id)
            for name, content, criterion in (
                (f"anh-{dossier.code}.png", png, "c1"),
                ("hoc-ba.pdf", pdf, "c2"),
            ):
                upload = inspect_upload(name, io.BytesIO(content))
                add_evidence(dossier, upload, criterion, actor=owner, now=utcnow())
        db.session.commit()


def pdf_viewer_shown(page: Page, evidence_url: str) -> bool:
    """Chromium's PDF viewer (an extension frame) runs inside the panel's frame of the file: the PDF is
    drawn in the page, not downloaded or refused."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for frame in page.frames:
            parent = frame.parent_frame
            if frame.url.startswith("chrome-extension://") and parent and parent.url.endswith(evidence_url):
                return True
        page.wait_for_timeout(100)
    return False


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_ten_dossiers_from_the_inbox_with_the_evidence_in_the_panel(app, page, png_bytes, pdf_bytes):
    ids = at_commune_scoring(app, DOSSIERS)  # self-scores of 90: accepted as given, the dossier goes on
    attach_evidence(app, ids, png_bytes, pdf_bytes)
    log_in(page)
    page.goto("/inbox?sort=created")
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    click(page.get_by_test_id("open-task").first)
    opening_clicks, per_dossier, photos = clicks, [], set()
    for number in range(1, DOSSIERS + 1):
        before = clicks
        expect(page.get_by_role("heading", level=1)).to_have_text("Chấm điểm cấp xã")
        expect(page.get_by_test_id("task-position")).to_have_text(
            f"Việc 1 trong {DOSSIERS + 1 - number} của danh sách"
        )
        # Beside the form: the household's scores (its answers) and its photo, shown at once.
        panel = page.get_by_test_id("evidence-panel")
        expect(page.get_by_test_id("scores-panel").get_by_test_id("score-table")).to_be_visible()
        photo = panel.get_by_test_id("evidence-image")
        expect(photo).to_be_visible()
        expect(photo).to_have_attribute("alt", re.compile(r"^anh-.+\.png – .+"))
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
        photos.add(photo.get_attribute("alt"))  # one dossier after another, never the same twice
        # The PDF, viewed in the panel without leaving the task.
        pdf = panel.get_by_test_id("evidence-item").filter(has_text="hoc-ba.pdf")
        click(pdf)
        frame = panel.get_by_test_id("evidence-frame")
        expect(frame).to_be_visible()
        expect(frame).to_have_attribute("title", re.compile(r"^hoc-ba\.pdf – "))
        expect(panel.get_by_test_id("evidence-caption")).to_have_text(frame.get_attribute("title"))
        expect(pdf).to_have_attribute("aria-current", "true")
        assert pdf_viewer_shown(page, pdf.get_attribute("href")), "the PDF was not drawn in the panel"
        expect(page).to_have_url(re.compile(r"/tasks/\d+\?inbox="))
        # Accepted as the household gave it; completing opens the next dossier of the list.
        click(page.locator("#f-decision-accept"))
        click(page.get_by_test_id("submit-task"))
        expect(page.get_by_role("alert").filter(has_text="Đã hoàn thành: Chấm điểm cấp xã.")).to_be_visible()
        per_dossier.append(clicks - before)

    expect(page.get_by_role("alert").filter(has_text="Không còn công việc nào tiếp theo")).to_be_visible()
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    assert len(photos) == DOSSIERS
    assert per_dossier == [CLICKS_PER_DOSSIER] * DOSSIERS
    assert opening_clicks + sum(per_dossier) == 1 + CLICKS_PER_DOSSIER * DOSSIERS == 31


def test_on_a_phone_the_task_page_is_tabs_and_nothing_scrolls_sideways(
    app, new_context, png_bytes, pdf_bytes
):
    ids = at_commune_scoring(app, 2)
    attach_evidence(app, ids, png_bytes, pdf_bytes)
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone)
    phone.goto("/inbox")
    phone.get_by_test_id("open-task").first.tap()

    form_tab, evidence_tab, scores_tab = (
        phone.get_by_test_id(f"tab-{name}") for name in ("form", "evidence", "scores")
    )
    expect(form_tab).to_have_text("Biểu mẫu")
    expect(form_tab).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("task-form")).to_be_visible()
    expect(phone.get_by_test_id("evidence-panel")).to_be_hidden()
    expect(phone.get_by_test_id("scores-panel")).to_be_hidden()
    assert no_sideways_scroll(phone)

    evidence_tab.tap()
    expect(evidence_tab).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("task-form")).to_be_hidden()
    expect(phone.get_by_test_id("evidence-panel")).to_have_attribute("role", "tabpanel")
    expect(phone.get_by_test_id("evidence-image")).to_be_visible()
    assert no_sideways_scroll(phone)

    # The keyboard moves along the strip, as tabs do.
    evidence_tab.focus()
    phone.keyboard.press("ArrowRight")
    expect(scores_tab).to_be_focused()
    expect(scores_tab).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_test_id("scores-panel").get_by_test_id("score-table")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.keyboard.press("Home")
    expect(form_tab).to_be_focused()
    expect(phone.get_by_test_id("submit-task")).to_be_visible()
    box = phone.get_by_test_id("submit-task").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # The dossiers list: cards, with nothing off to the side.
    phone.goto("/dossiers")
    expect(phone.get_by_test_id("dossier-row")).to_have_count(2)
    assert no_sideways_scroll(phone)
    expect(phone.get_by_test_id("dossier-row").first.get_by_test_id("status")).to_be_in_viewport()


def test_the_household_home_on_a_phone_shows_status_and_next_step_first(app, new_context):
    from app.extensions import db
    from app.models import Subject, User, utcnow
    from app.services.dossiers import open_dossier
    from tests.helpers import TITLE

    household = make_household(app, "ho-dien-thoai", "DEMO-AH-V1")
    with app.app_context():
        subject = db.session.get(Subject, household.subject_id)
        open_dossier(
            subject, TITLE, date.today().year, actor=db.session.get(User, household.user_id), now=utcnow()
        )
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, "ho-dien-thoai", "matkhau123")
    phone.goto("/dossiers")
    home = phone.get_by_test_id("home-dossier")
    for shown in (home.get_by_test_id("status"), home.get_by_test_id("home-next")):
        expect(shown).to_be_visible()
        box = shown.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], "below the first screen"
    expect(home.get_by_test_id("home-next")).to_have_text("Việc cần làm: Tự đánh giá")
    assert no_sideways_scroll(phone)
    home.get_by_test_id("home-next").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Tự đánh giá")
    # The household's own step has no review panel and no tab strip.
    expect(phone.get_by_test_id("tab-form")).to_have_count(0)
    assert no_sideways_scroll(phone)

"""The public verification page, opened as a phone opens it from a certificate's QR code: the code is read
from the printed certificate (zbarimg on the PDF's image), the page is visited signed out, says the
certificate stands, and says it was revoked once its decision is; axe-clean and without sideways scrolling
at 375 px."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility_axe import problems
from tests.document_fixtures import SPECIAL_NAME, decode_qr, make_issued_decision, revoke

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _scanned_url(app, decision_id: int, tmp_path) -> str:
    """What a phone's camera reads from the first certificate of the decision."""
    from app.extensions import db
    from app.models import Decision
    from app.services.documents import document_path

    with app.app_context():
        entry = db.session.get(Decision, decision_id).entries[0]
        pdf = document_path(entry.certificate_sha256).read_bytes()
    [image] = PdfReader(io.BytesIO(pdf)).pages[0].images
    png = tmp_path / "qr.png"
    image.image.save(png)
    return decode_qr(png)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_scanned_code_opens_a_page_that_says_whether_the_certificate_stands(
    app, live_server, new_context, tmp_path, viewport
):
    # The certificates print the address the site is served at.
    app.config["PUBLIC_URL"] = live_server
    issued = make_issued_decision(app)
    url = _scanned_url(app, issued.decision_id, tmp_path)
    assert url.startswith(f"{live_server}/verify/")

    page = new_context(viewport).new_page()
    page.goto(url)
    expect(page.get_by_test_id("verify-name")).to_have_text(SPECIAL_NAME)
    expect(page.get_by_test_id("verify-status")).to_contain_text("Còn hiệu lực")
    expect(page.get_by_test_id("verify-decision")).to_contain_text("125/QĐ-UBND")
    assert problems(page) == []

    revoke(app, issued.decision_id)
    page.reload()
    status = page.get_by_test_id("verify-status")
    expect(status).to_contain_text("đã bị thu hồi")
    expect(status).not_to_contain_text("Còn hiệu lực")
    expect(page.get_by_test_id("verify-name")).to_have_text(SPECIAL_NAME)
    assert problems(page) == []

    page.goto("/verify/ma-khong-co-that")
    expect(page.get_by_test_id("verify-not-found")).to_contain_text("Không tìm thấy giấy chứng nhận")
    assert problems(page) == []

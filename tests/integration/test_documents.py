"""A decision's documents: the decision PDF and one certificate per entry made by the background job, their
text and QR codes read back, the zip, the downloads and who may have them, and the public verification
page."""

import io
import zipfile

import pytest
from pypdf import PdfReader

from tests.document_fixtures import (
    HOUSEHOLD_PASSWORD,
    REVOKE_REASON,
    SPECIAL_HOUSEHOLD,
    SPECIAL_NAME,
    decode_qr,
    make_issued_decision,
    revoke,
)


def _text(pdf: bytes) -> str:
    # Lines wrap where the layout wraps them: words are compared with any run of spaces as one.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _get(source, *args, **kwargs) -> "_Read":
    return _Read(source.get(*args, **kwargs))


class _Read:
    """A response read whole and closed (a file sent by send_file stays open until closed)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.mimetype = response.mimetype
        self.headers = dict(response.headers)
        self.data = response.get_data()
        self._json = response.get_json(silent=True)
        response.close()

    def get_json(self):
        return self._json

    def get_data(self, as_text=False):
        return self.data.decode() if as_text else self.data


def _stored(app, sha256: str) -> bytes:
    from app.services.documents import document_path

    with app.app_context():
        return document_path(sha256).read_bytes()


def _rows(app, decision_id: int):
    from app.extensions import db
    from app.models import Decision

    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        return decision.document_sha256, [
            (e.id, e.certificate_sha256, e.verify_code) for e in decision.entries
        ]


@pytest.fixture
def issued(app):
    return make_issued_decision(app)


def test_the_job_makes_the_decision_and_every_certificate(app, issued):
    from app.extensions import db
    from app.models import AuditEvent, Decision
    from app.services.documents import document_progress

    document, entries = _rows(app, issued.decision_id)
    assert document is not None and all(sha for _, sha, _ in entries)
    text = _text(_stored(app, document))
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN PHƯỜNG AN HÒA",
        "Số: 125/QĐ-UBND",
        "An Hòa, ngày 20 tháng 12 năm 2026",
        "Về việc công nhận danh hiệu “Gia đình học tập” năm 2026",
        "Căn cứ Luật Thi đua, khen thưởng",
        "Điều 1.",
        "cho 3 hộ gia đình",
        "Điều 3.",
        "Nơi nhận:",
        "Nguyễn Văn Thắng",
        "DANH SÁCH",
        SPECIAL_NAME,
    ):
        assert words in text, words
    with app.app_context():
        decision = db.session.get(Decision, issued.decision_id)
        assert document_progress(decision) == (3, 3)
        events = db.session.query(AuditEvent).filter_by(action="decision.documents_generated").all()
        assert [e.details["certificates"] for e in events] == [3]
        assert events[0].details["sha256"] == document


def test_a_certificate_is_one_landscape_page_whose_qr_code_opens_its_verification_page(app, issued, tmp_path):
    _, entries = _rows(app, issued.decision_id)
    _, sha256, code = entries[0]
    reader = PdfReader(io.BytesIO(_stored(app, sha256)))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height
    text = page.extract_text()
    assert "GIẤY CÔNG NHẬN" in text and "Gia đình học tập" in text and SPECIAL_NAME in text
    assert "125/QĐ-UBND" in text
    [image] = page.images
    png = tmp_path / "qr.png"
    image.image.save(png)
    assert decode_qr(png) == f"{app.config['PUBLIC_URL']}/verify/{code}"


def test_the_job_again_changes_nothing_and_a_lost_file_is_made_again(app, issued):
    from app.extensions import db
    from app.models import AuditEvent, utcnow
    from app.services.documents import document_path, render_decision_documents

    before = _rows(app, issued.decision_id)
    with app.app_context():
        render_decision_documents(issued.decision_id, now=utcnow())
        assert _rows(app, issued.decision_id) == before
        assert db.session.query(AuditEvent).filter_by(action="decision.documents_generated").count() == 1
        lost = before[1][1][1]
        document_path(lost).unlink()
        render_decision_documents(issued.decision_id, now=utcnow())
        remade = _rows(app, issued.decision_id)[1][1][1]
        assert document_path(remade).exists()
        assert db.session.query(AuditEvent).filter_by(action="decision.documents_generated").count() == 2


def test_a_long_decision_continues_in_fresh_jobs(make_app, monkeypatch):
    from app.extensions import db
    from app.models import OutboxMessage
    from app.services import documents

    # One certificate per batch and no time: each batch hands the rest to a new job (run in-process here).
    monkeypatch.setattr(documents, "BATCH", 1)
    app = make_app(DOCUMENT_JOB_SECONDS=0)
    issued = make_issued_decision(app)
    _, entries = _rows(app, issued.decision_id)
    assert all(sha for _, sha, _ in entries)
    with app.app_context():
        keys = db.session.scalars(
            db.select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "render_decision_documents")
        ).all()
        assert len([k for k in keys if k and ":after:" in k]) == 2


def test_a_draft_has_no_documents_and_no_verification_page(app, client):
    from app.extensions import db
    from app.models import Decision, utcnow
    from app.services.documents import render_decision_documents

    issued = make_issued_decision(app, render=False)
    with app.app_context():
        db.session.get(Decision, issued.decision_id).status = "draft"
        db.session.commit()
        render_decision_documents(issued.decision_id, now=utcnow())
    assert _rows(app, issued.decision_id)[0] is None
    assert _get(client, f"/verify/{issued.codes[0]}").status_code == 404


def test_officials_of_the_unit_and_above_download_the_documents(app, api, issued):
    for username in ("demo-commune", "demo-district", "demo-city", "demo-admin"):
        response = _get(api, username, f"/decisions/{issued.decision_id}/document")
        assert response.status_code == 200, username
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    for username in ("demo-commune-b", "demo-district-b", "demo-household", "demo-household-b"):
        assert _get(api, username, f"/decisions/{issued.decision_id}/document").status_code == 404, username
    assert _get(api, "demo-admin", "/decisions/999999/document").status_code == 404


def test_the_household_fetches_its_own_certificate_and_no_one_else_s(app, api, issued):
    api.token(SPECIAL_HOUSEHOLD, HOUSEHOLD_PASSWORD)
    own = _get(api, SPECIAL_HOUSEHOLD, f"/dossiers/{issued.special_dossier_id}/certificate")
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    assert SPECIAL_NAME in _text(own.data)
    assert _get(api, SPECIAL_HOUSEHOLD, f"/dossiers/{issued.dossier_ids[1]}/certificate").status_code == 404
    assert (
        _get(api, "demo-household-b", f"/dossiers/{issued.special_dossier_id}/certificate").status_code == 404
    )
    assert _get(api, "demo-commune", f"/dossiers/{issued.special_dossier_id}/certificate").status_code == 200
    commendation = _get(
        api,
        SPECIAL_HOUSEHOLD,
        f"/dossiers/{issued.special_dossier_id}/certificate",
        query_string={"kind": "commendation"},
    )
    assert commendation.status_code == 404
    bad = _get(api, SPECIAL_HOUSEHOLD, f"/dossiers/{issued.special_dossier_id}/certificate?kind=bang-khen")
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]


def test_nothing_is_served_before_the_job_has_run(app, api):
    issued = make_issued_decision(app, render=False)
    assert _get(api, "demo-commune", f"/decisions/{issued.decision_id}/document").status_code == 404
    assert _get(api, "demo-commune", f"/dossiers/{issued.special_dossier_id}/certificate").status_code == 404


def test_the_decision_page_downloads_and_the_zip(app, web, issued):
    web.login("demo-commune")
    progress = _get(web, f"/documents/decisions/{issued.decision_id}/progress")
    assert progress.get_json() == {"done": 3, "total": 3, "document": True}
    pdf = _get(web, f"/documents/decisions/{issued.decision_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "quyet-dinh-125-qd-ubnd.pdf" in pdf.headers["Content-Disposition"]
    certificate = _get(web, f"/documents/certificates/{issued.entry_ids[0]}.pdf")
    assert certificate.status_code == 200 and SPECIAL_NAME in _text(certificate.data)
    archive = _get(web, f"/documents/decisions/{issued.decision_id}/certificates.zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = zipped.namelist()
        assert len(names) == 3 and names[0] == "1-ho-ong-le-the-phuoc.pdf"
        assert all(zipped.read(name).startswith(b"%PDF") for name in names)
        assert SPECIAL_NAME in _text(zipped.read(names[0]))


def test_the_decision_panel_shows_progress_and_links(app, issued):
    from flask import render_template_string

    from app.extensions import db
    from app.models import Decision

    with app.test_request_context():
        html = render_template_string(
            '{% include "decisions/_documents.html" %}', decision=db.session.get(Decision, issued.decision_id)
        )
    assert 'value="3"' in html and "3/3" in html and "certificates.zip" in html
    assert "js/document_progress.js" in html and "<script>" not in html


def test_outside_the_jurisdiction_every_download_is_404(app, web, issued):
    web.login("demo-commune-b")
    for path in (
        f"/documents/decisions/{issued.decision_id}.pdf",
        f"/documents/decisions/{issued.decision_id}/progress",
        f"/documents/decisions/{issued.decision_id}/certificates.zip",
        f"/documents/certificates/{issued.entry_ids[0]}.pdf",
        f"/documents/dossiers/{issued.special_dossier_id}/certificate/recognition.pdf",
    ):
        assert _get(web, path).status_code == 404, path


def test_a_household_gets_its_own_certificate_from_its_dossier_page_only(app, web, issued):
    web.login(SPECIAL_HOUSEHOLD, HOUSEHOLD_PASSWORD)
    own = _get(web, f"/documents/dossiers/{issued.special_dossier_id}/certificate/recognition.pdf")
    assert own.status_code == 200 and SPECIAL_NAME in _text(own.data)
    assert _get(web, f"/documents/certificates/{issued.entry_ids[0]}.pdf").status_code == 200
    assert _get(web, f"/documents/certificates/{issued.entry_ids[1]}.pdf").status_code == 404
    assert _get(web, f"/documents/decisions/{issued.decision_id}.pdf").status_code == 404
    assert _get(web, f"/documents/decisions/{issued.decision_id}/certificates.zip").status_code == 404


def test_the_verification_page_shows_only_what_the_certificate_prints(app, client, issued):
    page = _get(client, f"/verify/{issued.codes[0]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SPECIAL_NAME in html and "Còn hiệu lực" in html and "Gia đình học tập" in html
    assert "125/QĐ-UBND" in html and "20/12/2026" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"] and page.headers["Referrer-Policy"] == "no-referrer"
    # Nothing of the dossier: no score, no address, no other family of the list.
    assert "Số 1," not in html and "DEMO-AH" not in html


def test_an_unknown_code_is_a_404_in_vietnamese(client):
    page = _get(client, "/verify/khong-co-ma-nay")
    assert page.status_code == 404
    assert "Không tìm thấy giấy chứng nhận" in page.get_data(as_text=True)
    assert _get(client, "/verify/" + "x" * 500).status_code == 404


def test_after_revocation_the_page_says_revoked_without_the_reason(app, api, client, issued):
    before = _rows(app, issued.decision_id)
    revoke(app, issued.decision_id)
    html = _get(client, f"/verify/{issued.codes[0]}").get_data(as_text=True)
    assert "đã bị thu hồi" in html and "Còn hiệu lực" not in html
    assert REVOKE_REASON not in html
    # The issued documents stay as they were; the household no longer gets its certificate.
    assert _rows(app, issued.decision_id) == before
    api.token(SPECIAL_HOUSEHOLD, HOUSEHOLD_PASSWORD)
    assert (
        _get(api, SPECIAL_HOUSEHOLD, f"/dossiers/{issued.special_dossier_id}/certificate").status_code == 404
    )
    assert _get(api, "demo-commune", f"/decisions/{issued.decision_id}/document").status_code == 200

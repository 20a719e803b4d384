"""Hardened edges: JSON nested too deep, hostile file names and PDFs with active content get a clear
Vietnamese answer (4xx, never a 500) and change nothing; hostile file names are cleaned before they are
stored and again when they are sent."""

import io
import json

import pytest

from tests import pdf_samples
from tests.factories import png_bytes
from tests.helpers import self_report
from tests.integration.test_bad_input import _snapshot

DEEP = b"[" * 1000
TOO_DEEP = "lồng nhau quá sâu"


def nested(levels: int):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.fixture
def at_self_report(api):
    dossier_id = api.open_dossier()
    return dossier_id, api.task_for("demo-household", dossier_id, "self_report")["id"]


def _evidence_rows(app):
    from app.extensions import db
    from app.models import EvidenceFile

    with app.app_context():
        return {e.id: (e.original_name, e.mime_type) for e in db.session.scalars(db.select(EvidenceFile))}


def _upload(api, dossier_id, content: bytes, name: str, user: str = "demo-household"):
    return api.post(
        user,
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(content), name), "criterion": "c1"},
    )


# Deep JSON


@pytest.mark.parametrize("rate_limited", [False, True], ids=["plain", "rate-limited"])
@pytest.mark.parametrize(
    "body",
    [DEEP, b"{" * 1000, json.dumps({"username": nested(40), "password": "x"}).encode()],
    ids=["brackets", "braces", "deep-username"],
)
def test_deep_json_on_the_token_route_is_a_400(make_app, rate_limited, body):
    # With rate limiting on, the limiter's key function reads the body before the view does.
    client = make_app(RATELIMIT_ENABLED=rate_limited).test_client()
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and TOO_DEEP in error["message"] and "32" in error["message"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"demo-household"', b"5", b"null"])
def test_a_token_body_that_is_not_an_object_is_refused_clearly(make_app, body):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "JSON" in response.get_json()["message"]


@pytest.mark.parametrize(
    "body",
    [DEEP, json.dumps({"data": {**self_report(9), "c1a": nested(100)}}).encode()],
    ids=["brackets", "deep-field"],
)
def test_deep_json_on_task_completion_is_a_400_and_changes_nothing(app, api, at_self_report, body):
    dossier_id, task_id = at_self_report
    before = _snapshot(app, dossier_id)
    response = api.post(
        "demo-household", f"/tasks/{task_id}/complete", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert TOO_DEEP in response.get_json()["error"]["message"]
    assert _snapshot(app, dossier_id) == before


def test_the_depth_bound_is_32_levels(api, at_self_report):
    _, task_id = at_self_report

    def complete(levels):
        # {"data": {"c1a": ...}} is two levels around the nested value.
        body = {"data": {**self_report(9), "c1a": nested(levels - 2)}}
        return api.post("demo-household", f"/tasks/{task_id}/complete", json=body)

    at_bound = complete(32)
    assert at_bound.status_code == 422 and "c1a" in at_bound.get_json()["errors"], (
        "read, then refused as data"
    )
    assert complete(33).status_code == 400


def test_brackets_inside_strings_do_not_count(api, at_self_report):
    _, task_id = at_self_report
    body = {"data": {**self_report(9), "note": "[" * 1000 + "{" * 1000}}
    response = api.post("demo-household", f"/tasks/{task_id}/complete", json=body)
    assert response.status_code == 200, response.get_json()


def test_deep_json_to_an_admin_page_is_a_400_and_changes_nothing(web):
    web.login("demo-admin")
    created = web.post(
        "/admin/forms/new", {"key": "doc_sau", "title_vi": "Đọc sâu"}, csrf_from="/admin/forms"
    )
    assert created.status_code == 302
    path = "/admin/forms/doc_sau/draft"

    def csrf_headers(web):
        return {"X-CSRFToken": web.csrf("/admin/forms")}

    def draft():
        from app.extensions import db
        from app.models import FormDefinition

        with web.app.app_context():
            form = db.session.scalar(db.select(FormDefinition).where(FormDefinition.key == "doc_sau"))
            return form.draft, form.draft_saved_at

    before = draft()
    response = web.client.post(path, data=DEEP, content_type="application/json", headers=csrf_headers(web))
    assert response.status_code == 400
    assert TOO_DEEP in response.get_data(as_text=True)
    assert draft() == before
    deep_definition = {"definition": {"key": "doc_sau", "fields": nested(40)}}
    response = web.client.post(path, json=deep_definition, headers=csrf_headers(web))
    assert response.status_code == 400 and draft() == before
    # A body that is JSON but not an object still gets the route's own answer.
    response = web.client.post(path, json=[1, 2], headers=csrf_headers(web))
    assert response.status_code == 422 and response.get_json()["problems"] and draft() == before


# File names


@pytest.mark.parametrize(
    ("content", "name", "stored"),
    [
        (png_bytes(), "giay\u200bkhen\u200f.png", "giaykhen.png"),
        (png_bytes(), "giay-khen.exe", "giay-khen.png"),
        (png_bytes(), "anh.jpg", "anh.png"),
        (pdf_samples.CLEAN, "hoc-ba.pdf.exe", "hoc-ba.pdf.pdf"),
        (pdf_samples.CLEAN, "../../etc/passwd", "passwd.pdf"),
        (pdf_samples.CLEAN, "  Học\tbạ\r\n  năm   2026 .pdf", "Học bạ năm 2026.pdf"),
        # "Học" typed as a base letter and combining marks comes out composed (NFC).
        (pdf_samples.CLEAN, "Ho\u0323c ba\u0323.pdf", "Học bạ.pdf"),
        (pdf_samples.CLEAN, "...pdf", "minh-chung.pdf"),
        (pdf_samples.CLEAN, "\u200b\ufeff.pdf", "minh-chung.pdf"),
    ],
    ids=[
        "zero-width-and-marks",
        "exe-claimed",
        "other-type-claimed",
        "double-extension",
        "unix-path",
        "whitespace",
        "decomposed",
        "only-dots",
        "only-invisible",
    ],
)
def test_file_names_are_cleaned_and_take_the_extension_of_the_content(
    app, api, at_self_report, content, name, stored
):
    dossier_id, _ = at_self_report
    response = _upload(api, dossier_id, content, name)
    assert response.status_code == 201, response.get_json()
    assert _evidence_rows(app)[response.get_json()["id"]][0] == stored


@pytest.mark.parametrize(
    "name",
    ["invoice\u202egnp.exe", "giay\u2066khen\u2069.png", "hoc\x00ba.png", "\u202a.pdf"],
    ids=["right-to-left-override", "isolates", "nul", "embedding"],
)
def test_names_that_would_read_as_something_else_are_refused_and_nothing_is_stored(
    app, api, at_self_report, name
):
    dossier_id, _ = at_self_report
    before = _evidence_rows(app)
    response = _upload(api, dossier_id, png_bytes(), name)
    assert response.status_code == 422
    assert "Tên tệp có ký tự ẩn" in str(response.get_json())
    assert _evidence_rows(app) == before


def test_a_long_name_is_cut_to_the_column_keeping_its_extension(app, api, at_self_report):
    dossier_id, _ = at_self_report
    response = _upload(api, dossier_id, png_bytes(), "ảnh " * 200 + ".png")
    name = _evidence_rows(app)[response.get_json()["id"]][0]
    assert len(name) <= 255 and name.startswith("ảnh ảnh") and name.endswith("ảnh.png")


def test_downloads_send_the_cleaned_name_safely(app, api, web, at_self_report):
    from app.extensions import db
    from app.models import EvidenceFile

    dossier_id, _ = at_self_report
    image = _upload(api, dossier_id, png_bytes(), "Giấy khen.png").get_json()["id"]
    legacy = _upload(api, dossier_id, png_bytes(), "old.png").get_json()["id"]
    # A name stored before names were cleaned is cleaned on the way out.
    with app.app_context():
        db.session.get(EvidenceFile, legacy).original_name = 'in"voice\u202egnp\r\n.exe'
        db.session.commit()
    web.login("demo-household")

    response = web.get(f"/evidence/{image}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline") and "filename*=UTF-8''Gi%E1%BA%A5y%20khen.png" in disposition
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
    )
    response.close()

    response = web.get(f"/evidence/{legacy}")
    assert response.headers["Content-Disposition"] == 'inline; filename="in\\"voicegnp.png"'
    response.close()


def test_pdfs_are_always_downloaded_as_attachments(api, web, at_self_report):
    dossier_id, _ = at_self_report
    evidence_id = _upload(api, dossier_id, pdf_samples.CLEAN, "hoc-ba.pdf").get_json()["id"]
    web.login("demo-household")
    for query in ("", "?inline=1"):
        response = web.get(f"/evidence/{evidence_id}{query}")
        assert response.status_code == 200 and response.data == pdf_samples.CLEAN
        assert response.headers["Content-Disposition"] == "attachment; filename=hoc-ba.pdf"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        response.close()


# PDFs with active content


ACTIVE = "nội dung chủ động"
UNCHECKABLE = "Không kiểm tra được"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (pdf_samples.OPEN_ACTION_JS, ACTIVE),
        (pdf_samples.LAUNCH, ACTIVE),
        (pdf_samples.EMBEDDED_FILES, ACTIVE),
        (pdf_samples.ESCAPED_NAME, ACTIVE),
        (pdf_samples.JS_IN_OBJECT_STREAM, ACTIVE),
        (pdf_samples.JS_IN_ASCII85_OBJECT_STREAM, ACTIVE),
        (pdf_samples.ENCRYPTED, UNCHECKABLE),
    ],
    ids=[
        "open-action-js",
        "launch",
        "embedded-files",
        "escaped-name",
        "object-stream",
        "ascii85",
        "encrypted",
    ],
)
def test_pdfs_with_active_content_are_refused_and_change_nothing(
    app, api, at_self_report, tmp_path, content, fragment
):
    import filetype

    assert filetype.guess(content).mime == "application/pdf", "refused for its content, not its type"
    dossier_id, _ = at_self_report
    before = _snapshot(app, dossier_id)
    response = _upload(api, dossier_id, content, "hoc-ba.pdf")
    assert response.status_code == 422
    assert fragment in " ".join(response.get_json()["errors"]["file"])
    assert _snapshot(app, dossier_id) == before
    assert not list((tmp_path / "data").rglob("evidence/*/*"))


@pytest.mark.parametrize(
    "content", [pdf_samples.CLEAN, pdf_samples.CLEAN_OBJECT_STREAM], ids=["plain", "object-stream"]
)
def test_a_clean_pdf_is_still_accepted(api, at_self_report, content):
    dossier_id, _ = at_self_report
    response = _upload(api, dossier_id, content, "hoc-ba.pdf")
    assert response.status_code == 201
    assert response.get_json()["mime_type"] == "application/pdf"


def test_an_active_pdf_in_the_task_form_is_refused_and_changes_nothing(app, web, api, at_self_report):
    dossier_id, task_id = at_self_report
    web.login("demo-household")
    before = _snapshot(app, dossier_id)
    data = {k: str(v) for k, v in self_report(9).items()}
    data["upload__evidence_c1"] = (io.BytesIO(pdf_samples.JS_IN_OBJECT_STREAM), "hoc-ba.pdf")
    response = web.post(f"/tasks/{task_id}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert ACTIVE in response.get_data(as_text=True)
    assert _snapshot(app, dossier_id) == before

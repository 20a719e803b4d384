"""The form library and builder pages, through the test client with real CSRF: admins only (everyone
else 404), create, save a draft whose problems come back by path, publish twice (versions 1 and 2),
import and export as JSON, and a preview drawn by the task page's macros that escapes every label."""

import io
import json
import re

import pytest

LIBRARY = "/admin/forms"
HOSTILE = "<script>window.pwned=1</script> \"quoted\" 'single' {{ 7*7 }}"

# Two scored criteria and a comment required when the decision is "return", built as the builder does.
SMALL_FORM = {
    "key": "doc_sach",
    "title": {"vi": "Gia đình đọc sách", "en": "Reading family"},
    "fields": [
        {
            "name": "decision",
            "type": "choice",
            "required": True,
            "label": {"vi": "Kết quả", "en": "Decision"},
            "choices": [
                {"value": "accept", "label": {"vi": "Đồng ý", "en": "Accept"}},
                {"value": "return", "label": {"vi": "Trả lại", "en": "Return"}},
            ],
        },
        {"name": "muc_1", "type": "heading", "label": {"vi": "Tiêu chí 1"}},
        {
            "name": "reading",
            "type": "score",
            "max_points": 10,
            "criterion": "c1",
            "label": {"vi": "Đọc sách"},
        },
        {"name": "library", "type": "score", "max_points": 10, "criterion": "c2", "label": {"vi": "Tủ sách"}},
        {
            "name": "comment",
            "type": "textarea",
            "label": {"vi": "Ý kiến"},
            "required_if": {"in": [{"var": "decision"}, ["return"]]},
        },
    ],
    "scoring": {
        "criteria": [
            {"key": "c1", "label": {"vi": "Đọc"}, "max_points": 10},
            {"key": "c2", "label": {"vi": "Sách"}, "max_points": 10},
        ],
        "pass_total": 15,
    },
}


def csrf_headers(web) -> dict:
    return {"X-CSRFToken": web.csrf(LIBRARY)}


def post_json(web, path: str, body):
    return web.client.post(path, json=body, headers=csrf_headers(web))


def create(web, key: str, **form):
    return web.post(f"{LIBRARY}/new", {"key": key, "title_vi": "Biểu mẫu thử", **form}, csrf_from=LIBRARY)


def builder_data(web, key: str) -> dict:
    page = web.get(f"{LIBRARY}/{key}/edit").get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="builder-data">(.*?)</script>', page, re.S)
    assert match, "the builder carries its data as a JSON block"
    return json.loads(match.group(1))


@pytest.fixture
def admin(web):
    web.login("demo-admin")
    return web


@pytest.mark.parametrize("username", ["demo-household", "demo-commune", "demo-city"])
def test_non_admins_get_404_on_every_form_page(web, username):
    web.login(username)
    for path in (LIBRARY, f"{LIBRARY}/doc_sach/edit", f"{LIBRARY}/doc_sach/draft.json"):
        assert web.get(path).status_code == 404, path
    token = web.csrf("/dossiers")
    for path in (f"{LIBRARY}/preview", f"{LIBRARY}/doc_sach/draft", f"{LIBRARY}/doc_sach/publish"):
        response = web.client.post(path, json={"definition": SMALL_FORM}, headers={"X-CSRFToken": token})
        assert response.status_code == 404, path


def test_create_save_with_problems_by_path_then_publish_twice(admin):
    response = create(admin, "doc_sach")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{LIBRARY}/doc_sach/edit")
    data = builder_data(admin, "doc_sach")
    assert data["definition"] == {"key": "doc_sach", "title": {"vi": "Biểu mẫu thử"}, "fields": []}
    assert set(data["types"][0]) == {"value", "label"} and "score" in {t["value"] for t in data["types"]}
    assert "field_score" in data["schema"]["$defs"]

    # A draft that publishing would refuse is still saved, and its problems come back by path.
    broken = json.loads(json.dumps(SMALL_FORM))
    broken["fields"].insert(3, {"name": "age", "type": "integer", "label": "Tuổi", "min": 10, "max": 5})
    response = post_json(admin, f"{LIBRARY}/doc_sach/draft", {"definition": broken})
    assert response.status_code == 200
    paths = {p["path"] for p in response.get_json()["problems"]}
    assert "fields[3].min" in paths or "fields[3].max" in paths, paths

    # A draft of the wrong shape is not saved at all, and says where.
    response = post_json(
        admin, f"{LIBRARY}/doc_sach/draft", {"definition": {"key": "doc_sach", "fields": {}}}
    )
    assert response.status_code == 422
    assert {p["path"] for p in response.get_json()["problems"]} >= {"title", "fields"}
    assert builder_data(admin, "doc_sach")["definition"] == broken

    # Publishing refuses the broken draft by path and keeps it.
    response = post_json(admin, f"{LIBRARY}/doc_sach/publish", {"definition": broken})
    assert response.status_code == 422
    assert any(p["path"].startswith("fields[3].") for p in response.get_json()["problems"])

    response = post_json(admin, f"{LIBRARY}/doc_sach/publish", {"definition": SMALL_FORM})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 1

    changed = json.loads(json.dumps(SMALL_FORM))
    changed["title"]["vi"] = "Gia đình đọc sách (sửa đổi)"
    response = post_json(admin, f"{LIBRARY}/doc_sach/publish", {"definition": changed})
    assert response.status_code == 201
    assert response.get_json()["version"] == 2

    page = admin.get(f"{LIBRARY}?q=doc_sach").get_data(as_text=True)
    assert 'data-version="1"' in page and 'data-version="2"' in page
    assert "Gia đình đọc sách (sửa đổi)" in page
    assert 'data-testid="has-draft"' not in page
    # With no draft, the builder starts from the newest version.
    assert builder_data(admin, "doc_sach")["definition"] == changed


def test_create_from_an_existing_version_and_a_taken_key(admin):
    assert create(admin, "doc_sach").status_code == 302
    assert post_json(admin, f"{LIBRARY}/doc_sach/publish", {"definition": SMALL_FORM}).status_code == 201
    response = create(admin, "doc_sach_2025", source="doc_sach:1")
    assert response.status_code == 302
    copied = builder_data(admin, "doc_sach_2025")["definition"]
    assert copied["key"] == "doc_sach_2025"
    assert copied["fields"] == SMALL_FORM["fields"]

    response = create(admin, "doc_sach")
    assert response.status_code == 409
    assert "doc_sach" in response.get_data(as_text=True)
    assert create(admin, "Không hợp lệ").status_code == 422


def test_discard_draft(admin):
    create(admin, "doc_sach")
    response = post_json(admin, f"{LIBRARY}/doc_sach/draft/discard", {})
    assert response.status_code == 200
    assert response.get_json()["redirect"].startswith(LIBRARY)
    assert admin.get(f"{LIBRARY}/doc_sach/draft.json").status_code == 404


def test_import_export_round_trip(admin):
    upload = {"definition": (io.BytesIO(json.dumps(SMALL_FORM).encode()), "doc_sach.json")}
    response = admin.post(f"{LIBRARY}/import", upload, csrf_from=LIBRARY, content_type="multipart/form-data")
    assert response.status_code == 302
    exported = admin.get(f"{LIBRARY}/doc_sach/draft.json")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(exported.get_data()) == SMALL_FORM

    post_json(admin, f"{LIBRARY}/doc_sach/publish", {"definition": SMALL_FORM})
    version = admin.get(f"{LIBRARY}/doc_sach/versions/1.json")
    assert json.loads(version.get_data()) == SMALL_FORM

    # The exported version imported again becomes the draft of the same form.
    again = {"definition": (io.BytesIO(version.get_data()), "doc_sach-v1.json")}
    response = admin.post(f"{LIBRARY}/import", again, csrf_from=LIBRARY, content_type="multipart/form-data")
    assert response.status_code == 302
    assert json.loads(admin.get(f"{LIBRARY}/doc_sach/draft.json").get_data()) == SMALL_FORM

    junk = {"definition": (io.BytesIO(b"{not json"), "junk.json")}
    response = admin.post(f"{LIBRARY}/import", junk, csrf_from=LIBRARY, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "junk.json" in response.get_data(as_text=True)


def hostile_form() -> dict:
    definition = json.loads(json.dumps(SMALL_FORM))
    definition["title"] = {"vi": HOSTILE}
    definition["description"] = {"vi": HOSTILE}
    decision = definition["fields"][0]
    decision["label"] = {"vi": HOSTILE, "en": HOSTILE}
    decision["help"] = {"vi": HOSTILE}
    decision["choices"][0]["label"] = {"vi": HOSTILE}
    definition["fields"][1]["label"] = {"vi": HOSTILE}
    definition["fields"][2]["help"] = HOSTILE
    return definition


def test_preview_renders_labels_help_and_choices_as_text(admin):
    response = post_json(admin, f"{LIBRARY}/preview", {"definition": hostile_form()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html.lower()
    assert "49" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html
    assert '"quoted"' not in html  # quotes are escaped, so none can close an attribute
    assert 'name="reading"' in html and 'data-testid="preview-score"' in html


def test_preview_scores_like_a_submission(admin):
    inputs = [["decision", "accept"], ["reading", "9"], ["library", "8"]]
    response = post_json(
        admin, f"{LIBRARY}/preview", {"definition": SMALL_FORM, "inputs": inputs, "score": True}
    )
    html = response.get_data(as_text=True)
    assert re.search(r'data-testid="preview-total">17<', html)
    assert "Đạt" in html

    # Invalid inputs are shown next to their fields, and nothing is scored.
    inputs = [["decision", "return"], ["reading", "11"]]
    response = post_json(
        admin, f"{LIBRARY}/preview", {"definition": SMALL_FORM, "inputs": inputs, "score": True}
    )
    html = response.get_data(as_text=True)
    assert 'data-testid="preview-total"' not in html
    assert "is-invalid" in html
    assert 'value="11"' in html  # what was typed stays

    # A draft that does not load yet says why, by path.
    response = post_json(
        admin, f"{LIBRARY}/preview", {"definition": {"key": "x", "title": "X", "fields": []}}
    )
    assert 'data-testid="preview-problems"' in response.get_data(as_text=True)

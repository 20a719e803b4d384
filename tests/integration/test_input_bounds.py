"""Every text a person sends is bounded as the column it goes into (or a documented limit): 100,000
characters are refused with a 4xx that says, in Vietnamese, the limit and what was sent, and change
nothing; a text at exactly its limit is accepted. Form posts of 100,000 characters stay well under the
request limits, so none of these is a 413."""

import io
import json

import pytest

from tests.helpers import WebClient, self_report, walk
from tests.procedure_factory import MANIFEST, package_files, zip_bytes

HUGE = 100_000


def too_long(maximum: int, length: int = HUGE) -> str:
    return f"Tối đa {maximum} ký tự (đã nhập {length})."


def count(app, model) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def user_row(app, username: str):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        return None if user is None else (user.id, user.full_name, user.email, user.password_hash)


def page(response) -> str:
    return response.get_data(as_text=True)


# -------------------------------------------------------------------------------------------- accounts

NEW_USER = {"username": "can-bo-moi", "full_name": "Cán bộ Mới", "password": "matkhau123"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "a" * HUGE, too_long(200)),
        # Nine bytes a character once form-encoded: still a refusal of the text, not of the request's size.
        ("full_name", "ệ" * HUGE, too_long(200)),
        ("email", "a" * HUGE, too_long(254)),
        ("email", "x" * 12_000, too_long(254, 12_000)),
        ("email", "khong-phai-dia-chi", "Thư điện tử không đúng dạng địa chỉ"),
        ("email", "ten@xa", "Thư điện tử không đúng dạng địa chỉ"),
        ("email", "ten @xa.gov.vn", "Thư điện tử không đúng dạng địa chỉ"),
        ("email", "ten@@xa.gov.vn", "Thư điện tử không đúng dạng địa chỉ"),
        ("username", "a" * HUGE, "Tên đăng nhập gồm 3–64 ký tự"),
        ("password", "a" * HUGE, too_long(128)),
    ],
)
def test_the_new_user_form_refuses_an_overlong_or_wrong_text_and_creates_nobody(
    app, web, field, value, message
):
    from app.models import User

    web.login("demo-admin")
    users = count(app, User)
    response = web.post("/admin/users/new", {**NEW_USER, field: value})
    assert response.status_code == 422
    assert message in page(response)
    assert count(app, User) == users
    assert user_row(app, NEW_USER["username"]) is None


def test_the_new_user_form_takes_each_text_at_its_limit(app, web):
    web.login("demo-admin")
    full_name = "Ễ" * 200
    # 64 + 1 + 189 = 254 characters, the longest address mail carries.
    email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 67
    response = web.post(
        "/admin/users/new", {**NEW_USER, "full_name": full_name, "email": email, "password": "p" * 128}
    )
    assert response.status_code == 302, page(response)
    _id, stored_name, stored_email, _hash = user_row(app, NEW_USER["username"])
    assert (stored_name, stored_email) == (full_name, email)
    assert WebClient(app).login(NEW_USER["username"], "p" * 128).status_code == 302


def test_the_user_page_refuses_an_overlong_password_or_unit_and_changes_nothing(app, web):
    from app.models import RoleAssignment

    web.login("demo-admin")
    user_id, *_rest, password_hash = user_row(app, "demo-commune")
    path = f"/admin/users/{user_id}"
    roles = count(app, RoleAssignment)
    response = web.post(path, {"action": "reset_password", "password": "a" * HUGE})
    assert response.status_code == 422 and too_long(128) in page(response)
    response = web.post(path, {"action": "assign_role", "role": "commune_officer", "unit": "a" * HUGE})
    assert response.status_code == 422 and too_long(200) in page(response)
    assert user_row(app, "demo-commune")[3] == password_hash
    assert count(app, RoleAssignment) == roles


# -------------------------------------------------------------------------------------------- sign-in


def test_signing_in_refuses_an_overlong_name_or_password_on_the_page_and_the_api(app, web, client):
    from app.models import ApiToken, UserSession

    sessions, tokens = count(app, UserSession), count(app, ApiToken)
    for username, password, message in (
        ("a" * HUGE, "demo1234", too_long(64)),
        ("demo-admin", "a" * HUGE, too_long(128)),
    ):
        response = web.login(username, password)
        assert response.status_code == 422 and message in page(response)
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 422
        assert message in sum(response.get_json()["errors"].values(), [])
    assert (count(app, UserSession), count(app, ApiToken)) == (sessions, tokens)
    # At its limit a name is only a wrong one: the usual answer, not a refusal of its length.
    assert web.login("a" * 64, "demo1234").status_code == 200
    response = client.post("/api/v1/auth/token", json={"username": "a" * 64, "password": "p" * 128})
    assert response.status_code == 401


# ---------------------------------------------------------------------------------- villages, searches


def test_a_village_name_is_bounded_as_its_column(app, web):
    from app.extensions import db
    from app.models import AdminUnit

    with app.app_context():
        commune = db.session.scalar(db.select(AdminUnit.id).where(AdminUnit.code == "DEMO-XK"))
    web.login("demo-admin")
    units = count(app, AdminUnit)
    path = f"/admin/units/{commune}/villages"
    response = web.post(path, {"name": "a" * HUGE, "code": ""})
    assert response.status_code == 422 and too_long(200) in page(response)
    csv = ("ten\n" + "b" * HUGE + "\n").encode()
    response = web.post(path, {"file": (io.BytesIO(csv), "thon.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and too_long(200) in page(response)
    assert count(app, AdminUnit) == units
    assert web.post(path, {"name": "Ấ" * 200, "code": ""}).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(AdminUnit.id).where(AdminUnit.name == "Ấ" * 200))


@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/units", "/admin/forms", "/admin/procedures", "/dossiers"]
)
def test_a_search_term_longer_than_any_name_is_refused_not_run(web, path):
    web.login("demo-admin")
    response = web.get(path, query_string={"q": "a" * HUGE})
    assert response.status_code == 422
    assert "Từ khóa tìm kiếm tối đa 200 ký tự (đã nhập 100000)." in page(response)
    assert web.get(path, query_string={"q": "a" * 200}).status_code == 200


def test_an_audit_filter_is_bounded_with_the_same_words(api):
    response = api.get("demo-admin", "/audit", query_string={"user": "a" * HUGE})
    assert response.status_code == 422
    assert response.get_json()["errors"]["user"] == [too_long(64)]


# --------------------------------------------------------------------------- comments, answers, drafts


def test_a_refused_comment_keeps_what_was_written_and_stores_nothing(app, api, web):
    from app.models import Comment

    dossier_id = api.open_dossier()
    web.login("demo-household")
    path = f"/dossiers/{dossier_id}/comments"
    comments = count(app, Comment)
    response = web.post(path, {"body": "c" * 4001}, csrf_from=f"/dossiers/{dossier_id}")
    assert response.status_code == 422
    assert too_long(4000, 4001) in page(response) and "c" * 4001 + "</textarea>" in page(response)
    response = web.post(path, {"body": "c" * HUGE}, csrf_from=f"/dossiers/{dossier_id}")
    assert response.status_code == 422 and too_long(4000) in page(response)
    assert count(app, Comment) == comments
    assert web.post(path, {"body": "c" * 4000}, csrf_from=f"/dossiers/{dossier_id}").status_code == 302
    assert count(app, Comment) == comments + 1


def _self_report(api) -> tuple[int, dict]:
    dossier_id = walk(api, to="self_report")
    return dossier_id, api.task_for("demo-household", dossier_id, "self_report")


def test_a_task_answer_is_bounded_by_its_form_on_the_api_and_the_page(app, api, web):
    from app.models import Submission

    dossier_id, task = _self_report(api)
    submissions = count(app, Submission)
    response = api.post(
        "demo-household",
        f"/tasks/{task['id']}/complete",
        json={"data": {**self_report(), "note": "n" * HUGE}},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["note"] == [too_long(2000)]
    web.login("demo-household")
    data = {**{k: str(v) for k, v in self_report().items()}, "note": "n" * HUGE}
    response = web.post(f"/tasks/{task['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 422 and too_long(2000) in page(response)
    assert count(app, Submission) == submissions
    assert api.task_for("demo-household", dossier_id, "self_report")["state"] == "open"
    api.complete("demo-household", dossier_id, "self_report", {**self_report(), "note": "n" * 2000})


def test_a_draft_is_refused_an_answer_longer_than_its_field_takes(app, api, web):
    from app.models import TaskDraft

    _dossier_id, task = _self_report(api)
    path = f"/api/v1/tasks/{task['id']}/draft"
    headers = api.headers("demo-household")
    response = api.client.put(path, headers=headers, json={"data": {"note": "n" * 2001}})
    assert response.status_code == 422
    assert response.get_json()["errors"]["note"] == [too_long(2000, 2001)]
    response = api.client.put(path, headers=headers, json={"data": {"note": "n" * HUGE}})
    assert response.status_code == 422 and "Bản nháp quá lớn" in response.get_json()["message"]
    web.login("demo-household")
    response = web.post(f"/tasks/{task['id']}", {"note": "n" * 2001, "action": "save_draft"})
    assert response.status_code == 422 and too_long(2000, 2001) in page(response)
    assert count(app, TaskDraft) == 0
    assert api.client.put(path, headers=headers, json={"data": {"note": "n" * 2000}}).status_code == 200


# ------------------------------------------------------------------------------ forms and procedures


def test_form_titles_and_labels_are_bounded_in_the_library(app, api, web):
    from app.models import FormDefinition

    forms = count(app, FormDefinition)
    definition = {"key": "dai_qua", "title": {"vi": "t" * HUGE}, "fields": []}
    response = api.post("demo-admin", "/forms", json=definition)
    assert response.status_code == 422
    assert {"path": "title.vi", "message": too_long(2000)} in response.get_json()["errors"]
    web.login("demo-admin")
    response = web.post(
        "/admin/forms/new", {"key": "dai_qua", "title_vi": "t" * HUGE}, csrf_from="/admin/forms"
    )
    assert response.status_code == 422 and too_long(2000) in page(response)
    assert count(app, FormDefinition) == forms

    created = api.post("demo-admin", "/forms", json={**definition, "title": {"vi": "t" * 2000}})
    assert created.status_code == 201, created.get_json()
    label = {"name": "ghi_chu", "type": "text", "label": "l" * HUGE}
    response = api.client.put(
        "/api/v1/forms/dai_qua/draft",
        headers=api.headers("demo-admin"),
        json={**definition, "title": "Tiêu đề", "fields": [label]},
    )
    assert response.status_code == 422
    assert {"path": "fields[0].label", "message": too_long(2000)} in response.get_json()["errors"]
    draft = api.get("demo-admin", "/forms/dai_qua/draft").get_json()["definition"]
    assert draft["title"] == {"vi": "t" * 2000}


def test_a_procedure_title_is_bounded_like_a_form_title(app, api):
    from app.models import ProcessDefinition

    definitions = count(app, ProcessDefinition)
    manifest = {**MANIFEST, "title": {"vi": "t" * HUGE, "en": "Reading star"}}
    files = package_files(**{"procedure.json": json.dumps(manifest, ensure_ascii=False).encode()})
    response = api.post(
        "demo-admin", "/procedures", data={"package": (io.BytesIO(zip_bytes(files)), "goi.zip")}
    )
    assert response.status_code == 422
    assert {
        "file": "procedure.json",
        "line": None,
        "element": None,
        "message": f"title.vi: {too_long(2000)}",
    } in (response.get_json()["errors"])
    assert count(app, ProcessDefinition) == definitions


def test_activating_for_a_province_code_longer_than_any_code_is_refused(api):
    listing = api.get("demo-admin", "/procedures").get_json()["items"][0]
    path = f"/procedures/{listing['key']}/versions/{listing['versions'][-1]['version']}/activate"
    response = api.post("demo-admin", path, json={"province": "P" * HUGE})
    assert response.status_code == 422
    assert response.get_json()["errors"]["province"] == [too_long(32)]

"""Drafts of a task's answers: saved without validation by whoever holds the task, theirs alone, gone once
the task is completed (API and pages)."""

import io

import pytest

from tests.helpers import commune_accept, make_official, self_report, walk

OTHER = "can-bo-xa-2"  # a second official of the same commune as demo-commune
OTHER_PASSWORD = "matkhau123"  # noqa: S105  (test account)


def put_draft(api, username: str, task_id: int, body, **kwargs):
    return api.client.put(
        f"/api/v1/tasks/{task_id}/draft", headers=api.headers(username), json=body, **kwargs
    )


def delete_draft(api, username: str, task_id: int):
    return api.client.delete(f"/api/v1/tasks/{task_id}/draft", headers=api.headers(username))


def draft_of(api, username: str, task_id: int):
    response = api.get(username, f"/tasks/{task_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["draft"]


def stored_drafts(app, task_id: int) -> list[tuple[str, dict]]:
    """Every draft row of the task, as (username, data): what the database holds, whatever the API says."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import TaskDraft, User

    with app.app_context():
        rows = db.session.execute(
            select(User.username, TaskDraft.data)
            .join(User, User.id == TaskDraft.user_id)
            .where(TaskDraft.human_task_id == task_id)
            .order_by(User.username)
        ).all()
        return [(username, data) for username, data in rows]


def input_value(page: str, name: str) -> str:
    """The value attribute of the input with id f-<name>."""
    tag = page.split(f'id="f-{name}"')[1].split(">", maxsplit=1)[0]
    return tag.split('value="')[1].split('"')[0]


@pytest.fixture
def other_official(app, api) -> str:
    """A second official of demo-commune's commune, signed in to the API."""
    make_official(app, OTHER, password=OTHER_PASSWORD)
    api.token(OTHER, OTHER_PASSWORD)
    return OTHER


@pytest.fixture
def commune_task(api):
    """An open, unclaimed commune scoring task of a dossier the household scored at 8 everywhere."""
    dossier_id = walk(api, to="commune_scoring", self_points=8)
    return api.task_for("demo-commune", dossier_id, "commune_scoring")


def test_a_draft_saved_through_the_api_comes_back_and_is_not_audited(api, commune_task):
    task_id = commune_task["id"]
    assert draft_of(api, "demo-commune", task_id) is None
    history = len(api.dossier("demo-commune", commune_task["dossier_id"])["history"])
    data = {"decision": "accept", "c1a": 7, "comment": "Đang xem", "x": 1}
    saved = put_draft(api, "demo-commune", task_id, {"data": data})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["saved_at"]
    # A key that is not a field of the form is dropped, and the answer says what was kept.
    assert body["data"] == {"decision": "accept", "c1a": 7, "comment": "Đang xem"}
    draft = draft_of(api, "demo-commune", task_id)
    assert draft == {"data": body["data"], "saved_at": body["saved_at"]}
    # Saving again replaces the draft.
    assert put_draft(api, "demo-commune", task_id, {"data": {"c1a": 6}}).status_code == 200
    assert draft_of(api, "demo-commune", task_id)["data"] == {"c1a": 6}
    assert len(api.dossier("demo-commune", commune_task["dossier_id"])["history"]) == history


def test_a_draft_saved_on_the_page_comes_back_on_the_page(web, api, app):
    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(7, c1b="", c2a="15").items()}
    data.update(note="Còn thiếu giấy khen của cháu", action="save_draft")
    data["upload__evidence_c1"] = (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "hoc-ba.pdf")
    saved = web.post(f"/tasks/{task['id']}", data, content_type="multipart/form-data")
    # Back to the task page, not the dossier: the holder goes on working.
    assert saved.status_code == 302 and saved.headers["Location"] == f"/tasks/{task['id']}"
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Đã lưu nháp lúc" in page
    assert "không được lưu trong bản nháp" in page
    assert input_value(page, "c1a") == "7"
    assert input_value(page, "c2a") == "15"  # not validated: kept as typed
    assert input_value(page, "c1b") == ""
    assert "Còn thiếu giấy khen của cháu" in page
    assert 'data-testid="discard-draft"' in page and "Đang hiển thị bản nháp của bạn" in page
    # A draft stores no files, and the dossier has not moved.
    assert web.get(f"/dossiers/{dossier_id}").get_data(as_text=True).count("hoc-ba.pdf") == 0
    assert api.dossier("demo-household", dossier_id)["self_score"] is None
    # The same draft over the API (the phone app), strings as typed; empty fields stay empty.
    draft = draft_of(api, "demo-household", task["id"])["data"]
    assert draft["c1a"] == "7" and draft["c2a"] == "15" and draft["c1b"] is None
    assert draft["evidence_c1"] == [] and draft["note"] == "Còn thiếu giấy khen của cháu"


def test_the_draft_wins_over_pre_filled_values_and_discarding_brings_them_back(web, api, commune_task):
    task_id = commune_task["id"]
    web.login("demo-commune")
    assert input_value(web.get(f"/tasks/{task_id}").get_data(as_text=True), "c2a") == "8"
    assert put_draft(api, "demo-commune", task_id, {"data": {"c2a": 3, "c2b": None}}).status_code == 200
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert input_value(page, "c2a") == "3"
    assert input_value(page, "c2b") == ""  # emptied in the draft: stays empty
    assert input_value(page, "c2c") == "8"  # not in the draft: still pre-filled
    discarded = web.post(f"/tasks/{task_id}", {"action": "discard_draft"})
    assert discarded.status_code == 302 and discarded.headers["Location"] == f"/tasks/{task_id}"
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Đã bỏ bản nháp." in page and 'data-testid="discard-draft"' not in page
    assert input_value(page, "c2a") == "8"
    assert draft_of(api, "demo-commune", task_id) is None


def test_discarding_through_the_api(api, app, commune_task):
    task_id = commune_task["id"]
    put_draft(api, "demo-commune", task_id, {"data": {"c1a": 5}})
    assert delete_draft(api, "demo-commune", task_id).status_code == 204
    assert draft_of(api, "demo-commune", task_id) is None
    assert delete_draft(api, "demo-commune", task_id).status_code == 204  # nothing left: still fine
    assert stored_drafts(app, task_id) == []


def test_a_draft_is_its_authors_alone(web, api, app, commune_task, other_official):
    task_id = commune_task["id"]
    assert put_draft(api, "demo-commune", task_id, {"data": {"c1a": 5}}).status_code == 200
    # Another official of the same commune acts on the same task but does not see the draft...
    assert draft_of(api, OTHER, task_id) is None
    other_web = type(web)(app)
    other_web.login(OTHER, OTHER_PASSWORD)
    page = other_web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert input_value(page, "c1a") == "8" and 'data-testid="discard-draft"' not in page
    # ...and, while nobody has claimed the task, saves a draft of their own beside it.
    assert put_draft(api, OTHER, task_id, {"data": {"c1a": 2}}).status_code == 200
    assert draft_of(api, "demo-commune", task_id)["data"] == {"c1a": 5}
    # Discarding one's own draft leaves the other's alone.
    assert delete_draft(api, OTHER, task_id).status_code == 204
    assert stored_drafts(app, task_id) == [("demo-commune", {"c1a": 5})]


def test_a_claimed_task_takes_drafts_from_its_claimer_only(web, api, app, commune_task, other_official):
    task_id = commune_task["id"]
    assert api.post("demo-commune", f"/tasks/{task_id}/claim").status_code == 200
    assert put_draft(api, "demo-commune", task_id, {"data": {"c1a": 5}}).status_code == 200
    refused = put_draft(api, OTHER, task_id, {"data": {"c1a": 0}})
    assert refused.status_code == 409
    assert "Cán bộ xã An Hòa" in refused.get_json()["error"]["message"]
    other_web = type(web)(app)
    other_web.login(OTHER, OTHER_PASSWORD)
    on_page = other_web.post(f"/tasks/{task_id}", {"c1a": "0", "action": "save_draft"})
    assert on_page.status_code == 302
    assert on_page.headers["Location"] == f"/dossiers/{commune_task['dossier_id']}"
    assert stored_drafts(app, task_id) == [("demo-commune", {"c1a": 5})]


@pytest.mark.parametrize(
    "username", ["demo-commune-b", "demo-commune-c", "demo-household-b", "demo-household"]
)
def test_outside_jurisdiction_a_draft_is_not_found(api, app, commune_task, username):
    task_id = commune_task["id"]
    assert put_draft(api, username, task_id, {"data": {"c1a": 5}}).status_code == 404
    assert delete_draft(api, username, task_id).status_code == 404
    assert api.get(username, f"/tasks/{task_id}").status_code == 404
    assert put_draft(api, username, 999_999, {"data": {}}).status_code == 404
    assert stored_drafts(app, task_id) == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data": None},
        {"data": [1, 2]},
        {"data": "c1a=5"},
        {"data": {"c1a": {"nested": 1}}},
        {"data": {"c1a": [[1]]}},
        {"data": {f"k{i}": 1 for i in range(201)}},
        {"data": {"comment": "x" * 100_001}},
    ],
    ids=["no data", "null", "list", "string", "object value", "nested list", "201 keys", "over 100 kB"],
)
def test_a_draft_that_is_not_a_bounded_object_of_values_is_refused(api, app, commune_task, body):
    task_id = commune_task["id"]
    response = put_draft(api, "demo-commune", task_id, body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["data"]
    assert stored_drafts(app, task_id) == []


def test_a_body_that_is_not_json_or_carries_nan_is_refused(api, app, commune_task):
    task_id = commune_task["id"]
    headers = {**api.headers("demo-commune"), "Content-Type": "application/json"}
    for raw in ('{"data": {"c1a": NaN}}', "not json"):
        response = api.client.put(f"/api/v1/tasks/{task_id}/draft", headers=headers, data=raw)
        assert response.status_code == 422, raw
    assert stored_drafts(app, task_id) == []


def test_an_oversized_draft_on_the_page_keeps_what_was_typed(web, api, app, commune_task):
    task_id = commune_task["id"]
    web.login("demo-commune")
    data = {k: str(v) for k, v in commune_accept(6).items()}
    data.update(comment="x" * 100_001, action="save_draft")
    response = web.post(f"/tasks/{task_id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Bản nháp quá lớn" in page and input_value(page, "c1a") == "6"
    assert stored_drafts(app, task_id) == []


def test_invalid_values_are_kept_in_a_draft_but_completing_with_them_still_fails(web, api, commune_task):
    task_id = commune_task["id"]
    invalid = commune_accept(9, c1a=15, c2a=-3)
    assert put_draft(api, "demo-commune", task_id, {"data": invalid}).status_code == 200
    refused = api.post("demo-commune", f"/tasks/{task_id}/complete", json={"data": invalid})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"c1a", "c2a"}
    web.login("demo-commune")
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert input_value(page, "c1a") == "15" and input_value(page, "c2a") == "-3"
    on_page = web.post(f"/tasks/{task_id}", {k: str(v) for k, v in invalid.items()})
    assert on_page.status_code == 422
    page = on_page.get_data(as_text=True)
    # What was just posted is shown, not the draft; the draft can still be discarded.
    assert "Đang hiển thị bản nháp" not in page and 'data-testid="discard-draft"' in page
    # The failed completions changed nothing: the draft is still there.
    assert draft_of(api, "demo-commune", task_id)["data"] == invalid


def test_completing_the_task_deletes_every_draft_of_it(web, api, app, commune_task, other_official):
    task_id = commune_task["id"]
    put_draft(api, "demo-commune", task_id, {"data": {"c1a": 5}})
    put_draft(api, OTHER, task_id, {"data": {"c1a": 2}})
    assert len(stored_drafts(app, task_id)) == 2
    web.login("demo-commune")
    data = {k: str(v) for k, v in commune_accept(9).items()}
    assert web.post(f"/tasks/{task_id}", data).status_code == 302
    assert stored_drafts(app, task_id) == []
    # A completed task takes no new draft either.
    closed = put_draft(api, "demo-commune", task_id, {"data": {"c1a": 5}})
    assert closed.status_code == 409
    assert draft_of(api, "demo-commune", task_id) is None


def test_the_openapi_document_describes_drafts(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    draft = paths["/tasks/{id}/draft"]
    assert set(draft) == {"put", "delete"}
    assert {"200", "404", "409", "422"} <= set(draft["put"]["responses"])
    assert "204" in draft["delete"]["responses"]

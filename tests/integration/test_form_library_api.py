"""The form library over the API: drafts change freely, publishing makes immutable versions, a
procedure version pins the versions it uses, and a dossier keeps rendering and scoring with its own."""

import copy
import io
import json
from pathlib import Path

from tests.procedure_factory import FORMS, MANIFEST, TITLE, package_files, zip_bytes

ROOT = Path(__file__).resolve().parents[2]
COMMUNE_SCORING = json.loads((ROOT / "bpmn/gia_dinh_hoc_tap/forms/commune_scoring.json").read_text("utf-8"))

# The reading-star report with a scored criterion, as an admin would build it in the library.
BOOKS_V1 = {
    **FORMS["books_report"],
    "fields": [
        *FORMS["books_report"]["fields"],
        {
            "name": "reading",
            "type": "score",
            "max_points": 10,
            "criterion": "habit",
            "label": {"vi": "Đọc sách thường xuyên", "en": "Reads regularly"},
        },
    ],
    "scoring": {
        "criteria": [
            {"key": "habit", "label": {"vi": "Thói quen đọc", "en": "Reading habit"}, "max_points": 10}
        ],
        "pass_total": 5,
    },
}


def books_v2() -> dict:
    """The next version: twice the points, other words."""
    definition = copy.deepcopy(BOOKS_V1)
    reading = definition["fields"][-1]
    reading["max_points"] = 20
    reading["label"] = {"vi": "Đọc sách hằng ngày", "en": "Reads every day"}
    definition["scoring"]["criteria"][0]["max_points"] = 20
    definition["scoring"]["pass_total"] = 10
    return definition


def put(api, user, path, **kwargs):
    return api.client.put(f"/api/v1{path}", headers=api.headers(user), **kwargs)


def delete(api, user, path):
    return api.client.delete(f"/api/v1{path}", headers=api.headers(user))


def create_and_publish(api, definition) -> dict:
    created = api.post("demo-admin", "/forms", json=definition)
    assert created.status_code == 201, created.get_json()
    published = api.post("demo-admin", f"/forms/{definition['key']}/publish")
    assert published.status_code == 201, published.get_json()
    return published.get_json()


def library_item(api, key: str) -> dict:
    response = api.get("demo-admin", "/forms")
    assert response.status_code == 200, response.get_json()
    return next(item for item in response.get_json()["items"] if item["key"] == key)


def counts(app):
    from app.extensions import db
    from app.models import FormDefinition, FormVersion

    with app.app_context():
        return tuple(db.session.scalar(db.select(db.func.count(m.id))) for m in (FormDefinition, FormVersion))


def audit_actions(app, key: str) -> list[str]:
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action.like("form.%")).order_by(AuditEvent.id)
        )
        return [event.action for event in events if event.details.get("form") == key]


def test_a_draft_is_created_published_read_and_republished(app, api, client):
    created = api.post("demo-admin", "/forms", json=BOOKS_V1)
    assert created.status_code == 201
    assert created.get_json() == {"key": "books_report", "version": None, "problems": []}
    item = library_item(api, "books_report")
    assert item == {"key": "books_report", "title": "Báo cáo số sách đã đọc", "versions": [], "draft": True}
    assert api.get("demo-admin", "/forms/books_report/draft").get_json()["definition"] == BOOKS_V1
    assert api.post("demo-admin", "/forms", json=BOOKS_V1).status_code == 409

    first = api.post("demo-admin", "/forms/books_report/publish")
    assert (first.status_code, first.get_json()) == (201, {"key": "books_report", "version": 1})
    item = library_item(api, "books_report")
    assert item["draft"] is False
    assert [(v["version"], v["published_by"], v["used_by"]) for v in item["versions"]] == [
        (1, "demo-admin", [])
    ]
    assert api.get("demo-admin", "/forms/books_report/draft").status_code == 404
    assert api.post("demo-admin", "/forms/books_report/publish").status_code == 409
    version = api.get("demo-admin", "/forms/books_report/versions/1")
    assert version.get_json() == {"key": "books_report", "version": 1, "definition": BOOKS_V1}

    # Publishing a draft identical to the latest version gives that version back and clears the draft.
    assert put(api, "demo-admin", "/forms/books_report/draft", json=BOOKS_V1).status_code == 200
    again = api.post("demo-admin", "/forms/books_report/publish")
    assert (again.status_code, again.get_json()) == (200, {"key": "books_report", "version": 1})
    assert library_item(api, "books_report")["draft"] is False

    saved = put(api, "demo-admin", "/forms/books_report/draft", json=books_v2())
    assert saved.get_json() == {"key": "books_report", "version": None, "problems": []}
    second = api.post("demo-admin", "/forms/books_report/publish")
    assert (second.status_code, second.get_json()) == (201, {"key": "books_report", "version": 2})
    assert api.get("demo-admin", "/forms/books_report/versions/1").get_json()["definition"] == BOOKS_V1
    assert api.get("demo-admin", "/forms/books_report/versions/2").get_json()["definition"] == books_v2()
    assert [v["version"] for v in library_item(api, "books_report")["versions"]] == [1, 2]

    assert put(api, "demo-admin", "/forms/books_report/draft", json=BOOKS_V1).status_code == 200
    assert delete(api, "demo-admin", "/forms/books_report/draft").status_code == 204
    assert api.get("demo-admin", "/forms/books_report/draft").status_code == 404
    assert delete(api, "demo-admin", "/forms/books_report/draft").status_code == 404

    assert api.get("demo-admin", "/forms/books_report/versions/3").status_code == 404
    assert api.get("demo-admin", "/forms/no_such_form/versions/1").status_code == 404
    assert put(api, "demo-admin", "/forms/no_such_form/draft", json=BOOKS_V1).status_code == 404
    # The definition format's schema stays public and is not taken for a form key.
    schema = client.get("/api/v1/forms/schema.json")
    assert schema.status_code == 200 and "$schema" in schema.get_json()

    assert audit_actions(app, "books_report") == [
        "form.created",
        "form.published",
        "form.draft_saved",
        "form.draft_discarded",
        "form.draft_saved",
        "form.published",
        "form.draft_saved",
        "form.draft_discarded",
    ]


def test_only_admins_may_use_the_form_library(app, api, client):
    create_and_publish(api, BOOKS_V1)
    before = counts(app)
    for user in ("demo-household", "demo-commune", "demo-city"):
        calls = [
            api.get(user, "/forms"),
            api.post(user, "/forms", json={**BOOKS_V1, "key": "other_form"}),
            api.get(user, "/forms/books_report/draft"),
            put(api, user, "/forms/books_report/draft", json=BOOKS_V1),
            delete(api, user, "/forms/books_report/draft"),
            api.post(user, "/forms/books_report/publish"),
            api.get(user, "/forms/books_report/versions/1"),
            api.post(user, "/forms/books_report/versions/1/score", json={"data": {"books": 1}}),
        ]
        assert [r.status_code for r in calls] == [403] * len(calls), user
        assert calls[0].get_json()["error"]["message"] == "Chỉ quản trị hệ thống được quản lý biểu mẫu."
    assert client.get("/api/v1/forms").status_code == 401
    assert counts(app) == before


def test_malformed_definitions_are_refused_with_paths_and_nothing_is_stored(app, api):
    before = counts(app)
    response = api.post("demo-admin", "/forms", json={"key": "Bad Key", "title": 5, "fields": {}})
    assert response.status_code == 422
    assert {e["path"] for e in response.get_json()["errors"]} == {"key", "title", "fields"}
    assert all(e["message"] for e in response.get_json()["errors"])
    not_object = api.post("demo-admin", "/forms", json=[BOOKS_V1])
    assert not_object.status_code == 422 and not_object.get_json()["errors"][0]["path"] == ""
    not_json = api.post("demo-admin", "/forms", data="{", content_type="application/json")
    assert not_json.status_code == 422 and not_json.get_json()["errors"][0]["path"] == ""
    assert counts(app) == before


def test_a_draft_may_be_unfinished_but_publishing_requires_a_valid_definition(app, api):
    unfinished = copy.deepcopy(BOOKS_V1)
    unfinished["fields"][0]["min"] = 2000  # above its max
    unfinished["scoring"]["pass_total"] = 11  # above the 10 points there are
    created = api.post("demo-admin", "/forms", json=unfinished)
    assert created.status_code == 201
    problems = created.get_json()["problems"]
    assert [p["path"] for p in problems] == ["fields[0].min", "scoring.pass_total"]
    assert problems[1]["message"] == "11 lớn hơn tổng điểm tối đa (10)."
    before = counts(app)

    refused = api.post("demo-admin", "/forms/books_report/publish")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == problems
    assert counts(app) == before
    # The draft is kept for the admin to fix.
    draft = api.get("demo-admin", "/forms/books_report/draft").get_json()
    assert draft["definition"] == unfinished and draft["problems"] == problems

    renamed = put(api, "demo-admin", "/forms/books_report/draft", json={**BOOKS_V1, "key": "another"})
    assert renamed.status_code == 422 and renamed.get_json()["errors"][0]["path"] == "key"
    assert put(api, "demo-admin", "/forms/books_report/draft", json=BOOKS_V1).status_code == 200
    assert api.post("demo-admin", "/forms/books_report/publish").status_code == 201


def _commune_data(**points) -> dict:
    """The commune's scoring with every sub-item at its maximum unless given."""
    items = {f["name"]: f["max_points"] for f in COMMUNE_SCORING["fields"] if f["type"] == "score"}
    return {"decision": "accept", **{name: points.get(name, top) for name, top in items.items()}}


def test_the_score_preview_of_the_shipped_commune_scoring_form(api):
    create_and_publish(api, COMMUNE_SCORING)
    path = "/forms/commune_scoring/versions/1/score"
    max_total = sum(c["max_points"] for c in COMMUNE_SCORING["scoring"]["criteria"])

    full = api.post("demo-admin", path, json={"data": _commune_data()})
    assert full.status_code == 200, full.get_json()
    body = full.get_json()
    assert (body["score"]["total"], body["score"]["max_total"]) == (max_total, max_total)
    assert body["outcome"] == {"passed": True, "rating": body["score"]["rating"], "shortfalls": []}

    # The children's criterion at nothing: under its floor, and the total under the threshold.
    failing = api.post("demo-admin", path, json={"data": _commune_data(c1a=0, c1b=0, c1c=0)}).get_json()
    assert failing["score"]["total"] == max_total - 30
    assert failing["outcome"]["passed"] is False and failing["outcome"]["shortfalls"]
    english = api.post(
        "demo-admin",
        path,
        json={"data": _commune_data(c1a=0, c1b=0, c1c=0)},
        headers={"Accept-Language": "en"},
    ).get_json()
    assert english["score"]["total"] == failing["score"]["total"]
    assert english["outcome"]["shortfalls"] != failing["outcome"]["shortfalls"]

    # A return scores nothing, as the step itself would record no score.
    returned = api.post(
        "demo-admin", path, json={"data": {"decision": "return_to_household", "comment": "Thiếu học bạ"}}
    )
    assert returned.status_code == 200 and returned.get_json()["score"] is None

    too_many = api.post("demo-admin", path, json={"data": _commune_data(c1a=11)})
    assert too_many.status_code == 422 and "c1a" in too_many.get_json()["errors"]
    assert api.post("demo-admin", path, json={"data": "all"}).status_code == 422
    assert (
        api.post("demo-admin", "/forms/commune_scoring/versions/2/score", json={"data": {}}).status_code
        == 404
    )


def upload(api, files):
    response = api.post(
        "demo-admin", "/procedures", data={"package": (io.BytesIO(zip_bytes(files)), "goi.zip")}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scored_package(books: dict) -> dict:
    """The reading-star package whose report form is ``books`` and whose report is the self-score."""
    manifest = copy.deepcopy(MANIFEST)
    manifest["tasks"]["report_books"]["scores"] = "self"
    return package_files(
        **{
            "procedure.json": json.dumps(manifest, ensure_ascii=False).encode(),
            "forms/books_report.json": json.dumps(books, ensure_ascii=False).encode(),
        }
    )


def form_keys(app) -> set[str]:
    from app.extensions import db
    from app.models import FormDefinition

    with app.app_context():
        return set(db.session.scalars(db.select(FormDefinition.key)))


def test_a_package_form_identical_to_a_library_version_pins_that_version(app, api):
    create_and_publish(api, BOOKS_V1)
    assert upload(api, scored_package(BOOKS_V1))["version"] == 1
    used = library_item(api, "books_report")["versions"][0]["used_by"]
    assert used == [{"procedure": "ngoi_sao_doc_sach", "version": 1}]
    # Only the form the library does not hold becomes the package's own copy.
    assert "ngoi_sao_doc_sach.books_confirm" in form_keys(app)
    assert "ngoi_sao_doc_sach.books_report" not in form_keys(app)

    # A package form that differs from every library version is the package's own, as before.
    upload(api, scored_package(books_v2()))
    assert "ngoi_sao_doc_sach.books_report" in form_keys(app)
    assert [v["used_by"] for v in library_item(api, "books_report")["versions"]] == [used]


def submissions(app, dossier_id: int) -> list[tuple[int, int, int]]:
    """(form version, total, max total) of a dossier's scored submissions, oldest first."""
    from app.extensions import db
    from app.models import Submission

    with app.app_context():
        rows = db.session.scalars(
            db.select(Submission).where(Submission.dossier_id == dossier_id).order_by(Submission.id)
        )
        return [
            (row.form_version.version, row.score["total"], row.score["max_total"])
            for row in rows
            if row.score
        ]


def open_dossier(api, year: int) -> int:
    response = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": year})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def report_form(api, dossier_id: int) -> dict:
    task = api.task_for("demo-household", dossier_id, "report_books")
    return api.get("demo-household", f"/tasks/{task['id']}").get_json()["form"]


def reading_field(form: dict) -> dict:
    return next(field for field in form["fields"] if field["name"] == "reading")


def test_republishing_a_form_leaves_dossiers_already_filled_with_their_version(app, api, web):
    create_and_publish(api, BOOKS_V1)
    upload(api, scored_package(BOOKS_V1))
    filled = open_dossier(api, 2026)
    api.complete("demo-household", filled, "report_books", {"books": 14, "reading": 8})

    assert create_and_publish_next(api, books_v2()) == {"key": "books_report", "version": 2}
    # Publishing alone changes nothing running: a dossier opened now still gets version 1.
    before_activation = open_dossier(api, 2027)
    assert reading_field(report_form(api, before_activation))["max_points"] == 10

    assert upload(api, scored_package(books_v2()))["version"] == 2
    activated = api.post(
        "demo-admin", "/procedures/ngoi_sao_doc_sach/versions/2/activate", json={"province": None}
    )
    assert activated.status_code == 200, activated.get_json()
    assert library_item(api, "books_report")["versions"][1]["used_by"] == [
        {"procedure": "ngoi_sao_doc_sach", "version": 2}
    ]

    # The dossier filled in with version 1 is returned and filled in again: still version 1.
    api.complete(
        "demo-commune", filled, "confirm_books", {"decision": "return", "books": 14, "comment": "Thiếu sổ"}
    )
    form = report_form(api, filled)
    assert form["version"] == 1
    assert (reading_field(form)["max_points"], reading_field(form)["label"]) == (10, "Đọc sách thường xuyên")
    task = api.task_for("demo-household", filled, "report_books")
    over = api.post(
        "demo-household", f"/tasks/{task['id']}/complete", json={"data": {"books": 14, "reading": 15}}
    )
    assert over.status_code == 422 and "reading" in over.get_json()["errors"]
    api.complete("demo-household", filled, "report_books", {"books": 14, "reading": 10})
    assert submissions(app, filled) == [(1, 8, 10), (1, 10, 10)]

    web.login("demo-household")
    page = web.get(f"/dossiers/{filled}").get_data(as_text=True)
    assert "Đọc sách thường xuyên" in page and "Đọc sách hằng ngày" not in page

    # A dossier opened under the new procedure version fills in and scores with version 2.
    fresh = open_dossier(api, 2028)
    form = report_form(api, fresh)
    assert form["version"] == 2 and reading_field(form)["max_points"] == 20
    api.complete("demo-household", fresh, "report_books", {"books": 3, "reading": 15})
    assert submissions(app, fresh) == [(2, 15, 20)]
    page = web.get(f"/dossiers/{fresh}").get_data(as_text=True)
    assert "Đọc sách hằng ngày" in page and "Đọc sách thường xuyên" not in page


def create_and_publish_next(api, definition) -> dict:
    saved = put(api, "demo-admin", f"/forms/{definition['key']}/draft", json=definition)
    assert saved.status_code == 200, saved.get_json()
    published = api.post("demo-admin", f"/forms/{definition['key']}/publish")
    assert published.status_code == 201, published.get_json()
    return published.get_json()


def test_the_openapi_document_lists_the_form_library(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/forms"]) and {"get", "put", "delete"} <= set(
        paths["/forms/{key}/draft"]
    )
    assert (
        "post" in paths["/forms/{key}/publish"] and "post" in paths["/forms/{key}/versions/{version}/score"]
    )
    assert "/forms/schema.json" in paths and "get" in paths["/forms/{key}/versions/{version}"]

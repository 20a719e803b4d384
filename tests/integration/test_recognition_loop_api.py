"""The whole recognition loop through the JSON API, one test per outcome."""

import pytest

from tests.helpers import (
    city,
    commune_accept,
    commune_return,
    district,
    self_report,
)


def test_household_to_city_commendation_with_one_return_for_more_evidence(api):
    dossier_id = api.open_dossier()
    assert api.dossier("demo-household", dossier_id)["status"] == "in_progress"

    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    returned = api.complete("demo-commune", dossier_id, "commune_scoring", commune_return("Thiếu học bạ"))
    assert returned["status"] == "returned"
    assert returned["status_reason"] == "Thiếu học bạ"
    assert [t["name"] for t in returned["current_tasks"]] == ["self_report"]

    # The household sees its previous answers pre-filled when it comes back.
    task = api.task_for("demo-household", dossier_id, "self_report")
    detail = api.get("demo-household", f"/tasks/{task['id']}").get_json()
    assert detail["data"]["c1a"] == 9
    assert detail["form"]["key"] == "self_report"
    assert {"name", "type", "label", "required", "min", "max", "choices", "max_points"} <= set(
        detail["form"]["fields"][1]
    )

    api.complete("demo-household", dossier_id, "self_report", self_report(10, c4b=8))
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    prefilled = api.get("demo-commune", f"/tasks/{task['id']}").get_json()["data"]
    assert prefilled["c4b"] == 8, "the official score form starts from the self-score"

    scored = api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9, c1a=10))
    assert scored["self_score"] == 98
    assert scored["score"] == 91
    assert scored["rating"] == "tot"
    assert [t["name"] for t in scored["current_tasks"]] == ["district_verification"]

    verified = api.complete("demo-district", dossier_id, "district_verification", district("approve"))
    assert [t["name"] for t in verified["current_tasks"]] == ["city_commendation"]

    final = api.complete("demo-city", dossier_id, "city_commendation", city())
    assert final["status"] == "recognized"
    assert final["current_tasks"] == []
    assert final["self_score"] == 98 and final["score"] == 91

    actions = [(h["actor"], h["action"], h["details"].get("task")) for h in final["history"]]
    assert actions[0] == ("demo-household", "dossier.opened", None)
    completed = [a for a in actions if a[1] == "task.completed"]
    assert [a[2] for a in completed] == [
        "self_report",
        "commune_scoring",
        "self_report",
        "commune_scoring",
        "district_verification",
        "city_commendation",
    ]
    assert actions[-1] == (None, "dossier.recognized", None)
    assert all(h["at"] for h in final["history"])


def test_score_below_threshold_ends_not_recognized_right_after_commune_scoring(api, app_ctx):
    from app.extensions import db
    from app.models import Notification, User

    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    result = api.complete(
        "demo-commune", dossier_id, "commune_scoring", commune_accept(8, c2a=3, c2b=3, c2c=3)
    )
    assert result["status"] == "not_recognized"
    assert result["current_tasks"] == []
    assert result["score"] == 7 * 8 + 3 * 3 == 65
    assert result["rating"] == "khong_dat"
    assert "65/100" in result["status_reason"] and "80" in result["status_reason"]
    assert "Tiêu chí 2" in result["status_reason"]

    household = db.session.scalar(db.select(User).where(User.username == "demo-household"))
    told = db.session.scalars(
        db.select(Notification).where(
            Notification.user_id == household.id, Notification.kind == "dossier_outcome"
        )
    ).all()
    assert len(told) == 1
    assert told[0].params["status"] == "not_recognized"
    assert "65/100" in told[0].params["reason"]


def test_criterion_below_half_fails_even_with_a_passing_total(api):
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    # 10 on everything except criterion 3 (max 20) at 4+4 = 8 < 10: total 88 but a floor is missed.
    result = api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(10, c3a=4, c3b=4))
    assert result["score"] == 88
    assert result["status"] == "not_recognized"
    assert "Tiêu chí 3" in result["status_reason"]


def test_district_rejection_ends_rejected_with_its_reason_in_the_history(api):
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9))
    result = api.complete(
        "demo-district",
        dossier_id,
        "district_verification",
        district("reject", "Minh chứng không trung thực"),
    )
    assert result["status"] == "rejected"
    assert result["status_reason"] == "Minh chứng không trung thực"
    rejection = [h for h in result["history"] if h["details"].get("task") == "district_verification"]
    assert rejection[0]["actor"] == "demo-district"
    assert rejection[0]["details"]["decision"] == "reject"
    final = [h for h in result["history"] if h["action"] == "dossier.rejected"]
    assert final and final[0]["details"]["reason"] == "Minh chứng không trung thực"


def test_district_can_return_the_dossier_to_the_commune(api):
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9))
    result = api.complete(
        "demo-district",
        dossier_id,
        "district_verification",
        district("return_to_commune", "Chấm lại tiêu chí 4"),
    )
    assert result["status"] == "in_progress"
    assert [t["name"] for t in result["current_tasks"]] == ["commune_scoring"]
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    prefilled = api.get("demo-commune", f"/tasks/{task['id']}").get_json()["data"]
    assert prefilled["decision"] == "accept" and prefilled["c1a"] == 9


def test_a_second_dossier_for_the_same_subject_title_and_year_is_refused(api):
    api.open_dossier()
    response = api.post("demo-household", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026})
    assert response.status_code == 409
    assert "2026" in response.get_json()["error"]["message"]
    assert (
        api.post("demo-household", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2027}).status_code
        == 201
    )


def test_openapi_document_describes_the_contract(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    for path in (
        "/auth/token",
        "/tasks",
        "/tasks/{id}",
        "/tasks/{id}/claim",
        "/tasks/{id}/release",
        "/tasks/{id}/complete",
        "/dossiers",
        "/dossiers/{id}",
        "/dossiers/{id}/evidence",
    ):
        assert path in document["paths"], path
    assert "422" in document["paths"]["/tasks/{id}/complete"]["post"]["responses"]


def test_openapi_document_states_every_answer_and_limit(client):
    from app.services.dossiers import MAX_YEAR, MIN_YEAR

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = [operation for path in paths.values() for operation in path.values()]
    # A NUL character or JSON nested too deep is refused before any view, whatever the operation.
    assert all("400" in operation["responses"] for operation in operations)
    assert all("413" in operation["responses"] for operation in operations if "requestBody" in operation)
    assert {"401", "422", "429"} <= set(paths["/auth/token"]["post"]["responses"])
    opened = paths["/dossiers"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    year = opened["properties"]["year"]
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", MIN_YEAR, MAX_YEAR)
    listed = {p["name"]: p["schema"] for p in paths["/dossiers"]["get"]["parameters"]}
    assert (listed["year"]["minimum"], listed["year"]["maximum"]) == (MIN_YEAR, MAX_YEAR)


def test_a_method_a_path_lacks_is_405_naming_the_ones_it_has(client):
    response = client.delete("/api/v1/tasks")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"].split(", ")
    assert response.get_json()["error"]["status"] == 405


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"per_page": "201"}, {"page": "abc"}, {"sort": "AAA"}, {"overdue": "maybe"}],
)
def test_inbox_parameters_out_of_range_are_refused(api, query):
    response = api.get("demo-commune", "/tasks", query_string=query)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(query)


@pytest.mark.parametrize("query", [{"year": "1999"}, {"year": "x"}, {"status": "open"}, {"page": "0"}])
def test_dossier_list_parameters_out_of_range_are_refused(api, query):
    response = api.get("demo-household", "/dossiers", query_string=query)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(query)


def test_an_empty_query_parameter_counts_as_not_given(api):
    response = api.get("demo-household", "/dossiers", query_string={"year": "", "status": "", "page": ""})
    assert response.status_code == 200


def test_wrong_password_gets_401(client):
    response = client.post("/api/v1/auth/token", json={"username": "demo-household", "password": "nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"]


def test_file_fields_take_evidence_ids_uploaded_through_the_api(api):
    import io

    dossier_id = api.open_dossier()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
    uploaded = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(png), "goc-hoc-tap.png"), "criterion": "c3"},
    )
    assert uploaded.status_code == 201
    evidence = uploaded.get_json()
    assert len(evidence["sha256"]) == 64 and evidence["mime_type"] == "image/png"
    api.complete(
        "demo-household", dossier_id, "self_report", {**self_report(9), "evidence_c3": [evidence["id"]]}
    )
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    detail = api.get("demo-commune", f"/tasks/{task['id']}").get_json()
    assert detail["form"]["key"] == "commune_scoring"
    from app.extensions import db
    from app.models import Submission

    with api.client.application.app_context():
        stored = db.session.scalars(db.select(Submission).where(Submission.task_name == "self_report")).one()
        assert stored.data["evidence_c3"] == [evidence["id"]]

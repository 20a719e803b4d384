"""Nobody sees what lies outside their jurisdiction; the answer is 404, never 403."""

from tests.helpers import commune_accept, self_report, walk


def test_commune_officer_of_another_commune_gets_404_for_task_and_dossier(api):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")

    assert api.get("demo-commune-b", f"/tasks/{task['id']}").status_code == 404
    assert api.get("demo-commune-b", f"/dossiers/{dossier_id}").status_code == 404
    for action in ("claim", "release", "complete"):
        response = api.post(
            "demo-commune-b", f"/tasks/{task['id']}/{action}", json={"data": commune_accept()}
        )
        assert response.status_code == 404, action
    evidence = api.post(
        "demo-commune-b",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (__import__("io").BytesIO(b"%PDF-1.4\n"), "a.pdf")},
    )
    assert evidence.status_code == 404
    assert api.dossier("demo-commune", dossier_id)["current_tasks"][0]["name"] == "commune_scoring"


def test_commune_officer_of_another_commune_sees_none_of_its_tasks(api):
    walk(api, to="commune_scoring")
    walk(api, to="commune_scoring", year=2027)
    mine = api.get("demo-commune", "/tasks").get_json()
    assert mine["total"] == 2
    other = api.get("demo-commune-b", "/tasks").get_json()
    assert other == {**other, "items": [], "total": 0}
    assert api.get("demo-commune-b", "/dossiers").get_json()["total"] == 0


def test_household_sees_only_its_own_dossiers(api):
    own = api.open_dossier("demo-household")
    other = api.open_dossier("demo-household-b")
    assert api.get("demo-household", f"/dossiers/{other}").status_code == 404
    assert api.get("demo-household-b", f"/dossiers/{own}").status_code == 404
    listed = api.get("demo-household", "/dossiers").get_json()
    assert [d["id"] for d in listed["items"]] == [own]
    tasks = api.get("demo-household", "/tasks").get_json()["items"]
    assert {t["dossier_id"] for t in tasks} == {own}


def test_household_cannot_work_on_official_steps(api):
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report())
    commune_task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    response = api.post(
        "demo-household", f"/tasks/{commune_task['id']}/complete", json={"data": commune_accept()}
    )
    assert response.status_code == 404


def test_district_officer_sees_the_communes_below_but_city_tasks_are_not_theirs(api):
    dossier_id = walk(api, to="district_verification")
    assert api.task_for("demo-district", dossier_id, "district_verification")
    assert api.get("demo-district", f"/dossiers/{dossier_id}").status_code == 200
    assert api.get("demo-city", "/tasks").get_json()["total"] == 0
    assert api.get("demo-commune", "/tasks").get_json()["total"] == 0


def test_unknown_ids_get_404(api):
    assert api.get("demo-commune", "/tasks/999999").status_code == 404
    assert api.get("demo-commune", "/dossiers/999999").status_code == 404
    assert api.post("demo-commune", "/tasks/999999/complete", json={"data": {}}).status_code == 404

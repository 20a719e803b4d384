"""Moving running dossiers between versions (dry run, real run, refusal) and the what-if replay."""

import dataclasses
import json

from tests.conftest import ROOT
from tests.helpers import city, commune_accept, district, self_report
from tests.integration.test_procedure_library_api import upload
from tests.procedure_factory import BPMN, TITLE, package_files

# v2 of the reading-star procedure adds a second check by the commune after the confirmation.
DOUBLE_CHECK = BPMN.replace(
    '<bpmn:sequenceFlow id="flow_confirmed" sourceRef="confirm_gateway" targetRef="decide_star" />',
    '<bpmn:sequenceFlow id="flow_confirmed" sourceRef="confirm_gateway" targetRef="double_check" />'
    '<bpmn:userTask id="double_check" name="Kiểm tra lại" camunda:formKey="books_confirm" />'
    '<bpmn:sequenceFlow id="flow_double_checked" sourceRef="double_check" targetRef="decide_star" />',
).replace(
    "<bpmn:flowNodeRef>confirm_books</bpmn:flowNodeRef>",
    "<bpmn:flowNodeRef>confirm_books</bpmn:flowNodeRef><bpmn:flowNodeRef>double_check</bpmn:flowNodeRef>",
)
RENAMED = BPMN.replace('"report_books"', '"report_reading"').replace(">report_books<", ">report_reading<")


def _manifest_without(task: str) -> bytes:
    manifest = json.loads(package_files()["procedure.json"])
    del manifest["tasks"][task]
    return json.dumps(manifest).encode()


def _open(api) -> int:
    response = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_dry_run_lists_the_change_and_the_real_move_completes_on_the_new_version(app, api):
    assert upload(api, package_files()).status_code == 201
    dossier_id = _open(api)
    assert upload(api, package_files(**{"process.bpmn": DOUBLE_CHECK.encode()})).get_json()["version"] == 2

    dry = api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 2, "dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    plan = dry.get_json()
    assert plan["safe"] and [s["bpmn_id"] for s in plan["added"]] == ["double_check"]
    assert [(t["bpmn_id"], t["outcome"]) for t in plan["open_tasks"]] == [("report_books", "stays")]
    assert api.dossier("demo-household", dossier_id)["procedure_version"] == 1  # nothing written

    moved = api.post(
        "demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 2, "dry_run": False}
    )
    assert moved.status_code == 200, moved.get_json()
    dossier = api.dossier("demo-household", dossier_id)
    assert dossier["procedure_version"] == 2
    migrated = [e for e in dossier["history"] if e["action"] == "dossier.migrated"]
    assert (
        migrated and migrated[0]["details"]["from_version"] == 1 and migrated[0]["details"]["to_version"] == 2
    )
    assert migrated[0]["actor"] == "demo-admin"

    api.complete("demo-household", dossier_id, "report_books", {"books": 20})
    api.complete("demo-commune", dossier_id, "confirm_books", {"decision": "confirm", "books": 20})
    done = api.complete("demo-commune", dossier_id, "double_check", {"decision": "confirm", "books": 20})
    assert done["status"] == "recognized" and done["procedure_version"] == 2

    from app.extensions import db
    from app.models import Dossier

    with app.app_context():
        assert db.session.get(Dossier, dossier_id).serializer_version == "1.5"


def test_a_claim_survives_the_move(app, api):
    upload(api, package_files())
    dossier_id = _open(api)
    api.complete("demo-household", dossier_id, "report_books", {"books": 3})
    task = api.task_for("demo-commune", dossier_id, "confirm_books")
    assert api.post("demo-commune", f"/tasks/{task['id']}/claim").status_code == 200
    upload(api, package_files(**{"process.bpmn": DOUBLE_CHECK.encode()}))
    moved = api.post(
        "demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 2, "dry_run": False}
    )
    assert moved.status_code == 200, moved.get_json()
    after = api.task_for("demo-commune", dossier_id, "confirm_books")
    assert after["claimed_by"] == "demo-commune"


def test_an_unsafe_move_is_refused_with_the_reason_and_changes_nothing(app, api):
    upload(api, package_files())
    dossier_id = _open(api)
    renamed = package_files(
        **{"process.bpmn": RENAMED.encode(), "procedure.json": _manifest_without("report_books")}
    )
    assert upload(api, renamed).get_json()["version"] == 2
    before = api.dossier("demo-household", dossier_id)

    dry = api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 2, "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["safe"] is False
    assert any("report_books" in reason for reason in dry.get_json()["reasons"])

    refused = api.post(
        "demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 2, "dry_run": False}
    )
    assert refused.status_code == 409
    assert refused.get_json()["reasons"] and "report_books" in refused.get_json()["error"]["message"]
    assert api.dossier("demo-household", dossier_id) == before


def test_migration_input_is_checked_and_only_admins_may_move(api):
    upload(api, package_files())
    dossier_id = _open(api)
    for body in ({"to_version": "2"}, {"to_version": 0}, {"to_version": 2, "dry_run": "yes"}):
        assert api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json=body).status_code == 422
    assert (
        api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 9}).status_code == 404
    )
    assert api.post("demo-admin", "/dossiers/999999/migrate", json={"to_version": 1}).status_code == 404
    for user in ("demo-household", "demo-commune"):
        response = api.post(user, f"/dossiers/{dossier_id}/migrate", json={"to_version": 1})
        assert response.status_code == 403


def _finish_four_level(api, household, commune, district_officer, **scores):
    dossier_id = api.open_dossier(household)
    api.complete(household, dossier_id, "self_report", self_report(9))
    api.complete(commune, dossier_id, "commune_scoring", commune_accept(9, **scores))
    api.complete(district_officer, dossier_id, "district_verification", district("approve"))
    return api.complete("demo-city", dossier_id, "city_commendation", city())


def _stricter_floor_version(app) -> int:
    """The shipped four-level procedure with criteria floors raised from 50% to 60%, deployed, not active."""
    from app.models import utcnow
    from app.services.procedures import deploy_procedure
    from workflow import load_procedure_folder

    package = load_procedure_folder(ROOT / "bpmn" / "gia_dinh_hoc_tap")
    form = json.loads(package.forms["commune_scoring"])
    form["scoring"]["criterion_floor_ratio"] = 0.6
    forms = {**package.forms, "commune_scoring": json.dumps(form).encode()}
    with app.app_context():
        definition, created = deploy_procedure(
            dataclasses.replace(package, forms=forms), actor=None, now=utcnow()
        )
        assert created
        return definition.version


def test_replay_names_the_dossiers_whose_outcome_a_stricter_floor_changes(app, api):
    strong = _finish_four_level(api, "demo-household", "demo-commune", "demo-district")
    # 87 points, criterion 2 at 17 of 30: above half, below 60%.
    borderline = _finish_four_level(
        api,
        "demo-household-b",
        "demo-commune-b",
        "demo-district-b",
        c1a=10,
        c1b=10,
        c1c=10,
        c2a=5,
        c2b=6,
        c2c=6,
        c3a=10,
        c3b=10,
        c4a=10,
        c4b=10,
    )
    assert (strong["status"], borderline["status"], borderline["score"]) == ("recognized", "recognized", 87)
    version = _stricter_floor_version(app)

    response = api.post(
        "demo-admin", f"/procedures/gia_dinh_hoc_tap/versions/{version}/replay", json={"year": 2026}
    )
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["replayed"] == 2
    assert [(c["dossier_id"], c["before"], c["after"]) for c in report["changed"]] == [
        (borderline["id"], "recognized", "not_recognized")
    ]
    assert "Tiêu chí 2" in report["changed"][0]["reason"]
    assert report["summary"] == {"recognized → not_recognized": 1}

    # The same dataset replayed through the version it ran on changes nothing, and nothing was written.
    same = api.post(
        "demo-admin", "/procedures/gia_dinh_hoc_tap/versions/1/replay", json={"year": 2026, "limit": 10}
    )
    assert same.get_json()["changed"] == [] and same.get_json()["replayed"] == 2
    assert api.dossier("demo-household-b", borderline["id"])["status"] == "recognized"


def test_replay_input_is_checked(api):
    for body in ({}, {"year": "2026"}, {"year": 1999}, {"year": 2026, "limit": 0}):
        response = api.post("demo-admin", "/procedures/gia_dinh_hoc_tap/versions/1/replay", json=body)
        assert response.status_code == 422, body
    assert (
        api.post(
            "demo-commune", "/procedures/gia_dinh_hoc_tap/versions/1/replay", json={"year": 2026}
        ).status_code
        == 403
    )


def test_a_batch_moves_all_running_dossiers_or_none(app, api):
    upload(api, package_files())
    first = _open(api)
    second = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2027}).get_json()["id"]
    api.complete("demo-household", second, "report_books", {"books": 30})
    upload(api, package_files(**{"process.bpmn": DOUBLE_CHECK.encode()}))

    path = "/procedures/ngoi_sao_doc_sach/versions/2/migrate"
    dry = api.post("demo-admin", path, json={"from_version": 1, "dry_run": True}).get_json()
    assert [d["dossier_id"] for d in dry["dossiers"]] == [first, second] and dry["unsafe"] == []
    assert api.dossier("demo-household", first)["procedure_version"] == 1

    moved = api.post("demo-admin", path, json={"from_version": 1, "dry_run": False})
    assert moved.status_code == 200, moved.get_json()
    assert {api.dossier("demo-household", d)["procedure_version"] for d in (first, second)} == {2}


def test_one_unsafe_dossier_stops_the_whole_batch(app, api):
    upload(api, package_files())
    waiting = _open(api)  # at report_books, which v2 renames: cannot move
    moving = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2027}).get_json()["id"]
    api.complete("demo-household", moving, "report_books", {"books": 30})  # at confirm_books: could move
    renamed = package_files(
        **{"process.bpmn": RENAMED.encode(), "procedure.json": _manifest_without("report_books")}
    )
    upload(api, renamed)
    path = "/procedures/ngoi_sao_doc_sach/versions/2/migrate"
    dry = api.post("demo-admin", path, json={"from_version": 1, "dry_run": True}).get_json()
    assert [d["dossier_id"] for d in dry["dossiers"]] == [moving]
    assert [u["dossier_id"] for u in dry["unsafe"]] == [waiting]

    refused = api.post("demo-admin", path, json={"from_version": 1, "dry_run": False})
    assert refused.status_code == 409 and refused.get_json()["reasons"]
    assert {api.dossier("demo-household", d)["procedure_version"] for d in (waiting, moving)} == {1}

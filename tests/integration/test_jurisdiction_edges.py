"""Jurisdiction at its edges: what the authorization matrix (demo procedure, demo units) cannot reach.

The matrix covers every role against every dossier of the shipped procedure. Two rules of
``app.services.jurisdiction`` need a world the demo does not have: a procedure may give its applicant's lane
any role name, and a unit path is compared as a literal prefix, never as a LIKE pattern.
"""

import json

from tests.helpers import walk
from tests.integration.test_procedure_library_api import upload
from tests.procedure_factory import MANIFEST, TITLE, package_files


def _lists(api, username: str) -> tuple[set[int], set[int]]:
    tasks = api.get(username, "/tasks", query_string={"per_page": 200})
    dossiers = api.get(username, "/dossiers", query_string={"per_page": 200})
    assert tasks.status_code == dossiers.status_code == 200
    return (
        {task["dossier_id"] for task in tasks.get_json()["items"]},
        {dossier["id"] for dossier in dossiers.get_json()["items"]},
    )


def test_an_applicant_step_named_for_an_official_role_is_only_the_applicants(api):
    # The applicant's lane carries the role name "commune_officer": the commune officer of that very
    # commune holds the name and the unit, yet the step belongs to the household alone.
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["lanes"]["Ứng viên"]["role"] = "commune_officer"
    assert upload(api, package_files(**{"procedure.json": json.dumps(manifest).encode()})).status_code == 201
    opened = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026})
    assert opened.status_code == 201, opened.get_json()
    dossier_id = opened.get_json()["id"]

    task = api.task_for("demo-household", dossier_id, "report_books")
    tasks, dossiers = _lists(api, "demo-commune")
    assert dossier_id in dossiers  # the commune sees the dossier …
    assert dossier_id not in tasks  # … but the household's step is not in its inbox
    completed = api.post("demo-commune", f"/tasks/{task['id']}/complete", json={"data": {"books": 3}})
    assert completed.status_code == 404
    api.complete("demo-household", dossier_id, "report_books", {"books": 3})


def test_a_unit_path_is_a_literal_prefix_not_a_like_pattern(app, api):
    # Paths are built from ids ("/1/7/19/"), so a wildcard can only come from a damaged row; if one ever
    # does, it must widen nobody's jurisdiction.
    from app.extensions import db
    from app.models import AdminUnit

    dossier_id = walk(api, to="commune_scoring")
    with app.app_context():
        unit = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-NA"))
        unit.path = "%"
        db.session.commit()
    assert _lists(api, "demo-commune-b") == (set(), set())
    assert api.get("demo-commune-b", f"/dossiers/{dossier_id}").status_code == 404
    tasks, dossiers = _lists(api, "demo-commune")
    assert dossier_id in tasks and dossier_id in dossiers

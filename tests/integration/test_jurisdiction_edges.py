"""Jurisdiction at its edges: what the authorization matrix (demo procedure, demo units) cannot reach.

The matrix covers every role against every dossier of the shipped procedure, opened by households with
accounts. Three rules of ``app.services.jurisdiction`` need more: a procedure may give its applicant's lane
any role name; a household without an account is served by the commune's desk, and by nobody else; a unit
path is compared as a literal prefix, never as a LIKE pattern.
"""

import json

import pytest
from sqlalchemy import select

from tests.helpers import self_report, walk
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


# A demo household of commune A (An Hòa) that has no account: the desk serves it.
WITHOUT_ACCOUNT = "DEMO-AH-V1-H03"
DESK_YEAR = 2030


def _as(app, username: str):
    from app.extensions import db
    from app.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _subject(app, code: str):
    from app.extensions import db
    from app.models import Subject

    return db.session.scalar(select(Subject).where(Subject.code == code))


def _register_at_desk(app, officer: str = "demo-commune") -> int:
    from app.models import utcnow
    from app.services.desk import register_at_desk

    with app.app_context():
        subject = _subject(app, WITHOUT_ACCOUNT)
        assert subject.account_id is None
        actor = _as(app, officer)
        return register_at_desk(subject.id, "gia_dinh_hoc_tap", DESK_YEAR, actor=actor, now=utcnow()).id


def test_the_desk_serves_a_household_without_an_account_in_its_commune(app, api):
    own = api.open_dossier()  # a household with an account: served by itself, not by the desk
    at_desk = _register_at_desk(app)
    tasks, _dossiers = _lists(api, "demo-commune")
    assert at_desk in tasks and own not in tasks
    assert at_desk not in _lists(api, "demo-commune-b")[0]
    api.complete("demo-commune", at_desk, "self_report", self_report(9))
    assert api.dossier("demo-commune", at_desk)["current_tasks"][0]["name"] == "commune_scoring"


def test_a_household_given_an_account_leaves_the_desk_and_comes_back_when_it_loses_it(app, api):
    from app.extensions import db

    at_desk = _register_at_desk(app)
    task = api.task_for("demo-commune", at_desk, "self_report")
    with app.app_context():
        _subject(app, WITHOUT_ACCOUNT).account_id = _as(app, "demo-household-b").id
        db.session.commit()
    assert at_desk not in _lists(api, "demo-commune")[0]
    assert api.task_for("demo-household-b", at_desk, "self_report")["id"] == task["id"]
    refused = api.post("demo-commune", f"/tasks/{task['id']}/complete", json={"data": self_report(9)})
    assert refused.status_code == 404

    with app.app_context():
        _subject(app, WITHOUT_ACCOUNT).account_id = None
        db.session.commit()
    assert at_desk in _lists(api, "demo-commune")[0]
    api.complete("demo-commune", at_desk, "self_report", self_report(9))


@pytest.mark.parametrize("officer", ["demo-commune-b", "demo-district"])
def test_only_the_desk_of_the_households_commune_registers_for_it(app, officer):
    # Commune B's officer holds the desk role elsewhere; the district officer holds no desk role at all.
    from app.services.errors import NotFound

    with pytest.raises(NotFound):
        _register_at_desk(app, officer)


def test_an_admin_may_open_a_dossier_for_any_household(app):
    from app.models import utcnow
    from app.services.dossiers import open_dossier

    with app.app_context():
        subject = _subject(app, WITHOUT_ACCOUNT)
        dossier = open_dossier(
            subject, "gia_dinh_hoc_tap", DESK_YEAR, actor=_as(app, "demo-admin"), now=utcnow()
        )
        assert dossier.subject_id == subject.id


def test_a_unit_path_is_a_literal_prefix_not_a_like_pattern(app, api):
    # Paths are built from ids ("/1/7/19/"), so a wildcard can only come from a damaged row; if one ever
    # does, it must widen nobody's jurisdiction: not the official's, not the desk's.
    from app.extensions import db
    from app.models import AdminUnit

    dossier_id = walk(api, to="commune_scoring")
    at_desk = _register_at_desk(app)
    with app.app_context():
        unit = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-NA"))
        unit.path = "%"
        db.session.commit()
    assert _lists(api, "demo-commune-b") == (set(), set())
    assert api.get("demo-commune-b", f"/dossiers/{dossier_id}").status_code == 404
    tasks, dossiers = _lists(api, "demo-commune")
    assert {dossier_id, at_desk} <= tasks and dossier_id in dossiers

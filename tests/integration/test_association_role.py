"""Hội Khuyến học (role ``association``) sees its area's dossiers and reports and decides nothing."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask
from tests.helpers import TITLE, YEAR, self_report
from tests.integration.test_decisions import draft, draft_body
from tests.integration.test_two_tier_procedure_api import commune_scores, upload_minutes, village_propose

ASSOCIATION = "demo-association"  # Hội Khuyến học phường Cái Khế


@pytest.fixture
def at_decision(app, api) -> int:
    """A Cái Khế household's dossier waiting for the ward chairman's recognition decision."""
    dossier_id = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": YEAR}).get_json()[
        "id"
    ]
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    minutes = upload_minutes(api, "demo-village-ck1", dossier_id)
    api.complete("demo-village-ck1", dossier_id, "village_review", village_propose(minutes))
    api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(9))
    return dossier_id


def _open_task(app, dossier_id: int) -> HumanTask:
    with app.app_context():
        task = db.session.scalar(
            select(HumanTask).where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
        )
        db.session.expunge(task)
        return task


def test_association_sees_its_wards_dossiers_but_has_no_tasks(app, api):
    dossier_id = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": YEAR}).get_json()[
        "id"
    ]
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    assert api.get(ASSOCIATION, f"/dossiers/{dossier_id}").status_code == 200
    listed = api.get(ASSOCIATION, "/dossiers", query_string={"per_page": 100}).get_json()["items"]
    assert dossier_id in [d["id"] for d in listed]
    tasks = api.get(ASSOCIATION, "/tasks", query_string={"per_page": 200}).get_json()["items"]
    assert tasks == []
    # Nor may it take or complete the village's review it can see.
    task = _open_task(app, dossier_id)
    assert task.name == "village_review"
    assert api.post(ASSOCIATION, f"/tasks/{task.id}/claim").status_code == 404
    refused = api.post(ASSOCIATION, f"/tasks/{task.id}/complete", json={"data": {"decision": "propose"}})
    assert refused.status_code == 404
    assert _open_task(app, dossier_id).id == task.id  # still open, untouched


def test_association_does_not_see_another_wards_dossiers(app, api):
    """An An Bình household's dossier, opened at An Bình's desk, is outside Cái Khế."""
    from app.models import Subject, User, utcnow
    from app.services.dossiers import open_dossier

    with app.app_context():
        desk = db.session.scalar(select(User).where(User.username == "demo-commune-ab"))
        subject = db.session.scalar(select(Subject).where(Subject.code == "DEMO-AB-V1-H02"))
        dossier_id = open_dossier(subject, TITLE, YEAR, actor=desk, now=utcnow()).id
    assert api.get("demo-commune-ab", f"/dossiers/{dossier_id}").status_code == 200
    assert api.get(ASSOCIATION, f"/dossiers/{dossier_id}").status_code == 404
    listed = api.get(ASSOCIATION, "/dossiers", query_string={"per_page": 100}).get_json()["items"]
    assert dossier_id not in [d["id"] for d in listed]


def test_association_may_not_draft_or_issue_decisions(app, api, at_decision):
    assert api.get(ASSOCIATION, "/decisions/candidates").status_code == 403
    refused = api.post(ASSOCIATION, "/decisions", json=draft_body([at_decision]))
    assert refused.status_code == 403
    decision_id = draft(api, "demo-chairman-ck", [at_decision], position="Chủ tịch UBND phường Cái Khế")
    assert api.post(ASSOCIATION, f"/decisions/{decision_id}/issue").status_code == 403
    assert api.dossier("demo-chairman-ck", at_decision)["status"] == "in_progress"
    task = _open_task(app, at_decision)
    assert task.name == "recognition_decision"
    completed = api.post(ASSOCIATION, f"/tasks/{task.id}/complete", json={"data": {"decision": "approve"}})
    assert completed.status_code == 404
    assert api.dossier("demo-chairman-ck", at_decision)["status"] == "in_progress"


def test_association_reads_its_areas_report_and_not_another(api):
    mine = api.get(ASSOCIATION, "/reports/progress", query_string={"unit": "DEMO-CK", "title": TITLE})
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["unit"]["code"] == "DEMO-CK"
    other = api.get(ASSOCIATION, "/reports/progress", query_string={"unit": "DEMO-AB", "title": TITLE})
    assert other.status_code == 404


def test_association_menu_offers_reports_not_the_inbox_or_decisions(web):
    web.login(ASSOCIATION)
    home = web.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/reports")
    page = web.get("/reports").get_data(as_text=True)
    assert 'href="/reports"' in page
    assert 'href="/inbox"' not in page and 'href="/decisions"' not in page
    # An official who acts keeps the inbox.
    web.login("demo-commune-ck")
    assert 'href="/inbox"' in web.get("/reports").get_data(as_text=True)


def test_association_is_not_told_to_follow_up_overdue_tasks(app):
    from app.services.notifications import _officials_of

    with app.app_context():
        from app.models import AdminUnit

        ward = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "DEMO-CK"))
        names = {u.username for u in _officials_of(ward.id)}
    assert "demo-commune-ck" in names and ASSOCIATION not in names

"""Dòng họ học tập end to end through the API, in the two-tier demo province: a clan with member
households in two residential areas self-assesses through its own account, the ward scores it (the share
of its families recognised as learning families is computed, not typed) and the ward chairman recognises
it with a recognition decision; a criterion below half ends it unrecognised."""

import pytest

from tests.title_factories_clan_commune import (
    PASSWORD,
    YEAR,
    dossier_campaign,
    ensure_active,
    ensure_campaign,
    frozen_share,
    make_clan,
    recognise_families,
)

TITLE = "dong_ho_hoc_tap"
ITEMS = {"c1a": 10, "c1b": 9, "c2a": 18, "c2b": 10, "c3a": 16, "c4a": 27}  # 90 points, as the clan claims


@pytest.fixture
def clan(app, api):
    ensure_active(app, "dong_ho_hoc_tap", "DEMO-CT25")
    ensure_campaign(app, TITLE, "DEMO-CT25")
    made = make_clan(app)
    api.token(made["username"], PASSWORD)
    return made


def open_clan_dossier(api, clan) -> int:
    response = api.post(clan["username"], "/dossiers", json={"title": TITLE, "year": YEAR})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["code"].startswith(f"DHHT-{YEAR}-")
    return response.get_json()["id"]


def commune_scores(**overrides) -> dict:
    """The ward's scores: c2a (the families' share) is the server's to compute, so it is not sent."""
    items = {name: points for name, points in ITEMS.items() if name != "c2a"}
    return {"decision": "accept", "council_meeting_date": "2026-11-25", **items, **overrides}


def test_a_clan_across_two_villages_is_recognised_by_the_ward_chairmans_decision(app, api, clan):
    from app.extensions import db
    from app.models import Subject, SubjectLink

    with app.app_context():
        members = db.session.scalars(
            db.select(SubjectLink.child_id).where(
                SubjectLink.parent_id == clan["subject_id"], SubjectLink.relation == "clan_member"
            )
        ).all()
        villages = {db.session.get(Subject, m).unit.code for m in members}
    assert villages == {"DEMO-CK-V1", "DEMO-CK-V2"}

    # Three of its four member families are learning families this year: 75%, the full 20 points.
    recognise_families(app, clan["member_ids"][:3])
    dossier_id = open_clan_dossier(api, clan)
    campaign_id, registered = dossier_campaign(app, dossier_id)
    assert campaign_id is not None and registered

    result = api.complete(clan["username"], dossier_id, "self_report", ITEMS)
    assert [t["name"] for t in result["current_tasks"]] == ["commune_scoring"]
    assert result["self_score"] == 90 and result["score"] is None
    # The ward's officer sees it; the other ward's does not.
    assert api.get("demo-commune-ab", f"/dossiers/{dossier_id}").status_code == 404

    result = api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(c3a=15))
    assert [t["name"] for t in result["current_tasks"]] == ["recognition_decision"]
    assert result["score"] == 91 and result["rating"] == "dat"
    assert frozen_share(app, dossier_id, "c2a") == 75.0

    # The chairman recognises it with a decision and its annexed list (the step marked ``decides``).
    listed = api.get(
        "demo-chairman-ck", "/decisions/candidates", query_string={"kind": "recognition", "title": TITLE}
    ).get_json()["items"]
    assert [d["dossier_id"] for d in listed] == [dossier_id]
    draft = api.post(
        "demo-chairman-ck",
        "/decisions",
        json={
            "kind": "recognition",
            "title": TITLE,
            "year": YEAR,
            "number": "126/QĐ-UBND",
            "signed_on": "2026-12-15",
            "signer": "Trần Văn Chủ tịch",
            "position": "Chủ tịch UBND phường Cái Khế",
            "dossier_ids": [dossier_id],
        },
    )
    assert draft.status_code == 201, draft.get_json()
    issued = api.post("demo-chairman-ck", f"/decisions/{draft.get_json()['id']}/issue")
    assert issued.status_code == 200, issued.get_json()

    done = api.dossier(clan["username"], dossier_id)
    assert done["status"] == "recognized" and done["current_tasks"] == []
    assert {"dossier.opened", "dossier.recognized"} <= {e["action"] for e in done["history"]}


def test_a_criterion_below_half_its_points_ends_the_clan_dossier_unrecognised(app, api, clan):
    # Every member family is a learning family (20 points), so only the fund decides.
    recognise_families(app, clan["member_ids"])
    dossier_id = open_clan_dossier(api, clan)
    api.complete(clan["username"], dossier_id, "self_report", ITEMS)
    # 85 points in all, but criterion 3 (learning-promotion fund) has 6 of 20.
    result = api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(c3a=6, c4a=30))
    assert result["status"] == "not_recognized" and result["current_tasks"] == []
    assert result["score"] == 85 and result["rating"] == "khong_dat"
    assert "Tiêu chí 3" in result["status_reason"]


def test_a_clan_whose_families_are_not_learning_families_falls_short_whatever_it_claims(app, api, clan):
    dossier_id = open_clan_dossier(api, clan)
    api.complete(clan["username"], dossier_id, "self_report", ITEMS)
    # The clan claimed 18 points for its families; none of them is recognised this year: 0%, 0 points.
    result = api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(c2a=20))
    assert frozen_share(app, dossier_id, "c2a") == 0.0
    assert result["status"] == "not_recognized" and result["score"] == 72
    assert "Tiêu chí 2" in result["status_reason"]


def test_the_ward_returns_the_dossier_to_the_clan_with_what_to_add(api, clan):
    dossier_id = open_clan_dossier(api, clan)
    api.complete(clan["username"], dossier_id, "self_report", ITEMS)
    returned = api.complete(
        "demo-commune-ck",
        dossier_id,
        "commune_scoring",
        {"decision": "return_to_clan", "comment": "Bổ sung sổ quỹ khuyến học năm 2026"},
    )
    assert returned["status"] == "returned"
    assert returned["status_reason"] == "Bổ sung sổ quỹ khuyến học năm 2026"
    assert [t["name"] for t in returned["current_tasks"]] == ["self_report"]
    # The clan's account, and only it, takes the step again.
    api.task_for(clan["username"], dossier_id, "self_report")


def test_a_household_cannot_open_a_clan_title(api, clan):
    response = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": YEAR})
    assert response.status_code == 409, response.get_json()


def test_the_clan_package_deploys_cleanly(app):
    from app.models import utcnow
    from app.services.procedures import deploy_shipped, shipped_packages, validate_package

    with app.app_context():
        package = next(p for p in shipped_packages() if p.key == "dong_ho_hoc_tap")
        assert validate_package(package) == []
        deployed = {
            definition.key: definition for definition, _new in deploy_shipped(actor=None, now=utcnow())
        }
        assert deployed["dong_ho_hoc_tap"].serves["subject_kind"] == "clan"


def test_the_clan_and_the_ward_work_on_their_steps_in_the_browser(app, api, web, clan):
    recognise_families(app, clan["member_ids"][:2])
    dossier_id = open_clan_dossier(api, clan)
    task = api.task_for(clan["username"], dossier_id, "self_report")
    web.login(clan["username"], PASSWORD)
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Ban khuyến học của dòng họ" in page and "448/QĐ-KHVN" in page

    api.complete(clan["username"], dossier_id, "self_report", ITEMS)
    task = api.task_for("demo-commune-ck", dossier_id, "commune_scoring")
    officer = type(web)(app)
    officer.login("demo-commune-ck")
    page = officer.get(f"/tasks/{task['id']}").get_data(as_text=True)
    # The families' share is shown as the system computed it (2 of 4), not as an input.
    assert "Tỷ lệ gia đình của dòng họ" in page and "50,0%" in page

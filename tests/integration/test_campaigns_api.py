"""The campaign API: create, open, close, list, read, register; and POST /dossiers under a campaign."""

from datetime import timedelta

from tests.campaign_factories import PROVINCE, make_campaign, subject, today
from tests.helpers import TITLE


def _campaign(app, **kwargs) -> int:
    with app.app_context():
        return make_campaign(**kwargs).id


def _ids(app, *codes) -> list[int]:
    with app.app_context():
        return [subject(code).id for code in codes]


def test_an_admin_creates_opens_and_closes_a_campaign(api):
    body = {
        "province": PROVINCE,
        "title": TITLE,
        "year": 2032,
        "registration_from": "2032-01-05",
        "registration_to": "2032-03-31",
        "assessment_from": "2032-11-01",
        "assessment_to": "2032-12-31",
        "deadlines": {"self_report": "2032-11-20", "village_review": "2032-11-30"},
    }
    assert api.post("demo-commune-ck", "/campaigns", json=body).status_code == 403
    created = api.post("demo-admin", "/campaigns", json=body)
    assert created.status_code == 201, created.get_json()
    campaign = created.get_json()
    assert campaign["status"] == "draft" and campaign["evidence_from"] == "2032-01-01"
    assert campaign["deadlines"]["village_review"] == "2032-11-30" and campaign["registered"] == 0
    assert api.post("demo-admin", "/campaigns", json=body).status_code == 409
    opened = api.post("demo-admin", f"/campaigns/{campaign['id']}/open")
    assert opened.status_code == 200 and opened.get_json()["status"] == "open"
    assert api.post("demo-admin", f"/campaigns/{campaign['id']}/open").status_code == 409
    listed = api.get("demo-commune-ck", "/campaigns?year=2032").get_json()
    assert [c["id"] for c in listed["items"]] == [campaign["id"]]
    # The other tree's officials do not see the two-tier province's campaigns.
    assert api.get("demo-commune", "/campaigns?year=2032").get_json()["items"] == []
    closed = api.post("demo-admin", f"/campaigns/{campaign['id']}/close")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


def test_a_bad_campaign_body_is_a_422_naming_the_fields(api):
    response = api.post(
        "demo-admin",
        "/campaigns",
        json={"province": PROVINCE, "title": TITLE, "year": "2032", "registration_from": 5},
    )
    assert response.status_code == 422
    assert {"year", "registration_from"} <= set(response.get_json()["errors"])


def test_registrations_over_the_api(app, api):
    campaign_id = _campaign(app, registration=(-5, 20), assessment=(25, 40))
    mine, other = _ids(app, "DEMO-CK-V1-H02", "DEMO-CK-V1-H03"), _ids(app, "DEMO-AB-V1-H01")
    response = api.post(
        "demo-village-ck1", f"/campaigns/{campaign_id}/registrations", json={"subject_ids": [*mine, *other]}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["registered"] == 2
    assert [s["subject_id"] for s in body["skipped"]] == other and body["skipped"][0]["reason"]
    bad = api.post("demo-village-ck1", f"/campaigns/{campaign_id}/registrations", json={"subject_ids": "1"})
    assert bad.status_code == 422
    detail = api.get("demo-admin", f"/campaigns/{campaign_id}").get_json()
    assert detail["registered"] == 2 and detail["dossiers"] == 0


def test_registration_outside_the_window_is_a_409_with_the_message(app, api):
    campaign_id = _campaign(app, registration=(-40, -20), assessment=(-10, 20))
    response = api.post(
        "demo-village-ck1",
        f"/campaigns/{campaign_id}/registrations",
        json={"subject_ids": _ids(app, "DEMO-CK-V1-H02")},
    )
    assert response.status_code == 409
    assert "Đã hết thời gian đăng ký" in response.get_json()["error"]["message"]


def test_an_applicant_sees_the_open_campaigns_of_its_province(app, api):
    open_id = _campaign(app)
    draft_id = _campaign(app, year=today().year + 1, status="draft")
    seen = [c["id"] for c in api.get("demo-household-ck", "/campaigns").get_json()["items"]]
    assert open_id in seen and draft_id not in seen
    assert api.get("demo-household-ck", f"/campaigns/{draft_id}").status_code == 404
    assert open_id not in [c["id"] for c in api.get("demo-household", "/campaigns").get_json()["items"]]


def test_post_dossiers_works_without_a_campaign(api):
    # The four-level demo province has no campaign.
    response = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": today().year})
    assert response.status_code == 201, response.get_json()


def test_post_dossiers_works_inside_the_self_assessment_window(app, api):
    campaign_id = _campaign(app, deadlines={"self_report": today() + timedelta(days=3)})
    response = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": today().year})
    assert response.status_code == 201, response.get_json()
    dossier = api.dossier("demo-household-ck", response.get_json()["id"])
    assert dossier["current_tasks"][0]["name"] == "self_report"
    assert api.get("demo-admin", f"/campaigns/{campaign_id}").get_json()["dossiers"] == 1


def test_post_dossiers_is_refused_outside_the_self_assessment_window(app, api):
    _campaign(app, registration=(-5, 20), assessment=(25, 40))
    response = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": today().year})
    assert response.status_code == 409
    assert "Chưa đến thời gian tự đánh giá" in response.get_json()["error"]["message"]


def test_closing_a_campaign_stops_new_dossiers_over_the_api(app, api):
    campaign_id = _campaign(app)
    assert api.post("demo-admin", f"/campaigns/{campaign_id}/close").status_code == 200
    response = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": today().year})
    assert response.status_code == 409

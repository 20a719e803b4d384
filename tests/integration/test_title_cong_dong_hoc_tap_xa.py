"""Cộng đồng học tập cấp xã (Thông tư 25/2023/TT-BGDĐT: five criteria, no points, Mức độ 1 or 2) end to
end through the API: in the two-tier demo province the ward self-assesses, the provincial Sở GD&ĐT
verifies every indicator and its director recognises the level; in the four-level tree the district
education division does both, as the circular is written."""

import pytest

from tests.helpers import make_official
from tests.title_factories_clan_commune import (
    PASSWORD,
    YEAR,
    dossier_campaign,
    ensure_active,
    ensure_campaign,
    make_commune_subject,
    make_province_officer,
)

TITLE = "cong_dong_hoc_tap_xa"
INDICATORS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c3c", "c4a", "c4b", "c5a", "c5b")
VERIFIER, DIRECTOR = "chuyen-vien-so-gddt", "giam-doc-so-gddt"


def levels(level: str = "muc_2", **overrides) -> dict:
    return {name: overrides.get(name, level) for name in INDICATORS}


def verification(level: str = "muc_2", **overrides) -> dict:
    return {"decision": "accept", "evaluation_date": "2026-12-05", **levels(level, **overrides)}


def approval(number: str = "210/QĐ-SGDĐT", signer: str = "Trần Văn Minh, Giám đốc Sở GD&ĐT") -> dict:
    return {"decision": "approve", "decision_number": number, "decision_date": "2026-12-20", "signer": signer}


@pytest.fixture
def ward(app, api):
    ensure_active(app, "cong_dong_hoc_tap_xa_hai_cap", "DEMO-CT25")
    ensure_campaign(app, TITLE, "DEMO-CT25")
    subject = make_commune_subject(app, commune="DEMO-CK", username="bcd-xhht-cai-khe")
    api.token(subject["username"], subject["password"])
    for username, name in ((VERIFIER, "Chuyên viên Phòng GDTX, Sở GD&ĐT"), (DIRECTOR, "Giám đốc Sở GD&ĐT")):
        make_province_officer(app, username, name)
        api.token(username, PASSWORD)
    return subject


def open_commune_dossier(api, subject) -> int:
    response = api.post(subject["username"], "/dossiers", json={"title": TITLE, "year": YEAR})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["code"].startswith(f"CDHTX-{YEAR}-")
    return response.get_json()["id"]


def test_the_ward_reaches_level_2_verified_by_the_province_and_recognised_by_the_director(app, api, ward):
    dossier_id = open_commune_dossier(api, ward)
    campaign_id, registered = dossier_campaign(app, dossier_id)
    assert campaign_id is not None and registered

    # The ward's officers enter the steering committee's self-assessment.
    api.task_for("demo-commune-ck", dossier_id, "self_assessment")
    assert api.get("demo-commune-ab", f"/dossiers/{dossier_id}").status_code == 404
    result = api.complete("demo-commune-ck", dossier_id, "self_assessment", levels("muc_2"))
    assert [t["name"] for t in result["current_tasks"]] == ["province_verification"]

    result = api.complete(VERIFIER, dossier_id, "province_verification", verification("muc_2"))
    assert [t["name"] for t in result["current_tasks"]] == ["recognition_decision"]
    assert result["rating"] == "muc_2"

    # Four eyes: who verified does not also decide.
    task = api.task_for(VERIFIER, dossier_id, "recognition_decision")
    refused = api.post(VERIFIER, f"/tasks/{task['id']}/complete", json={"data": approval()})
    assert refused.status_code == 409, refused.get_json()

    done = api.complete(DIRECTOR, dossier_id, "recognition_decision", approval())
    assert done["status"] == "recognized" and done["rating"] == "muc_2"
    assert {"dossier.opened", "dossier.recognized"} <= {e["action"] for e in done["history"]}


def test_one_indicator_at_level_1_makes_the_recognised_level_1(api, ward):
    dossier_id = open_commune_dossier(api, ward)
    api.complete("demo-commune-ck", dossier_id, "self_assessment", levels("muc_2"))
    # The province finds the public library only at level 1: the lowest indicator sets the level.
    result = api.complete(VERIFIER, dossier_id, "province_verification", verification("muc_2", c3b="muc_1"))
    assert result["rating"] == "muc_1"
    done = api.complete(DIRECTOR, dossier_id, "recognition_decision", approval())
    assert done["status"] == "recognized" and done["rating"] == "muc_1"


def test_an_indicator_below_level_1_ends_the_dossier_not_up_to_standard(api, ward):
    dossier_id = open_commune_dossier(api, ward)
    api.complete("demo-commune-ck", dossier_id, "self_assessment", levels("muc_1"))
    result = api.complete(
        VERIFIER, dossier_id, "province_verification", verification("muc_1", c4b="chua_dat")
    )
    assert result["status"] == "not_recognized" and result["current_tasks"] == []
    assert result["rating"] == "chua_dat"
    assert "xóa mù chữ" in result["status_reason"]


def test_the_province_returns_the_self_assessment_to_the_ward(api, ward):
    dossier_id = open_commune_dossier(api, ward)
    api.complete("demo-commune-ck", dossier_id, "self_assessment", levels("muc_1"))
    returned = api.complete(
        VERIFIER,
        dossier_id,
        "province_verification",
        {"decision": "return_to_commune", "reason": "Bổ sung báo cáo năm của trung tâm học tập cộng đồng"},
    )
    assert [t["name"] for t in returned["current_tasks"]] == ["self_assessment"]
    assert returned["rating"] is None
    # Back with the ward's side, which the dossier says, with the province's reason.
    assert returned["status"] == "returned"
    assert returned["status_reason"] == "Bổ sung báo cáo năm của trung tâm học tập cộng đồng"
    api.task_for("demo-commune-ck", dossier_id, "self_assessment")


def test_in_the_four_level_tree_the_district_education_division_evaluates_and_recognises(app, api):
    ensure_active(app, "cong_dong_hoc_tap_xa", "DEMO-CT")
    ensure_campaign(app, TITLE, "DEMO-CT")
    subject = make_commune_subject(app, commune="DEMO-AH", username="bcd-xhht-an-hoa")
    api.token(subject["username"], subject["password"])
    make_official(
        app, "truong-phong-gddt-nk", role="district_officer", unit="DEMO-NK", full_name="Trưởng phòng GD&ĐT"
    )
    api.token("truong-phong-gddt-nk", "matkhau123")

    dossier_id = open_commune_dossier(api, subject)
    api.complete("demo-commune", dossier_id, "self_assessment", levels("muc_1"))
    result = api.complete("demo-district", dossier_id, "district_evaluation", verification("muc_1"))
    assert [t["name"] for t in result["current_tasks"]] == ["recognition_decision"]
    # The other district's division sees nothing of it.
    assert api.get("demo-district-b", f"/dossiers/{dossier_id}").status_code == 404
    done = api.complete(
        "truong-phong-gddt-nk",
        dossier_id,
        "recognition_decision",
        approval("45/QĐ-PGDĐT", "Lê Thị Hoa, Trưởng phòng GD&ĐT"),
    )
    assert done["status"] == "recognized" and done["rating"] == "muc_1"


def test_the_commune_packages_deploy_cleanly(app):
    from app.models import utcnow
    from app.services.procedures import deploy_shipped, shipped_packages, validate_package

    keys = ("cong_dong_hoc_tap_xa", "cong_dong_hoc_tap_xa_hai_cap")
    with app.app_context():
        for package in shipped_packages():
            if package.key in keys:
                assert validate_package(package) == [], package.key
        deployed = {
            definition.key: definition for definition, _new in deploy_shipped(actor=None, now=utcnow())
        }
        assert {deployed[key].serves["title"] for key in keys} == {TITLE}
        lanes = deployed["cong_dong_hoc_tap_xa_hai_cap"].manifest["lanes"]
        assert lanes["Province"] == {"role": "province_officer", "level": "province"}


def test_the_ward_and_the_province_work_on_their_steps_in_the_browser(app, api, web, ward):
    dossier_id = open_commune_dossier(api, ward)
    task = api.task_for("demo-commune-ck", dossier_id, "self_assessment")
    web.login("demo-commune-ck")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Đạt Mức độ 2" in page and "25/2023/TT-BGDĐT" in page

    api.complete("demo-commune-ck", dossier_id, "self_assessment", levels("muc_2"))
    task = api.task_for(VERIFIER, dossier_id, "province_verification")
    province = type(web)(app)
    province.login(VERIFIER, PASSWORD)
    page = province.get(f"/tasks/{task['id']}").get_data(as_text=True)
    # The ward's own levels are pre-filled for the province to confirm or lower.
    assert "Sở GD&amp;ĐT thẩm định" in page and 'name="c3b" value="muc_2" checked' in page


def test_the_director_recognises_both_wards_in_one_bulk_completion(app, api, web, ward):
    other = make_commune_subject(app, commune="DEMO-AB", username="bcd-xhht-an-binh")
    api.token(other["username"], other["password"])
    ids = []
    for subject, officer in ((ward, "demo-commune-ck"), (other, "demo-commune-ab")):
        dossier_id = open_commune_dossier(api, subject)
        api.complete(officer, dossier_id, "self_assessment", levels("muc_1"))
        api.complete(VERIFIER, dossier_id, "province_verification", verification("muc_1"))
        ids.append(dossier_id)
    tasks = [api.task_for(DIRECTOR, dossier_id, "recognition_decision")["id"] for dossier_id in ids]
    web.login(DIRECTOR, PASSWORD)
    done = web.post(
        "/inbox/bulk/complete",
        {"task_ids": [str(task) for task in tasks], "next": "/inbox", **approval()},
        csrf_from="/inbox",
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    for dossier_id in ids:
        finished = api.dossier(DIRECTOR, dossier_id)
        assert finished["status"] == "recognized" and finished["rating"] == "muc_1"

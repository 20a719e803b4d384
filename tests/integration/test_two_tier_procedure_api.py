"""The post-2025 two-tier procedure: village review → commune scoring → the commune chairman's
recognition, activated per province; dossiers started before an activation finish on their version."""

import io

from tests.helpers import commune_accept, make_official, self_report

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload_minutes(api, user: str, dossier_id: int) -> int:
    response = api.post(
        user, f"/dossiers/{dossier_id}/evidence", data={"file": (io.BytesIO(PDF), "bien-ban-binh-xet.pdf")}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def village_propose(minutes: int) -> dict:
    return {
        "decision": "propose",
        "meeting_date": "2026-11-20",
        "households_present": 41,
        "minutes": [minutes],
    }


def commune_scores(points: int = 9) -> dict:
    return {**commune_accept(points), "law_violation": False}


def chairman_approve() -> dict:
    return {
        "decision": "approve",
        "decision_number": "125/QĐ-UBND",
        "decision_date": "2026-12-15",
        "signer": "Trần Văn Chủ tịch",
    }


def walk_two_tier(api, dossier_id: int, *, household: str, village: str, commune: str, chairman: str) -> dict:
    seen = []

    def step(user, name, data):
        result = api.complete(user, dossier_id, name, data)
        seen.extend(t["name"] for t in result["current_tasks"])
        return result

    step(household, "self_report", self_report(9))
    step(village, "village_review", village_propose(upload_minutes(api, village, dossier_id)))
    step(commune, "commune_scoring", commune_scores(9))
    result = step(chairman, "recognition_decision", chairman_approve())
    assert seen == ["village_review", "commune_scoring", "recognition_decision"]
    return result


def test_the_demo_two_tier_dossier_goes_from_household_to_commune_chairman(api):
    response = api.post("demo-household-ck", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026})
    assert response.status_code == 201, response.get_json()
    dossier_id = response.get_json()["id"]
    result = walk_two_tier(
        api,
        dossier_id,
        household="demo-household-ck",
        village="demo-village-ck1",
        commune="demo-commune-ck",
        chairman="demo-chairman-ck",
    )
    assert result["status"] == "recognized" and result["score"] == 90
    version = api.dossier("demo-household-ck", dossier_id)
    assert {e["action"] for e in version["history"]} >= {"dossier.opened", "dossier.recognized"}
    # Officials of the other ward see nothing of it.
    assert api.get("demo-village-ab1", f"/dossiers/{dossier_id}").status_code == 404
    assert api.get("demo-chairman-ab", f"/dossiers/{dossier_id}").status_code == 404


def test_a_return_from_the_village_meeting_goes_back_to_the_household(api):
    dossier_id = api.post(
        "demo-household-ck", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026}
    ).get_json()["id"]
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    returned = api.complete(
        "demo-village-ck1",
        dossier_id,
        "village_review",
        {"decision": "return_to_household", "reason": "Chưa có giấy xác nhận của nhà trường"},
    )
    assert returned["status"] == "returned"
    assert returned["status_reason"] == "Chưa có giấy xác nhận của nhà trường"
    assert [t["name"] for t in returned["current_tasks"]] == ["self_report"]


def test_the_chairman_rejects_with_a_reason(api):
    dossier_id = api.post(
        "demo-household-ck", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026}
    ).get_json()["id"]
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    api.complete(
        "demo-village-ck1",
        dossier_id,
        "village_review",
        village_propose(upload_minutes(api, "demo-village-ck1", dossier_id)),
    )
    api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(9))
    rejected = api.complete(
        "demo-chairman-ck",
        dossier_id,
        "recognition_decision",
        {"decision": "reject", "reason": "Hồ sơ không trung thực"},
    )
    assert rejected["status"] == "rejected" and rejected["status_reason"] == "Hồ sơ không trung thực"


def test_after_activating_the_two_tier_procedure_new_dossiers_never_reach_a_district(app, api):
    before = api.open_dossier("demo-household", year=2026)
    api.complete("demo-household", before, "self_report", self_report(9))
    make_official(
        app, "truong-khu-vuc-1", role="village_head", unit="DEMO-AH-V1", full_name="Tổ trưởng KV1 An Hòa"
    )
    make_official(
        app, "chu-tich-an-hoa", role="commune_chairman", unit="DEMO-AH", full_name="Chủ tịch An Hòa"
    )

    listing = api.get("demo-admin", "/procedures").get_json()["items"]
    two_tier = next(p for p in listing if p["key"] == "gia_dinh_hoc_tap_hai_cap")
    version = two_tier["versions"][-1]["version"]
    response = api.post(
        "demo-admin",
        f"/procedures/gia_dinh_hoc_tap_hai_cap/versions/{version}/activate",
        json={"province": "DEMO-CT"},
    )
    assert response.status_code == 200, response.get_json()

    after = api.open_dossier("demo-household", year=2027)
    api.token("truong-khu-vuc-1", "matkhau123")
    api.token("chu-tich-an-hoa", "matkhau123")
    result = walk_two_tier(
        api,
        after,
        household="demo-household",
        village="truong-khu-vuc-1",
        commune="demo-commune",
        chairman="chu-tich-an-hoa",
    )
    assert result["status"] == "recognized"
    assert api.get("demo-district", "/tasks").get_json()["total"] == 0

    # The dossier opened before the activation finishes on the four-level procedure.
    api.complete("demo-commune", before, "commune_scoring", commune_accept(9))
    api.complete("demo-district", before, "district_verification", {"decision": "approve"})
    from tests.helpers import city

    done = api.complete("demo-city", before, "city_commendation", city())
    assert done["status"] == "recognized" and done["procedure_version"] == 1

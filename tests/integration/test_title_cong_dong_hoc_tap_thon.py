"""The village learning-community title (bpmn/cong_dong_hoc_tap_thon) end to end through the API, in the
two-tier demo province DEMO-CT25: the village head self-assesses, the commune officer scores, the commune
chairman decides; a village short of 80 points is not recognised, with the reason it reads."""

import json
from pathlib import Path

from tests.title_factories_village import (
    CHAIRMAN,
    COMMUNE_OFFICER,
    TITLE,
    chairman_approve,
    commune_scores,
    expected_points,
    open_village_dossier,
    ready_village,
    recognise_families,
    recognised_families,
    village_households,
    village_scores,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_uses_the_criteria_set_with_the_household_share_computed():
    criteria = json.loads((ROOT / "criteria" / "cong_dong_hoc_tap_thon.json").read_text(encoding="utf-8"))
    package = ROOT / "bpmn" / "cong_dong_hoc_tap_thon"
    form = json.loads((package / "forms" / "cong_dong_hoc_tap_thon.json").read_text(encoding="utf-8"))
    manifest = json.loads((package / "procedure.json").read_text(encoding="utf-8"))
    assert form["key"] == criteria["key"] and form["scoring"]["criteria"] == criteria["scoring"]["criteria"]
    derived = next(f for f in form["fields"] if f["type"] == "derived")
    assert derived["indicator"] == "households_recognised" and derived["criterion"] == "c3"
    assert derived["params"] == {"title": "gia_dinh_hoc_tap"}
    assert manifest["serves"]["subject_kind"] == "village" and manifest["serves"]["title"] == TITLE
    assert manifest["lanes"]["Village"] == {"role": "village_head", "level": "village"}
    assert manifest["tasks"]["recognition_decision"]["decides"]["kind"] == "recognition"
    assert {document["number"] for document in manifest["legal_basis"]} == {"448/QĐ-KHVN", "387/QĐ-TTg"}


def test_a_village_is_recognised_by_the_commune_chairman(app, api):
    setup = ready_village(app)
    recognise_families(api, app, 4)
    value = round(len(recognised_families(app)) * 100.0 / len(village_households(app)), 1)
    dossier_id = open_village_dossier(app, setup)
    opened = api.dossier(setup.head, dossier_id)
    assert opened["code"].startswith("CDHTT-") and opened["subject"]["id"] == setup.subject_id
    assert [t["name"] for t in opened["current_tasks"]] == ["self_assessment"]

    seen = []
    for user, step, data in (
        (setup.head, "self_assessment", village_scores()),
        (COMMUNE_OFFICER, "commune_scoring", commune_scores()),
        (CHAIRMAN, "recognition_decision", chairman_approve()),
    ):
        result = api.complete(user, dossier_id, step, data)
        seen.append([t["name"] for t in result["current_tasks"]])
    assert seen == [["commune_scoring"], ["recognition_decision"], []]
    assert result["status"] == "recognized"
    assert result["self_score"] == result["score"] == 80 + expected_points(value)
    history = {event["action"] for event in api.dossier(CHAIRMAN, dossier_id)["history"]}
    assert {"dossier.opened", "task.completed", "dossier.recognized"} <= history
    # The other ward's officials see nothing of it.
    assert api.get("demo-village-ab1", f"/dossiers/{dossier_id}").status_code == 404
    assert api.get("demo-chairman-ab", f"/dossiers/{dossier_id}").status_code == 404


def test_a_village_short_of_80_points_is_not_recognised(app, api):
    setup = ready_village(app)
    households = village_households(app)
    value = round(len(recognised_families(app)) * 100.0 / len(households), 1) if households else None
    dossier_id = open_village_dossier(app, setup)
    api.complete(setup.head, dossier_id, "self_assessment", village_scores({"c4a": 10}))
    result = api.complete(
        COMMUNE_OFFICER, dossier_id, "commune_scoring", commune_scores({"c2a": 5, "c4a": 10})
    )
    total = 20 + 5 + 20 + 10 + expected_points(value)
    assert total < 80
    assert result["status"] == "not_recognized" and result["score"] == total
    assert result["current_tasks"] == []
    assert f"Tổng điểm {total}/100, thấp hơn mức 80 điểm" in result["status_reason"]


def test_the_commune_returns_the_dossier_to_the_village_head(app, api):
    setup = ready_village(app)
    dossier_id = open_village_dossier(app, setup)
    api.complete(setup.head, dossier_id, "self_assessment", village_scores())
    returned = api.complete(
        COMMUNE_OFFICER,
        dossier_id,
        "commune_scoring",
        {"decision": "return_to_village", "reason": "Bổ sung sổ quỹ khuyến học của thôn"},
    )
    assert [t["name"] for t in returned["current_tasks"]] == ["self_assessment"]
    # Back at the self-assessment, which the village head holds: returned, with the reason to read.
    assert returned["status"] == "returned"
    assert returned["status_reason"] == "Bổ sung sổ quỹ khuyến học của thôn"
    # The village head answers and the dossier goes on.
    again = api.complete(setup.head, dossier_id, "self_assessment", village_scores())
    assert [t["name"] for t in again["current_tasks"]] == ["commune_scoring"]


def test_the_chairman_decides_with_a_recognition_decision(app, api):
    setup = ready_village(app)
    recognise_families(api, app, 4)
    dossier_id = open_village_dossier(app, setup)
    api.complete(setup.head, dossier_id, "self_assessment", village_scores())
    api.complete(COMMUNE_OFFICER, dossier_id, "commune_scoring", commune_scores())
    candidates = api.get(
        CHAIRMAN, "/decisions/candidates", query_string={"kind": "recognition", "title": TITLE}
    )
    assert candidates.status_code == 200, candidates.get_json()
    assert dossier_id in [item["dossier_id"] for item in candidates.get_json()["items"]]
    draft = api.post(
        CHAIRMAN,
        "/decisions",
        json={
            "kind": "recognition",
            "title": TITLE,
            "year": 2026,
            "number": "211/QĐ-UBND",
            "signed_on": "2026-12-10",
            "signer": "Trần Văn Chủ tịch",
            "position": "Chủ tịch UBND phường",
            "dossier_ids": [dossier_id],
        },
    )
    assert draft.status_code == 201, draft.get_json()
    issued = api.post(CHAIRMAN, f"/decisions/{draft.get_json()['id']}/issue")
    assert issued.status_code == 200, issued.get_json()
    assert api.dossier(CHAIRMAN, dossier_id)["status"] == "recognized"

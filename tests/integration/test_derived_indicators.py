"""Derived indicators: the household share of a village's learning-community dossier is computed from the
year's learning-family dossiers, shown with its list, never taken from the client, and frozen when the
commune scores, so a family recognised afterwards changes neither the dossier nor its decision."""

import json
import shutil
from pathlib import Path

from sqlalchemy import select

from tests.title_factories_village import (
    CHAIRMAN,
    COMMUNE_OFFICER,
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


def share(numerator: int, denominator: int) -> float:
    return round(numerator * 100.0 / denominator, 1)


def vi_percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


def snapshot_of(app, dossier_id: int):
    from app.extensions import db
    from app.models import IndicatorSnapshot

    with app.app_context():
        row = db.session.scalar(select(IndicatorSnapshot).where(IndicatorSnapshot.dossier_id == dossier_id))
        if row is None:
            return None
        return {
            "field": row.field,
            "indicator": row.indicator,
            "value": row.value,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "basis": list(row.basis),
        }


def submitted(app, dossier_id: int, task: str) -> dict:
    from app.extensions import db
    from app.models import Submission

    with app.app_context():
        return (
            db.session.scalars(
                select(Submission)
                .where(Submission.dossier_id == dossier_id, Submission.task_name == task)
                .order_by(Submission.id.desc())
            )
            .first()
            .data
        )


def task_id(api, user: str, dossier_id: int, name: str) -> int:
    return api.task_for(user, dossier_id, name)["id"]


def test_the_share_is_frozen_when_the_commune_scores_and_survives_a_later_recognition(app, api, web):
    setup = ready_village(app)
    recognise_families(api, app, 3)
    households = village_households(app)
    counted = recognised_families(app)
    before = share(len(counted), len(households))

    dossier_id = open_village_dossier(app, setup)
    # The village head sees the live share and its list while self-assessing.
    web.login(setup.head)
    page = web.get(f"/tasks/{task_id(api, setup.head, dossier_id, 'self_assessment')}").get_data(as_text=True)
    assert vi_percent(before) in page and f"{len(counted)}/{len(households)} hộ" in page
    assert 'data-testid="derived-basis-c3_households"' in page and 'name="c3_households"' not in page
    # Whatever a client sends for the share, the server's value is what is kept.
    api.complete(setup.head, dossier_id, "self_assessment", {**village_scores(), "c3_households": 100})
    assert submitted(app, dossier_id, "self_assessment")["c3_households"] == before
    assert snapshot_of(app, dossier_id) is None  # a self-assessment freezes nothing

    result = api.complete(COMMUNE_OFFICER, dossier_id, "commune_scoring", commune_scores())
    assert result["score"] == 80 + expected_points(before)
    frozen = snapshot_of(app, dossier_id)
    assert frozen["value"] == before and (frozen["numerator"], frozen["denominator"]) == (
        len(counted),
        len(households),
    )
    assert frozen["indicator"] == "households_recognised" and frozen["field"] == "c3_households"
    assert [row["subject_id"] for row in frozen["basis"]] == households
    assert {row["subject_id"] for row in frozen["basis"] if row["counted"]} == counted

    # One more family of the village is recognised after the scoring.
    recognise_families(api, app, 1)
    assert len(recognised_families(app)) == len(counted) + 1

    # The chairman's page, the preview and the dossier page all read the frozen value.
    web.login(CHAIRMAN)
    show = web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Giá trị đã chốt khi chấm điểm ngày" in show
    assert vi_percent(before) in show and f"{len(counted)}/{len(households)} hộ" in show
    decided = api.complete(CHAIRMAN, dossier_id, "recognition_decision", chairman_approve())
    assert decided["status"] == "recognized" and decided["score"] == 80 + expected_points(before)
    assert snapshot_of(app, dossier_id) == frozen


def test_the_task_page_and_preview_score_the_servers_share(app, api, web):
    setup = ready_village(app)
    recognise_families(api, app, 2)
    households = village_households(app)
    value = share(len(recognised_families(app)), len(households))
    dossier_id = open_village_dossier(app, setup)
    task = task_id(api, setup.head, dossier_id, "self_assessment")
    web.login(setup.head)
    data = {"csrf_token": web.csrf(f"/tasks/{task}"), **{k: str(v) for k, v in village_scores().items()}}
    data["c3_households"] = "100"
    preview = web.client.post(f"/tasks/{task}/preview", data=data).get_json()
    assert preview["outcome"]["score"]["total"] == 80 + expected_points(value)


def test_a_family_recognised_before_the_scoring_counts(app, api):
    setup = ready_village(app)
    dossier_id = open_village_dossier(app, setup)
    api.complete(setup.head, dossier_id, "self_assessment", village_scores())
    at_self = submitted(app, dossier_id, "self_assessment")["c3_households"]
    recognise_families(api, app, 1)
    api.complete(COMMUNE_OFFICER, dossier_id, "commune_scoring", commune_scores())
    frozen = snapshot_of(app, dossier_id)
    assert frozen["numerator"] == len(recognised_families(app))
    assert frozen["value"] != at_self


def test_a_return_freezes_nothing(app, api):
    setup = ready_village(app)
    dossier_id = open_village_dossier(app, setup)
    api.complete(setup.head, dossier_id, "self_assessment", village_scores())
    returned = api.complete(
        COMMUNE_OFFICER,
        dossier_id,
        "commune_scoring",
        {"decision": "return_to_village", "reason": "Bổ sung biên bản họp chi hội"},
    )
    assert [t["name"] for t in returned["current_tasks"]] == ["self_assessment"]
    assert snapshot_of(app, dossier_id) is None


def test_a_procedure_naming_an_unknown_indicator_does_not_deploy(app, tmp_path):
    from app.services.procedures import validate_package
    from workflow import load_procedure_folder

    folder = tmp_path / "cong_dong_hoc_tap_thon"
    shutil.copytree(ROOT / "bpmn" / "cong_dong_hoc_tap_thon", folder)
    path = folder / "forms" / "cong_dong_hoc_tap_thon.json"
    form = json.loads(path.read_text(encoding="utf-8"))
    next(f for f in form["fields"] if f["name"] == "c3_households")["indicator"] = "ho_gia_dinh_bat_ky"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        problems = [str(problem) for problem in validate_package(load_procedure_folder(folder))]
    assert any('trường "c3_households" dùng chỉ số "ho_gia_dinh_bat_ky"' in text for text in problems), (
        problems
    )


def test_the_api_gives_the_share_and_its_list_with_the_task(app, api):
    setup = ready_village(app)
    recognise_families(api, app, 1)
    households = village_households(app)
    counted = recognised_families(app)
    dossier_id = open_village_dossier(app, setup)
    detail = api.get(setup.head, f"/tasks/{task_id(api, setup.head, dossier_id, 'self_assessment')}")
    assert detail.status_code == 200, detail.get_json()
    body = detail.get_json()
    assert body["data"]["c3_households"] == share(len(counted), len(households))
    view = body["derived"]["c3_households"]
    assert (view["numerator"], view["denominator"], view["frozen"]) == (len(counted), len(households), False)
    assert {row["subject_id"] for row in view["basis"] if row["counted"]} == counted
    field = next(f for f in body["form"]["fields"] if f["name"] == "c3_households")
    assert field["type"] == "derived" and field["indicator"] == "households_recognised"

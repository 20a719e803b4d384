"""Four eyes: one person never completes two decision steps of the same dossier (the manifest's
``tasks.<id>.decision``, switched by ``four_eyes``), and nobody acts on an official step of a dossier
whose subject is their own account. Refusals answer 409 with a Vietnamese message and change nothing."""

import io
import json
from pathlib import Path

import pytest

from tests.helpers import commune_accept, district, self_report
from tests.integration.test_two_tier_procedure_api import chairman_approve, upload_minutes, village_propose
from tests.procedure_factory import zip_bytes

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "matkhau123"
FOUR_EYES = "bốn mắt"
OWN_DOSSIER = "của chính hộ gia đình"


def add_official(app, username: str, roles: list[tuple[str, str]]) -> None:
    """One account holding every ``(role, unit code)`` in ``roles``."""
    from app.models import utcnow
    from app.services import accounts

    with app.app_context():
        user = accounts.create_user(username, f"Cán bộ {username}", PASSWORD, actor=None, now=utcnow())
        for role, unit in roles:
            accounts.assign_role(user.id, role, unit, actor=None, now=utcnow())


def give_role(app, username: str, role: str, unit: str) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User, utcnow
    from app.services import accounts

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        accounts.assign_role(user.id, role, unit, actor=None, now=utcnow())


def open_for(api, household: str, year: int = 2026) -> int:
    response = api.post(household, "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": year})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def four_level_until_commune(api, dossier_id: int) -> None:
    api.complete("demo-household", dossier_id, "self_report", self_report(9))


def two_tier_until_commune(api, dossier_id: int) -> None:
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    minutes = upload_minutes(api, "demo-village-ck1", dossier_id)
    api.complete("demo-village-ck1", dossier_id, "village_review", village_propose(minutes))


def commune_scores() -> dict:
    return {**commune_accept(9), "law_violation": False}


# Per shipped procedure: the household, the steps before the commune, one official holding both roles
# of two consecutive decision steps, those steps with their data, and the official who may decide the
# second one instead.
PROCEDURES = {
    "gia_dinh_hoc_tap": {
        "household": "demo-household",
        "before": four_level_until_commune,
        "roles": [("commune_officer", "DEMO-AH"), ("district_officer", "DEMO-NK")],
        "first": ("commune_scoring", commune_accept(9)),
        "second": ("district_verification", district("approve")),
        "first_label": "Chấm điểm cấp xã",
        "other": "demo-district",
    },
    "gia_dinh_hoc_tap_hai_cap": {
        "household": "demo-household-ck",
        "before": two_tier_until_commune,
        "roles": [("commune_officer", "DEMO-CK"), ("commune_chairman", "DEMO-CK")],
        "first": ("commune_scoring", commune_scores()),
        "second": ("recognition_decision", chairman_approve()),
        "first_label": "Chấm điểm cấp xã",
        "other": "demo-chairman-ck",
    },
}


def stored_state(app, dossier_id: int) -> dict:
    """Everything a refused step could have touched: the dossier row, its tasks, submissions, history."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AuditEvent, Dossier, HumanTask, Submission

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        return {
            "dossier": (dossier.status, dossier.current_step, dossier.score, dossier.row_version),
            "tasks": db.session.execute(
                select(HumanTask.id, HumanTask.state, HumanTask.claimed_by_id, HumanTask.completed_by_id)
                .where(HumanTask.dossier_id == dossier_id)
                .order_by(HumanTask.id)
            ).all(),
            "submissions": db.session.scalar(
                select(func.count()).select_from(Submission).where(Submission.dossier_id == dossier_id)
            ),
            "history": db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.dossier_id == dossier_id)
            ),
        }


@pytest.mark.parametrize("key", sorted(PROCEDURES))
def test_one_official_with_two_roles_cannot_decide_twice_on_one_dossier(app, api, key):
    case = PROCEDURES[key]
    add_official(app, "hai-vai", case["roles"])
    api.token("hai-vai", PASSWORD)
    dossier_id = open_for(api, case["household"])
    assert api.dossier(case["household"], dossier_id)["procedure_version"] == 1
    case["before"](api, dossier_id)
    first, first_data = case["first"]
    second, second_data = case["second"]
    api.complete("hai-vai", dossier_id, first, first_data)

    # The second decision step is in the official's inbox (the role allows it) but they may neither
    # complete it nor take it from the shared queue.
    task = api.task_for("hai-vai", dossier_id, second)
    before = stored_state(app, dossier_id)
    refused = api.post("hai-vai", f"/tasks/{task['id']}/complete", json={"data": second_data})
    assert refused.status_code == 409, refused.get_json()
    message = refused.get_json()["error"]["message"]
    assert FOUR_EYES in message and case["first_label"] in message
    claimed = api.post("hai-vai", f"/tasks/{task['id']}/claim")
    assert claimed.status_code == 409 and FOUR_EYES in claimed.get_json()["error"]["message"]
    assert stored_state(app, dossier_id) == before

    # Somebody else decides it.
    done = api.complete(case["other"], dossier_id, second, second_data)
    assert done["status"] == ("in_progress" if key == "gia_dinh_hoc_tap" else "recognized")


def test_the_same_decision_step_again_after_a_return_is_not_a_second_decision(app, api):
    add_official(app, "hai-vai", PROCEDURES["gia_dinh_hoc_tap"]["roles"])
    api.token("hai-vai", PASSWORD)
    dossier_id = open_for(api, "demo-household")
    four_level_until_commune(api, dossier_id)
    api.complete("hai-vai", dossier_id, "commune_scoring", commune_accept(9))
    api.complete(
        "demo-district", dossier_id, "district_verification", district("return_to_commune", "Xem lại")
    )
    api.complete("hai-vai", dossier_id, "commune_scoring", commune_accept(8))
    task = api.task_for("hai-vai", dossier_id, "district_verification")
    refused = api.post("hai-vai", f"/tasks/{task['id']}/complete", json={"data": district("approve")})
    assert refused.status_code == 409
    api.complete("demo-district", dossier_id, "district_verification", district("approve"))


def shipped_package(folder: str, **manifest_changes) -> bytes:
    """The shipped package of ``folder`` as a zip, its manifest changed: a new version of the same key."""
    base = ROOT / "bpmn" / folder
    files = {
        path.relative_to(base).as_posix(): path.read_bytes()
        for path in sorted(base.rglob("*"))
        if path.is_file()
    }
    manifest = json.loads(files["procedure.json"])
    files["procedure.json"] = json.dumps({**manifest, **manifest_changes}, ensure_ascii=False).encode()
    return zip_bytes(files)


def deploy_and_activate(api, data: bytes, key: str, province: str) -> int:
    response = api.post("demo-admin", "/procedures", data={"package": (io.BytesIO(data), "goi.zip")})
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["version"]
    activated = api.post(
        "demo-admin", f"/procedures/{key}/versions/{version}/activate", json={"province": province}
    )
    assert activated.status_code == 200, activated.get_json()
    return version


def test_with_four_eyes_off_the_same_official_may_decide_both_steps(app, api):
    version = deploy_and_activate(
        api, shipped_package("gia_dinh_hoc_tap", four_eyes=False), "gia_dinh_hoc_tap", "DEMO-CT"
    )
    add_official(app, "hai-vai", PROCEDURES["gia_dinh_hoc_tap"]["roles"])
    api.token("hai-vai", PASSWORD)
    dossier_id = open_for(api, "demo-household")
    assert api.dossier("demo-household", dossier_id)["procedure_version"] == version
    four_level_until_commune(api, dossier_id)
    api.complete("hai-vai", dossier_id, "commune_scoring", commune_accept(9))
    done = api.complete("hai-vai", dossier_id, "district_verification", district("approve"))
    assert [t["name"] for t in done["current_tasks"]] == ["city_commendation"]


@pytest.mark.parametrize("four_eyes", [True, False])
def test_an_official_cannot_act_on_their_own_households_dossier(app, api, four_eyes):
    # The household's own account is made a commune officer of its commune; the rule holds even where a
    # procedure turns four eyes off (a conflict of interest, not a question of staffing).
    if not four_eyes:
        deploy_and_activate(
            api, shipped_package("gia_dinh_hoc_tap", four_eyes=False), "gia_dinh_hoc_tap", "DEMO-CT"
        )
    give_role(app, "demo-household", "commune_officer", "DEMO-AH")
    dossier_id = open_for(api, "demo-household")
    four_level_until_commune(api, dossier_id)

    task = api.task_for("demo-household", dossier_id, "commune_scoring")
    before = stored_state(app, dossier_id)
    refused = api.post("demo-household", f"/tasks/{task['id']}/complete", json={"data": commune_accept(10)})
    assert refused.status_code == 409, refused.get_json()
    assert OWN_DOSSIER in refused.get_json()["error"]["message"]
    claimed = api.post("demo-household", f"/tasks/{task['id']}/claim")
    assert claimed.status_code == 409 and OWN_DOSSIER in claimed.get_json()["error"]["message"]
    assert stored_state(app, dossier_id) == before

    # Another commune officer scores it.
    done = api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9))
    assert done["score"] == 90


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"four_eyes": "yes"}, "'four_eyes' chỉ nhận true hoặc false"),
        (
            {"tasks": {"district_verification": {"label": {"vi": "Thẩm định"}, "decision": 1}}},
            "tasks 'district_verification': 'decision' chỉ nhận true hoặc false",
        ),
    ],
)
def test_the_four_eyes_keys_are_checked_at_deploy(api, changes, message):
    data = shipped_package("gia_dinh_hoc_tap", **changes)
    response = api.post("demo-admin", "/procedures", data={"package": (io.BytesIO(data), "goi.zip")})
    assert response.status_code == 422, response.get_json()
    assert message in json.dumps(response.get_json(), ensure_ascii=False)

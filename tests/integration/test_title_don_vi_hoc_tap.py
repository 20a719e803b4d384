"""Đơn vị học tập end to end through the API: the Thông tư 22/2020 procedure (100 points, evaluated and
recognised by the district) in the four-level demo province, and the Thông tư 24/2023 procedure adapted
to two tiers (Mức độ 1/2; a commune-managed unit evaluated and recognised by its commune, a
province-managed one by the province) in the two-tier demo province DEMO-CT25."""

import pytest

from tests.helpers import ApiClient, make_official
from tests.title_factories_citizen_unit import (
    UNIT_TITLE,
    YEAR,
    decision,
    ensure_active,
    ensure_campaign,
    evaluation,
    make_organisation,
    tt22_self_assessment,
    tt24_self_assessment,
)

PASSWORD = "matkhau123"
PACKAGES = ("cong_dan_hoc_tap", "don_vi_hoc_tap", "don_vi_hoc_tap_hai_cap")


def current(result: dict) -> list[str]:
    return [t["name"] for t in result["current_tasks"]]


def open_dossier(api: ApiClient, username: str) -> int:
    response = api.post(username, "/dossiers", json={"title": UNIT_TITLE, "year": YEAR})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["code"].startswith(f"DVHT-{YEAR}-")
    return response.get_json()["id"]


def test_the_citizen_and_unit_packages_validate_deploy_and_carry_the_shipped_criteria_sets(app):
    import json
    from pathlib import Path

    from app.models import utcnow
    from app.services.procedures import deploy_shipped, library_version
    from forms import load_form_definition
    from workflow import compile_procedure, load_procedure_folder

    criteria = {
        "cong_dan_hoc_tap": (
            "cong_dan_hoc_tap_nguoi_dan",
            "cong_dan_hoc_tap_nguoi_lao_dong",
            "cong_dan_hoc_tap_can_bo_doanh_nhan",
            "cong_dan_hoc_tap_hoc_sinh_sinh_vien",
        ),
        "don_vi_hoc_tap": ("don_vi_hoc_tap_tt22_2020",),
        "don_vi_hoc_tap_hai_cap": ("don_vi_hoc_tap_tt24_2023",),
    }
    with app.app_context():
        root = Path(app.config["PROCEDURES_DIR"])
        deployed = {definition.key for definition, _ in deploy_shipped(actor=None, now=utcnow())}
        assert set(PACKAGES) <= deployed
        for key in PACKAGES:
            compile_procedure(load_procedure_folder(root / key))
            for form_key in criteria[key]:
                raw = json.loads((root / key / "forms" / f"{form_key}.json").read_text(encoding="utf-8"))
                # The very criteria set the library publishes: deployed after it, the package pins it.
                assert library_version(load_form_definition(raw)) is not None, (key, form_key)


# ------------------------------------------------------------------ Thông tư 22/2020, four levels


@pytest.fixture
def legacy(app, api: ApiClient):
    ensure_active(app, UNIT_TITLE, "don_vi_hoc_tap", "DEMO-CT")
    school = make_organisation(
        app, "truong-an-hoa", "DEMO-AH", name="Trường Tiểu học An Hòa", password=PASSWORD
    )
    other = make_organisation(
        app, "truong-nhon-ai", "DEMO-NA", name="Trường Tiểu học Nhơn Ái", password=PASSWORD
    )
    make_official(
        app, "thi-dua-ninh-kieu", role="emulation_committee", unit="DEMO-NK", full_name="Thi đua Ninh Kiều"
    )
    for username in (school.username, other.username, "thi-dua-ninh-kieu"):
        api.token(username, PASSWORD)
    return {"school": school.username, "other": other.username, "committee": "thi-dua-ninh-kieu"}


def test_a_unit_rated_under_the_2020_circular_is_evaluated_and_recognised_by_the_district(api, legacy):
    school = legacy["school"]
    dossier_id = open_dossier(api, school)
    assert current(api.dossier(school, dossier_id)) == ["self_assessment"]
    seen = []
    result = api.complete(
        school, dossier_id, "self_assessment", tt22_self_assessment(api, school, dossier_id)
    )
    seen += current(result)
    assert result["score"] == 100 and result["rating"] == "tot"
    assert api.get(legacy["other"], f"/dossiers/{dossier_id}").status_code == 404
    assert api.get("demo-district-b", f"/dossiers/{dossier_id}").status_code == 404
    result = api.complete(
        "demo-district",
        dossier_id,
        "district_evaluation",
        evaluation(api, "demo-district", dossier_id, level=None),
    )
    seen += current(result)
    result = api.complete(legacy["committee"], dossier_id, "recognition_decision", decision("approve"))
    assert seen == ["district_evaluation", "recognition_decision"]
    assert result["status"] == "recognized"


def test_a_unit_under_fifty_points_is_not_recognised(api, legacy):
    school = legacy["school"]
    dossier_id = open_dossier(api, school)
    low = {"c1a": 5, "c1b": 5, "c1c": 5, "c2a": 5, "c2b": 2, "c2c": 5, "c2d": 2, "c3a": 10, "c3b": 5}
    result = api.complete(
        school, dossier_id, "self_assessment", tt22_self_assessment(api, school, dossier_id, low)
    )
    assert result["score"] == 44 and result["status"] == "not_recognized"


def test_the_district_evaluation_team_may_conclude_not_achieved(api, legacy):
    school = legacy["school"]
    dossier_id = open_dossier(api, school)
    api.complete(school, dossier_id, "self_assessment", tt22_self_assessment(api, school, dossier_id))
    result = api.complete(
        "demo-district",
        dossier_id,
        "district_evaluation",
        evaluation(api, "demo-district", dossier_id, "not_achieved"),
    )
    assert result["status"] == "not_recognized" and result["status_reason"] == "Chưa đạt chỉ tiêu 3a"


# ------------------------------------------------------------------ Thông tư 24/2023, two tiers


@pytest.fixture
def two_tier(app, api: ApiClient):
    ensure_active(app, UNIT_TITLE, "don_vi_hoc_tap_hai_cap", "DEMO-CT25")
    ensure_campaign(app, UNIT_TITLE, "DEMO-CT25")
    people = {
        "school": make_organisation(
            app, "thcs-cai-khe", "DEMO-CK", name="Trường THCS Cái Khế", password=PASSWORD
        ),
        "enterprise": make_organisation(
            app,
            "cong-ty-an-binh",
            "DEMO-AB",
            name="Công ty TNHH An Bình",
            category="enterprise",
            password=PASSWORD,
        ),
        "college": make_organisation(
            app, "cao-dang-can-tho", "DEMO-CT25", name="Trường Cao đẳng Cần Thơ", password=PASSWORD
        ),
    }
    make_official(app, "so-gddt-ct25", role="province_officer", unit="DEMO-CT25", full_name="Sở GD&ĐT")
    make_official(app, "thi-dua-ct25", role="emulation_committee", unit="DEMO-CT25", full_name="Ban Thi đua")
    for username in [p.username for p in people.values()] + ["so-gddt-ct25", "thi-dua-ct25"]:
        api.token(username, PASSWORD)
    return {key: person.username for key, person in people.items()}


def test_a_commune_managed_unit_is_evaluated_and_recognised_by_its_commune(api, two_tier):
    school = two_tier["school"]
    dossier_id = open_dossier(api, school)
    seen = []
    result = api.complete(
        school,
        dossier_id,
        "self_assessment",
        tt24_self_assessment(api, school, dossier_id, "muc_1", c1a="muc_2"),
    )
    seen += current(result)
    # Another commune's officials and the province hold nothing of it.
    assert api.get("demo-commune-ab", f"/dossiers/{dossier_id}").status_code == 404
    assert api.get("so-gddt-ct25", "/tasks").get_json()["total"] == 0
    result = api.complete(
        "demo-commune-ck", dossier_id, "commune_evaluation", evaluation(api, "demo-commune-ck", dossier_id)
    )
    seen += current(result)
    result = api.complete(
        "demo-chairman-ck", dossier_id, "commune_recognition", decision("approve", recognised_level="muc_1")
    )
    assert seen == ["commune_evaluation", "commune_recognition"]
    assert result["status"] == "recognized"
    assert api.get(two_tier["enterprise"], f"/dossiers/{dossier_id}").status_code == 404


def test_a_unit_with_an_indicator_not_achieved_is_not_recognised(api, two_tier):
    enterprise = two_tier["enterprise"]
    dossier_id = open_dossier(api, enterprise)
    answers = tt24_self_assessment(api, enterprise, dossier_id, "muc_1", c3a="chua_dat")
    result = api.complete(enterprise, dossier_id, "self_assessment", answers)
    assert result["status"] == "not_recognized" and current(result) == []


def test_the_commune_returns_a_unit_and_the_chairman_rejects_it(api, two_tier):
    school = two_tier["school"]
    dossier_id = open_dossier(api, school)
    api.complete(school, dossier_id, "self_assessment", tt24_self_assessment(api, school, dossier_id))
    returned = api.complete(
        "demo-commune-ck",
        dossier_id,
        "commune_evaluation",
        evaluation(api, "demo-commune-ck", dossier_id, "return_to_unit"),
    )
    assert returned["status"] == "returned" and current(returned) == ["self_assessment"]
    api.complete(school, dossier_id, "self_assessment", tt24_self_assessment(api, school, dossier_id))
    api.complete(
        "demo-commune-ck", dossier_id, "commune_evaluation", evaluation(api, "demo-commune-ck", dossier_id)
    )
    result = api.complete("demo-chairman-ck", dossier_id, "commune_recognition", decision("reject"))
    assert result["status"] == "rejected"


def test_a_province_managed_unit_is_evaluated_and_recognised_by_the_province(api, two_tier):
    college = two_tier["college"]
    dossier_id = open_dossier(api, college)
    seen = []
    result = api.complete(
        college, dossier_id, "self_assessment", tt24_self_assessment(api, college, dossier_id, "muc_2")
    )
    seen += current(result)
    assert api.get("demo-commune-ck", "/tasks").get_json()["total"] == 0
    result = api.complete(
        "so-gddt-ct25",
        dossier_id,
        "province_evaluation",
        evaluation(api, "so-gddt-ct25", dossier_id, level="muc_2"),
    )
    seen += current(result)
    result = api.complete("thi-dua-ct25", dossier_id, "province_recognition", decision("approve"))
    assert seen == ["province_evaluation", "province_recognition"]
    assert result["status"] == "recognized"


def _recognise_directly(app, citizen_subject_id: int, title: str, year: int) -> None:
    """A learning-citizen recognition standing in the records (its own walk is tested elsewhere)."""
    from app.extensions import db
    from app.models import Dossier, ProcessDefinition, Subject

    with app.app_context():
        subject = db.session.get(Subject, citizen_subject_id)
        definition = db.session.query(ProcessDefinition).filter_by(key="cong_dan_hoc_tap").first()
        db.session.add(
            Dossier(
                code=f"CDHT-TEST-{citizen_subject_id}",
                title=title,
                year=year,
                subject_id=subject.id,
                unit_id=subject.unit_id,
                unit_path=subject.unit.path,
                process_definition_id=definition.id,
                state="",
                status="recognized",
            )
        )
        db.session.commit()


def test_the_commune_evaluation_freezes_the_share_of_staff_recognised_as_learning_citizens(
    app, api, two_tier
):
    """Thông tư 24/2023's "from 90% of members learning citizens" is counted by the system from the staff
    list and the year's learning-citizen recognitions, and frozen when the commune evaluates."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import IndicatorSnapshot, Subject, User
    from tests.title_factories_citizen_unit import Account, add_staff, make_citizen

    with app.app_context():
        user_id, subject_id = db.session.execute(
            select(User.id, Subject.id)
            .join(Subject, Subject.account_id == User.id)
            .where(User.username == two_tier["school"])
        ).one()
    school = Account(two_tier["school"], user_id, subject_id)
    teachers = [
        make_citizen(app, f"gv-ck-{n}", "DEMO-CK-V1", "can_bo_doanh_nhan", name=f"Giáo viên {n}")
        for n in (1, 2)
    ]
    for teacher in teachers:
        add_staff(app, school, teacher)
    _recognise_directly(app, teachers[0].subject_id, "cong_dan_hoc_tap", YEAR)

    dossier_id = open_dossier(api, school.username)
    api.complete(
        school.username,
        dossier_id,
        "self_assessment",
        tt24_self_assessment(api, school.username, dossier_id, "muc_1"),
    )
    api.complete(
        "demo-commune-ck", dossier_id, "commune_evaluation", evaluation(api, "demo-commune-ck", dossier_id)
    )
    # A later recognition below changes nothing already evaluated.
    _recognise_directly(app, teachers[1].subject_id, "cong_dan_hoc_tap", YEAR)
    with app.app_context():
        snapshot = db.session.scalar(
            select(IndicatorSnapshot).where(IndicatorSnapshot.dossier_id == dossier_id)
        )
        assert (snapshot.field, snapshot.indicator) == ("staff_citizens_share", "staff_citizens_recognised")
        assert (snapshot.value, snapshot.numerator, snapshot.denominator) == (50.0, 1, 2)
        assert [row["counted"] for row in snapshot.basis] == [True, False]

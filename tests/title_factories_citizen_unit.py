"""Subjects, activations, campaigns and form answers for the Công dân học tập and Đơn vị học tập tests:
citizens of each target group, organisations with staff, and the 2026 campaign of a province."""

import io
from dataclasses import dataclass
from datetime import timedelta

from tests.factories import FACTORY_PASSWORD

YEAR = 2026
CITIZEN_TITLE = "cong_dan_hoc_tap"
UNIT_TITLE = "don_vi_hoc_tap"
INDICATORS = tuple(f"i{n}" for n in range(1, 11))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Account:
    """A subject with its own account (role ``applicant``)."""

    username: str
    user_id: int
    subject_id: int


def _subject_with_account(app, username: str, unit_code: str, *, password: str, **columns) -> Account:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AdminUnit, Subject, utcnow
    from app.services import accounts

    with app.app_context():
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == unit_code))
        assert unit is not None, f"no unit {unit_code}"
        count = db.session.scalar(select(func.count(Subject.id)).where(Subject.unit_id == unit.id))
        subject = Subject(
            code=f"{unit_code}-{columns['kind'][:3].upper()}{count + 1:03d}", unit=unit, **columns
        )
        db.session.add(subject)
        db.session.commit()
        user = accounts.create_user(username, subject.name, password, actor=None, now=utcnow())
        accounts.assign_role(user.id, "applicant", unit_code, actor=None, now=utcnow())
        subject = db.session.get(Subject, subject.id)
        subject.account_id = user.id
        db.session.commit()
        return Account(username, user.id, subject.id)


def make_citizen(
    app,
    username: str,
    village_code: str,
    category: str,
    *,
    name: str,
    gender: str = "nam",
    birth_year: int = 1985,
    password: str = FACTORY_PASSWORD,
) -> Account:
    """A citizen living in ``village_code``, of the target group ``category`` (its criteria form)."""
    return _subject_with_account(
        app,
        username,
        village_code,
        password=password,
        kind="citizen",
        name=name,
        category=category,
        gender=gender,
        birth_year=birth_year,
        address=f"{village_code}",
    )


def make_organisation(
    app,
    username: str,
    unit_code: str,
    *,
    name: str,
    category: str = "school",
    password: str = FACTORY_PASSWORD,
) -> Account:
    """An agency, school or enterprise managed by ``unit_code`` (a commune, or the province)."""
    return _subject_with_account(
        app, username, unit_code, password=password, kind="organisation", name=name, category=category
    )


def add_staff(app, organisation: Account, citizen: Account, position: str = "Giáo viên") -> None:
    from app.extensions import db
    from app.models import SubjectLink

    with app.app_context():
        db.session.add(
            SubjectLink(
                parent_id=organisation.subject_id,
                child_id=citizen.subject_id,
                relation="staff",
                position=position,
            )
        )
        db.session.commit()


def ensure_active(app, title: str, key: str, province_code: str) -> int:
    """Make the latest version of package ``key`` the one ``title`` runs in the province, unless it is
    already; returns that version's id."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, ProcessDefinition
    from app.services.procedures import activate_version, definition_for

    with app.app_context():
        province = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province_code))
        current = definition_for(title, province)
        if current is not None and current.key == key:
            return current.id
        latest = db.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        ).first()
        assert latest is not None, f"package {key} is not deployed"
        activate_version(latest, province_code, actor=None, now=_now())
        return latest.id


def _now():
    from app.models import utcnow

    return utcnow()


def ensure_campaign(app, title: str, province_code: str, year: int = YEAR) -> int:
    """The province's campaign of ``title`` for ``year``, open, with today in its self-assessment window
    (made when the demo has none)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Campaign
    from app.services.campaign_rules import local_day

    with app.app_context():
        province = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province_code))
        campaign = db.session.scalar(
            select(Campaign).where(
                Campaign.province_id == province.id, Campaign.title == title, Campaign.year == year
            )
        )
        if campaign is None:
            today = local_day(_now())
            campaign = Campaign(
                province_id=province.id,
                title=title,
                year=year,
                name=f"Đợt {year}",
                registration_from=today - timedelta(days=300),
                registration_to=today - timedelta(days=200),
                evidence_from=today.replace(year=year, month=1, day=1),
                evidence_to=today.replace(year=year, month=12, day=31),
                assessment_from=today - timedelta(days=30),
                assessment_to=today + timedelta(days=60),
                deadlines={},
                status="open",
                opened_at=_now(),
            )
            db.session.add(campaign)
            db.session.commit()
        return campaign.id


def upload(api, username: str, dossier_id: int, name: str = "minh-chung.pdf") -> int:
    response = api.post(username, f"/dossiers/{dossier_id}/evidence", data={"file": (io.BytesIO(PDF), name)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def citizen_self_report(api, username: str, dossier_id: int, points: int = 9, **overrides) -> dict:
    """Answers for any of the four group forms: every indicator ``points`` unless overridden, and one
    piece of evidence per competency group (each group with points needs one)."""
    evidence = upload(api, username, dossier_id)
    return {
        **{item: overrides.get(item, points) for item in INDICATORS},
        "evidence_c1": [evidence],
        "evidence_c2": [evidence],
        "evidence_c3": [evidence],
    }


def decision(answer: str = "approve", **extra) -> dict:
    if answer == "approve":
        return {
            "decision": "approve",
            "decision_number": "15/QĐ-UBND",
            "decision_date": f"{YEAR}-12-15",
            "signer": "Trần Văn Ký",
            **extra,
        }
    return {"decision": answer, "reason": "Chưa đủ minh chứng", **extra}


def tt22_self_assessment(api, username: str, dossier_id: int, points: dict | None = None) -> dict:
    """Thông tư 22/2020: full marks by default (100 points, Tốt)."""
    full = {"c1a": 10, "c1b": 10, "c1c": 10, "c2a": 10, "c2b": 5, "c2c": 10, "c2d": 5, "c3a": 25, "c3b": 15}
    evidence = upload(api, username, dossier_id)
    return {
        **full,
        **(points or {}),
        "evidence_c1": [evidence],
        "evidence_c2": [evidence],
        "evidence_c3": [evidence],
    }


TT24_ITEMS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c3c", "c3d")


def tt24_self_assessment(api, username: str, dossier_id: int, level: str = "muc_1", **overrides) -> dict:
    """Thông tư 24/2023: every indicator at ``level`` unless overridden, with the self-assessment report."""
    report = upload(api, username, dossier_id, "bao-cao-tu-danh-gia.pdf")
    return {**{item: overrides.get(item, level) for item in TT24_ITEMS}, "self_assessment_report": [report]}


def evaluation(
    api, username: str, dossier_id: int, answer: str = "propose", level: str | None = "muc_1"
) -> dict:
    data = {"decision": answer}
    if answer in ("propose", "not_achieved"):
        data |= {
            "evaluation_date": f"{YEAR}-12-05",
            "evaluation_report": [upload(api, username, dossier_id, "bien-ban-danh-gia.pdf")],
        }
    if answer == "propose" and level:
        data["evaluated_level"] = level
    if answer != "propose":
        data["reason"] = "Chưa đạt chỉ tiêu 3a"
    return data

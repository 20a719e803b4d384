"""Factories for the village learning-community title (bpmn/cong_dong_hoc_tap_thon) in the two-tier demo
province DEMO-CT25: the village's learning-community subject, the procedure active there, the 2026
campaign in its self-assessment window, and learning-family dossiers of the village recognised through
the two-tier procedure (so the household share has something to count).

Everything is made only when the demo does not have it already, so the tests keep passing once the demo
ships these itself.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from tests.helpers import YEAR, ApiClient, commune_accept, self_report

TITLE = "cong_dong_hoc_tap_thon"
FAMILY_TITLE = "gia_dinh_hoc_tap"
PROVINCE = "DEMO-CT25"
VILLAGE = "DEMO-CK-V1"
# The demo officials of Phường Cái Khế (two-tier) who hold the village title's and the family title's steps.
VILLAGE_HEAD = "demo-village-ck1"
COMMUNE_OFFICER = "demo-commune-ck"
CHAIRMAN = "demo-chairman-ck"
FAMILY_ACCOUNT = "demo-household-ck"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class VillageSetup:
    subject_id: int
    village_code: str
    head: str


def village_subject(app, village_code: str = VILLAGE, *, head: str = VILLAGE_HEAD) -> VillageSetup:
    """The village's learning-community subject (kind village, unit = the village), made when the demo has
    none. It has no account: the village head acts on its dossier as an official (lane village_head), and
    nobody judges a dossier whose subject their own account holds."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Subject

    with app.app_context():
        village = db.session.scalar(select(AdminUnit).where(AdminUnit.code == village_code))
        assert village is not None, f"no unit {village_code}"
        subject = db.session.scalar(
            select(Subject)
            .where(Subject.kind == "village", Subject.unit_id == village.id)
            .order_by(Subject.id)
        )
        if subject is None:
            subject = Subject(
                code=f"{village_code}-CDHT",
                kind="village",
                name=village.name,
                unit=village,
                address=village.name,
            )
            db.session.add(subject)
            db.session.commit()
        return VillageSetup(subject.id, village_code, head)


def activate_title(app, province: str = PROVINCE) -> None:
    """Make the village learning-community procedure active for ``province`` when nothing is."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, ProcessDefinition, utcnow
    from app.services.procedures import activate_version, definition_for

    with app.app_context():
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province))
        if definition_for(TITLE, unit) is not None:
            return
        definition = db.session.scalar(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == TITLE)
            .order_by(ProcessDefinition.version.desc())
        )
        assert definition is not None, "bpmn/cong_dong_hoc_tap_thon was not deployed"
        activate_version(definition, province, actor=None, now=utcnow())


def open_campaign(app, province: str = PROVINCE, *, title: str = TITLE, year: int = YEAR) -> int:
    """The province's campaign for ``title`` and ``year``, open with a self-assessment window around
    today; an existing one is left as it is unless it is a draft or its window misses today."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Campaign, utcnow
    from app.services.campaign_rules import local_day

    with app.app_context():
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province))
        campaign = db.session.scalar(
            select(Campaign).where(
                Campaign.province_id == unit.id, Campaign.title == title, Campaign.year == year
            )
        )
        today = local_day(utcnow())
        if campaign is None:
            campaign = Campaign(
                province_id=unit.id,
                title=title,
                year=year,
                name=f"Đợt đánh giá năm {year}",
                registration_from=date(year, 1, 1),
                registration_to=date(year, 3, 31),
                evidence_from=date(year, 1, 1),
                evidence_to=date(year, 12, 31),
                assessment_from=min(date(year, 11, 1), today),
                assessment_to=max(date(year, 12, 31), today),
                deadlines={},
                status="open",
                opened_at=utcnow(),
            )
            db.session.add(campaign)
        elif campaign.status == "draft" or not campaign.assessment_from <= today <= campaign.assessment_to:
            campaign.status = "open"
            campaign.assessment_from = min(campaign.assessment_from, today)
            campaign.assessment_to = max(campaign.assessment_to, today)
        db.session.commit()
        return campaign.id


def ready_village(app, village_code: str = VILLAGE) -> VillageSetup:
    """The subject, the procedure and the campaign: what a village learning-community test needs."""
    setup = village_subject(app, village_code)
    activate_title(app)
    open_campaign(app)
    return setup


def village_households(app, village_code: str = VILLAGE) -> list[int]:
    """The household subjects of the village (and its residential groups), by code."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Subject

    with app.app_context():
        village = db.session.scalar(select(AdminUnit).where(AdminUnit.code == village_code))
        return list(
            db.session.scalars(
                select(Subject.id)
                .join(AdminUnit, AdminUnit.id == Subject.unit_id)
                .where(Subject.kind == "household", AdminUnit.path.startswith(village.path))
                .order_by(Subject.code)
            )
        )


def recognised_families(app, village_code: str = VILLAGE, year: int = YEAR) -> set[int]:
    """The village's households whose learning-family dossier of ``year`` is recognised."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Dossier

    households = village_households(app, village_code)
    with app.app_context():
        return set(
            db.session.scalars(
                select(Dossier.subject_id).where(
                    Dossier.subject_id.in_(households),
                    Dossier.title == FAMILY_TITLE,
                    Dossier.year == year,
                    Dossier.status == "recognized",
                )
            )
        )


def _families_without_dossier(app, village_code: str, year: int) -> list[int]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Dossier

    households = village_households(app, village_code)
    with app.app_context():
        taken = set(
            db.session.scalars(
                select(Dossier.subject_id).where(
                    Dossier.subject_id.in_(households), Dossier.title == FAMILY_TITLE, Dossier.year == year
                )
            )
        )
    return [subject_id for subject_id in households if subject_id not in taken]


def _hand_to(app, subject_id: int, username: str) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.get(Subject, subject_id).account_id = user.id
        db.session.commit()


def recognise_family(api: ApiClient, app, subject_id: int, *, year: int = YEAR) -> int:
    """Take one household's learning-family dossier through the two-tier procedure to recognition, each
    step by the demo account holding it (the household is handed to the demo household account)."""
    _hand_to(app, subject_id, FAMILY_ACCOUNT)
    response = api.post(
        FAMILY_ACCOUNT, "/dossiers", json={"title": FAMILY_TITLE, "year": year, "subject_id": subject_id}
    )
    assert response.status_code == 201, response.get_json()
    dossier_id = response.get_json()["id"]
    api.complete(FAMILY_ACCOUNT, dossier_id, "self_report", self_report(9))
    upload = api.post(
        VILLAGE_HEAD, f"/dossiers/{dossier_id}/evidence", data={"file": (io.BytesIO(PDF), "bien-ban.pdf")}
    )
    assert upload.status_code == 201, upload.get_json()
    api.complete(
        VILLAGE_HEAD,
        dossier_id,
        "village_review",
        {
            "decision": "propose",
            "meeting_date": f"{year}-11-20",
            "households_present": 5,
            "minutes": [upload.get_json()["id"]],
        },
    )
    api.complete(
        COMMUNE_OFFICER, dossier_id, "commune_scoring", {**commune_accept(9), "law_violation": False}
    )
    result = api.complete(
        CHAIRMAN,
        dossier_id,
        "recognition_decision",
        {
            "decision": "approve",
            "decision_number": "125/QĐ-UBND",
            "decision_date": f"{year}-11-25",
            "signer": "Trần Văn Chủ tịch",
        },
    )
    assert result["status"] == "recognized", result
    return dossier_id


def recognise_families(
    api: ApiClient, app, count: int, *, village_code: str = VILLAGE, year: int = YEAR
) -> list[int]:
    """Recognise ``count`` more households of the village (those without a dossier of the year yet);
    returns their subject ids."""
    candidates = _families_without_dossier(app, village_code, year)
    assert len(candidates) >= count, f"{village_code} has only {len(candidates)} households left"
    chosen = candidates[:count]
    for subject_id in chosen:
        recognise_family(api, app, subject_id, year=year)
    return chosen


# -- the village learning-community steps -------------------------------------------------------------

SCORE_ITEMS = ("c1a", "c2a", "c3b", "c4a")
MAX_POINTS = {"c1a": 20, "c2a": 20, "c3b": 20, "c4a": 20}


def village_scores(points: dict | None = None) -> dict:
    """Full points on every typed item unless overridden (the household share is the server's)."""
    return {item: (points or {}).get(item, MAX_POINTS[item]) for item in SCORE_ITEMS}


def commune_scores(points: dict | None = None) -> dict:
    return {"decision": "accept", **village_scores(points)}


def chairman_approve(year: int = YEAR) -> dict:
    return {
        "decision": "approve",
        "decision_number": "210/QĐ-UBND",
        "decision_date": f"{year}-12-10",
        "signer": "Trần Văn Chủ tịch",
    }


def open_village_dossier(app, setup: VillageSetup, *, year: int = YEAR, by: str = COMMUNE_OFFICER) -> int:
    """Open the village's dossier as the commune officer does for a subject without an account (the
    desk; on paper the village registers through the commune)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject, User, utcnow
    from app.services.dossiers import open_dossier

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == by))
        dossier = open_dossier(
            db.session.get(Subject, setup.subject_id), TITLE, year, actor=officer, now=utcnow()
        )
        return dossier.id


def expected_points(share: float | None) -> int:
    """The household share's points under the package's thresholds (70 → 20, 60 → 15, 50 → 10)."""
    if share is None:
        return 0
    for low, points in ((70, 20), (60, 15), (50, 10)):
        if share >= low:
            return points
    return 0

"""What the clan and commune learning-community tests build on top of the demo: a clan with member
households in two villages and its own account, a commune subject, provincial officials, the province's
activation of a package and a 2026 campaign whose self-assessment window is open today."""

from datetime import timedelta

from tests.helpers import make_official

PASSWORD = "matkhau123"
YEAR = 2026


def _account(username: str, full_name: str, role: str, unit_code: str):
    from app.models import utcnow
    from app.services import accounts

    user = accounts.create_user(username, full_name, PASSWORD, actor=None, now=utcnow())
    accounts.assign_role(user.id, role, unit_code, actor=None, now=utcnow())
    return user


def _unit(code: str):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit

    return db.session.scalar(select(AdminUnit).where(AdminUnit.code == code))


def make_clan(
    app,
    *,
    code: str = "DH-CK-NGUYEN-VAN",
    name: str = "Dòng họ Nguyễn Văn (chi họ phường Cái Khế)",
    commune: str = "DEMO-CK",
    villages: tuple[str, ...] = ("DEMO-CK-V1", "DEMO-CK-V2"),
    per_village: int = 2,
    username: str = "dong-ho-nguyen-van-ck",
) -> dict:
    """A clan registered at ``commune`` (where its Ban khuyến học sits), its account (role ``applicant``)
    and ``per_village`` member households from each of ``villages``, linked ``clan_member``."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject, SubjectLink
    from app.services.uow import commit

    with app.app_context():
        user = _account(username, f"Ban khuyến học {name}", "applicant", commune)
        clan = Subject(
            code=code,
            kind="clan",
            name=name,
            unit=_unit(commune),
            address="Nhà thờ họ, " + _unit(commune).name,
            account_id=user.id,
        )
        db.session.add(clan)
        db.session.flush()
        members = []
        for village_code in villages:
            households = db.session.scalars(
                select(Subject)
                .where(Subject.kind == "household", Subject.unit_id == _unit(village_code).id)
                .order_by(Subject.id)
                .limit(per_village)
            ).all()
            assert len(households) == per_village, village_code
            for position, household in enumerate(households, start=len(members) + 1):
                db.session.add(
                    SubjectLink(
                        parent_id=clan.id,
                        child_id=household.id,
                        relation="clan_member",
                        position=str(position),
                    )
                )
                members.append(household.id)
        commit()
        return {"subject_id": clan.id, "username": username, "member_ids": members}


def make_commune_subject(app, *, commune: str = "DEMO-CK", username: str | None = None) -> dict:
    """The commune as the subject of its own learning-community title (its unit is the commune itself):
    the demo's one when there is one, else a new one. With ``username``, a subject without an account gets
    one (role ``applicant``: the commune's steering committee for the learning society) that opens
    dossiers through the API. Returns the subject id and the username (and password) that opens them."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject, User
    from app.services.uow import commit

    with app.app_context():
        unit = _unit(commune)
        subject = db.session.scalar(
            select(Subject).where(Subject.kind == "commune", Subject.unit_id == unit.id).order_by(Subject.id)
        )
        if subject is None:
            subject = Subject(code=f"XA-{commune}", kind="commune", name=unit.name, unit=unit)
            db.session.add(subject)
            db.session.flush()
        password = PASSWORD
        if subject.account_id is not None:
            # An account the demo already gave it: demo accounts share the demo password.
            username, password = db.session.get(User, subject.account_id).username, "demo1234"
        elif username is not None:
            user = _account(
                username, f"Ban chỉ đạo xây dựng xã hội học tập {unit.name}", "applicant", commune
            )
            subject.account_id = user.id
        commit()
        return {"subject_id": subject.id, "username": username, "password": password}


def make_province_officer(app, username: str, full_name: str, province: str = "DEMO-CT25") -> str:
    """An officer of the province's Sở GD&ĐT (role ``province_officer``); password ``matkhau123``."""
    make_official(
        app, username, role="province_officer", unit=province, full_name=full_name, password=PASSWORD
    )
    return username


def ensure_active(app, key: str, province: str) -> None:
    """Make the newest deployed version of package ``key`` the one its title runs in ``province``,
    unless the province already runs that package (the demo may have activated it)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ProcessDefinition, utcnow
    from app.services.procedures import activate_version, definition_for

    with app.app_context():
        newest = db.session.scalar(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        assert newest is not None, f"package {key} is not deployed"
        current = definition_for(newest.title_key, _unit(province))
        if current is None or current.key != key:
            activate_version(newest, province, actor=None, now=utcnow())


def ensure_campaign(app, title: str, province: str, *, year: int = YEAR) -> int:
    """The province's open campaign for ``title`` and ``year``; made when there is none, with its
    self-assessment window around today so that dossiers open now."""
    from datetime import date

    from sqlalchemy import select

    from app.extensions import db
    from app.models import Campaign, utcnow
    from app.services.campaign_rules import local_day
    from app.services.uow import commit

    with app.app_context():
        unit = _unit(province)
        campaign = db.session.scalar(
            select(Campaign).where(
                Campaign.province_id == unit.id, Campaign.title == title, Campaign.year == year
            )
        )
        if campaign is None:
            today = local_day(utcnow())
            campaign = Campaign(
                province_id=unit.id,
                title=title,
                year=year,
                name=f"Đợt đánh giá năm {year}",
                registration_from=date(year, 1, 1),
                registration_to=date(year, 3, 31),
                evidence_from=date(year, 1, 1),
                evidence_to=date(year, 12, 31),
                assessment_from=today - timedelta(days=30),
                assessment_to=today + timedelta(days=30),
                deadlines={},
                status="open",
                created_at=utcnow(),
                opened_at=utcnow(),
            )
            db.session.add(campaign)
            commit()
        return campaign.id


def dossier_campaign(app, dossier_id: int) -> tuple[int | None, bool]:
    """The dossier's campaign id, and whether a registration row points at the dossier."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Dossier, Registration

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        registered = db.session.scalar(select(Registration.id).where(Registration.dossier_id == dossier_id))
        return dossier.campaign_id, registered is not None


def recognise_families(app, household_ids, *, title: str = "gia_dinh_hoc_tap", year: int = YEAR) -> None:
    """Record the year's learning-family result of each household as recognised, as a finished dossier
    of the title's active procedure would leave it (the tests of that title walk the steps themselves)."""
    from app.extensions import db
    from app.models import Dossier, Subject, utcnow
    from app.services.procedures import definition_for
    from app.services.uow import commit

    with app.app_context():
        now = utcnow()
        for household_id in household_ids:
            subject = db.session.get(Subject, household_id)
            dossier = Dossier(
                code=f"GDHT-{year}-T{household_id:06d}",
                title=title,
                year=year,
                subject=subject,
                unit_id=subject.unit_id,
                unit_path=subject.unit.path,
                process_definition=definition_for(title, subject.unit),
                state="",
                status="recognized",
                created_by_id=subject.account_id,
                created_at=now,
                updated_at=now,
                completed_at=now,
            )
            db.session.add(dossier)
        commit()


def frozen_share(app, dossier_id: int, field: str) -> float | None:
    """The value of a derived indicator frozen in the dossier when the official scored it."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import IndicatorSnapshot

    with app.app_context():
        return db.session.scalar(
            select(IndicatorSnapshot.value).where(
                IndicatorSnapshot.dossier_id == dossier_id, IndicatorSnapshot.field == field
            )
        )

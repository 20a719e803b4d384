"""Demo data, two trees side by side.

- Cần Thơ before the 2025 reform: two districts of two communes, two villages each, ten households per
  village, on the four-level procedures (commune → district → city), active everywhere.
- Cần Thơ after it (province → commune, no districts): two wards with two residential areas each, five
  households per area, on the two-tier procedures (village review → commune → commune chairman),
  activated for that province only, with this year's campaign for every title open and in its
  self-assessment window.

Every commune also has its learning-community subjects (itself and each village), two clans (dòng họ) with
member families in both villages, a primary school, the People's Committee office and an enterprise with
their staff (citizens, cán bộ – doanh nhân), and a citizen of each other group per village. Households are
made by ``app.demo_people``: gendered names, the wife with her own surname, children with the father's.
"""

import functools
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from app import demo_people as people
from app.extensions import db
from app.labels import localized
from app.models import (
    AdminUnit,
    Campaign,
    HouseholdMember,
    ProcedureActivation,
    ProcessDefinition,
    Subject,
    SubjectLink,
    User,
)
from app.services import accounts, audit
from app.services.campaign_rules import local_day
from app.services.forms import publish_shipped
from app.services.procedures import activate_version, compiled_for, definition_for, deploy_shipped
from app.services.units import ensure_levels, ensure_unit
from app.services.uow import commit
from app.titles import catalogue

DEMO_PASSWORD = "demo1234"  # noqa: S105  (demo data only, printed in the README)
# Members' birth years are drawn as of this year, whatever day the demo is loaded.
DEMO_YEAR = 2026

TREE = {
    ("DEMO-NK", "Quận Ninh Kiều"): [("DEMO-AH", "Phường An Hòa"), ("DEMO-XK", "Phường Xuân Khánh")],
    ("DEMO-PD", "Huyện Phong Điền"): [("DEMO-NA", "Xã Nhơn Ái"), ("DEMO-MK", "Xã Mỹ Khánh")],
}
COMMUNE_A, COMMUNE_B = "DEMO-AH", "DEMO-NA"
# After 1 July 2025 An Hòa is part of Phường Cái Khế and Mỹ Khánh of Phường An Bình (domain notes §3.2).
TWO_TIER_PROVINCE = ("DEMO-CT25", "Thành phố Cần Thơ (từ 01/7/2025)")
TWO_TIER_COMMUNES = (("DEMO-CK", "Phường Cái Khế"), ("DEMO-AB", "Phường An Bình"))
TWO_TIER_PROCEDURE = "gia_dinh_hoc_tap_hai_cap"
# Where the demo runs each shipped procedure: the four-level ones everywhere, the two-tier ones in their
# province. A key with no package under bpmn/ is skipped.
LEGACY_PACKAGES = (
    "gia_dinh_hoc_tap",
    "cong_dan_hoc_tap",
    "dong_ho_hoc_tap",
    "cong_dong_hoc_tap_thon",
    "don_vi_hoc_tap",
    "cong_dong_hoc_tap_xa",
)
TWO_TIER_PACKAGES = (TWO_TIER_PROCEDURE, "don_vi_hoc_tap_hai_cap", "cong_dong_hoc_tap_xa_hai_cap")
DEMO_ACTIVATIONS = {
    **dict.fromkeys(LEGACY_PACKAGES),
    **dict.fromkeys(TWO_TIER_PACKAGES, TWO_TIER_PROVINCE[0]),
}
TWO_TIER_ACCOUNTS = (
    ("demo-village-ck1", "Tổ trưởng Khu vực 1, Cái Khế", "village_head", "DEMO-CK-V1"),
    ("demo-village-ck2", "Tổ trưởng Khu vực 2, Cái Khế", "village_head", "DEMO-CK-V2"),
    ("demo-village-ab1", "Tổ trưởng Khu vực 1, An Bình", "village_head", "DEMO-AB-V1"),
    ("demo-village-ab2", "Tổ trưởng Khu vực 2, An Bình", "village_head", "DEMO-AB-V2"),
    ("demo-commune-ck", "Cán bộ phường Cái Khế", "commune_officer", "DEMO-CK"),
    ("demo-commune-ab", "Cán bộ phường An Bình", "commune_officer", "DEMO-AB"),
    ("demo-chairman-ck", "Chủ tịch UBND phường Cái Khế", "commune_chairman", "DEMO-CK"),
    ("demo-chairman-ab", "Chủ tịch UBND phường An Bình", "commune_chairman", "DEMO-AB"),
)
# Those who see an area without deciding (Hội Khuyến học) and the province's Department of Education.
AREA_ACCOUNTS = (
    ("demo-association", "Hội Khuyến học phường Cái Khế", "association", "DEMO-CK"),
    ("demo-province", "Sở Giáo dục và Đào tạo thành phố Cần Thơ", "province_officer", "DEMO-CT25"),
)
# Each commune's two clans: the surnames of the families that form them.
CLANS = {
    "DEMO-AH": ("Trần", "Nguyễn"),  # demo-household's family is a Trần (tests search "hộ trần")
    "DEMO-XK": ("Lê", "Phạm"),
    "DEMO-NA": ("Nguyễn", "Võ"),
    "DEMO-MK": ("Huỳnh", "Trần"),
    "DEMO-CK": ("Nguyễn", "Lê"),
    "DEMO-AB": ("Trần", "Phan"),
}
ENTERPRISES = (
    "Công ty TNHH Chế biến thủy sản {short}",
    "Công ty Cổ phần Du lịch {short}",
    "Hợp tác xã Trái cây {short}",
    "Công ty TNHH Xay xát lúa gạo {short}",
    "Công ty Cổ phần Dược phẩm {short}",
    "Công ty TNHH Cơ khí {short}",
)
SCHOOL_STAFF = ("Hiệu trưởng", "Phó Hiệu trưởng", "Giáo viên", "Giáo viên")
OFFICE_STAFF = (
    "Chánh Văn phòng",
    "Công chức Văn phòng – Thống kê",
    "Công chức Tư pháp – Hộ tịch",
    "Công chức Văn hóa – Xã hội",
)
COMPANY_STAFF = ("Giám đốc", "Kế toán trưởng", "Trưởng phòng kinh doanh", "Nhân viên hành chính")
# The other citizen groups (each its own criteria form) and the ages they are drawn from.
CITIZEN_GROUPS = (("nguoi_dan", 30, 75), ("nguoi_lao_dong", 20, 55), ("hoc_sinh_sinh_vien", 10, 22))

ACCOUNTS = (
    ("demo-commune", "Cán bộ xã An Hòa", "commune_officer", COMMUNE_A),
    ("demo-commune-b", "Cán bộ xã Nhơn Ái", "commune_officer", COMMUNE_B),
    ("demo-commune-c", "Cán bộ phường Xuân Khánh", "commune_officer", "DEMO-XK"),
    ("demo-commune-d", "Cán bộ xã Mỹ Khánh", "commune_officer", "DEMO-MK"),
    ("demo-district", "Cán bộ quận Ninh Kiều", "district_officer", "DEMO-NK"),
    ("demo-district-b", "Cán bộ huyện Phong Điền", "district_officer", "DEMO-PD"),
    ("demo-city", "Hội đồng Thi đua – Khen thưởng TP Cần Thơ", "emulation_committee", "DEMO-CT"),
    ("demo-admin", "Quản trị hệ thống", "admin", "DEMO-CT"),
)


@functools.cache
def _password_hash() -> str:
    # One hash for every demo account (same password): scrypt costs ~0.1 s a call and the demo loads once
    # per test session.
    return generate_password_hash(DEMO_PASSWORD)


def _account(username: str, full_name: str, *, now: datetime) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(
            username=username,
            full_name=full_name,
            email=f"{username}@example.org",
            active=True,
            created_at=now,
        )
        user.password_hash = _password_hash()
        db.session.add(user)
        db.session.flush()
        audit.record("user.created", actor=None, at=now, obj=user, details={"username": username})
        commit()
    return user


def _households(
    village, commune_name: str, count: int, clan_surnames: tuple[str, str]
) -> tuple[int, Subject]:
    """``count`` households in ``village`` (added once); returns how many were added and the first.

    Every fourth household from the first is headed by a man of the commune's first clan, every fourth from
    the third by one of its second clan, so each clan has member families in both villages."""
    added, first = 0, None
    for h in range(1, count + 1):
        code = f"{village.code}-H{h:02d}"
        subject = db.session.scalar(select(Subject).where(Subject.code == code))
        if subject is None:
            rng = random.Random(f"demo-household:{code}")  # noqa: S311  (deterministic demo names)
            clan = {1: clan_surnames[0], 3: clan_surnames[1]}.get(h % 4)
            members = people.household(rng, DEMO_YEAR, surname=clan, male_head=True if clan else None)
            subject = Subject(
                code=code,
                kind="household",
                name=f"Hộ {members[0].full_name}",
                unit=village,
                address=f"Số {h * 7}, {village.name}, {commune_name}",
            )
            for person in members:
                subject.members.append(
                    HouseholdMember(
                        full_name=person.full_name,
                        gender=person.gender,
                        birth_year=person.birth_year,
                        relation=person.relation,
                        is_head=person.is_head,
                    )
                )
            db.session.add(subject)
            added += 1
        first = first or subject
    return added, first


def _villages(commune, commune_name: str):
    village_word = "Khu vực" if commune_name.startswith("Phường") else "Ấp"
    return [ensure_unit(f"{commune.code}-V{v}", f"{village_word} {v}", "village", commune)[0] for v in (1, 2)]


def _link_household(username: str, subject: Subject, *, now: datetime) -> None:
    user = _account(username, subject.name, now=now)
    accounts.assign_role(user.id, "household", subject.unit.code, actor=None, now=now)
    subject.account_id = user.id
    commit()


def _seed_four_level(*, now: datetime) -> int:
    city, _ = ensure_unit("DEMO-CT", "Thành phố Cần Thơ", "province")
    households, first_household = 0, {}
    for (district_code, district_name), communes in TREE.items():
        district, _ = ensure_unit(district_code, district_name, "district", city)
        for commune_code, commune_name in communes:
            commune, _ = ensure_unit(commune_code, commune_name, "commune", district)
            for index, village in enumerate(_villages(commune, commune_name)):
                added, first = _households(village, commune_name, 10, CLANS[commune_code])
                households += added
                if index == 0:
                    first_household[commune_code] = first
    commit()
    for username, full_name, role, unit_code in ACCOUNTS:
        user = _account(username, full_name, now=now)
        accounts.assign_role(user.id, role, unit_code, actor=None, now=now)
    _link_household("demo-household", first_household[COMMUNE_A], now=now)
    _link_household("demo-household-b", first_household[COMMUNE_B], now=now)
    return households


def _seed_two_tier(*, now: datetime) -> int:
    province, _ = ensure_unit(*TWO_TIER_PROVINCE, "province")
    households, first = 0, None
    for commune_code, commune_name in TWO_TIER_COMMUNES:
        commune, _ = ensure_unit(commune_code, commune_name, "commune", province)
        for village in _villages(commune, commune_name):
            added, subject = _households(village, commune_name, 5, CLANS[commune_code])
            households += added
            first = first or subject
    commit()
    for username, full_name, role, unit_code in TWO_TIER_ACCOUNTS:
        user = _account(username, full_name, now=now)
        accounts.assign_role(user.id, role, unit_code, actor=None, now=now)
    _link_household("demo-household-ck", first, now=now)
    return households


# ------------------------------------------------------------------------------------------ other subjects


def _subject(existing: dict[str, Subject], code: str, **fields) -> Subject:
    subject = existing.get(code)
    if subject is None:
        subject = existing[code] = Subject(code=code, **fields)
        db.session.add(subject)
    return subject


def _link(links: set, parent: Subject, child: Subject, relation: str, position: str | None = None) -> None:
    db.session.flush()
    if (parent.id, child.id, relation) not in links:
        links.add((parent.id, child.id, relation))
        db.session.add(
            SubjectLink(parent_id=parent.id, child_id=child.id, relation=relation, position=position)
        )


def _short(commune_name: str) -> str:
    return commune_name.split(" ", 1)[1]


def _adults(households: list[Subject], low: int, high: int):
    """(household, member number, member) of the given age in DEMO_YEAR, in the households' order."""
    for household in households:
        for number, member in enumerate(household.members, start=1):
            if member.birth_year and low <= DEMO_YEAR - member.birth_year <= high:
                yield household, number, member


def _citizen(existing, household: Subject, number: int, member: HouseholdMember, category: str) -> Subject:
    return _subject(
        existing,
        f"{household.code}-C{number}",
        kind="citizen",
        name=member.full_name,
        category=category,
        gender=member.gender,
        birth_year=member.birth_year,
        unit=household.unit,
        address=household.address,
    )


def _seed_commune_subjects(commune: AdminUnit, index: int, existing: dict, links: set) -> None:
    """A commune's learning-community subjects (itself and its villages), its clans with their member
    families, its school, office and enterprise with their staff, and citizens of the other groups."""
    commune_name = commune.name
    villages = sorted(_children(commune), key=lambda u: u.code)
    _subject(
        existing, f"{commune.code}-CD", kind="commune", name=commune_name, unit=commune, address=commune_name
    )
    households = []
    for village in villages:
        _subject(
            existing,
            f"{village.code}-CD",
            kind="village",
            name=f"{village.name}, {commune_name}",
            unit=village,
            address=f"{village.name}, {commune_name}",
        )
        households += sorted(
            (s for s in existing.values() if s.kind == "household" and s.unit_id == village.id),
            key=lambda s: s.code,
        )
    for number, surname in enumerate(CLANS[commune.code], start=1):
        clan = _subject(
            existing,
            f"{commune.code}-DH{number}",
            kind="clan",
            name=f"Dòng họ {surname} – {commune_name}",
            unit=commune,
            address=commune_name,
        )
        for household in households:
            head = next((m for m in household.members if m.is_head), None)
            if head is not None and head.gender == "nam" and head.full_name.split()[0] == surname:
                _link(links, clan, household, "clan_member")
    candidates = [(h, n, m) for h, n, m in _adults(households, 24, 58) if f"{h.code}-C{n}" not in existing]
    short = _short(commune_name)
    organisations = (
        ("TH", f"Trường Tiểu học {short}", "school", SCHOOL_STAFF),
        ("UB", f"Văn phòng UBND {commune_name[0].lower()}{commune_name[1:]}", "agency", OFFICE_STAFF),
        ("DN", ENTERPRISES[index % len(ENTERPRISES)].format(short=short), "enterprise", COMPANY_STAFF),
    )
    for suffix, name, category, positions in organisations:
        organisation = _subject(
            existing,
            f"{commune.code}-{suffix}",
            kind="organisation",
            name=name,
            category=category,
            unit=commune,
            address=commune_name,
        )
        db.session.flush()
        if any(parent == organisation.id and relation == "staff" for parent, _child, relation in links):
            continue
        for position in positions:
            if not candidates:
                break
            household, number, member = candidates.pop(0)
            citizen = _citizen(existing, household, number, member, "can_bo_doanh_nhan")
            _link(links, organisation, citizen, "staff", position)
            # Spread staff over families: skip the next adult of the same household.
            candidates = [c for c in candidates if c[0] is not household] + [
                c for c in candidates if c[0] is household
            ]
    # One citizen of each other group per village.
    for village in villages:
        in_village = [h for h in households if h.unit_id == village.id]
        taken = {c.code for c in existing.values() if c.kind == "citizen" and c.unit_id == village.id}
        for category, low, high in CITIZEN_GROUPS:
            if any(existing[code].category == category for code in taken):
                continue
            for household, number, member in _adults(in_village, low, high):
                if f"{household.code}-C{number}" not in existing:
                    taken.add(_citizen(existing, household, number, member, category).code)
                    break


def _children(unit: AdminUnit) -> list[AdminUnit]:
    return list(db.session.scalars(select(AdminUnit).where(AdminUnit.parent_id == unit.id)))


def _seed_other_subjects() -> None:
    existing = {s.code: s for s in db.session.scalars(select(Subject).options(selectinload(Subject.members)))}
    links = set(
        db.session.execute(select(SubjectLink.parent_id, SubjectLink.child_id, SubjectLink.relation)).all()
    )
    communes = [code for _district, communes in TREE.items() for code, _name in communes]
    communes += [code for code, _name in TWO_TIER_COMMUNES]
    for index, code in enumerate(communes):
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.code == code))
        _seed_commune_subjects(commune, index, existing, links)
    commit()


def _subject_account(username: str, code: str, *, now: datetime) -> None:
    """An ``applicant`` account for a clan, organisation or citizen."""
    subject = db.session.scalar(select(Subject).where(Subject.code == code))
    if subject is None or subject.account_id is not None:
        return
    user = _account(username, subject.name, now=now)
    accounts.assign_role(user.id, "applicant", subject.unit.code, actor=None, now=now)
    subject.account_id = user.id
    commit()


def _seed_subject_accounts(*, now: datetime) -> None:
    for commune_code, _name in (*[c for communes in TREE.values() for c in communes], *TWO_TIER_COMMUNES):
        slug = commune_code.removeprefix("DEMO-").lower()
        for number in (1, 2):
            _subject_account(f"demo-clan-{slug}{number}", f"{commune_code}-DH{number}", now=now)
    for commune_code, _name in TWO_TIER_COMMUNES:
        slug = commune_code.removeprefix("DEMO-").lower()
        for suffix, kind in (("TH", "school"), ("UB", "office"), ("DN", "company")):
            _subject_account(f"demo-{kind}-{slug}", f"{commune_code}-{suffix}", now=now)
    # A teacher of Cái Khế's school (its first staff member) and a resident of Khu vực 1.
    school = db.session.scalar(select(Subject).where(Subject.code == "DEMO-CK-TH"))
    teacher = db.session.scalar(
        select(Subject)
        .join(SubjectLink, SubjectLink.child_id == Subject.id)
        .where(SubjectLink.parent_id == school.id, SubjectLink.relation == "staff")
        .order_by(SubjectLink.id)
        .limit(1)
    )
    if teacher is not None:
        _subject_account("demo-teacher-ck", teacher.code, now=now)
    resident = db.session.scalar(
        select(Subject)
        .join(AdminUnit, AdminUnit.id == Subject.unit_id)
        .where(Subject.kind == "citizen", Subject.category == "nguoi_dan", AdminUnit.code == "DEMO-CK-V1")
        .order_by(Subject.code)
        .limit(1)
    )
    if resident is not None:
        _subject_account("demo-citizen-ck", resident.code, now=now)
    for username, full_name, role, unit_code in AREA_ACCOUNTS:
        user = _account(username, full_name, now=now)
        accounts.assign_role(user.id, role, unit_code, actor=None, now=now)


# ------------------------------------------------------------------------------------------ procedures


def _activate_shipped(deployed: list[tuple[ProcessDefinition, bool]], *, now: datetime) -> None:
    """Run the demo on the shipped versions (``DEMO_ACTIVATIONS``, those of them that exist under bpmn/).
    A shipped package that changed (e.g. its manifest's four-eyes marks) deploys as a new version, which a
    title already in use would not take on by itself."""
    for definition, _new in deployed:
        if definition.key not in DEMO_ACTIVATIONS:
            continue
        province_code = DEMO_ACTIVATIONS[definition.key]
        province_id = (
            db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == province_code))
            if province_code
            else None
        )
        already = db.session.scalar(
            select(ProcedureActivation.process_definition_id).where(
                ProcedureActivation.scope == ProcedureActivation.scope_of(province_id),
                ProcedureActivation.title == definition.title_key,
            )
        )
        if already != definition.id:
            activate_version(definition, province_code, actor=None, now=now)


def _deadlines(definition: ProcessDefinition, year: int, today: date) -> dict[str, str]:
    """A deadline per step, a week apart from 10 December: the subject's own steps (alternatives, such as
    a citizen's group forms) first, then the others in the manifest's order. All move later when the first
    would fall within two weeks of ``today``, so a demo loaded late in the year still has time to walk."""
    user_tasks = compiled_for(definition).user_tasks
    lanes = definition.manifest.get("lanes") or {}
    names = [name for name in definition.manifest.get("tasks") or {} if name in user_tasks]
    names += sorted(name for name in user_tasks if name not in names)

    def own_step(name: str) -> bool:
        return (lanes.get(user_tasks[name].lane) or {}).get("level") == "subject"

    steps = {name: 0 for name in names if own_step(name)}
    for name in names:
        steps.setdefault(name, len(set(steps.values()) | {0}) if steps else 0)
    first = date(year, 12, 10)
    shift = max(today + timedelta(days=14) - first, timedelta(0))
    return {name: (first + shift + timedelta(days=7 * step)).isoformat() for name, step in steps.items()}


def _seed_campaigns(*, now: datetime) -> int:
    """The current year's campaign in the two-tier province for every title active there, open and in its
    self-assessment window (1/11–31/12, widened to take in ``now``), so the loop can be walked at once."""
    today = local_day(now)
    year = today.year
    province = db.session.scalar(select(AdminUnit).where(AdminUnit.code == TWO_TIER_PROVINCE[0]))
    try:
        from app.services import campaigns as campaign_service
    except ImportError:
        campaign_service = None
    added = 0
    for title, serves in sorted(catalogue().items()):
        definition = definition_for(title, province)
        exists_already = db.session.scalar(
            select(Campaign.id).where(
                Campaign.province_id == province.id, Campaign.title == title, Campaign.year == year
            )
        )
        if definition is None or exists_already is not None:
            continue
        windows = {
            "registration_from": date(year, 1, 1),
            "registration_to": date(year, 3, 31),
            "evidence_from": date(year, 1, 1),
            "evidence_to": date(year, 12, 31),
            "assessment_from": min(date(year, 11, 1), today),
            "assessment_to": max(date(year, 12, 31), today),
        }
        name = f"Đợt đánh giá “{localized(serves['label'], 'vi')}” năm {year}"
        deadlines = _deadlines(definition, year, today)
        if campaign_service is not None and hasattr(campaign_service, "create_campaign"):
            admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
            campaign = campaign_service.create_campaign(
                province, title, year, name=name, deadlines=deadlines, actor=admin, now=now, **windows
            )
            if campaign.status != "open" and hasattr(campaign_service, "open_campaign"):
                campaign_service.open_campaign(campaign, actor=admin, now=now)
        else:
            db.session.add(
                Campaign(
                    province_id=province.id,
                    title=title,
                    year=year,
                    name=name,
                    deadlines=deadlines,
                    status="open",
                    created_at=now,
                    opened_at=now,
                    **windows,
                )
            )
            commit()
        added += 1
    return added


def seed_demo(*, now: datetime) -> dict:
    """Load the demo; running it again changes nothing."""
    ensure_levels()
    households = _seed_four_level(now=now) + _seed_two_tier(now=now)
    _seed_other_subjects()
    _seed_subject_accounts(now=now)
    # The criteria library first: a package form identical to a library criteria set then pins that
    # version instead of becoming a copy of its own (and seeding again deploys nothing new).
    publish_shipped(actor=None, now=now)
    deployed = deploy_shipped(actor=None, now=now)
    _activate_shipped(deployed, now=now)
    _seed_campaigns(now=now)
    return {"households_added": households, "procedures_deployed": sum(1 for _, new in deployed if new)}

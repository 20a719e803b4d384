"""Demo data, two trees side by side.

- Cần Thơ before the 2025 reform: two districts of two communes, two villages each, ten households per
  village, on the four-level procedure (commune → district → city), active everywhere.
- Cần Thơ after it (province → commune, no districts): two wards with two residential areas each, five
  households per area, on the two-tier procedure (village review → commune → commune chairman),
  activated for that province only.
"""

import random
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import AdminUnit, HouseholdMember, ProcedureActivation, ProcessDefinition, Subject, User
from app.services import accounts
from app.services.forms import publish_shipped
from app.services.procedures import activate_version, deploy_shipped
from app.services.units import ensure_levels, ensure_unit
from app.services.uow import commit

DEMO_PASSWORD = "demo1234"  # noqa: S105  (demo data only, printed in the README)

TREE = {
    ("DEMO-NK", "Quận Ninh Kiều"): [("DEMO-AH", "Phường An Hòa"), ("DEMO-XK", "Phường Xuân Khánh")],
    ("DEMO-PD", "Huyện Phong Điền"): [("DEMO-NA", "Xã Nhơn Ái"), ("DEMO-MK", "Xã Mỹ Khánh")],
}
COMMUNE_A, COMMUNE_B = "DEMO-AH", "DEMO-NA"
# After 1 July 2025 An Hòa is part of Phường Cái Khế and Mỹ Khánh of Phường An Bình (domain notes §3.2).
TWO_TIER_PROVINCE = ("DEMO-CT25", "Thành phố Cần Thơ (từ 01/7/2025)")
TWO_TIER_COMMUNES = (("DEMO-CK", "Phường Cái Khế"), ("DEMO-AB", "Phường An Bình"))
TWO_TIER_PROCEDURE = "gia_dinh_hoc_tap_hai_cap"
# Where the demo runs each shipped procedure: the four-level one everywhere, the two-tier one in its province.
DEMO_ACTIVATIONS = {"gia_dinh_hoc_tap": None, TWO_TIER_PROCEDURE: TWO_TIER_PROVINCE[0]}
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
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Kim")
GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dung",
    "Hạnh",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Tâm",
    "Thảo",
    "Trung",
    "Vy",
    "Yến",
)

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


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _account(username: str, full_name: str, *, now: datetime) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = accounts.create_user(
            username, full_name, DEMO_PASSWORD, email=f"{username}@example.org", actor=None, now=now
        )
    return user


def _households(rng: random.Random, village, commune_name: str, count: int) -> tuple[int, Subject]:
    """``count`` households in ``village`` (added once); returns how many were added and the first."""
    added, first = 0, None
    for h in range(1, count + 1):
        code = f"{village.code}-H{h:02d}"
        head = _person(rng)
        members = [_person(rng) for _ in range(rng.randint(2, 4))]
        subject = db.session.scalar(select(Subject).where(Subject.code == code))
        if subject is None:
            subject = Subject(
                code=code,
                kind="household",
                name=f"Hộ {head}",
                unit=village,
                address=f"Số {h * 7}, {village.name}, {commune_name}",
            )
            subject.members.append(
                HouseholdMember(
                    full_name=head, birth_year=rng.randint(1955, 1990), relation="Chủ hộ", is_head=True
                )
            )
            for name in members:
                subject.members.append(
                    HouseholdMember(full_name=name, birth_year=rng.randint(1985, 2020), relation="Thành viên")
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


def _seed_four_level(rng: random.Random, *, now: datetime) -> int:
    city, _ = ensure_unit("DEMO-CT", "Thành phố Cần Thơ", "province")
    households, first_household = 0, {}
    for (district_code, district_name), communes in TREE.items():
        district, _ = ensure_unit(district_code, district_name, "district", city)
        for commune_code, commune_name in communes:
            commune, _ = ensure_unit(commune_code, commune_name, "commune", district)
            for index, village in enumerate(_villages(commune, commune_name)):
                added, first = _households(rng, village, commune_name, 10)
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


def _seed_two_tier(rng: random.Random, *, now: datetime) -> int:
    province, _ = ensure_unit(*TWO_TIER_PROVINCE, "province")
    households, first = 0, None
    for commune_code, commune_name in TWO_TIER_COMMUNES:
        commune, _ = ensure_unit(commune_code, commune_name, "commune", province)
        for village in _villages(commune, commune_name):
            added, subject = _households(rng, village, commune_name, 5)
            households += added
            first = first or subject
    commit()
    for username, full_name, role, unit_code in TWO_TIER_ACCOUNTS:
        user = _account(username, full_name, now=now)
        accounts.assign_role(user.id, role, unit_code, actor=None, now=now)
    _link_household("demo-household-ck", first, now=now)
    return households


def _activate_shipped(deployed: list[tuple[ProcessDefinition, bool]], *, now: datetime) -> None:
    """Run the demo on the shipped versions (``DEMO_ACTIVATIONS``). A shipped package that changed (e.g. its
    manifest's four-eyes marks) deploys as a new version, which a title already in use would not take on by
    itself."""
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


def seed_demo(*, now: datetime) -> dict:
    """Load the demo; running it again changes nothing."""
    rng = random.Random(2026)  # noqa: S311  (deterministic demo names, not security)
    ensure_levels()
    households = _seed_four_level(rng, now=now) + _seed_two_tier(rng, now=now)
    deployed = deploy_shipped(actor=None, now=now)
    _activate_shipped(deployed, now=now)
    publish_shipped(actor=None, now=now)
    return {"households_added": households, "procedures_deployed": sum(1 for _, new in deployed if new)}

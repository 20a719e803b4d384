"""Demo data: Cần Thơ with two districts of two communes, two villages each, ten households per village."""

import random
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import HouseholdMember, Subject, User
from app.services import accounts
from app.services.procedures import deploy_shipped
from app.services.units import ensure_levels, ensure_unit
from app.services.uow import commit

DEMO_PASSWORD = "demo1234"  # noqa: S105  (demo data only, printed in the README)

TREE = {
    ("DEMO-NK", "Quận Ninh Kiều"): [("DEMO-AH", "Phường An Hòa"), ("DEMO-XK", "Phường Xuân Khánh")],
    ("DEMO-PD", "Huyện Phong Điền"): [("DEMO-NA", "Xã Nhơn Ái"), ("DEMO-MK", "Xã Mỹ Khánh")],
}
COMMUNE_A, COMMUNE_B = "DEMO-AH", "DEMO-NA"
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
        user = accounts.create_user(username, full_name, DEMO_PASSWORD, actor=None, now=now)
    return user


def seed_demo(*, now: datetime) -> dict:
    """Load the demo; running it again changes nothing."""
    rng = random.Random(2026)  # noqa: S311  (deterministic demo names, not security)
    ensure_levels()
    city, _ = ensure_unit("DEMO-CT", "Thành phố Cần Thơ", "province")
    households = 0
    first_household = {}
    for (district_code, district_name), communes in TREE.items():
        district, _ = ensure_unit(district_code, district_name, "district", city)
        for commune_code, commune_name in communes:
            commune, _ = ensure_unit(commune_code, commune_name, "commune", district)
            village_word = "Khu vực" if commune_name.startswith("Phường") else "Ấp"
            for v in (1, 2):
                village, _ = ensure_unit(f"{commune_code}-V{v}", f"{village_word} {v}", "village", commune)
                for h in range(1, 11):
                    code = f"{commune_code}-V{v}-H{h:02d}"
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
                                full_name=head,
                                birth_year=rng.randint(1955, 1990),
                                relation="Chủ hộ",
                                is_head=True,
                            )
                        )
                        for name in members:
                            subject.members.append(
                                HouseholdMember(
                                    full_name=name, birth_year=rng.randint(1985, 2020), relation="Thành viên"
                                )
                            )
                        db.session.add(subject)
                        households += 1
                    if v == 1 and h == 1:
                        first_household[commune_code] = subject
    commit()

    for username, full_name, role, unit_code in ACCOUNTS:
        user = _account(username, full_name, now=now)
        accounts.assign_role(user.id, role, unit_code, actor=None, now=now)
    for username, commune_code in (("demo-household", COMMUNE_A), ("demo-household-b", COMMUNE_B)):
        subject = first_household[commune_code]
        user = _account(username, subject.name, now=now)
        accounts.assign_role(user.id, "household", subject.unit.code, actor=None, now=now)
        subject.account_id = user.id
        commit()
    deployed = deploy_shipped(actor=None, now=now)
    return {"households_added": households, "procedures_deployed": sum(1 for _, new in deployed if new)}

"""Factories for tests that need more people than the demo has: extra households, dossiers at any step.

The demo has one household account per commune; jurisdiction tests also need a second household in the
same village and one in another village of the same commune. Accounts and roles are made by the same
services the application uses, so a factory household holds exactly what a demo household holds.
"""

import struct
import zlib
from dataclasses import dataclass

from tests.helpers import TITLE, YEAR, ApiClient, city, commune_accept, district, self_report

FACTORY_PASSWORD = "matkhau123"  # noqa: S105  (test accounts only)

# The officials of the demo who take a dossier of each demo commune through its steps.
OFFICIALS_OF = {
    "DEMO-AH": ("demo-commune", "demo-district"),
    "DEMO-XK": ("demo-commune-c", "demo-district"),
    "DEMO-NA": ("demo-commune-b", "demo-district-b"),
    "DEMO-MK": ("demo-commune-d", "demo-district-b"),
}
STEPS = ("self_report", "commune_scoring", "district_verification", "city_commendation")


@dataclass(frozen=True)
class Household:
    username: str
    user_id: int
    subject_id: int
    village_code: str


def make_household(
    app,
    username: str,
    village_code: str,
    *,
    name: str | None = None,
    password: str = FACTORY_PASSWORD,
) -> Household:
    """A household subject in ``village_code`` with its own account holding the household role there."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AdminUnit, HouseholdMember, Subject, utcnow
    from app.services import accounts

    with app.app_context():
        village = db.session.scalar(select(AdminUnit).where(AdminUnit.code == village_code))
        assert village is not None, f"no unit {village_code}"
        count = db.session.scalar(select(func.count(Subject.id)).where(Subject.unit_id == village.id))
        head = name or f"Người thử {username}"
        subject = Subject(
            code=f"{village_code}-T{count + 1:03d}",
            kind="household",
            name=f"Hộ {head}",
            unit=village,
            address=f"Số {count + 1}, {village.name}",
        )
        subject.members.append(
            HouseholdMember(full_name=head, birth_year=1980, relation="Chủ hộ", is_head=True)
        )
        db.session.add(subject)
        db.session.commit()
        user = accounts.create_user(username, subject.name, password, actor=None, now=utcnow())
        accounts.assign_role(user.id, "household", village_code, actor=None, now=utcnow())
        subject = db.session.get(Subject, subject.id)
        subject.account_id = user.id
        db.session.commit()
        return Household(username, user.id, subject.id, village_code)


def step_data(step: str) -> dict:
    """Valid data (as JSON for the API) that completes ``step`` towards recognition."""
    return {
        "self_report": self_report(),
        "commune_scoring": commune_accept(),
        "district_verification": district("approve"),
        "city_commendation": city(),
    }[step]


def step_form(step: str) -> dict:
    """The same data as a browser posts it."""
    return {name: str(value) for name, value in step_data(step).items()}


def walk_dossier(api: ApiClient, household: str, commune_code: str, *, to: str, year: int = YEAR) -> int:
    """Open a dossier for ``household`` (living in ``commune_code`` of the demo tree) and complete steps,
    each by the demo official who holds it, until ``to`` is the open step."""
    commune_officer, district_officer = OFFICIALS_OF[commune_code]
    response = api.post(household, "/dossiers", json={"title": TITLE, "year": year})
    assert response.status_code == 201, response.get_json()
    dossier_id = response.get_json()["id"]
    actors = dict(zip(STEPS, (household, commune_officer, district_officer, "demo-city"), strict=True))
    for step in STEPS:
        if step == to:
            return dossier_id
        api.complete(actors[step], dossier_id, step, step_data(step))
    raise AssertionError(f"unknown step {to}")


def png_bytes() -> bytes:
    """A valid 1×1 PNG: evidence content that every upload check accepts."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def at_commune_scoring(app, count: int, *, commune: str = "DEMO-AH", points=lambda index: 9) -> list[int]:
    """``count`` dossiers of ``commune``'s demo households waiting for the commune's scoring, made through
    the services (many times faster than through the API): the households are handed to the
    demo-household account, which opens each dossier and submits its self-assessment with
    ``points(index)`` for every sub-item. Past the commune's households, the next years are used."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Subject, User, utcnow
    from app.services.dossiers import open_dossier, submit_task
    from forms import MultiDict

    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "demo-household"))
        commune_id = db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == commune))
        subjects = db.session.scalars(
            select(Subject)
            .join(AdminUnit, AdminUnit.id == Subject.unit_id)
            .where(AdminUnit.parent_id == commune_id, Subject.kind == "household")
            .order_by(Subject.code)
        ).all()
        for subject in subjects:
            subject.account_id = owner.id
        db.session.commit()
        ids = []
        for index in range(count):
            subject = subjects[index % len(subjects)]
            dossier = open_dossier(subject, TITLE, YEAR + index // len(subjects), actor=owner, now=utcnow())
            task = next(t for t in dossier.tasks if t.state == "open")
            answers = MultiDict({item: str(value) for item, value in self_report(points(index)).items()})
            submit_task(task.id, answers, actor=owner, now=utcnow())
            ids.append(dossier.id)
        return ids


def at_decision_step(app, count: int, *, commune: str = "DEMO-AH", year: int = YEAR) -> list[int]:
    """``count`` dossiers of ``year`` waiting at the city's recognition decision (the four-level
    procedure's step marked ``decides``), made through the services: as many new households as needed
    are added to the commune's first village, handed to the demo-household account, and each dossier is
    taken through self-assessment, commune scoring and district verification by the demo officials."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AdminUnit, Subject, User, utcnow
    from app.services.dossiers import open_dossier, submit_task
    from forms import MultiDict

    commune_officer, district_officer = OFFICIALS_OF[commune]
    with app.app_context():
        users = {
            u.username: u
            for u in db.session.scalars(
                select(User).where(User.username.in_(("demo-household", commune_officer, district_officer)))
            )
        }
        owner = users["demo-household"]
        commune_id = db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == commune))
        village = db.session.scalar(
            select(AdminUnit).where(AdminUnit.parent_id == commune_id).order_by(AdminUnit.code)
        )
        # Numbered after the ones an earlier call made: a test may call it more than once.
        start = db.session.scalar(select(func.count(Subject.id)).where(Subject.unit_id == village.id))
        subjects = [
            Subject(
                code=f"{village.code}-D{start + index:04d}",
                kind="household",
                name=f"Hộ ông Nguyễn Văn Thử {start + index}",
                unit=village,
                account_id=owner.id,
            )
            for index in range(count)
        ]
        db.session.add_all(subjects)
        db.session.commit()

        def step(dossier, actor, data):
            task = next(t for t in dossier.tasks if t.state == "open")
            answers = MultiDict({name: str(value) for name, value in data.items()})
            return submit_task(task.id, answers, actor=actor, now=utcnow())

        ids = []
        for subject in subjects:
            dossier = open_dossier(subject, TITLE, year, actor=owner, now=utcnow())
            dossier = step(dossier, owner, self_report())
            dossier = step(dossier, users[commune_officer], commune_accept())
            dossier = step(dossier, users[district_officer], district("approve"))
            ids.append(dossier.id)
        return ids

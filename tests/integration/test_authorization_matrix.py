"""Authorization matrix: every route that takes an id × every role × own and foreign resources.

Outside a user's jurisdiction the answer is 404 — never 403, which would confirm that the id exists, and
never 200 — and nothing in the database changes. Inside, the allowed action works.

One world is built per module (building it per test would take minutes): two households in the same
village of commune A (An Hòa), one in the other village of A, one in commune B (Nhơn Ái, another district),
and dossiers of theirs standing at each step of the procedure. ``ACCESS_TABLE`` below is the whole policy
as a table; every test is a cell of it. The tests only look at HTTP answers and at database rows, never at how
jurisdiction is computed, so they keep passing when that code is rewritten.
"""

import io
import re
import shutil
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from tests.factories import (
    FACTORY_PASSWORD,
    OFFICIALS_OF,
    make_household,
    png_bytes,
    step_data,
    step_form,
    walk_dossier,
)
from tests.helpers import ApiClient, WebClient

# --------------------------------------------------------------------------------------------- the people

DEMO_PASSWORD = "demo1234"  # noqa: S105  (demo accounts, printed in the README)

# role key → (username, password). The two factory households are created by the world fixture.
PEOPLE = {
    "household_a": ("demo-household", DEMO_PASSWORD),  # DEMO-AH-V1
    "neighbour": ("ho-lang-gieng", FACTORY_PASSWORD),  # DEMO-AH-V1, same village as A
    "other_village": ("ho-khu-vuc-hai", FACTORY_PASSWORD),  # DEMO-AH-V2, same commune as A
    "household_b": ("demo-household-b", DEMO_PASSWORD),  # DEMO-NA-V1, another commune and district
    "commune": ("demo-commune", DEMO_PASSWORD),  # DEMO-AH, A's commune
    "commune_same_district": ("demo-commune-c", DEMO_PASSWORD),  # DEMO-XK, A's district, not A's commune
    "commune_other": ("demo-commune-b", DEMO_PASSWORD),  # DEMO-NA, B's commune
    "district": ("demo-district", DEMO_PASSWORD),  # DEMO-NK, A's district
    "district_other": ("demo-district-b", DEMO_PASSWORD),  # DEMO-PD, B's district
    "city": ("demo-city", DEMO_PASSWORD),  # DEMO-CT
    "admin": ("demo-admin", DEMO_PASSWORD),
}
ROLES = tuple(PEOPLE)

# ------------------------------------------------------------------------------------------ the dossiers


@dataclass(frozen=True)
class DossierSpec:
    owner: str  # role key of the applicant household
    commune: str
    step: str  # the step that is open
    year: int


DOSSIERS = {
    "A1": DossierSpec("household_a", "DEMO-AH", "self_report", 2026),
    "A2": DossierSpec("household_a", "DEMO-AH", "commune_scoring", 2027),
    "A3": DossierSpec("household_a", "DEMO-AH", "district_verification", 2028),
    "A4": DossierSpec("household_a", "DEMO-AH", "city_commendation", 2029),
    "N1": DossierSpec("neighbour", "DEMO-AH", "self_report", 2026),
    "V2": DossierSpec("other_village", "DEMO-AH", "commune_scoring", 2026),
    "B2": DossierSpec("household_b", "DEMO-NA", "commune_scoring", 2026),
    "B3": DossierSpec("household_b", "DEMO-NA", "district_verification", 2027),
}

# The policy. "act": may see the dossier and holds its open step; "see": may see the dossier but the open
# step is someone else's; "-": outside jurisdiction, every route answers 404.
ACCESS_TABLE = """
                        A1    A2    A3    A4    N1    V2    B2    B3
household_a             act   see   see   see   -     -     -     -
neighbour               -     -     -     -     act   -     -     -
other_village           -     -     -     -     -     see   -     -
household_b             -     -     -     -     -     -     see   see
commune                 see   act   see   see   see   act   -     -
commune_same_district   -     -     -     -     -     -     -     -
commune_other           -     -     -     -     -     -     act   see
district                see   see   act   see   see   see   -     -
district_other          -     -     -     -     -     -     see   act
city                    see   see   see   act   see   see   see   see
admin                   see   see   see   see   see   see   see   see
"""


def _parse_access(table: str) -> dict[tuple[str, str], str]:
    lines = [line.split() for line in table.strip().splitlines()]
    columns, rows = lines[0], lines[1:]
    access = {(row[0], column): cell for row in rows for column, cell in zip(columns, row[1:], strict=True)}
    assert [row[0] for row in rows] == list(ROLES) and columns == list(DOSSIERS)
    # Exactly one person holds each open step; the applicant always sees its own dossier.
    for column, spec in DOSSIERS.items():
        assert sum(access[role, column] == "act" for role in ROLES) == 1, column
        assert access[spec.owner, column] != "-", column
    return access


ACCESS = _parse_access(ACCESS_TABLE)
CELLS = [
    pytest.param(role, key, ACCESS[role, key], id=f"{role}-{key}-{ACCESS[role, key].replace('-', 'none')}")
    for key in DOSSIERS
    for role in ROLES
]


def visible_to(role: str) -> set[str]:
    return {key for key in DOSSIERS if ACCESS[role, key] != "-"}


def held_by(role: str) -> set[str]:
    return {key for key in DOSSIERS if ACCESS[role, key] == "act"}


# ------------------------------------------------------------------------------------------ the world

# Rows every refused request must leave alone. Audit rows are left out on purpose: recording refused
# attempts would be a feature, not a leak; API tokens and sessions record their last use.
WATCHED = {
    "dossier": "SELECT * FROM dossier ORDER BY id",
    "human_task": "SELECT * FROM human_task ORDER BY id",
    "submission": "SELECT * FROM submission ORDER BY id",
    "comment": "SELECT * FROM comment ORDER BY id",
    "evidence_file": "SELECT * FROM evidence_file ORDER BY id",
    "notification": "SELECT id, user_id, read_at FROM notification ORDER BY id",
    "user_account": (
        "SELECT id, username, full_name, email, password_hash, active FROM user_account ORDER BY id"
    ),
    "role_assignment": "SELECT * FROM role_assignment ORDER BY id",
}


@dataclass
class World:
    app: object
    api: ApiClient
    dossier_ids: dict[str, int] = field(default_factory=dict)
    task_ids: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    evidence_ids: dict[str, int] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)  # a comment only the dossier's viewers may read
    user_ids: dict[str, int] = field(default_factory=dict)
    notices: dict[str, int] = field(default_factory=dict)  # one unread notification per person
    bystander_id: int = 0  # an account the admin tests act on
    unit_ids: dict[str, int] = field(default_factory=dict)
    subject_ids: dict[str, int] = field(default_factory=dict)  # household role key → its subject
    _web: dict[str, tuple[WebClient, str]] = field(default_factory=dict)

    # -- clients

    def api_call(self, role: str, method: str, path: str, **kwargs):
        username, _ = PEOPLE[role]
        return getattr(self.api, method)(username, path, **kwargs)

    def web(self, role: str) -> WebClient:
        return self._login(role)[0]

    def _login(self, role: str) -> tuple[WebClient, str]:
        if role not in self._web:
            client = WebClient(self.app)
            username, password = PEOPLE[role]
            assert client.login(username, password).status_code == 302, f"{username} cannot log in"
            # Not from /notifications: opening that page marks the role's notifications read.
            self._web[role] = (client, client.csrf("/dossiers"))
        return self._web[role]

    def web_get(self, role: str, path: str, **kwargs):
        return self.web(role).get(path, **kwargs)

    def web_post(self, role: str, path: str, data: dict | None = None, **kwargs):
        client, token = self._login(role)
        return client.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)

    # -- database

    def snapshot(self) -> dict:
        from app.extensions import db

        with self.app.app_context():
            state = {
                name: [tuple(row) for row in db.session.execute(text(sql))] for name, sql in WATCHED.items()
            }
            db.session.remove()
        return state

    def scalar(self, sql: str, **params):
        from app.extensions import db

        with self.app.app_context():
            value = db.session.execute(text(sql), params).scalar()
            db.session.remove()
        return value

    def claimed_by(self, key: str):
        return self.scalar("SELECT claimed_by_id FROM human_task WHERE id = :id", id=self.task_ids[key])

    def task_state(self, key: str):
        return self.scalar("SELECT state FROM human_task WHERE id = :id", id=self.task_ids[key])

    def holder_of(self, key: str) -> str:
        return next(role for role in ROLES if ACCESS[role, key] == "act")


def _module_database(database_template, tmp_path_factory):
    """A private copy of the migrated, seeded template for this module (SQLite or PostgreSQL)."""
    if database_template["backend"] == "sqlite":
        path = tmp_path_factory.mktemp("authz") / "hoctap.sqlite"
        shutil.copy(database_template["path"], path)
        return f"sqlite:///{path}", lambda: None
    import psycopg

    server = database_template["server"]
    name = f"hoctap_authz_{uuid.uuid4().hex[:8]}"
    admin = f"{server.replace('+psycopg', '')}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE hoctap_template')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server}/{name}", drop


@pytest.fixture(scope="module")
def world(database_template, tmp_path_factory):
    from app import create_app
    from app.extensions import db
    from app.models import AdminUnit, Notification, User, utcnow
    from app.services import accounts

    url, drop = _module_database(database_template, tmp_path_factory)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "DATA_DIR": str(tmp_path_factory.mktemp("authz-data")),
            "REDIS_URL": "",
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    make_household(app, PEOPLE["neighbour"][0], "DEMO-AH-V1")
    make_household(app, PEOPLE["other_village"][0], "DEMO-AH-V2")
    api = ApiClient(app.test_client())
    for username, password in PEOPLE.values():
        api.token(username, password)
    w = World(app=app, api=api)

    for key, spec in DOSSIERS.items():
        owner = PEOPLE[spec.owner][0]
        dossier_id = walk_dossier(api, owner, spec.commune, to=spec.step, year=spec.year)
        w.dossier_ids[key] = dossier_id
        holder = w.holder_of(key)
        w.task_ids[key] = api.task_for(PEOPLE[holder][0], dossier_id, spec.step)["id"]
        upload = api.post(
            PEOPLE[holder][0],
            f"/dossiers/{dossier_id}/evidence",
            data={"file": (io.BytesIO(png_bytes()), f"minh-chung-{key}.png")},
        )
        assert upload.status_code == 201, upload.get_json()
        w.evidence_ids[key] = upload.get_json()["id"]
        w.markers[key] = f"Ý-KIẾN-RIÊNG-{key}-{uuid.uuid4().hex[:8]}"

    with app.app_context():
        from app.services.dossiers import add_comment

        for key, spec in DOSSIERS.items():
            owner = db.session.scalar(db.select(User).where(User.username == PEOPLE[spec.owner][0]))
            add_comment(w.dossier_ids[key], w.markers[key], actor=owner, now=utcnow())
            code, subject_id = db.session.execute(
                text("SELECT code, subject_id FROM dossier WHERE id = :id"), {"id": w.dossier_ids[key]}
            ).one()
            w.codes[key], w.subject_ids[spec.owner] = code, subject_id
        for role, (username, _) in PEOPLE.items():
            user = db.session.scalar(db.select(User).where(User.username == username))
            w.user_ids[role] = user.id
            notice = Notification(
                user_id=user.id,
                kind="task_opened",
                params={"dossier_code": f"TB-{role}-END", "subject": role, "task_label": {"vi": role}},
                dedupe_key=f"authz:{role}",
                created_at=utcnow(),
            )
            db.session.add(notice)
            db.session.flush()
            w.notices[role] = notice.id
        db.session.commit()
        w.bystander_id = accounts.create_user(
            "nguoi-ngoai-cuoc", "Người ngoài cuộc", FACTORY_PASSWORD, actor=None, now=utcnow()
        ).id
        for unit in db.session.scalars(db.select(AdminUnit)):
            w.unit_ids[unit.code] = unit.id
        db.session.remove()

    yield w

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


# ------------------------------------------------------------------------------------------- helpers


def assert_not_found(response, what: str):
    assert response.status_code == 404, f"{what}: expected 404, got {response.status_code}"


def assert_unchanged(world: World, before: dict, what: str):
    after = world.snapshot()
    changed = [name for name in WATCHED if before[name] != after[name]]
    assert not changed, f"{what} was refused but changed {changed}"


# ---------------------------------------------------------------------------- dossier routes (reading)

DOSSIER_READS = {
    "api dossier": lambda w, role, key: w.api_call(role, "get", f"/dossiers/{w.dossier_ids[key]}"),
    "web dossier": lambda w, role, key: w.web_get(role, f"/dossiers/{w.dossier_ids[key]}"),
    "web evidence file": lambda w, role, key: w.web_get(role, f"/evidence/{w.evidence_ids[key]}"),
    "web evidence view": lambda w, role, key: w.web_get(role, f"/evidence/{w.evidence_ids[key]}/view"),
}


@pytest.mark.parametrize("route", DOSSIER_READS)
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_reading_a_dossier_its_history_and_its_evidence(world, route, role, key, access):
    before = world.snapshot()
    response = DOSSIER_READS[route](world, role, key)
    if access == "-":
        assert_not_found(response, f"{role} reading {key} through {route}")
        body = response.get_data(as_text=True)
        # A 404 page must not carry the dossier's content either.
        assert world.codes[key] not in body and world.markers[key] not in body
    else:
        assert response.status_code == 200, f"{role} reading {key} through {route}: {response.status_code}"
        if route == "api dossier":
            assert response.get_json()["id"] == world.dossier_ids[key]
        elif route == "web dossier":
            page = response.get_data(as_text=True)
            assert world.codes[key] in page and world.markers[key] in page
        else:
            assert response.data == png_bytes()
    response.close()
    assert_unchanged(world, before, f"reading {key} as {role}")


# ---------------------------------------------------------------------------- dossier routes (writing)


def _comments_on(world: World, key: str) -> int:
    return world.scalar("SELECT COUNT(*) FROM comment WHERE dossier_id = :id", id=world.dossier_ids[key])


def _evidence_on(world: World, key: str) -> int:
    return world.scalar(
        "SELECT COUNT(*) FROM evidence_file WHERE dossier_id = :id", id=world.dossier_ids[key]
    )


def _api_upload(w: World, role: str, key: str):
    data = {"file": (io.BytesIO(png_bytes()), "them.png")}
    return w.api_call(role, "post", f"/dossiers/{w.dossier_ids[key]}/evidence", data=data)


def _web_upload(w: World, role: str, key: str):
    data = {"file": (io.BytesIO(png_bytes()), "them.png")}
    return w.web_post(
        role, f"/dossiers/{w.dossier_ids[key]}/evidence", data, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_commenting_on_a_dossier(world, role, key, access):
    before, count = world.snapshot(), _comments_on(world, key)
    response = world.web_post(
        role, f"/dossiers/{world.dossier_ids[key]}/comments", {"body": f"ý kiến của {role}"}
    )
    if access == "-":
        assert_not_found(response, f"{role} commenting on {key}")
        assert_unchanged(world, before, f"{role} commenting on {key}")
    else:
        # Everyone who may read a dossier may discuss it.
        assert response.status_code == 302
        assert _comments_on(world, key) == count + 1


@pytest.mark.parametrize("route", ["api", "web"])
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_adding_evidence_to_a_dossier(world, route, role, key, access):
    before, count = world.snapshot(), _evidence_on(world, key)
    response = (_api_upload if route == "api" else _web_upload)(world, role, key)
    if access == "-":
        assert_not_found(response, f"{role} uploading to {key} ({route})")
        assert_unchanged(world, before, f"{role} uploading to {key}")
    elif access == "see":
        # Seeing a dossier is not holding its step: refused, but not by pretending it does not exist.
        assert response.status_code in (403, 409), f"{role} uploading to {key}: {response.status_code}"
        assert_unchanged(world, before, f"{role} uploading to {key}")
    else:
        assert response.status_code == (201 if route == "api" else 302)
        assert _evidence_on(world, key) == count + 1


# ---------------------------------------------------------------------------- opening a new dossier

SUBJECT_CELLS = [
    pytest.param(role, owner, id=f"{role}-for-{owner}")
    for owner in ("household_a", "neighbour", "household_b")
    for role in ROLES
]


def _dossiers_of(world: World, owner: str) -> int:
    return world.scalar("SELECT COUNT(*) FROM dossier WHERE subject_id = :id", id=world.subject_ids[owner])


@pytest.mark.parametrize("route", ["api", "web"])
@pytest.mark.parametrize(("role", "owner"), SUBJECT_CELLS)
def test_opening_a_dossier_for_a_household(world, route, role, owner):
    """Only a household registers itself: a subject id of someone else's household answers 404."""
    before, count = world.snapshot(), _dossiers_of(world, owner)
    year = 2030 if route == "api" else 2031  # a year none of the world's dossiers uses
    subject_id = world.subject_ids[owner]
    if route == "api":
        body = {"title": "gia_dinh_hoc_tap", "year": year, "subject_id": subject_id}
        response = world.api_call(role, "post", "/dossiers", json=body)
    else:
        form = {"subject_id": subject_id, "title": "gia_dinh_hoc_tap", "year": year}
        response = world.web_post(role, "/dossiers/new", form)
    if role == owner:
        assert response.status_code == (201 if route == "api" else 302)
        assert _dossiers_of(world, owner) == count + 1
    else:
        assert_not_found(response, f"{role} opening a dossier for {owner} ({route})")
        assert_unchanged(world, before, f"{role} opening a dossier for {owner}")


# ------------------------------------------------------------------------------------------ task routes


def _claim_as_holder(w: World, key: str):
    holder = PEOPLE[w.holder_of(key)][0]
    assert w.api.post(holder, f"/tasks/{w.task_ids[key]}/claim").status_code == 200


def _unclaim(w: World, key: str):
    """Put the task back in the queue whoever holds it, so one failing cell does not fail the next."""
    from app.extensions import db

    with w.app.app_context():
        db.session.execute(
            text("UPDATE human_task SET claimed_by_id = NULL, claimed_at = NULL WHERE id = :id"),
            {"id": w.task_ids[key]},
        )
        db.session.commit()
        db.session.remove()


TASK_READS = {
    "api task": lambda w, role, key: w.api_call(role, "get", f"/tasks/{w.task_ids[key]}"),
    "web task form": lambda w, role, key: w.web_get(role, f"/tasks/{w.task_ids[key]}"),
}


@pytest.mark.parametrize("route", TASK_READS)
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_opening_a_task(world, route, role, key, access):
    """Only the holder of a step opens it; a viewer of the dossier is as much a stranger to the task."""
    before = world.snapshot()
    response = TASK_READS[route](world, role, key)
    if access == "act":
        assert response.status_code == 200, f"{role} opening the task of {key}: {response.status_code}"
        if route == "api task":
            assert response.get_json()["id"] == world.task_ids[key]
            assert response.get_json()["name"] == DOSSIERS[key].step
    else:
        assert_not_found(response, f"{role} opening the task of {key} ({route})")
    assert_unchanged(world, before, f"{role} opening the task of {key}")


CLAIMS = {
    "api claim": lambda w, role, key: w.api_call(role, "post", f"/tasks/{w.task_ids[key]}/claim"),
    "web claim": lambda w, role, key: w.web_post(role, f"/tasks/{w.task_ids[key]}/claim"),
}
RELEASES = {
    "api release": lambda w, role, key: w.api_call(role, "post", f"/tasks/{w.task_ids[key]}/release"),
    "web release": lambda w, role, key: w.web_post(role, f"/tasks/{w.task_ids[key]}/release"),
}


@pytest.mark.parametrize("route", CLAIMS)
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_claiming_a_task(world, route, role, key, access):
    assert world.claimed_by(key) is None
    before = world.snapshot()
    response = CLAIMS[route](world, role, key)
    try:
        if access == "act":
            assert response.status_code in (200, 302)
            assert world.claimed_by(key) == world.user_ids[role]
        else:
            assert_not_found(response, f"{role} claiming the task of {key} ({route})")
            assert_unchanged(world, before, f"{role} claiming the task of {key}")
    finally:
        _unclaim(world, key)


@pytest.mark.parametrize("route", RELEASES)
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_releasing_a_claimed_task(world, route, role, key, access):
    """A stranger cannot take a step out of its holder's hands (nor learn that it exists)."""
    _claim_as_holder(world, key)
    before = world.snapshot()
    try:
        response = RELEASES[route](world, role, key)
        if access == "act":
            assert response.status_code in (200, 302)
            assert world.claimed_by(key) is None
        else:
            assert_not_found(response, f"{role} releasing the task of {key} ({route})")
            assert_unchanged(world, before, f"{role} releasing the task of {key}")
    finally:
        _unclaim(world, key)


@pytest.mark.parametrize("route", ["api", "web"])
@pytest.mark.parametrize(("role", "key", "access"), CELLS)
def test_completing_a_task(world, route, role, key, access):
    """Strangers post valid data, so only jurisdiction stands between them and the next step.

    The holder posts empty data: the step is reached (its form is validated, 422) but the world is kept
    for the other cells; real completions by each holder are tested below with their own database.
    """
    before = world.snapshot()
    task_id = world.task_ids[key]
    if route == "api":
        data = {} if access == "act" else step_data(DOSSIERS[key].step)
        response = world.api_call(role, "post", f"/tasks/{task_id}/complete", json={"data": data})
    else:
        response = world.web_post(
            role, f"/tasks/{task_id}", {} if access == "act" else step_form(DOSSIERS[key].step)
        )
    if access == "act":
        assert response.status_code == 422, f"{role} completing the task of {key}: {response.status_code}"
    else:
        assert_not_found(response, f"{role} completing the task of {key} ({route})")
    assert_unchanged(world, before, f"{role} completing the task of {key}")
    assert world.task_state(key) == "open"


# ------------------------------------------------------------------------------------------ list routes

LINKED_DOSSIER = re.compile(r'href="/dossiers/(\d+)"')
TASK_ROW = re.compile(r'data-task-id="(\d+)"')


def _ids(found, mapping: dict[str, int]) -> set[str]:
    """The world's keys among the ids found (other rows, e.g. demo data, are not the test's business)."""
    by_id = {value: key for key, value in mapping.items()}
    return {by_id[int(i)] for i in found if int(i) in by_id}


def _query(w: World, query: dict) -> dict:
    return {name: w.unit_ids[value] if name == "unit" else value for name, value in query.items()}


def api_list(path: str, of: str, **query):
    def listed(w: World, role: str) -> set[str]:
        items = w.api_call(role, "get", path, query_string=_query(w, query)).get_json()["items"]
        return _ids([item["id"] for item in items], getattr(w, of))

    return listed


def page_list(path: str, of: str, **query):
    pattern = TASK_ROW if of == "task_ids" else LINKED_DOSSIER

    def listed(w: World, role: str) -> set[str]:
        page = w.web_get(role, path, query_string=_query(w, query)).get_data(as_text=True)
        return _ids(pattern.findall(page), getattr(w, of))

    return listed


LISTS = {
    "api dossiers": api_list("/dossiers", "dossier_ids"),
    "api dossiers of a year": api_list("/dossiers", "dossier_ids", year=2026),
    "web dossiers": page_list("/dossiers", "dossier_ids"),
    "web dossiers searched by code": page_list("/dossiers", "dossier_ids", q="GDHT"),
    "api inbox": api_list("/tasks", "task_ids", per_page=200),
    "api inbox filtered to commune A": api_list("/tasks", "task_ids", per_page=200, unit="DEMO-AH"),
    "web inbox": page_list("/inbox", "task_ids"),
    "web inbox filtered to commune B": page_list("/inbox", "task_ids", unit="DEMO-NA"),
}


def _expected_in_list(route: str, role: str) -> set[str]:
    if "inbox" in route:
        expected = held_by(role)
    else:
        expected = visible_to(role)
    if "of a year" in route:
        expected = {key for key in expected if DOSSIERS[key].year == 2026}
    if "commune A" in route:
        expected = {key for key in expected if DOSSIERS[key].commune == "DEMO-AH"}
    if "commune B" in route:
        expected = {key for key in expected if DOSSIERS[key].commune == "DEMO-NA"}
    return expected


@pytest.mark.parametrize("route", LISTS)
@pytest.mark.parametrize("role", ROLES)
def test_lists_show_everything_in_reach_and_nothing_else(world, route, role):
    """A foreign item never appears in a list, whatever the filter; everything in reach does."""
    assert LISTS[route](world, role) == _expected_in_list(route, role)


PAGES = ("/dossiers", "/inbox", "/notifications", "/dossiers?q=GDHT")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_in_reach_names_a_foreign_dossier(world, role):
    """Codes and comments of dossiers out of reach appear on none of the pages a person can open."""
    foreign = set(DOSSIERS) - visible_to(role)
    for path in PAGES:
        page = world.web_get(role, path).get_data(as_text=True)
        for key in foreign:
            assert world.codes[key] not in page, f"{path} shows {key} to {role}"
            assert world.markers[key] not in page, f"{path} shows a comment on {key} to {role}"


@pytest.mark.parametrize("role", ROLES)
def test_notifications_only_point_at_dossiers_in_reach(world, role):
    page = world.web_get(role, "/notifications").get_data(as_text=True)
    linked = _ids(LINKED_DOSSIER.findall(page), world.dossier_ids)
    assert linked <= visible_to(role)
    assert f"TB-{role}-END" in page
    assert not [other for other in ROLES if other != role and f"TB-{other}-END" in page]


# ------------------------------------------------------------------------------------------ notifications


def _unread(world: World, notice_id: int) -> bool:
    return world.scalar("SELECT read_at FROM notification WHERE id = :id", id=notice_id) is None


def _mark_unread(world: World, notice_id: int) -> None:
    """Unread again: opening the notifications page (an earlier test) reads every notice shown."""
    from app.extensions import db

    with world.app.app_context():
        db.session.execute(text("UPDATE notification SET read_at = NULL WHERE id = :id"), {"id": notice_id})
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("role", ROLES)
def test_marking_someone_elses_notification_read_changes_nothing(world, role):
    victim = "household_b" if role == "household_a" else "household_a"
    _mark_unread(world, world.notices[victim])
    before = world.snapshot()
    response = world.web_post(role, "/notifications/read", {"id": world.notices[victim]})
    assert response.status_code not in (200, 403)
    assert _unread(world, world.notices[victim])
    assert_unchanged(world, before, f"{role} marking {victim}'s notification read")


@pytest.mark.parametrize("role", ROLES)
def test_marking_ones_own_notification_read(world, role):
    notice_id = world.notices[role]
    _mark_unread(world, notice_id)
    assert world.web_post(role, "/notifications/read", {"id": notice_id}).status_code == 302
    assert not _unread(world, notice_id)
    _mark_unread(world, notice_id)  # for the other tests


# ------------------------------------------------------------------------------------------ admin routes

ADMIN_READS = {
    "user list": lambda w: "/admin/users",
    "user list filtered": lambda w: "/admin/users?role=household&q=demo",
    "new user form": lambda w: "/admin/users/new",
    "a household's account": lambda w: f"/admin/users/{w.user_ids['household_a']}",
    "the admin's own account": lambda w: f"/admin/users/{w.user_ids['admin']}",
}


@pytest.mark.parametrize("page", ADMIN_READS)
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_exist_only_for_the_admin(world, page, role):
    before = world.snapshot()
    response = world.web_get(role, ADMIN_READS[page](world))
    if role == "admin":
        assert response.status_code == 200
    else:
        assert_not_found(response, f"{role} opening {page}")
        assert "demo-household" not in response.get_data(as_text=True)
    assert_unchanged(world, before, f"{role} opening {page}")


ADMIN_WRITES = {
    "deactivate": {"action": "deactivate"},
    "reset password": {"action": "reset_password", "password": "mat-khau-moi-123"},
    "grant admin": {"action": "assign_role", "role": "admin", "unit": "DEMO-CT"},
    "grant commune officer": {"action": "assign_role", "role": "commune_officer", "unit": "DEMO-NA"},
}


@pytest.mark.parametrize("action", ADMIN_WRITES)
@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_the_admin_changes_accounts(world, action, role):
    before = world.snapshot()
    response = world.web_post(role, f"/admin/users/{world.bystander_id}", ADMIN_WRITES[action])
    assert_not_found(response, f"{role} doing {action}")
    assert_unchanged(world, before, f"{role} doing {action}")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_the_admin_creates_accounts(world, role):
    before = world.snapshot()
    data = {"username": f"tao-boi-{role.replace('_', '-')}", "full_name": "Kẻ lạ", "password": "matkhau123"}
    response = world.web_post(role, "/admin/users/new", data)
    assert_not_found(response, f"{role} creating an account")
    assert_unchanged(world, before, f"{role} creating an account")


def test_the_admin_changes_and_creates_accounts(world):
    from app.models import utcnow
    from app.services import accounts

    bystander = world.bystander_id
    assert world.web_post("admin", f"/admin/users/{bystander}", ADMIN_WRITES["deactivate"]).status_code == 302
    assert world.scalar("SELECT active FROM user_account WHERE id = :id", id=bystander) in (False, 0)
    grant = ADMIN_WRITES["grant commune officer"]
    assert world.web_post("admin", f"/admin/users/{bystander}", grant).status_code == 302
    assert world.scalar("SELECT COUNT(*) FROM role_assignment WHERE user_id = :id", id=bystander) == 1
    data = {"username": "tao-boi-admin", "full_name": "Người mới", "password": "matkhau123"}
    assert world.web_post("admin", "/admin/users/new", data).status_code == 302
    assert world.scalar("SELECT COUNT(*) FROM user_account WHERE username = 'tao-boi-admin'") == 1
    with world.app.app_context():  # back as it was, for the other tests
        from app.extensions import db

        accounts.set_active(bystander, True, actor=None, now=utcnow())
        for (assignment_id,) in db.session.execute(
            text("SELECT id FROM role_assignment WHERE user_id = :id"), {"id": bystander}
        ):
            accounts.revoke_role(assignment_id, actor=None, now=utcnow())
        db.session.remove()


# ------------------------------------------------------------------------------- real completions


@pytest.mark.parametrize(
    "step", ["self_report", "commune_scoring", "district_verification", "city_commendation"]
)
def test_the_holder_of_each_step_completes_it(api, step):
    """The allowed action really works (the matrix above only reaches the step, to keep its world)."""
    dossier_id = walk_dossier(api, "demo-household", "DEMO-AH", to=step)
    holder = {
        "self_report": "demo-household",
        "commune_scoring": OFFICIALS_OF["DEMO-AH"][0],
        "district_verification": OFFICIALS_OF["DEMO-AH"][1],
        "city_commendation": "demo-city",
    }[step]
    dossier = api.complete(holder, dossier_id, step, step_data(step))
    assert step not in {t["name"] for t in dossier["current_tasks"]}


def test_a_second_household_of_the_same_village_runs_its_own_dossier(app, web):
    """The factory household is a full applicant: it registers, reports on the web, and is then in
    the commune's hands — so the 404s it gets in the matrix come from jurisdiction, not from a broken
    account."""
    neighbour = make_household(app, "ho-thu-hai", "DEMO-AH-V1")
    api = ApiClient(app.test_client())
    api.token(neighbour.username, FACTORY_PASSWORD)
    dossier_id = api.open_dossier(neighbour.username)
    task = api.task_for(neighbour.username, dossier_id, "self_report")
    assert web.login(neighbour.username, FACTORY_PASSWORD).status_code == 302
    response = web.post(f"/tasks/{task['id']}", step_form("self_report"))
    assert response.status_code == 302
    assert api.task_for("demo-commune", dossier_id, "commune_scoring")
    assert api.get("demo-household", f"/dossiers/{dossier_id}").status_code == 404


# ------------------------------------------------------------------- a unit recognises its staff

# A staff member's Công dân học tập dossier reaches the step of a ``linked:staff`` lane: the organisation
# whose staff the citizen is acts on it with its own account. Everyone's answer on that dossier and task,
# as in the matrix above: "act" sees the dossier and holds the step, "see" sees the dossier only, "-" gets
# 404 everywhere and changes nothing.
STAFF_ACCESS = {
    "school": "act",  # the organisation the citizen works for
    "other_school": "-",  # another organisation, of another ward
    "colleague": "-",  # a citizen on the same staff
    "citizen": "see",  # the applicant
    "village": "see",  # the head of the citizen's village: in jurisdiction, but not the step's holder
    "chairman_other": "-",  # the chairman of another ward
}
STAFF_PASSWORD = "matkhau123"  # noqa: S105  (test accounts)


@pytest.fixture
def staff_world(app, api):
    from tests.title_factories_citizen_unit import (
        add_staff,
        citizen_self_report,
        ensure_active,
        ensure_campaign,
        make_citizen,
        make_organisation,
    )

    ensure_active(app, "cong_dan_hoc_tap", "cong_dan_hoc_tap", "DEMO-CT25")
    ensure_campaign(app, "cong_dan_hoc_tap", "DEMO-CT25")
    school = make_organisation(
        app, "truong-ck", "DEMO-CK", name="Trường THCS Cái Khế", password=STAFF_PASSWORD
    )
    other = make_organisation(
        app, "truong-ab", "DEMO-AB", name="Trường THCS An Bình", password=STAFF_PASSWORD
    )
    citizen = make_citizen(
        app, "gv-ck", "DEMO-CK-V1", "can_bo_doanh_nhan", name="Lê Văn Minh", password=STAFF_PASSWORD
    )
    colleague = make_citizen(
        app,
        "gv-ck-2",
        "DEMO-CK-V1",
        "can_bo_doanh_nhan",
        name="Phạm Thị Thu",
        gender="nu",
        password=STAFF_PASSWORD,
    )
    add_staff(app, school, citizen)
    add_staff(app, school, colleague)
    people = {
        "school": (school.username, STAFF_PASSWORD),
        "other_school": (other.username, STAFF_PASSWORD),
        "colleague": (colleague.username, STAFF_PASSWORD),
        "citizen": (citizen.username, STAFF_PASSWORD),
        "village": ("demo-village-ck1", DEMO_PASSWORD),
        "chairman_other": ("demo-chairman-ab", DEMO_PASSWORD),
    }
    for username, password in people.values():
        api.token(username, password)
    opened = api.post(citizen.username, "/dossiers", json={"title": "cong_dan_hoc_tap", "year": 2026})
    assert opened.status_code == 201, opened.get_json()
    dossier_id = opened.get_json()["id"]
    # The colleague's own dossier waits at its self-assessment: the school holds nothing of it yet.
    colleague_dossier = api.post(
        colleague.username, "/dossiers", json={"title": "cong_dan_hoc_tap", "year": 2026}
    )
    assert colleague_dossier.status_code == 201
    api.complete(
        citizen.username,
        dossier_id,
        "self_report_can_bo_doanh_nhan",
        citizen_self_report(api, citizen.username, dossier_id, 9),
    )
    task_id = api.task_for(school.username, dossier_id, "unit_recognition")["id"]
    return {
        "people": people,
        "dossier_id": dossier_id,
        "task_id": task_id,
        "colleague_dossier_id": colleague_dossier.get_json()["id"],
    }


def _rows(app) -> dict:
    from app.extensions import db

    with app.app_context():
        state = {name: [tuple(row) for row in db.session.execute(text(sql))] for name, sql in WATCHED.items()}
        db.session.remove()
    return state


@pytest.mark.parametrize("who", STAFF_ACCESS)
def test_an_organisation_acts_on_its_staff_members_step_and_nobody_else_does(app, api, staff_world, who):
    username, password = staff_world["people"][who]
    dossier_id, task_id = staff_world["dossier_id"], staff_world["task_id"]
    access = STAFF_ACCESS[who]
    web = WebClient(app)
    assert web.login(username, password).status_code == 302

    before = _rows(app)
    dossier_reads = [api.get(username, f"/dossiers/{dossier_id}"), web.get(f"/dossiers/{dossier_id}")]
    task_reads = [api.get(username, f"/tasks/{task_id}"), web.get(f"/tasks/{task_id}")]
    for response in dossier_reads:
        assert response.status_code == (404 if access == "-" else 200), (who, response.status_code)
    for response in task_reads:
        assert response.status_code == (200 if access == "act" else 404), (who, response.status_code)
    listed = api.get(username, "/dossiers", query_string={"per_page": 200}).get_json()["items"]
    assert (dossier_id in [d["id"] for d in listed]) == (access != "-")
    inbox = api.get(username, "/tasks", query_string={"per_page": 200}).get_json()["items"]
    assert (task_id in [t["id"] for t in inbox]) == (access == "act")
    if who == "school":
        # Only the dossier whose step it holds: not the colleague's, still at its self-assessment.
        assert api.get(username, f"/dossiers/{staff_world['colleague_dossier_id']}").status_code == 404
        assert [d["id"] for d in listed] == [dossier_id]
    assert _rows(app) == before

    if access == "act":
        done = api.post(
            username,
            f"/tasks/{task_id}/complete",
            json={
                "data": {
                    "decision": "approve",
                    "decision_number": "12/QĐ-THCS",
                    "decision_date": "2026-12-10",
                    "signer": "Hiệu trưởng",
                }
            },
        )
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["status"] == "recognized"
        return
    refused = [
        api.post(username, f"/tasks/{task_id}/claim"),
        api.post(username, f"/tasks/{task_id}/complete", json={"data": {"decision": "approve"}}),
    ]
    if access == "-":
        refused.append(
            api.post(
                username,
                f"/dossiers/{dossier_id}/evidence",
                data={"file": (io.BytesIO(png_bytes()), "minh-chung.png")},
            )
        )
    for response in refused:
        assert response.status_code == 404, (who, response.status_code)
    assert _rows(app) == before

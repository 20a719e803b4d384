"""Benchmark of the recognition loop: N dossiers from opening to the city's recognition decision.

Run from the project root::

    .venv/bin/python bench/recognition_loop.py [--n 1000] [--http [--workers W]] [--keep] [--inbox K]
        [--profile FILE] [--engine PATH | --no-engine]

A throwaway SQLite database (WAL, as the app configures it) is migrated with Alembic and loaded with the
demo, then N dossiers run through the same code paths as production: ``open_dossier`` and
``submit_task`` with a Werkzeug MultiDict (service mode), or the JSON API with a sequential client
(``--http``) against the production server in its own processes, started as ``scripts/run`` starts it:
``gunicorn -c gunicorn.conf.py wsgi:app`` from the project root, with ``DATABASE_URL`` / ``DATA_DIR`` on the
benchmark's temporary folder (migrated, seeded and given its accounts by this process before gunicorn
starts; SQLite in WAL mode is shared by this process and gunicorn's workers), ``REDIS_URL`` empty,
``WEB_BIND`` on a free loopback port and ``WEB_WORKERS`` from ``--workers`` (else gunicorn.conf.py's
default); it is stopped with SIGTERM at the end. ``REDIS_URL`` is empty in both modes, so the notification
jobs run in-process right after each commit and their cost is part of every step.

In HTTP mode the server's SQL statements run in other processes and are not counted (the SQL/op column
shows "—"); the client-side timings per request and per dossier are, and the CPU time of the client and of
gunicorn's processes (master and workers, from /proc/<pid>/stat) per dossier.

After the run the raw engine's own benchmark (``run.py --bench 300 --spec-ref --parser camunda`` in
``--engine PATH``, default ``../shared/reference/spiffworkflow-example``) runs in the same sitting, and
the whole-dossier median is reported as a ratio to its per-instance median (issue 12's P1 for the service
layer, P2 over HTTP). See bench/README.md for what each figure means. Nothing here asserts speed; it only
measures.
"""

import argparse
import contextlib
import cProfile
import http.client
import importlib.metadata
import json
import math
import os
import platform
import pstats
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from server import Server

TITLE = "gia_dinh_hoc_tap"
FIRST_YEAR = 2000
LAST_YEAR = 2100  # the API refuses years outside 2000..2100
PASSWORD = "bench-password"  # noqa: S105  (throwaway accounts in a temporary database)
DEMO_PASSWORD = "demo1234"  # noqa: S105
ITEMS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
STEP_NAMES = ("self_report", "commune_scoring", "district_verification", "city_commendation")
# Who acts at each step, and what they submit (the values of tests/helpers.py: a passing dossier).
STEPS = (
    ("self_report", "household", {item: 9 for item in ITEMS}),
    ("commune_scoring", "commune", {"decision": "accept", **{item: 9 for item in ITEMS}}),
    ("district_verification", "district", {"decision": "approve"}),
    (
        "city_commendation",
        "city",
        {
            "decision": "approve",
            "decision_number": "123/QĐ-HĐTĐKT",
            "decision_date": "2026-12-20",
            "signer": "Nguyễn Văn Chủ tịch",
        },
    ),
)
COUNTED_TABLES = ("dossier", "human_task", "audit_event", "submission", "notification", "outbox")
INBOX_COMMUNE = "DEMO-AH"  # demo-commune's commune
INBOX_REPEATS = 50
INBOX_PAGE = 50
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENGINE = ROOT.parent / "shared" / "reference" / "spiffworkflow-example"
ENGINE_COMMAND = ("run.py", "--bench", "300", "--spec-ref", "--parser", "camunda")
SECRET_KEY = "bench-secret"  # noqa: S105  (a throwaway database)


# --------------------------------------------------------------------------- measuring helpers


class SqlCounter:
    """Counts the SQL statements the engine sends (all threads; the client is sequential)."""

    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


@dataclass
class Timings:
    """Milliseconds (and SQL statement counts) per named operation, in run order."""

    ms: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    sql: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, ms: float, sql: int | None = None, cpu: float | None = None) -> None:
        self.ms.setdefault(name, []).append(ms)
        if sql is not None:
            self.sql.setdefault(name, []).append(sql)
        if cpu is not None:
            self.cpu.setdefault(name, []).append(cpu)


class Clock:
    """Wall and process CPU milliseconds of this process (in HTTP mode the client only), and the SQL
    statements this process sent when given a counter (none in HTTP mode: the server is elsewhere)."""

    def __init__(self, counter: "SqlCounter | None"):
        self.counter = counter
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.sql = counter.count if counter is not None else 0

    def record(self, timings: "Timings", name: str) -> None:
        timings.add(
            name,
            (time.perf_counter() - self.wall) * 1000,
            self.counter.count - self.sql if self.counter is not None else None,
            (time.process_time() - self.cpu) * 1000,
        )


def p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def fmt_row(name: str, values: list[float], sql: list[int] | None, cpu: list[float] | None) -> str:
    queries = f"{statistics.mean(sql):7.1f}" if sql else f"{'—':>7}"
    cpu_ms = f"{statistics.median(cpu):8.2f}" if cpu else f"{'':>8}"
    return (
        f"  {name:<34} {statistics.median(values):8.2f} {p90(values):8.2f} {max(values):8.2f} "
        f"{cpu_ms} {queries} {len(values):6d}"
    )


def print_table(title: str, timings: Timings, order: list[str]) -> None:
    print(f"\n{title}")
    print(f"  {'ms':<34} {'median':>8} {'p90':>8} {'max':>8} {'CPU med':>8} {'SQL/op':>7} {'count':>6}")
    for name in order:
        if name in timings.ms:
            print(fmt_row(name, timings.ms[name], timings.sql.get(name), timings.cpu.get(name)))


# --------------------------------------------------------------------------- setup


@dataclass
class Cast:
    """The accounts acting on each demo household's dossiers."""

    city: int
    households: list[dict]  # subject_id, code, household, commune, district (user ids)
    usernames: dict[int, str]
    passwords: dict[int, str]


def build_app(tmp: Path):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'hoctap.sqlite'}",
            "DATA_DIR": str(tmp / "data"),
            "REDIS_URL": "",
            "SECRET_KEY": SECRET_KEY,
            # One client asks for 87 tokens in a few seconds; the login limit is not what is measured.
            "RATELIMIT_ENABLED": False,
        }
    )


def migrate_and_seed(app) -> None:
    from flask_migrate import upgrade

    from app.demo import seed_demo
    from app.models import utcnow

    with app.app_context():
        upgrade()
        seed_demo(now=utcnow())


def _officer(username: str, full_name: str, role: str, unit_code: str, now) -> int:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, RoleAssignment, User
    from app.services import accounts

    holder = db.session.scalar(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(AdminUnit, AdminUnit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.role == role, AdminUnit.code == unit_code)
        .order_by(User.id)
        .limit(1)
    )
    if holder is not None:
        return holder.id
    user = accounts.create_user(username, full_name, PASSWORD, actor=None, now=now)
    accounts.assign_role(user.id, role, unit_code, actor=None, now=now)
    return user.id


def build_cast(app) -> Cast:
    """Give every demo household an account and every unit an officer, through the account services.

    The demo has officers only for An Hòa, Nhơn Ái and Ninh Kiều and accounts for two households, so the
    other households get ``bench-<code>`` accounts and the other units ``bench-*`` officers.
    """
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Subject, User, utcnow
    from app.services import accounts
    from app.services.uow import commit

    now = utcnow()
    with app.app_context():
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        city = users["demo-city"]
        households = []
        officers: dict[tuple[str, str], int] = {}
        for subject in db.session.scalars(
            select(Subject).where(Subject.kind == "household").order_by(Subject.id)
        ).all():
            district = next((u for u in subject.unit.ancestors() if u.level_code == "district"), None)
            if district is None:
                continue  # the post-2025 demo tree runs the two-tier procedure; the bench runs four levels
            commune = next(u for u in subject.unit.ancestors() if u.level_code == "commune")
            for role, unit in (("commune_officer", commune), ("district_officer", district)):
                if (role, unit.code) not in officers:
                    officers[(role, unit.code)] = _officer(
                        f"bench-{role.split('_')[0]}-{unit.code.lower()}",
                        f"Cán bộ {unit.name}",
                        role,
                        unit.code,
                        now,
                    )
            if subject.account_id is None:
                user = accounts.create_user(
                    f"bench-{subject.code.lower()}", subject.name, PASSWORD, actor=None, now=now
                )
                accounts.assign_role(user.id, "household", subject.unit.code, actor=None, now=now)
                db.session.get(Subject, subject.id).account_id = user.id
                commit()
            households.append(
                {
                    "subject_id": subject.id,
                    "code": subject.code,
                    "commune_code": commune.code,
                    "household": subject.account_id,
                    "commune": officers[("commune_officer", commune.code)],
                    "district": officers[("district_officer", district.code)],
                }
            )
        usernames = {u.id: u.username for u in db.session.scalars(select(User))}
    passwords = {
        uid: DEMO_PASSWORD if name.startswith("demo-") else PASSWORD for uid, name in usernames.items()
    }
    return Cast(city=city, households=households, usernames=usernames, passwords=passwords)


def plan(cast: Cast, n: int, first_year: int = FIRST_YEAR, only_commune: str | None = None) -> list[tuple]:
    """(household dict, year) for n dossiers: one per household and year, households cycling fastest."""
    pool = [h for h in cast.households if only_commune is None or h["commune_code"] == only_commune]
    last = first_year + math.ceil(n / len(pool)) - 1
    if last > LAST_YEAR:
        raise SystemExit(
            f"{n} dossiers over {len(pool)} households need years up to {last}; the API accepts up to "
            f"{LAST_YEAR}. Use a smaller --n or --inbox."
        )
    return [(pool[i % len(pool)], first_year + i // len(pool)) for i in range(n)]


def actor_for(household: dict, cast: Cast, who: str) -> int:
    return cast.city if who == "city" else household[who]


# --------------------------------------------------------------------------- database figures


def checkpoint(app) -> None:
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def snapshot(app, db_path: Path) -> dict:
    """File size (after a WAL checkpoint), row counts and bytes per table (dbstat, when available)."""
    from sqlalchemy import text

    from app.extensions import db

    checkpoint(app)
    with app.app_context(), db.engine.connect() as conn:
        rows = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED_TABLES}  # noqa: S608
        try:
            pages = conn.execute(
                text(
                    "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                    "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
                )
            ).all()
            table_bytes = {name: size for name, size in pages}
        except Exception:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            table_bytes = {}
    return {"size": db_path.stat().st_size, "rows": rows, "table_bytes": table_bytes}


def state_sizes(app, dossier_ids: list[int]) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Dossier

    with app.app_context():
        query = select(
            func.count(), func.avg(func.length(Dossier.state)), func.max(func.length(Dossier.state))
        ).where(Dossier.id.in_(dossier_ids), Dossier.status == "recognized")
        count, avg, biggest = db.session.execute(query).one()
        # A finished dossier's state is stored deflated (workflow/serialization.py): the JSON it holds.
        from workflow.serialization import expand_state

        states = db.session.scalars(
            select(Dossier.state).where(Dossier.id.in_(dossier_ids), Dossier.status == "recognized")
        ).all()
        json_avg = sum(len(expand_state(s)) for s in states) / len(states) if states else 0
        statuses = dict(
            db.session.execute(
                select(Dossier.status, func.count())
                .where(Dossier.id.in_(dossier_ids))
                .group_by(Dossier.status)
            ).all()
        )
    return {
        "recognized": count,
        "avg": avg or 0,
        "max": biggest or 0,
        "json_avg": json_avg,
        "statuses": statuses,
    }


def print_storage(before: dict, after: dict, n: int, states: dict) -> None:
    print(f"\nStorage per finished dossier (N = {n}; statuses: {states['statuses']})")
    grown = after["size"] - before["size"]
    print(f"  SQLite file growth / N            {grown / n:10.0f} bytes   ({grown / 1e6:.1f} MB in all)")
    print(
        f"  len(dossier.state), recognized    {states['avg']:10.0f} chars   (max {states['max']}; "
        f"stored compact, {states['json_avg']:.0f} chars of JSON inside)"
    )
    print(
        "  rows per dossier:  "
        + ", ".join(f"{t} {(after['rows'][t] - before['rows'][t]) / n:.2f}" for t in COUNTED_TABLES)
    )
    if after["table_bytes"]:
        growth = {
            t: after["table_bytes"].get(t, 0) - before["table_bytes"].get(t, 0) for t in after["table_bytes"]
        }
        top = sorted(((b, t) for t, b in growth.items() if b > 0), reverse=True)[:8]
        print(
            "  bytes per dossier by table (with its indexes, dbstat): "
            + ", ".join(f"{t} {b / n:.0f}" for b, t in top)
        )
        counted = sum(growth.get(t, 0) for t in COUNTED_TABLES)
        print(f"  the six tables above together     {counted / n:10.0f} bytes")


def prune_after_retention(app) -> dict:
    """What the daily pruning job leaves once the retention periods have passed: every notice read, the
    clock moved past both periods (app/services/storage.py)."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.extensions import db
    from app.models import Notification, utcnow
    from app.services.storage import prune_delivered

    with app.app_context():
        now = utcnow()
        db.session.execute(update(Notification).where(Notification.read_at.is_(None)).values(read_at=now))
        db.session.commit()
        days = max(app.config["OUTBOX_RETENTION_DAYS"], app.config["NOTIFICATION_RETENTION_DAYS"]) + 1
        return prune_delivered(now=now + timedelta(days=days))


def print_pruned(before: dict, after: dict, n: int, pruned: dict) -> None:
    if not after["table_bytes"]:
        return
    growth = {t: after["table_bytes"].get(t, 0) - before["table_bytes"].get(t, 0) for t in COUNTED_TABLES}
    print(
        f"  after the retention periods ({pruned['outbox_deleted']} delivered jobs and "
        f"{pruned['notifications_deleted']} read notices pruned): "
        + ", ".join(f"{t} {b / n:.0f}" for t, b in sorted(growth.items(), key=lambda x: -x[1]))
        + f"; together {sum(growth.values()) / n:.0f} bytes per dossier"
    )


# --------------------------------------------------------------------------- service mode


def run_service(
    app, cast: Cast, todo: list[tuple], counter: SqlCounter, timings: Timings | None
) -> list[int]:
    """Each dossier through open_dossier and the four submit_task calls, one app context per call."""
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from app.extensions import db
    from app.models import HumanTask, Subject, User, utcnow
    from app.services.dossiers import open_dossier, submit_task

    def timed(name, call):
        clock = Clock(counter)
        result = call()
        if timings is not None:
            clock.record(timings, name)
        return result

    steps = STEPS if timings is not None else STEPS[:1]
    ids = []
    for household, year in todo:
        whole = Clock(counter)
        with app.app_context():  # a request's worth of session: nothing cached between calls
            actor = db.session.get(User, household["household"])
            subject = db.session.get(Subject, household["subject_id"])
            dossier = timed(
                "open", lambda s=subject, y=year, a=actor: open_dossier(s, TITLE, y, actor=a, now=utcnow())
            )
            dossier_id = dossier.id
        for name, who, values in steps:
            with app.app_context():
                task_id = db.session.scalar(
                    select(HumanTask.id).where(
                        HumanTask.dossier_id == dossier_id, HumanTask.name == name, HumanTask.state == "open"
                    )
                )
                actor = db.session.get(User, actor_for(household, cast, who))
                dossier = timed(
                    name,
                    lambda t=task_id, a=actor, v=values: submit_task(
                        t, MultiDict({k: str(x) for k, x in v.items()}), actor=a, now=utcnow()
                    ),
                )
                status = dossier.status
        if timings is not None:
            if status != "recognized":
                raise SystemExit(f"dossier {dossier_id} ended {status!r}, expected 'recognized'")
            whole.record(timings, "whole dossier")
        ids.append(dossier_id)
    return ids


def time_inbox_service(app, user_id: int, counter: SqlCounter, timings: Timings) -> int:
    """The inbox query (page 1 and the last page of 50, with the count) and the fields a row shows."""
    from app.extensions import db
    from app.inbox.query import InboxFilter, inbox_query
    from app.models import User, utcnow

    with app.app_context():
        user = db.session.get(User, user_id)
        total = db.paginate(inbox_query(user, InboxFilter(), now=utcnow()), page=1, per_page=1).total
    last = max(1, math.ceil(total / INBOX_PAGE))
    for _ in range(INBOX_REPEATS):
        for label, page_no in (("page 1", 1), ("last page", last)):
            with app.app_context():
                user = db.session.get(User, user_id)
                user.roles  # noqa: B018  (loaded by authentication in a real request)
                clock = Clock(counter)
                query = inbox_query(user, InboxFilter(), now=utcnow())
                page = db.paginate(query, page=page_no, per_page=INBOX_PAGE, error_out=False)
                rows = [
                    (t.id, t.dossier.code, t.dossier.subject.name, t.unit.name, t.claimed_by, t.due_at)
                    for t in page.items
                ]
                clock.record(timings, f"inbox query, {label}")
                assert rows or total == 0
    return total


# --------------------------------------------------------------------------- HTTP mode


class Api:
    """A sequential JSON client: one loopback connection per request, bearer tokens per account."""

    def __init__(self, port: int, timings: Timings):
        self.port = port
        self.timings = timings
        self.tokens: dict[int, str] = {}

    def call(self, method: str, path: str, *, user: int | None = None, body=None, label: str | None = None):
        headers = {"Accept": "application/json", "Accept-Language": "vi"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        clock = Clock(None)  # the server's statements run in gunicorn's processes
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, f"/api/v1{path}", body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if label is not None:
            clock.record(self.timings, label)
        document = json.loads(data) if data else None
        if response.status >= 400:
            raise SystemExit(f"{method} {path} -> {response.status}: {document}")
        return document

    def login(self, cast: Cast, user_ids) -> None:
        for uid in sorted(set(user_ids)):
            answer = self.call(
                "POST", "/auth/token", body={"username": cast.usernames[uid], "password": cast.passwords[uid]}
            )
            self.tokens[uid] = answer["token"]


def run_http(api: Api, cast: Cast, todo: list[tuple]) -> list[int]:
    """POST /dossiers, then per step: GET /tasks as the actor to find the task, POST .../complete."""
    ids = []
    for household, year in todo:
        whole = Clock(None)
        created = api.call(
            "POST",
            "/dossiers",
            user=household["household"],
            label="POST /dossiers (open)",
            body={"title": TITLE, "year": year, "subject_id": household["subject_id"]},
        )
        dossier_id = created["id"]
        for name, who, values in STEPS:
            actor = actor_for(household, cast, who)
            inbox = api.call("GET", f"/tasks?per_page={INBOX_PAGE}", user=actor, label=f"GET /tasks ({who})")
            task = next(t for t in inbox["items"] if t["dossier_id"] == dossier_id and t["name"] == name)
            result = api.call(
                "POST",
                f"/tasks/{task['id']}/complete",
                user=actor,
                body={"data": values},
                label=f"POST complete {name}",
            )
        if result["status"] != "recognized":
            raise SystemExit(f"dossier {dossier_id} ended {result['status']!r}, expected 'recognized'")
        whole.record(api.timings, "whole dossier")
        ids.append(dossier_id)
    return ids


# --------------------------------------------------------------------------- the raw engine


def raw_engine(path: Path) -> float | None:
    """The reference engine's own benchmark in ``path``, with this interpreter: its per-instance median
    (ms), or None (said why) when it could not run."""
    print(f"\nRaw engine: {Path(sys.executable).name} {' '.join(ENGINE_COMMAND)} in {path}")
    try:
        result = subprocess.run(  # noqa: S603  (our own interpreter on the reference script)
            [sys.executable, *ENGINE_COMMAND],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"  could not run it: {error}")
        return None
    match = re.search(r"median ([0-9.]+) ms/instance", result.stdout)
    if result.returncode != 0 or match is None:
        print(f"  exited with {result.returncode}; no 'median ... ms/instance' in its output:")
        print("  " + (result.stdout + result.stderr).strip()[-2000:].replace("\n", "\n  "))
        return None
    print(f"  {next(line for line in result.stdout.splitlines() if match.group(0) in line).strip()}")
    return float(match.group(1))


# --------------------------------------------------------------------------- main


def versions() -> str:
    def version(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {version('sqlalchemy')}, Flask {version('flask')}, Werkzeug {version('werkzeug')}, "
        f"SpiffWorkflow {version('spiffworkflow')}; {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="dossiers to run through the loop (default 1000)")
    parser.add_argument(
        "--http",
        action="store_true",
        help="go through the JSON API on gunicorn -c gunicorn.conf.py wsgi:app in its own processes",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="W",
        help="with --http: gunicorn worker processes (WEB_WORKERS; default gunicorn.conf.py's choice)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument(
        "--inbox",
        type=int,
        default=None,
        help="dossiers left open at commune scoring in demo-commune's inbox (default N/2)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="cProfile the main run into FILE and print the top and the split by layer (with --http: the"
        " server's request threads during the main run)",
    )
    parser.add_argument(
        "--engine",
        metavar="PATH",
        type=Path,
        help="the raw engine's benchmark folder to run after the main run, for the ratio "
        "(default ../shared/reference/spiffworkflow-example from the project root, skipped if missing)",
    )
    parser.add_argument("--no-engine", action="store_true", help="do not run the raw engine's benchmark")
    args = parser.parse_args(argv)
    if args.workers is not None and not args.http:
        parser.error("--workers applies to --http only")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.engine is not None and args.no_engine:
        parser.error("--engine and --no-engine exclude each other")
    n = args.n
    inbox_n = n // 2 if args.inbox is None else args.inbox

    tmp = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
    db_path = tmp / "hoctap.sqlite"
    wall = time.perf_counter()
    try:
        from sqlalchemy import event

        from app.extensions import db

        # Everything the server needs is in the database before gunicorn starts (its master loads the app).
        t0 = time.perf_counter()
        app = build_app(tmp)
        migrate_and_seed(app)
        cast = build_cast(app)
        todo = plan(cast, n)
        after_main = todo[-1][1] + 1 if todo else FIRST_YEAR
        extra = plan(cast, inbox_n, first_year=after_main, only_commune=INBOX_COMMUNE) if inbox_n else []
        counter = SqlCounter()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", counter)
            journal = db.session.execute(db.text("PRAGMA journal_mode")).scalar_one()
        setup_s = time.perf_counter() - t0

        mode = (
            "HTTP (JSON API, gunicorn -c gunicorn.conf.py wsgi:app in its own processes, sequential client)"
            if args.http
            else "service layer"
        )
        print(f"Recognition loop benchmark: {mode}")
        print(f"  {versions()}")
        print(f"  database {db_path} (journal_mode={journal}), jobs in-process (REDIS_URL empty)")
        print(f"  setup (migrate, seed, {len(cast.usernames)} accounts): {setup_s:.1f} s")

        timings = Timings()
        # In HTTP mode the server is what is profiled (bench/gunicorn_profile.py), during the main run only.
        profiler = cProfile.Profile() if args.profile and not args.http else None
        served = (
            Server(
                f"sqlite:///{db_path}",
                tmp / "data",
                log=tmp / "gunicorn.log",
                workers=args.workers,
                env={"SECRET_KEY": SECRET_KEY, "DEMO": "1"},
                profile_dir=tmp / "profiles" if args.profile else None,
            )
            if args.http
            else contextlib.nullcontext()
        )
        with served as server:
            api = None
            if args.http:
                api = Api(server.port, timings)
                t0 = time.perf_counter()
                api.login(
                    cast,
                    [cast.city]
                    + [h[k] for h in cast.households for k in ("household", "commune", "district")],
                )
                login_s = time.perf_counter() - t0
                workers = server.workers()
                print(
                    f"  gunicorn on 127.0.0.1:{server.port}: master {server.process.pid}, {len(workers)} "
                    f"workers ({'--workers' if args.workers else 'gunicorn.conf.py default'}; gthread, "
                    f"WEB_THREADS default), log {server.log.name} and data/access.log in the temporary folder"
                )
                print(f"  {len(api.tokens)} tokens from POST /api/v1/auth/token: {login_s:.1f} s")
            before = snapshot(app, db_path)  # after the logins: their tokens and audit rows are not counted
            if profiler:
                profiler.enable()
            load_before = os.getloadavg()[0]
            server_cpu0 = server.cpu_ms() if args.http else 0.0
            t0, cpu0 = time.perf_counter(), time.process_time()
            with server.profiling() if args.http and args.profile else contextlib.nullcontext():
                if args.http:
                    ids = run_http(api, cast, todo)
                else:
                    ids = run_service(app, cast, todo, counter, timings)
            run_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
            server_cpu_s = (server.cpu_ms() - server_cpu0) / 1000 if args.http else 0.0
            if profiler:
                profiler.disable()

            print(
                f"\nMain run: {n} dossiers in {run_s:.1f} s = {n / run_s:.1f} dossiers/s "
                f"({5 * n / run_s:.0f} steps/s{', ' + str(9 * n) + ' requests' if args.http else ''})"
            )
            print(
                f"  CPU time of this process{' (the client)' if args.http else ''} {cpu_s:.1f} s = "
                f"{n / cpu_s:.1f} dossiers per CPU-second ({1000 * cpu_s / n:.1f} ms per dossier); "
                f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
                f"({os.cpu_count()} CPUs)"
            )
            if args.http:
                print(
                    f"  CPU time of gunicorn (master + {len(server.workers())} workers, /proc/<pid>/stat) "
                    f"{server_cpu_s:.1f} s = {1000 * server_cpu_s / n:.1f} ms per dossier"
                )
                order = ["POST /dossiers (open)"]
                for name, who, _values in STEPS:
                    order += [f"GET /tasks ({who})", f"POST complete {name}"]
                print_table(
                    "Per request (client-side ms and client CPU; SQL/op —: the server's statements run in "
                    "gunicorn's processes and are not counted)",
                    timings,
                    order + ["whole dossier"],
                )
            else:
                print_table(
                    "Per step (ms; SQL/op = statements, including the in-process jobs)",
                    timings,
                    ["open", *STEP_NAMES, "whole dossier"],
                )
            whole = timings.ms["whole dossier"]
            ours_ms = statistics.median(whole)
            tenth = max(1, len(whole) // 10)
            print(
                f"  drift: whole dossier median, first {tenth} {statistics.median(whole[:tenth]):.1f} ms, "
                f"last {tenth} {statistics.median(whole[-tenth:]):.1f} ms"
            )

            after = snapshot(app, db_path)
            states = state_sizes(app, ids)
            if states["recognized"] != n:  # in HTTP mode: what the server wrote, read by this process
                raise SystemExit(f"{states['recognized']} of {n} dossiers read back as recognized")
            print_storage(before, after, n, states)
            pruned = prune_after_retention(app)
            print_pruned(before, snapshot(app, db_path), n, pruned)

            if extra:
                t0 = time.perf_counter()
                run_service(app, cast, extra, counter, None)  # open + self_report: waits at commune scoring
                fill_s = time.perf_counter() - t0
                commune_user = extra[0][0]["commune"]
                inbox = Timings()
                total = time_inbox_service(app, commune_user, counter, inbox)
                order = ["inbox query, page 1", "inbox query, last page"]
                if args.http:
                    last = max(1, math.ceil(total / INBOX_PAGE))
                    for _ in range(INBOX_REPEATS):
                        for label, page_no in (("page 1", 1), ("last page", last)):
                            api.timings = inbox
                            api.call(
                                "GET",
                                f"/tasks?per_page={INBOX_PAGE}&page={page_no}",
                                user=commune_user,
                                label=f"GET /tasks, {label}",
                            )
                    order = [f"GET /tasks, {label}" for label in ("page 1", "last page")] + order
                print_table(
                    f"Inbox of {cast.usernames[commune_user]} with {total} open tasks "
                    f"(pages of {INBOX_PAGE}, {INBOX_REPEATS} times each; {inbox_n} dossiers opened to "
                    f"commune scoring in {fill_s:.1f} s, not timed here)",
                    inbox,
                    order,
                )
        if args.http:
            print(
                f"\ngunicorn stopped (SIGTERM) in {server.stop_s:.1f} s "
                f"(exit status {server.process.returncode})"
            )

        if args.profile:
            stats = server.merged_profile() if args.http else pstats.Stats(profiler)
            stats.dump_stats(args.profile)
            whose = "gunicorn's request threads" if args.http else "the main run"
            print(f"\nProfile of {whose} written to {args.profile}; top 30 by cumulative time:")
            stats.sort_stats("cumulative").print_stats(30)
            from profile_split import print_split  # noqa: PLC0415  (bench/ is this script's folder)

            print_split(stats, n)

        with app.app_context():
            db.session.remove()
            db.engine.dispose()

        if not args.no_engine:
            engine = args.engine or DEFAULT_ENGINE
            if not (engine / ENGINE_COMMAND[0]).is_file():
                print(
                    f"\nRaw engine: no {ENGINE_COMMAND[0]} in {engine}; skipped (--engine PATH to choose one)"
                )
            else:
                engine_ms = raw_engine(engine)
                if engine_ms is not None:
                    target = "P2, HTTP against gunicorn" if args.http else "P1, service layer"
                    print(
                        f"  raw engine: {engine_ms:.2f} ms per dossier; ours/engine ratio: "
                        f"engine_ms/ours_ms = {engine_ms / ours_ms:.2f}× ({target}: ours {ours_ms:.1f} ms, "
                        "the whole-dossier median above)"
                    )
        print(f"\nTotal wall time {time.perf_counter() - wall:.1f} s")
    finally:
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

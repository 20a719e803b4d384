"""Load benchmark (issue 12, P6 and P6s): N officials at once against the production server.

Run from the project root::

    .venv/bin/python bench/load.py                         # SQLite, 20 officials, 60 s
    .venv/bin/python bench/load.py --db postgres           # a throwaway PostgreSQL cluster, 50 officials
    .venv/bin/python bench/load.py --clients 10 --seconds 20
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/load.py --db postgres   # an empty database

A fresh database (a SQLite file in a temporary folder, or a throwaway PostgreSQL cluster started as
tests/conftest.py does) is migrated with Alembic and loaded with the demo. The officials work in *lanes*:
each lane is a province of its own (province → district → commune → village, a few households) with one
commune officer, one district officer and one city (emulation committee) officer, so no two of them ever see
the same task; the first lanes get a second official (``--shared``), alternately at the commune and at the
city, who shares the first one's inbox, so those two race for tasks (and the city pair ends dossiers of one
village at once, writing the same per-village count rows). Dossiers are opened through the services and
walked to the steps the officials work on (``--tasks`` waiting at commune scoring per commune officer, a
quarter of that at district verification and at the city decision per official there), then the app is
served by gunicorn (``gunicorn.conf.py``) in its own processes on a free loopback port, and one thread per
official loops over the JSON API (a new loopback connection per request, as nginx's proxy_pass opens one per
request by default; ``--keepalive`` keeps one per official, which gunicorn's gthread workers then hold):

1. inbox: ``GET /api/v1/tasks?per_page=20``;
2. open a task: ``GET /api/v1/tasks/{id}`` (one of the first ``--pick`` items, at random);
3. complete it: ``POST /api/v1/tasks/{id}/complete`` with data that passes that step.

An empty inbox is polled again after a short pause (upstream officials feed the district and city ones) and is
timed apart; an official whose inbox stays empty for ``IDLE_STOP`` seconds stops. Everything stops after
``--seconds``: an official whose next pause would end after that stops there (not sending at the deadline,
which made every pausing official send in the same instant). ``--trace FILE`` writes each request's client
phases beside the server's own time for it, matched by the ``X-Request-Id`` every request carries. A 409 is a
*lost race* (the other official of the lane took the task first), not an error; any other status from 400 up,
a connection failure or a timeout is an error. "database is locked" is counted in the responses and in the
server's log. Nothing here asserts speed; it only measures. See bench/README.md.
"""

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import select
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from recognition_loop import STEPS, TITLE  # noqa: E402  (the same passing values as the loop benchmark)
from server import LOCKED, Server  # noqa: E402

OFFICIAL_STEPS = {name: (who, values) for name, who, values in STEPS if who != "household"}
ROLE_OF = {"commune": "commune_officer", "district": "district_officer", "city": "emulation_committee"}
FIRST_YEAR, LAST_YEAR = 2000, 2100
PER_PAGE = 20
EMPTY_PAUSE = 0.25  # seconds between polls of an empty inbox
IDLE_STOP = 5.0  # an official whose inbox stays empty this long has nothing more coming
REQUEST_TIMEOUT = 120
RATE = (
    60  # steps/s the default --tasks provides for (this 2-core machine did ~35 with 10 officials on SQLite)
)


# --------------------------------------------------------------------------- setup (not timed)


def build_app(url: str, data_dir: Path):
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir), "REDIS_URL": "", "SECRET_KEY": "bench"}
    )


def plan_clients(clients: int, shared: int) -> tuple[int, list[dict]]:
    """Lanes and who works in them: three officials per lane, plus ``shared`` second officials in the first
    lanes, alternately at the commune (they race for scoring tasks) and at the city (they race for decisions,
    and the decisions they do not race for end dossiers of the same village at once: the same per-village
    count rows, app/models/counts.py, are written by both)."""
    shared = min(shared, max(0, clients - 3))
    lanes = max(1, (clients - shared) // 3)
    cast = []
    for i in range(clients - shared):
        cast.append(
            {"lane": i // 3 if i < 3 * lanes else i % lanes, "who": ("commune", "district", "city")[i % 3]}
        )
    for i in range(shared):
        cast.append({"lane": (i // 2) % lanes, "who": ("commune", "city")[i % 2], "second": True})
    return lanes, cast


def prepare(app, lanes: int, cast: list[dict], tasks: int) -> dict:
    """Units, accounts, tokens and dossiers waiting at the officials' steps, through the services."""
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from app.demo import _account, _households
    from app.extensions import db
    from app.models import HumanTask, Subject, User, utcnow
    from app.services import accounts
    from app.services.dossiers import start_dossier, submit_task
    from app.services.units import ensure_unit
    from app.services.uow import commit

    now = utcnow()
    officials = Counter((c["lane"], c["who"]) for c in cast)
    stock = {
        lane: {
            "commune_scoring": tasks * officials[(lane, "commune")],
            "district_verification": max(1, tasks // 4) * officials[(lane, "district")],
            "city_commendation": max(1, tasks // 4) * officials[(lane, "city")],
        }
        for lane in range(lanes)
    }
    order = ["self_report", *OFFICIAL_STEPS]
    with app.app_context():
        tokens, scopes, villages = {}, {}, {}
        for lane in range(lanes):
            code = f"BENCH-P{lane:02d}"
            province, _ = ensure_unit(code, f"Tỉnh thử tải {lane}", "province")
            district, _ = ensure_unit(f"{code}-D", f"Huyện thử tải {lane}", "district", province)
            commune, _ = ensure_unit(f"{code}-C", f"Xã thử tải {lane}", "commune", district)
            village, _ = ensure_unit(f"{code}-C-V1", "Ấp 1", "village", commune)
            commit()
            per_year = math.ceil(sum(stock[lane].values()) / (LAST_YEAR - FIRST_YEAR + 1))
            _households(village, commune.name, max(2, per_year), ("Trần", "Lê"))
            commit()
            households = db.session.scalars(select(Subject).where(Subject.unit_id == village.id)).all()
            for h, subject in enumerate(households):
                user = _account(f"bench-load-{lane}-h{h}", subject.name, now=now)
                accounts.assign_role(user.id, "household", village.code, actor=None, now=now)
                subject.account_id = user.id
            commit()
            scopes[lane] = {"commune": commune.code, "district": district.code, "city": province.code}
            villages[lane] = village.id
        for n, member in enumerate(cast):
            lane, who = member["lane"], member["who"]
            user = _account(f"bench-load-{who}-{n}", f"Cán bộ thử tải {n}", now=now)
            accounts.assign_role(user.id, ROLE_OF[who], scopes[lane][who], actor=None, now=now)
            member["username"] = user.username
            tokens[user.username] = accounts.issue_token(user, now=now)
            commit()
        lane_users = defaultdict(dict)
        for member in cast:
            lane_users[member["lane"]].setdefault(member["who"], member["username"])

        made = 0
        started = time.perf_counter()
        for lane in range(lanes):
            households = db.session.execute(
                select(Subject.id, Subject.account_id)
                .where(Subject.unit_id == villages[lane])
                .order_by(Subject.id)
            ).all()
            i = 0
            for target, count in stock[lane].items():
                for _ in range(count):
                    subject_id, account_id = households[i % len(households)]
                    year = FIRST_YEAR + i // len(households)
                    i += 1
                    subject = db.session.get(Subject, subject_id)
                    household = db.session.get(User, account_id)
                    dossier = start_dossier(subject, TITLE, year, actor=household, now=utcnow())
                    for name in order[: order.index(target)]:
                        task_id = db.session.scalar(
                            select(HumanTask.id).where(
                                HumanTask.dossier_id == dossier.id, HumanTask.state == "open"
                            )
                        )
                        if name == "self_report":
                            actor, values = household, STEPS[0][2]
                        else:
                            who, values = OFFICIAL_STEPS[name]
                            actor = db.session.scalar(
                                select(User).where(User.username == lane_users[lane][who])
                            )
                        submit_task(
                            task_id,
                            MultiDict({k: str(v) for k, v in values.items()}),
                            actor=actor,
                            now=utcnow(),
                        )
                    made += 1
                    db.session.remove()  # a request's worth of session per dossier
            print(
                f"  lane {lane + 1}/{lanes}: {made} dossiers so far ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "dossiers": made, "stock": stock}


# --------------------------------------------------------------------------- the officials


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)  # label -> ms
        self.errors = Counter()  # kind -> count
        self.samples = {}  # kind -> one message
        self.lost = Counter()  # label -> 409s
        self.steps = Counter()  # task name -> completed
        self.empty = 0
        self.locked = 0
        self.first_done_at = None  # when the first official ran out of work (s from start)
        self.last_step_at = 0.0  # when the last step was completed (s from start)
        self.first_done_by = None
        self.traces = []  # one row per answered request: where its time went (--trace)
        self.started = None  # time.monotonic() at the end of the warm-up

    def trace(self, request_id: str, request: str, marks: list[float], status: int) -> None:
        """Client-side phases of one request, in ms: connect, send, wait for the answer's head, read the
        body."""
        phases = [round((b - a) * 1000, 2) for a, b in zip(marks, marks[1:], strict=False)]
        with self.lock:
            self.traces.append(
                {"id": request_id, "request": request, "status": status, "measured": marks[0] >= self.started}
                | dict(zip(("connect", "send", "wait", "read"), phases, strict=True))
            )

    def add(self, label: str, ms: float) -> None:
        with self.lock:
            self.times[label].append(ms)

    def error(self, kind: str, message: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.samples.setdefault(kind, message[:300])
            if LOCKED in message:
                self.locked += 1


class Official(threading.Thread):
    def __init__(self, port: int, member: dict, token: str, run: dict, results: Results, *, seed: int):
        super().__init__(name=member["username"], daemon=True)
        self.port, self.username, self.token = port, member["username"], token
        self.deadline, self.started, self.results = run["deadline"], run["started"], results
        self.pick, self.max_steps, self.think_seconds = run["pick"], run["max_steps"], run["think"]
        self.keepalive = run["keepalive"]
        self.sequence = 0
        self.random = random.Random(seed)  # noqa: S311  (which task to open, not security)
        self.conn = None

    def call(self, method: str, path: str, body=None):
        """(status, document, ms); status 0 with the reason on a connection failure."""
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "Accept-Language": "vi",
        }
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.sequence += 1
        request_id = f"{self.username}-{self.sequence}"
        headers["X-Request-Id"] = request_id
        marks = [time.monotonic()]
        started = marks[0]
        if self.conn is not None and select.select([self.conn.sock], [], [], 0)[0]:
            # A kept-alive connection readable before anything was sent is one the server closed after its
            # keep-alive time: open a new one, as browsers and urllib3 do, instead of failing on it.
            self.conn.close()
            self.conn = None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
                self.conn.connect()
            marks.append(time.monotonic())
            self.conn.request(method, f"/api/v1{path}", body=payload, headers=headers)
            marks.append(time.monotonic())
            response = self.conn.getresponse()
            marks.append(time.monotonic())
            data = response.read()
            marks.append(time.monotonic())
            self.results.trace(request_id, f"{method} {path}", marks, response.status)
            if not self.keepalive or response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as exc:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            return 0, {"error": f"{type(exc).__name__}: {exc}"}, (time.monotonic() - started) * 1000
        ms = (time.monotonic() - started) * 1000
        try:
            document = json.loads(data) if data else None
        except ValueError:
            document = {"error": data[:300].decode(errors="replace")}
        return response.status, document, ms

    def outcome(self, label: str, status: int, document, ms: float) -> bool:
        """Record one answer (times and lost races only after the warm-up; errors always); True when it
        succeeded."""
        measured = time.monotonic() >= self.started
        if 200 <= status < 300:
            if measured:
                self.results.add(label, ms)
            return True
        if status == 409:
            if measured:
                with self.results.lock:
                    self.results.lost[label] += 1
            return False
        kind = f"HTTP {status}" if status else "connection"
        self.results.error(f"{kind} on {label}", json.dumps(document, ensure_ascii=False))
        return False

    def think(self) -> bool:
        """An official's pause between two requests: ``--think`` seconds on average (0.5× to 1.5×); False,
        without pausing, when the pause would end after the run's deadline. Cutting the pause short there
        instead made every thinking official send at the deadline at the same instant: a burst of N requests
        no official would send, queued in two or three workers, that was the whole p95 of a think-time run."""
        if not self.think_seconds:
            return True
        pause = self.think_seconds * self.random.uniform(0.5, 1.5)
        if time.monotonic() + pause > self.deadline:
            return False
        time.sleep(pause)
        return True

    def run(self) -> None:
        done, idle_since, ran_out = 0, None, False
        while time.monotonic() < self.deadline and (not self.max_steps or done < self.max_steps):
            status, inbox, ms = self.call("GET", f"/tasks?per_page={PER_PAGE}")
            items = (inbox or {}).get("items") or [] if status == 200 else []
            if status == 200 and not items:
                if time.monotonic() >= self.started:
                    with self.results.lock:
                        self.results.empty += 1
                        self.results.times["inbox (empty)"].append(ms)
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > IDLE_STOP:
                    ran_out = True
                    break
                time.sleep(EMPTY_PAUSE)
                continue
            if not self.outcome("inbox", status, inbox, ms):
                continue
            idle_since = None
            task = self.random.choice(items[: self.pick])
            if not self.think():  # reading the inbox
                break
            status, detail, ms = self.call("GET", f"/tasks/{task['id']}")
            if not self.outcome("open task", status, detail, ms):
                continue
            if detail.get("state") != "open":
                if time.monotonic() >= self.started:
                    with self.results.lock:
                        self.results.lost["open task"] += 1
                continue
            _who, values = OFFICIAL_STEPS[task["name"]]
            if not self.think():  # filling in the form
                break
            status, result, ms = self.call("POST", f"/tasks/{task['id']}/complete", {"data": values})
            if self.outcome(f"complete {task['name']}", status, result, ms):
                done += 1
                if time.monotonic() < self.started:
                    continue  # warming up
                with self.results.lock:
                    self.results.steps[task["name"]] += 1
                    self.results.last_step_at = time.monotonic() - self.started
        with self.results.lock:
            if ran_out and self.results.first_done_at is None:
                self.results.first_done_at = max(0.0, time.monotonic() - self.started)
                self.results.first_done_by = self.username
        if self.conn is not None:
            self.conn.close()


# --------------------------------------------------------------------------- figures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def row(label: str, values: list[float]) -> str:
    median, p95, top = statistics.median(values), pct(values, 0.95), max(values)
    return f"  {label:<34}{len(values):>7}{median:>9.1f}{p95:>9.1f}{top:>9.1f}"


def print_figures(
    results: Results, cast: list[dict], elapsed: float, server: Server, db_name: str, *, think: float
):
    steps = sum(results.steps.values())
    working = results.last_step_at or elapsed
    default = "gunicorn.conf.py default"
    requests = sum(map(len, results.times.values())) + results.lost.total() + results.errors.total()
    print(f"\nLoad: {len(cast)} officials on {db_name}, think time {think:g} s")
    print(
        f"  gunicorn workers: {server.env.get('WEB_WORKERS') or default} ({server.workers_answering()}"
        f" answered); threads per worker: {server.env.get('WEB_THREADS') or default}"
    )
    print(f"  measured {elapsed:.1f} s after warm-up; last step done at {working:.1f} s; requests {requests}")
    print(f"  steps done {steps}: {steps / working:.1f} steps/s until the last one")
    if results.first_done_at is not None:
        print(
            f"  {results.first_done_by} found its inbox empty for {IDLE_STOP:g} s and stopped at"
            f" {results.first_done_at:.1f} s (a commune officer: more with --tasks; a district or city one:"
            " the steps before it were slower than it)"
        )
    print(f"\n  {'ms':<34}{'count':>7}{'p50':>9}{'p95':>9}{'max':>9}")
    labels = ["inbox", "open task", *(f"complete {name}" for name in OFFICIAL_STEPS), "inbox (empty)"]
    for label in labels:
        if results.times.get(label):
            print(row(label, results.times[label]))
    every = [ms for label, values in results.times.items() if label != "inbox (empty)" for ms in values]
    if every:
        print(row("all requests (empty inbox aside)", every))
    lost = results.lost.total()
    print(f"\n  steps done by step: {dict(results.steps)}")
    print(
        f"  lost races (409: the other official of the lane was first): {lost}",
        dict(results.lost) if lost else "",
    )
    print(f"  empty inbox polls: {results.empty}")
    errors = results.errors.total()
    print(f"  errors: {errors}")
    for kind, count in results.errors.most_common():
        print(f"    {count:>5}  {kind}: {results.samples[kind]}")
    in_log = server.locked_in_log()
    print(f'  "{LOCKED}": {results.locked} in responses, {in_log} in the server log')
    print(f"  tracebacks in the server log: {server.tracebacks_in_log()} ({server.log})")
    return errors + in_log


def write_trace(path: Path, traces: list[dict], access_log: Path) -> None:
    """The client's phases of every request with the server's own time for it (``server``: gunicorn's
    ``%(M)s``, found by the request id in the access log), and where the p95 request's time went."""
    log = access_log.read_text(errors="replace")
    served = {rid: int(ms) for ms, rid in re.findall(r" (\d+)ms pid=\S+ rid=(\S+) ", log)}
    for t in traces:
        t["server"] = served.get(t["id"])
    path.write_text("".join(json.dumps(t) + "\n" for t in traces))
    joined = [t for t in traces if t["server"] is not None and t["measured"]]
    print(f"\n  {len(traces)} requests traced in {path} ({len(joined)} after the warm-up, in the access log)")
    if joined:
        outside = [t["connect"] + t["send"] + t["wait"] + t["read"] - t["server"] for t in joined]
        print(
            f"  p95 ms: connect {pct([t['connect'] for t in joined], 0.95):.1f}, server"
            f" {pct([t['server'] for t in joined], 0.95):.0f}, outside the app (client's whole time minus"
            f" the server's) {pct(outside, 0.95):.1f}"
        )


# --------------------------------------------------------------------------- main


def versions() -> str:
    import importlib.metadata

    names = ("gunicorn", "SQLAlchemy", "Flask", "psycopg")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    import sqlite3

    return f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, " + ", ".join(found)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--clients", type=int, help="concurrent officials (default 50 on PostgreSQL, 20 on SQLite)"
    )
    parser.add_argument("--seconds", type=float, default=60, help="how long the officials work (default 60)")
    parser.add_argument(
        "--tasks",
        type=int,
        help="dossiers waiting per commune officer (default: enough for 60 steps/s over the whole run)",
    )
    parser.add_argument("--shared", type=int, help="second officials sharing an inbox (default clients/10)")
    parser.add_argument(
        "--pick", type=int, default=3, help="open one of the first PICK tasks of the inbox (3)"
    )
    parser.add_argument(
        "--warmup", type=float, default=5, help="seconds of work before measuring starts (default 5)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="seconds an official pauses before opening and before completing"
        " a task (default 0: a closed loop, every official always waiting on the server)",
    )
    parser.add_argument(
        "--keepalive",
        action="store_true",
        help="keep each official's connection open (default: one per request, as nginx passes requests on)",
    )
    parser.add_argument("--max-steps", type=int, default=0, help="steps per official at most (0: no limit)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument(
        "--threads", type=int, help="gunicorn threads per worker (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    parser.add_argument(
        "--trace",
        type=Path,
        help="write one JSON line per request to this file: the client's connect, send, wait and read times",
    )
    args = parser.parse_args(argv)
    clients = args.clients or (50 if args.db == "postgres" else 20)
    if clients < 1 or args.seconds <= 0 or (args.tasks is not None and args.tasks < 1) or args.warmup < 0:
        parser.error("--clients, --seconds and --tasks must be positive, --warmup not negative")
    # Every official works at about the same pace, so each commune officer needs its share of the steps the
    # server can do in the run: RATE steps/s in all, with a margin (an official who runs out says so).
    tasks = args.tasks or math.ceil(RATE / clients * (args.seconds + args.warmup))
    shared = args.shared if args.shared is not None else clients // 10

    tmp = Path(tempfile.mkdtemp(prefix="hoctap-load-"))
    stop_cluster = None
    print(f"{versions()}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")
    total_started = time.perf_counter()
    try:
        if args.db == "sqlite":
            url = f"sqlite:///{tmp / 'hoctap.sqlite'}"
        elif os.environ.get("DATABASE_URL"):
            url = os.environ["DATABASE_URL"]
        else:
            from province_report import _postgres_cluster

            url, stop_cluster = _postgres_cluster()
        app = build_app(url, tmp / "data")
        from flask_migrate import upgrade

        from app.demo import seed_demo
        from app.models import utcnow

        print("Migrating and loading the demo...", flush=True)
        with app.app_context():
            upgrade()
            seed_demo(now=utcnow())
        lanes, cast = plan_clients(clients, shared)
        print(
            f"Preparing {lanes} lanes for {clients} officials ({shared} sharing an inbox), {tasks} dossiers"
            " per commune officer...",
            flush=True,
        )
        prepared = prepare(app, lanes, cast, tasks)
        setup = time.perf_counter() - total_started
        print(f"  {prepared['dossiers']} dossiers waiting; setup {setup:.0f} s", flush=True)

        server = Server(
            url,
            tmp / "data",
            log=tmp / "gunicorn.log",
            workers=args.workers,
            threads=args.threads,
            env={"DEMO": "0", "SECRET_KEY": "bench-load-secret", "WEB_LOG_LEVEL": "warning"},
        )
        try:
            results = Results()
            # Measured from the end of the warm-up: each worker's first steps compile and cache forms,
            # specs and unit paths, and every official's first requests arrive together.
            started = time.monotonic() + args.warmup
            results.started = started
            deadline = started + args.seconds
            run = {
                "deadline": deadline,
                "started": started,
                "pick": max(1, args.pick),
                "max_steps": args.max_steps,
                "think": args.think,
                "keepalive": args.keepalive,
            }
            officials = [
                Official(server.port, m, prepared["tokens"][m["username"]], run, results, seed=n)
                for n, m in enumerate(cast)
            ]
            print(
                f"Running {clients} officials: {args.warmup:g} s warm-up, then {args.seconds:g} s measured",
                flush=True,
            )
            load_before = os.getloadavg()[0]
            for official in officials:
                official.start()
            for official in officials:
                official.join(timeout=args.warmup + args.seconds + REQUEST_TIMEOUT + 10)
            elapsed = time.monotonic() - started
            print(f"  load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        finally:
            server.stop()
        if args.trace:
            write_trace(args.trace, results.traces, tmp / "data" / "access.log")
        bad = print_figures(
            results,
            cast,
            elapsed,
            server,
            "PostgreSQL" if args.db == "postgres" else "SQLite (WAL)",
            think=args.think,
        )
        return 1 if bad else 0
    finally:
        if stop_cluster is not None:
            stop_cluster()
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Generate a province straight into a database: units, households with members, and dossiers at every step
with their open tasks (1,000,000 by default), plus finished dossiers, with bulk Core inserts.

    .venv/bin/python bench/generate_province.py --tasks 50000                 # SQLite file under /tmp
    .venv/bin/python bench/generate_province.py --db postgres --keep          # a throwaway PostgreSQL cluster
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/generate_province.py --db postgres

One real dossier is run through the services first (the demo's An Hòa household, the four-level procedure);
after each step its dossier row and its open task are the template every generated dossier at that step
copies (engine state included), and once it is finished every row that names it (dossier, tasks,
submissions, audit, outbox, notifications, …) is the template of the finished ones. Only lists are
measured on this data (bench/scale.py): no generated dossier is ever stepped.

The province: ``--districts`` × ``--communes`` × ``--villages``, one household (with ``--members`` members)
per open dossier. Open tasks: 20 % at the province step (the committee sees them all: 200,000 of 1 M),
20 % at district verification, 30 % at commune scoring (0.8 %, 8,000 of 1 M, in the officer's commune,
the first one), the rest at the households' self-report. Accounts: ``bench-officer`` (commune officer of
the first commune) and ``bench-province`` (the province's emulation committee), password ``bench-password``.

Writes ``province.json`` (database URL, counts, P4 bytes) into the folder it prints; bench/scale.py reads it.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TITLE = "gia_dinh_hoc_tap"
YEAR = 2026
FINISHED_YEAR = 2025  # the finished dossiers are last year's, on the same households (one per title and year)
PASSWORD = "bench-password"  # noqa: S105  (throwaway accounts in a throwaway database)
OFFICER, COMMITTEE = "bench-officer", "bench-province"
CHUNK = 20_000
ITEMS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
# The real dossier's steps: (task name, demo account acting, values submitted).
STEPS = (
    ("self_report", "demo-household", {item: 9 for item in ITEMS}),
    ("commune_scoring", "demo-commune", {"decision": "accept", **{item: 9 for item in ITEMS}}),
    ("district_verification", "demo-district", {"decision": "approve"}),
    (
        "city_commendation",
        "demo-city",
        {
            "decision": "approve",
            "decision_number": "123/QĐ-HĐTĐKT",
            "decision_date": "2026-12-20",
            "signer": "Nguyễn Văn Chủ tịch",
        },
    ),
)
# Share of the open tasks at each step; the officer's commune holds OFFICER_SHARE of them at commune scoring.
SHARES = {"city_commendation": 0.2, "district_verification": 0.2, "commune_scoring": 0.3}
OFFICER_SHARE = 0.008
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Minh", "Nam", "Thảo")


# ------------------------------------------------------------------------------------------ the database


def database(kind: str, folder: Path):
    """(url, stop or None): a SQLite file in ``folder``, DATABASE_URL, or a throwaway cluster."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'province.sqlite'}", None
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    from province_report import _postgres_cluster  # initdb/pg_ctl on loopback, as tests/conftest.py

    return _postgres_cluster()


def make_app(url: str, folder: Path):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "DATA_DIR": str(folder / "data"),
            "REDIS_URL": "",
            "SECRET_KEY": "bench-secret",
            "RATELIMIT_ENABLED": False,
        }
    )


def table_bytes(conn) -> dict[str, int]:
    """Bytes per table, its indexes (and TOAST) included."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = 'public'"
            )
        ).all()
        return {name: int(size) for name, size in rows}
    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    try:
        rows = conn.execute(
            text(
                "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
            )
        ).all()
    except Exception:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB: the whole file only
        return {}
    return {name: int(size) for name, size in rows}


def database_bytes(conn) -> int:
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        return int(conn.scalar(text("SELECT pg_database_size(current_database())")))
    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return int(conn.scalar(text("PRAGMA page_count")) * conn.scalar(text("PRAGMA page_size")))


# ------------------------------------------------------------------------------------------ templates


def _row(conn, table, **where) -> dict:
    from sqlalchemy import and_, select

    return dict(
        conn.execute(select(table).where(and_(*(table.c[k] == v for k, v in where.items())))).mappings().one()
    )


def capture_templates(app) -> dict:
    """Run one demo dossier through the four steps; the rows at each step and, finished, all its rows."""
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from app.extensions import db
    from app.models import AdminUnit, HumanTask, Subject, User, utcnow
    from app.services.dossiers import open_dossier, submit_task

    tables = db.metadata.tables
    templates: dict = {"open": {}, "finished": {}}
    with app.app_context():
        users = {u.username: u.id for u in db.session.scalars(select(User))}
        household = db.session.get(User, users["demo-household"])
        subject = db.session.scalar(select(Subject).where(Subject.account_id == household.id))
        dossier_id = open_dossier(subject, TITLE, YEAR, actor=household, now=utcnow()).id
    for name, username, values in STEPS:
        with app.app_context():
            task = db.session.scalar(
                select(HumanTask).where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open")
            )
            assert task is not None and task.name == name, (name, task and task.name)
            level = db.session.get(AdminUnit, task.unit_id).level_code
            with db.engine.connect() as conn:
                templates["open"][name] = {
                    "dossier": _row(conn, tables["dossier"], id=dossier_id),
                    "task": _row(conn, tables["human_task"], id=task.id),
                    "level": level,
                }
            actor = db.session.get(User, users[username])
            form = MultiDict({k: str(v) for k, v in values.items()})
            status = submit_task(task.id, form, actor=actor, now=utcnow()).status
    assert status == "recognized", status
    with app.app_context(), db.engine.connect() as conn:
        finished = {"dossier": [_row(conn, tables["dossier"], id=dossier_id)]}
        for table in db.metadata.sorted_tables:
            if "dossier_id" in table.c and table.name != "dossier":
                rows = conn.execute(select(table).where(table.c.dossier_id == dossier_id)).mappings().all()
                if rows:
                    finished[table.name] = [dict(r) for r in rows]
        units = {u.id: u.level_code for u in db.session.scalars(select(AdminUnit))}
    templates["finished"] = finished
    templates["unit_levels"] = units
    return templates


# ------------------------------------------------------------------------------------------ the province


def build_units(app, districts: int, communes: int, villages: int) -> dict:
    """The province tree through the unit service (thousands of rows: not worth a bulk path)."""
    from app.extensions import db
    from app.services.units import ensure_levels, ensure_unit

    with app.app_context():
        ensure_levels()
        province, _ = ensure_unit("BENCH-P", "Tỉnh Thử nghiệm", "province")
        tree = {"province": (province.id, province.path), "districts": []}
        for d in range(districts):
            district, _ = ensure_unit(f"BENCH-D{d:02d}", f"Huyện {d + 1}", "district", province)
            entry = {"unit": (district.id, district.path), "communes": []}
            for c in range(communes):
                commune, _ = ensure_unit(
                    f"BENCH-D{d:02d}-C{c:02d}", f"Xã {d + 1}.{c + 1}", "commune", district
                )
                entry["communes"].append(
                    {
                        "unit": (commune.id, commune.path),
                        "code": commune.code,
                        "villages": [
                            (v.id, v.path, v.name)
                            for v in (
                                ensure_unit(
                                    f"BENCH-D{d:02d}-C{c:02d}-V{n:02d}", f"Thôn {n + 1}", "village", commune
                                )[0]
                                for n in range(villages)
                            )
                        ],
                    }
                )
            tree["districts"].append(entry)
        db.session.commit()
    return tree


def make_accounts(app, tree: dict) -> None:
    from app.extensions import db
    from app.models import utcnow
    from app.services import accounts

    first = tree["districts"][0]["communes"][0]["code"]
    with app.app_context():
        now = utcnow()
        officer = accounts.create_user(OFFICER, "Cán bộ xã thử nghiệm", PASSWORD, actor=None, now=now)
        accounts.assign_role(officer.id, "commune_officer", first, actor=None, now=now)
        committee = accounts.create_user(
            COMMITTEE, "Hội đồng TĐKT tỉnh thử nghiệm", PASSWORD, actor=None, now=now
        )
        accounts.assign_role(committee.id, "emulation_committee", "BENCH-P", actor=None, now=now)
        db.session.commit()


def plan_steps(tasks: int, communes: list) -> list[tuple[str, int]]:
    """(step, commune index) of each open dossier, in id order: the officer's commune is index 0."""
    officer = round(tasks * OFFICER_SHARE)
    counts = {name: round(tasks * share) for name, share in SHARES.items()}
    counts["self_report"] = tasks - sum(counts.values())
    plan = [("commune_scoring", 0)] * officer
    others = max(len(communes) - 1, 1)
    for i in range(counts["commune_scoring"] - officer):
        plan.append(("commune_scoring", 1 + i % others if len(communes) > 1 else 0))
    for name in ("self_report", "district_verification", "city_commendation"):
        plan.extend((name, i % len(communes)) for i in range(counts[name]))
    return plan


def _next_ids(conn, names) -> dict[str, int]:
    from sqlalchemy import text

    return {n: (conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {n}")) or 0) + 1 for n in names}  # noqa: S608


def _insert(conn, table, rows) -> int:
    """Core executemany in chunks; returns the count."""
    n, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            conn.execute(table.insert(), chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        conn.execute(table.insert(), chunk)
        n += len(chunk)
    return n


def _unit_at(level: str, commune: dict, district: dict, province: tuple, village: tuple) -> tuple[int, str]:
    return {
        "village": village[:2],
        "commune": commune["unit"],
        "district": district["unit"],
        "province": province,
    }[level]


def generate(args, folder: Path, url: str) -> dict:
    from sqlalchemy import text

    from app.demo import seed_demo
    from app.extensions import db
    from app.models import recount, utcnow

    started = time.perf_counter()
    app = make_app(url, folder)
    print(f"database: {args.db} ({url.rsplit('@', maxsplit=1)[-1]})", flush=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        seed_demo(now=utcnow())
    templates = capture_templates(app)
    tree = build_units(app, args.districts, args.communes, args.villages)
    make_accounts(app, tree)
    communes = [(c, d) for d in tree["districts"] for c in d["communes"]]
    plan = plan_steps(args.tasks, communes)
    print(
        f"setup (migrate, demo, one real dossier, {len(communes)} communes × {args.villages} villages): "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )

    with app.app_context():
        tables = db.metadata.tables
        engine = db.engine
        with engine.begin() as conn:
            ids = _next_ids(conn, ("subject", "household_member", "dossier", "human_task"))
        first_subject = ids["subject"]
        n_subjects = len(plan)

        def village_of(i: int):
            commune, district = communes[plan[i][1]]
            villages = commune["villages"]
            return commune, district, villages[(i // len(communes)) % len(villages)]

        def subjects():
            for i in range(n_subjects):
                _c, _d, village = village_of(i)
                yield {
                    "id": first_subject + i,
                    "code": f"BH{i + 1:08d}",
                    "kind": "household",
                    "name": f"Hộ {SURNAMES[i % len(SURNAMES)]} {GIVEN[(i // 7) % len(GIVEN)]} {i + 1}",
                    "address": village[2],
                    "unit_id": village[0],
                }

        def members():
            member_id = ids["household_member"]
            for i in range(n_subjects):
                for m in range(args.members):
                    yield {
                        "id": member_id,
                        "subject_id": first_subject + i,
                        "full_name": f"{SURNAMES[(i + m) % len(SURNAMES)]} {GIVEN[(i * 3 + m) % len(GIVEN)]}",
                        "birth_year": 1950 + (i + 17 * m) % 60,
                        "relation": "Chủ hộ" if m == 0 else "Con",
                        "gender": "nam" if (i + m) % 2 else "nữ",
                        "is_head": m == 0,
                    }
                    member_id += 1

        def open_rows():
            dossier_id, task_id = ids["dossier"], ids["human_task"]
            province = tree["province"]
            for i, (step, _commune) in enumerate(plan):
                commune, district, village = village_of(i)
                template = templates["open"][step]
                unit = _unit_at(template["level"], commune, district, province, village)
                # Spread over the last 60 days, due 15 days later: sorts see realistic keys (and ties).
                created = template["task"]["created_at"] - timedelta(minutes=(i * 7919) % (60 * 1440))
                dossier = {
                    **template["dossier"],
                    "campaign_id": None,
                    "created_at": created,
                    "updated_at": created,
                    "id": dossier_id,
                    "code": f"BENCH-{YEAR}-{i + 1:08d}",
                    "subject_id": first_subject + i,
                    "unit_id": village[0],
                    "unit_path": village[1],
                    "state": template["dossier"]["state"] if not args.no_open_state else "",
                }
                task = {
                    **template["task"],
                    "id": task_id,
                    "dossier_id": dossier_id,
                    "unit_id": unit[0],
                    "unit_path": unit[1],
                    "created_at": created,
                    "due_at": created + timedelta(days=15) if template["task"]["due_at"] else None,
                }
                if task["subject_id"] is not None:
                    task["subject_id"] = first_subject + i
                    task["at_desk"] = True  # the generated households have no account
                yield dossier, task
                dossier_id += 1
                task_id += 1

        t0 = time.perf_counter()
        with engine.begin() as conn:
            n = _insert(conn, tables["subject"], subjects())
            m = _insert(conn, tables["household_member"], members())
        print(f"  {n:,} households, {m:,} members: {time.perf_counter() - t0:.0f} s", flush=True)

        t0 = time.perf_counter()
        with engine.begin() as conn:
            pending_d, pending_t, total = [], [], 0
            for dossier, task in open_rows():
                pending_d.append(dossier)
                pending_t.append(task)
                if len(pending_d) == CHUNK:
                    conn.execute(tables["dossier"].insert(), pending_d)
                    conn.execute(tables["human_task"].insert(), pending_t)
                    total += len(pending_d)
                    pending_d, pending_t = [], []
                    if total % 200_000 == 0:
                        print(f"  open dossiers: {total:,}/{len(plan):,}", flush=True)
            if pending_d:
                conn.execute(tables["dossier"].insert(), pending_d)
                conn.execute(tables["human_task"].insert(), pending_t)
        print(f"  {len(plan):,} open dossiers and tasks: {time.perf_counter() - t0:.0f} s", flush=True)

        # The finished dossiers, measured on their own for P4: the database's bytes before and after.
        with engine.connect() as conn:
            before_total, before_tables = database_bytes(conn), table_bytes(conn)
        t0 = time.perf_counter()
        finished = min(args.finished, n_subjects)
        with engine.begin() as conn:
            copied = _copy_finished(conn, tables, templates, finished, first_subject, village_of, tree)
        with engine.connect() as conn:
            after_total, after_tables = database_bytes(conn), table_bytes(conn)
        print(
            f"  {finished:,} finished dossiers ({', '.join(f'{t} {n:,}' for t, n in copied.items())}): "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )

        t0 = time.perf_counter()
        with engine.begin() as conn:
            recount(conn)  # the per-village counts the bulk load bypassed (reports only)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                for name in ("subject", "household_member", *copied):
                    last = f"(SELECT max(id) FROM {name})"  # noqa: S608
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {last})"))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(
            f"  recount, analyze: {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        with engine.connect() as conn:
            open_tasks = conn.scalar(text("SELECT count(*) FROM human_task WHERE state = 'open'"))

    p4 = {
        "finished": finished,
        "bytes": after_total - before_total,
        "tables": {
            t: after_tables.get(t, 0) - before_tables.get(t, 0)
            for t in after_tables
            if after_tables.get(t, 0) != before_tables.get(t, 0)
        },
    }
    meta = {
        "db": args.db,
        "url": url,
        "open_tasks": open_tasks,
        "officer_tasks": round(args.tasks * OFFICER_SHARE),
        "committee_tasks": round(args.tasks * SHARES["city_commendation"]),
        "p4": p4,
        "generation_s": round(time.perf_counter() - started, 1),
    }
    (folder / "province.json").write_text(json.dumps(meta, indent=2))
    print(f"generated in {meta['generation_s']:.0f} s: {open_tasks:,} open tasks", flush=True)
    return meta


def _renumbered(key: str, row: dict, copy: dict, template_dossier: int) -> str:
    """A dedupe key (``task_opened:<task id>``, ``dossier_outcome:<dossier id>:…``) naming the copy's ids."""
    parts = key.split(":")
    if row.get("human_task_id") is not None and parts[-1] == str(row["human_task_id"]):
        parts[-1] = str(copy["human_task_id"])
    else:
        parts = [str(copy["dossier_id"]) if p == str(template_dossier) else p for p in parts]
    return ":".join(parts)


def _copy_finished(conn, tables, templates, count: int, first_subject: int, village_of, tree) -> dict:  # noqa: PLR0917
    """``count`` copies of the finished dossier's rows, ids remapped, on the first households (last year)."""
    finished = templates["finished"]
    levels = templates["unit_levels"]
    names = ["dossier", *[t for t in finished if t != "dossier"]]
    ids = _next_ids(conn, names)
    counts = dict.fromkeys(names, 0)
    order = [t.name for t in tables.values()]
    names.sort(key=lambda n: 0 if n == "dossier" else 1 if n == "human_task" else 2 + order.index(n))
    batch: dict[str, list] = {n: [] for n in names}

    def flush():
        for name in names:
            if batch[name]:
                conn.execute(tables[name].insert(), batch[name])
                counts[name] += len(batch[name])
                batch[name] = []

    template_dossier = finished["dossier"][0]["id"]
    for i in range(count):
        commune, district, village = village_of(i)
        subject_id = first_subject + i
        units = {
            "village": village[:2],
            "commune": commune["unit"],
            "district": district["unit"],
            "province": tree["province"],
        }
        new_ids: dict[str, dict[int, int]] = {}
        for name in names:
            for row in finished[name]:
                new = ids[name]
                ids[name] += 1
                new_ids.setdefault(name, {})[row["id"]] = new
        dossier_id = new_ids["dossier"][finished["dossier"][0]["id"]]
        for name in names:
            for row in finished[name]:
                copy = {**row, "id": new_ids[name][row["id"]]}
                if name == "dossier":
                    copy.update(
                        code=f"BENCH-{FINISHED_YEAR}-{i + 1:08d}",
                        year=FINISHED_YEAR,
                        subject_id=subject_id,
                        unit_id=village[0],
                        unit_path=village[1],
                    )
                    copy["campaign_id"] = None
                else:
                    copy["dossier_id"] = dossier_id
                if "human_task_id" in copy and copy["human_task_id"] is not None:
                    copy["human_task_id"] = new_ids["human_task"][copy["human_task_id"]]
                if copy.get("dedupe_key"):
                    copy["dedupe_key"] = _renumbered(copy["dedupe_key"], row, copy, template_dossier)
                if name == "human_task":
                    unit = units[levels.get(row["unit_id"], "village")]
                    copy["unit_id"], copy["unit_path"] = unit
                    if copy.get("subject_id") is not None:
                        copy["subject_id"] = subject_id
                batch[name].append(copy)
        if len(batch["dossier"]) >= CHUNK // 10:
            flush()
    flush()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hoctap-province-", dir="/tmp"))
    url, stop = database(args.db, folder)
    try:
        generate(args, folder, url)
    finally:
        if args.keep:
            print(f"kept: {folder} (province.json: URL and figures; a PostgreSQL cluster keeps running)")
        else:
            if stop is not None:
                stop()
            shutil.rmtree(folder, ignore_errors=True)


def add_arguments(parser) -> None:
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tasks", type=int, default=1_000_000, help="open tasks (one open dossier each)")
    parser.add_argument("--finished", type=int, default=10_000, help="finished dossiers (for P4)")
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--communes", type=int, default=10, help="communes per district")
    parser.add_argument("--villages", type=int, default=10, help="villages per commune")
    parser.add_argument("--members", type=int, default=3, help="members per household")
    parser.add_argument(
        "--no-open-state",
        action="store_true",
        help="open dossiers without the engine state (smaller, faster)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder (and the PostgreSQL cluster)")


if __name__ == "__main__":
    main()

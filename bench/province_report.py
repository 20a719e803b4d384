"""Benchmark of the province progress report over a generated province (3.5 million subjects, 1 million
dossiers).

Run from the project root::

    .venv/bin/python bench/province_report.py                       # SQLite file in /tmp
    .venv/bin/python bench/province_report.py --db postgres         # a throwaway PostgreSQL cluster
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/province_report.py --db postgres

The schema comes from the Alembic migrations. One province, ``--communes`` communes of ``--villages``
villages each; subjects spread evenly over the villages (every 40th is not a household, so the report's kind
filter has something to leave out); dossiers of one title and year on evenly spaced households, 85 %
recognised, 5 % not recognised, 10 % in progress. Rows are streamed in chunks (executemany on SQLite, COPY on
PostgreSQL), never held in memory; that bypasses the ORM events that keep ``subject_count`` and
``dossier_count`` in step, so ``app.models.counts.recount`` (what the migration runs) fills them, timed on its
own. Then the province report's aggregate query
(``app.reports.queries.counts_by_child``) and the whole report (``progress``: that query, the child units,
the targets and the trend) are timed: the first run on its own, then ``--runs`` more (median, p95).
Nothing here asserts speed; it only measures. See bench/README.md.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLE = "gia_dinh_hoc_tap"
YEAR = 2026
CHUNK = 50_000
# The indexes the report reads from (bench/README.md; the integrator adds them as a migration). Covering:
# the per-unit counts are read from the index alone, never from the table.
INDEXES = (
    ("ix_subject_kind_unit", "subject", ("kind", "unit_id")),
    ("ix_dossier_report", "dossier", ("title", "year", "unit_path", "unit_id", "status")),
)


def _postgres_cluster():
    """Start a throwaway cluster as tests/conftest.py does; returns (url, stop)."""
    from tests.conftest import _as_postgres_user, free_port

    base = Path(f"/tmp/hoctap-bench-pg-{uuid.uuid4().hex[:8]}")
    data = base / "data"
    base.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    run = lambda cmd: subprocess.run(_as_postgres_user(cmd), check=True, capture_output=True)  # noqa: E731
    run(["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
    options = f"-p {port} -k {base} -h 127.0.0.1 -c fsync=off -c full_page_writes=off -c max_wal_size=4GB"
    run(["pg_ctl", "-D", str(data), "-l", str(base / "log"), "-w", "-o", options, "start"])
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE hoctap_bench")

    def stop():
        subprocess.run(_as_postgres_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), check=False)
        shutil.rmtree(base, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/hoctap_bench", stop


def _village_of(index: int, subjects: int, villages: list) -> tuple[int, str]:
    return villages[index * len(villages) // subjects]


def _subject_rows(subjects: int, villages: list):
    for i in range(subjects):
        unit_id, _path = _village_of(i, subjects, villages)
        kind = "household" if i % 40 != 7 else "citizen"
        yield (i + 1, f"B{i + 1:08d}", kind, f"Hộ {i + 1}", unit_id)


def _dossier_rows(dossiers: int, subjects: int, villages: list, definition_id: int, now):
    step = subjects / dossiers
    for j in range(dossiers):
        i = int(j * step)
        if i % 40 == 7:
            i += 1
        unit_id, path = _village_of(i, subjects, villages)
        bucket = j % 20
        status = "in_progress" if bucket < 2 else "not_recognized" if bucket == 2 else "recognized"
        yield (
            j + 1,
            f"GDHT-{YEAR}-{j + 1:08d}",
            TITLE,
            YEAR,
            i + 1,
            unit_id,
            path,
            definition_id,
            "",
            status,
            1,
            now,
            now,
        )


COUNT_TABLES = ("subject_count", "dossier_count")
DOSSIER_COLUMNS = (
    "id, code, title, year, subject_id, unit_id, unit_path, process_definition_id, state, status, "
    "row_version, created_at, updated_at"
)


def _load(engine, rows, table: str, columns: str, total: int) -> float:
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for n, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if n % 500_000 == 0:
                        print(f"  {table}: {n:,}/{total:,}", flush=True)
        else:
            marks = ", ".join("?" * len(columns.split(",")))
            chunk = []
            for n, row in enumerate(rows, 1):
                chunk.append(row)
                if len(chunk) == CHUNK:
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", chunk)
                    chunk.clear()
                if n % 500_000 == 0:
                    print(f"  {table}: {n:,}/{total:,}", flush=True)
            if chunk:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", chunk)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _timed(fn, runs: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    fn()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return first, times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--subjects", type=int, default=3_500_000)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--villages", type=int, default=30, help="villages per commune")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-indexes", action="store_true", help="measure without the report's indexes")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file / the cluster's data")
    args = parser.parse_args()

    stop = None
    folder = Path(tempfile.mkdtemp(prefix="hoctap-bench-report-", dir="/tmp"))
    if args.db == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    elif os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
    else:
        url, stop = _postgres_cluster()
    try:
        run(args, url, folder)
    finally:
        if stop is not None and not args.keep:
            stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: {folder}")


def run(args, url: str, folder: Path) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from app import create_app
    from app.extensions import db
    from app.models import AdminUnit, recount, utcnow
    from app.reports.queries import counts_by_child, progress
    from app.services.procedures import deploy_shipped
    from app.services.units import ensure_levels, ensure_unit

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(folder / "data"), "REDIS_URL": ""})
    print(f"database: {args.db} ({url.rsplit('@', maxsplit=1)[-1] if '@' in url else url})")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    with app.app_context():
        upgrade()
        now = utcnow()
        ensure_levels()
        definition_id = deploy_shipped(actor=None, now=now)[0][0].id
        province, _ = ensure_unit("BENCH-P", "Tỉnh Thử nghiệm", "province")
        villages = []
        for c in range(args.communes):
            commune, _ = ensure_unit(f"BENCH-C{c:03d}", f"Xã {c + 1}", "commune", province)
            for v in range(args.villages):
                village, _ = ensure_unit(f"BENCH-C{c:03d}-V{v:02d}", f"Thôn {v + 1}", "village", commune)
                villages.append(village)
        db.session.commit()
        villages = [(v.id, v.path) for v in villages]
        province_id = province.id
        engine = db.engine
        started = time.perf_counter()
        print(
            f"loading {args.subjects:,} subjects, {args.dossiers:,} dossiers "
            f"over {len(villages):,} villages…",
            flush=True,
        )
        took = _load(
            engine,
            _subject_rows(args.subjects, villages),
            "subject",
            "id, code, kind, name, unit_id",
            args.subjects,
        )
        print(f"  subjects: {took:.0f} s", flush=True)
        took = _load(
            engine,
            _dossier_rows(args.dossiers, args.subjects, villages, definition_id, now),
            "dossier",
            DOSSIER_COLUMNS,
            args.dossiers,
        )
        print(f"  dossiers: {took:.0f} s", flush=True)
        if not args.no_indexes:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                for name, table, columns in INDEXES:
                    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"))
            print(f"  report indexes: {time.perf_counter() - t0:.0f} s", flush=True)
        # The load bypassed the ORM events that keep the per-village counts in step: fill them as the
        # migration does, with the same function.
        t0 = time.perf_counter()
        with engine.begin() as conn:
            recount(conn)
            rows = [conn.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in COUNT_TABLES]
        print(
            f"  recount (subject_count {rows[0]:,} rows, dossier_count {rows[1]:,} rows): "
            f"{time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        t0 = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(
            f"  analyze: {time.perf_counter() - t0:.0f} s; generation total "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )

    with app.app_context():
        province = db.session.get(AdminUnit, province_id)
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "BENCH-C050"))
        counts = counts_by_child(province, TITLE, YEAR, "household")
        assert len(counts) == args.communes, len(counts)
        base = sum(c[0] for c in counts.values())
        registered = sum(c[1] for c in counts.values())
        recognized = sum(c[2] for c in counts.values())
        print(
            f"province report: {len(counts)} rows, base {base:,}, registered {registered:,}, "
            f"recognised {recognized:,}"
        )
        cases = (
            ("province: aggregate query", lambda: counts_by_child(province, TITLE, YEAR, "household")),
            ("province: whole report", lambda: progress(province, TITLE, YEAR)),
            ("commune: whole report", lambda: progress(commune, TITLE, YEAR)),
        )
        print(
            f"\n{'':30} {'first':>9} {'median':>9} {'p95':>9} {'max':>9}"
            f"   ({args.runs} runs after the first, ms)"
        )
        for label, fn in cases:
            first, times = _timed(fn, args.runs)
            db.session.rollback()
            print(
                f"{label:30} {first:9.1f} {statistics.median(times):9.1f} "
                f"{_p95(times):9.1f} {max(times):9.1f}"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""What a dossier's SQL costs by itself (issue 12, P1): the statements one dossier sends through the service
layer, captured with their parameters and replayed on a copy of the database taken just before it, by the
driver alone and through SQLAlchemy Core, next to the service layer's own time for the same kind of dossier.

Run from the project root::

    .venv/bin/python bench/statement_floor.py            # 100 dossiers timed, then 200 replays of one
    .venv/bin/python bench/statement_floor.py --n 300 --replays 500

The database is the same SQLite file as bench/recognition_loop.py's (migrated, demo data, the same cast and
passing values). Each replay runs every statement of the captured dossier in one transaction on the copy and
rolls it back, so every replay sees the database as the dossier did: the same rows, the same unique keys.
The difference between the service layer's time and the Core replay's is what the service layer spends
besides sending its statements: the ORM's loading, identity map and flush, SpiffWorkflow, forms, checks.
Nothing here asserts a time; see bench/README.md.
"""

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recognition_loop as loop  # noqa: E402  (the same setup, cast and steps as the loop benchmark)


def capture(app, cast, todo) -> list[tuple[str, object, bool]]:
    """(statement, parameters, executemany) of every statement the service layer sends for ``todo``."""
    from sqlalchemy import event

    from app.extensions import db

    sent = []

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        sent.append((statement, parameters, executemany))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        loop.run_service(app, cast, todo, loop.SqlCounter(), loop.Timings())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def replay_driver(path: Path, sent: list, replays: int) -> list[float]:
    """ms per replay through the sqlite3 module alone."""
    con = sqlite3.connect(path, isolation_level=None)
    times = []
    try:
        for _ in range(replays):
            started = time.perf_counter()
            cur = con.cursor()
            cur.execute("BEGIN")
            for statement, parameters, many in sent:
                (cur.executemany if many else cur.execute)(statement, parameters)
                cur.fetchall()
            cur.execute("ROLLBACK")
            times.append((time.perf_counter() - started) * 1000)
    finally:
        con.close()
    return times


def replay_core(path: Path, sent: list, replays: int) -> list[float]:
    """ms per replay through SQLAlchemy Core (a pooled connection, the statement text as it was sent)."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    times = []
    try:
        for _ in range(replays):
            started = time.perf_counter()
            with engine.connect() as conn:
                for statement, parameters, many in sent:
                    result = conn.exec_driver_sql(statement, list(parameters) if many else parameters)
                    if result.returns_rows:
                        result.fetchall()
                conn.rollback()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        engine.dispose()
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="dossiers timed through the service layer (100)")
    parser.add_argument("--replays", type=int, default=200, help="replays of the captured dossier (200)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.replays < 1:
        parser.error("--n and --replays must be positive")

    from sqlalchemy import text

    from app.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="hoctap-floor-"))
    try:
        app = loop.build_app(tmp)
        loop.migrate_and_seed(app)
        cast = loop.build_cast(app)
        todo = loop.plan(cast, args.n + 1)
        timings = loop.Timings()
        loop.run_service(app, cast, todo[:-1], loop.SqlCounter(), timings)
        service_ms = statistics.median(timings.ms["whole dossier"])

        with app.app_context():  # the copy must hold everything committed so far, in its main file
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        copy = tmp / "before-last-dossier.sqlite"
        shutil.copy(tmp / "hoctap.sqlite", copy)
        sent = capture(app, cast, todo[-1:])
        with app.app_context():
            db.engine.dispose()

        replay_driver(copy, sent, 5)  # warm the file's pages and the statement caches
        replay_core(copy, sent, 5)
        driver = statistics.median(replay_driver(copy, sent, args.replays))
        core = statistics.median(replay_core(copy, sent, args.replays))
        rows = (
            (f"service layer, whole dossier (median of {args.n})", service_ms),
            (f"its statements by the sqlite3 driver alone (median of {args.replays})", driver),
            ("the same through SQLAlchemy Core (exec_driver_sql)", core),
            ("the service layer besides its statements (minus Core)", service_ms - core),
        )
        print(loop.versions())
        print(
            f"One dossier (open, four steps, the in-process notice jobs, the loop's own lookups of task and"
            f" actor): {len(sent)} statements, replayed without their commits"
        )
        for label, ms in rows:
            print(f"  {label:<66}{ms:8.2f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

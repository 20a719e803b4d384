"""P3 and P4 on a generated province: inbox pages with many open tasks, and bytes per finished dossier.

    .venv/bin/python bench/scale.py --tasks 50000                     # generate (SQLite), then measure
    .venv/bin/python bench/scale.py --db postgres --tasks 50000       # the same on a throwaway cluster
    .venv/bin/python bench/scale.py --folder /tmp/hoctap-province-…   # measure a kept generation

P3: the inbox of ``bench-officer`` (a commune officer: 0.8 % of the open tasks) and ``bench-province`` (the
province's emulation committee: 20 %), pages of 50 sorted by due date, timed ``--runs`` times each:

* through the inbox query (``app.inbox.query.inbox_page``, what the web inbox renders) and through
  ``GET /api/v1/tasks`` (Flask test client with a bearer token: routing, auth, JSON, no network);
* the first page; a page deep in the list through its cursor (the cursor of the row 50 before the end,
  found once, untimed: ``after=``); the same page by number (``page=N``, an OFFSET scan, for comparison).

P4: the database's bytes per finished dossier, from the generator's before/after sizes around the finished
dossiers it copied (per table, indexes included; evidence files are not in the database).

Loopback only; bounded by ``--runs`` (default 20) per case.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generate_province  # noqa: E402

PER_PAGE = 50
TARGET_MS = 20
P4_TARGET = 4096


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn, runs: int) -> list[float]:
    fn()  # warm: the first call pays for compiling the statement, not for the data
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def deep_cursor(user, filters, total: int):
    """The cursor of the row just before the last page, and that page's number (found once, untimed)."""
    from app.extensions import db
    from app.inbox.query import encode_cursor, inbox_query
    from app.models import utcnow

    last_page = max((total - 1) // PER_PAGE + 1, 1)
    offset = (last_page - 1) * PER_PAGE - 1
    if offset < 0:
        return None, 1
    task = db.session.scalars(inbox_query(user, filters, now=utcnow()).offset(offset).limit(1)).first()
    return encode_cursor(filters.sort, task), last_page


def measure_p3(app, runs: int) -> list[tuple]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.inbox.query import InboxFilter, _filtered, capped_count, inbox_page
    from app.models import User, utcnow
    from app.services import accounts

    rows = []
    client = app.test_client()
    for username, who in ((generate_province.OFFICER, "officer"), (generate_province.COMMITTEE, "province")):
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            filters = InboxFilter()
            now = utcnow()
            # The exact count, once and untimed (the pages count no further than 10,000).
            total = db.session.scalar(
                select(func.count()).select_from(_filtered(user, filters, now, db.literal(1)).subquery())
            )
            cursor, last_page = deep_cursor(user, filters, total)
            token = accounts.issue_token(user, now=now)
            db.session.commit()
            cases = [
                (
                    "capped count (in every page)",
                    lambda user=user, filters=filters: capped_count(user, filters, now=utcnow()),
                ),
                (
                    "inbox query, first page",
                    lambda user=user, filters=filters: inbox_page(
                        user, filters, now=utcnow(), per_page=PER_PAGE
                    ),
                ),
                (
                    f"inbox query, page {last_page} by cursor",
                    lambda user=user, filters=filters, cursor=cursor: inbox_page(
                        user, filters, now=utcnow(), per_page=PER_PAGE, after=cursor
                    ),
                ),
                (
                    f"inbox query, page {last_page} by number",
                    lambda user=user, filters=filters, page=last_page: inbox_page(
                        user, filters, now=utcnow(), per_page=PER_PAGE, page=page
                    ),
                ),
            ]
            for label, fn in cases:
                times = timed(lambda fn=fn: (fn(), db.session.rollback()), runs)
                rows.append((who, total, label, times))
        headers = {"Authorization": f"Bearer {token}"}
        api_cases = [
            ("GET /api/v1/tasks, first page", {"per_page": PER_PAGE}),
            (f"GET /api/v1/tasks, page {last_page} by cursor", {"per_page": PER_PAGE, "after": cursor}),
            (f"GET /api/v1/tasks, page {last_page} by number", {"per_page": PER_PAGE, "page": last_page}),
        ]
        for label, query in api_cases:

            def call(query=query, headers=headers):
                response = client.get("/api/v1/tasks", query_string=query, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
                assert len(response.get_json()["items"]) > 0

            rows.append((who, total, label, timed(call, runs)))
    return rows


def print_p3(rows, db_name: str, open_tasks: int) -> None:
    print(f"\nP3: inbox pages of {PER_PAGE} sorted by due date, {db_name}, {open_tasks:,} open tasks (ms)")
    print(f"  {'who (tasks seen)':<22} {'case':<40} {'median':>8} {'p95':>8} {'max':>8}  target")
    for who, total, label, times in rows:
        mark = "≤ 20 ms p95: met" if p95(times) <= TARGET_MS else "≤ 20 ms p95: not met"
        target = mark if "first page" in label else ""
        print(
            f"  {f'{who} ({total:,})':<22} {label:<40} {statistics.median(times):8.1f} "
            f"{p95(times):8.1f} {max(times):8.1f}  {target}"
        )


def print_p4(meta: dict) -> None:
    p4 = meta["p4"]
    n = p4["finished"] or 1
    per = p4["bytes"] / n
    print(
        f"\nP4: database bytes per finished dossier ({p4['finished']:,} copied; target ≤ {P4_TARGET} B): "
        f"{per:,.0f} B ({'met' if per <= P4_TARGET else 'not met'})"
    )
    for table, size in sorted(p4["tables"].items(), key=lambda item: -item[1]):
        print(f"  {table:<24} {size / n:10,.0f} B")
    print(f"  {'(sum of tables)':<24} {sum(p4['tables'].values()) / n:10,.0f} B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    generate_province.add_arguments(parser)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per case (after one warm-up)")
    parser.add_argument("--folder", help="measure a generation kept with --keep (its province.json)")
    parser.set_defaults(tasks=50_000)
    args = parser.parse_args()
    stop = None
    if args.folder:
        folder = Path(args.folder)
        meta = json.loads((folder / "province.json").read_text())
        url = meta["url"]
    else:
        folder = Path(tempfile.mkdtemp(prefix="hoctap-province-", dir="/tmp"))
        url, stop = generate_province.database(args.db, folder)
    try:
        if not args.folder:
            meta = generate_province.generate(args, folder, url)
        app = generate_province.make_app(url, folder)
        print(f"\nload average before measuring: {os.getloadavg()[0]:.2f}")
        started = time.perf_counter()
        rows = measure_p3(app, args.runs)
        print_p3(rows, meta["db"], meta["open_tasks"])
        print_p4(meta)
        print(f"\nmeasured in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f}")
    finally:
        if not args.folder and not args.keep:
            if stop is not None:
                stop()
            shutil.rmtree(folder, ignore_errors=True)
        elif not args.folder:
            print(f"kept: {folder}")


if __name__ == "__main__":
    main()

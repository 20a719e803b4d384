"""Where a profiled run's time goes, by layer: each function's own time (cProfile's tottime) added up by the
file it is in, so the layers sum to the whole run and no time is counted twice.

    .venv/bin/python bench/recognition_loop.py --n 300 --inbox 0 --profile /tmp/loop.prof
    .venv/bin/python bench/profile_split.py /tmp/loop.prof --per 300

``--per N`` divides by the number of dossiers. The profiler itself slows pure-Python code more than C
code, so read the split as proportions, next to an unprofiled run's total.
"""

import argparse
import pstats

# First match wins: (layer, what a path contains). Our own packages are told apart from the libraries.
LAYERS = (
    (
        "the database and its driver (statements running, commits)",
        ("'sqlite3.", "/psycopg/", "psycopg_binary"),
    ),
    ("SpiffWorkflow engine", ("/SpiffWorkflow/",)),
    ("SQLAlchemy (ORM, SQL compilation, results)", ("/sqlalchemy/",)),
    ("our workflow runtime and sandbox (workflow/)", ("/workflow/",)),
    ("our forms: building, validating, scoring (forms/)", ("/forms/",)),
    ("WTForms", ("/wtforms/",)),
    ("our jobs and notifications (app/jobs, notifications)", ("/app/jobs/", "/app/services/notifications")),
    (
        "our API layer: token, routes, JSON (app/api, security, inbox)",
        ("/app/api/", "/app/security", "/app/inbox/", "/app/requests"),
    ),
    ("our step and its checks (app/services/dossiers, jurisdiction, ...)", ("/app/",)),
    ("Flask, Werkzeug, Jinja", ("/flask", "/werkzeug/", "/jinja2/")),
    ("gunicorn (writing the answer, the access log)", ("/gunicorn/",)),
    ("Python's logging", ("/logging/",)),
    ("JSON and compression", ("/json/", "zlib", "_json", "/base64.py")),
    ("the benchmark itself", ("/bench/",)),
)
OTHER = "Python itself and the rest"


def layer_of(path: str) -> str:
    for layer, marks in LAYERS:
        if any(mark in path for mark in marks):
            return layer
    return OTHER


def split(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per layer."""
    seconds: dict[str, float] = {}
    for (filename, _line, name), (_calls, _primitive, own, _cumulative, _callers) in stats.stats.items():
        where = filename if filename != "~" else name
        seconds[layer_of(where)] = seconds.get(layer_of(where), 0.0) + own
    return seconds


def print_split(stats: pstats.Stats, per: int) -> None:
    seconds = split(stats)
    total = sum(seconds.values())
    print(f"\nWhere the time goes (own time by layer, profiled; per dossier over {per}):")
    for layer, value in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"  {layer:<66} {value * 1000 / per:7.2f} ms  {100 * value / total:5.1f} %")
    print(f"  {'all':<66} {total * 1000 / per:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", help="a cProfile file (recognition_loop.py --profile FILE)")
    parser.add_argument("--per", type=int, default=1, help="dossiers in the profiled run")
    args = parser.parse_args()
    print_split(pstats.Stats(args.profile), args.per)


if __name__ == "__main__":
    main()

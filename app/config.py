"""Configuration: every key has a documented default and can be set from the environment."""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place, so a process starting alongside (the worker) never
        # reads a half-written key; whoever links first wins.
        staging = path.with_name(f"secret_key.{os.getpid()}")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_text().strip()


def default_config() -> dict:
    """The settings read from the environment, each with its default.

    - ``DATA_DIR``: where the SQLite file and uploaded evidence live (default ``./data``).
    - ``DATABASE_URL``: SQLAlchemy URL (default SQLite with WAL in ``DATA_DIR/hoctap.sqlite``).
    - ``REDIS_URL``: Redis for RQ jobs; empty means jobs run in-process after commit.
    - ``SECRET_KEY``: signs sessions and CSRF tokens. When unset, a random key is made once and kept in
      ``DATA_DIR/secret_key`` (readable by the owner only), so no deployment runs on a known key.
    - ``MAX_EVIDENCE_BYTES``: largest evidence file accepted (default 10 MB).
    - ``PROCEDURES_DIR`` / ``CRITERIA_DIR``: the shipped procedure packages and criteria sets
      (default ``bpmn/`` and ``criteria/``).
    - ``SCRIPT_BUDGET_SECONDS``: time one engine step's scripts, conditions and DMN cells may run before
      the step is stopped and fails cleanly (default 1).
    - ``MAX_REQUEST_BYTES``: largest request body (default five evidence files plus 1 MB).
    - ``RQ_QUEUE``: the RQ queue name (default ``hoctap``).
    - ``API_TOKEN_DAYS``: how long an API token stays valid (default 30 days).
    - ``PROXY_HOPS``: reverse proxies in front of the app whose X-Forwarded-For to trust (default 0).
    - ``LOGIN_RATE_LIMIT``: failed password attempts allowed per address and account (``10 per minute``),
      counted in Redis when ``REDIS_URL`` is set so every worker shares the count.
    - ``BABEL_DEFAULT_LOCALE``: ``vi`` (English with ``en``).
    """
    data_dir = Path(_env("DATA_DIR", str(PROJECT_ROOT / "data"))).resolve()
    max_evidence = _env_int("MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    return {
        "DATA_DIR": str(data_dir),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{data_dir / 'hoctap.sqlite'}"),
        "REDIS_URL": _env("REDIS_URL", ""),
        "RQ_QUEUE": _env("RQ_QUEUE", "hoctap"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _stored_secret(data_dir),
        "MAX_EVIDENCE_BYTES": max_evidence,
        "SCRIPT_BUDGET_SECONDS": float(_env("SCRIPT_BUDGET_SECONDS", "1")),
        # A self-report may carry several photos (each checked against MAX_EVIDENCE_BYTES); bodies
        # beyond this are refused before they are read.
        "MAX_CONTENT_LENGTH": _env_int("MAX_REQUEST_BYTES", 5 * max_evidence + 1024 * 1024),
        "BABEL_DEFAULT_LOCALE": _env("BABEL_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": _env("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ["vi", "en"],
        "PROCEDURES_DIR": _env("PROCEDURES_DIR", str(PROJECT_ROOT / "bpmn")),
        "CRITERIA_DIR": _env("CRITERIA_DIR", str(PROJECT_ROOT / "criteria")),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "INBOX_PAGE_SIZE": _env_int("INBOX_PAGE_SIZE", 20),
        "API_TOKEN_DAYS": _env_int("API_TOKEN_DAYS", 30),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute"),
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        "RATELIMIT_HEADERS_ENABLED": True,
    }

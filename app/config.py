"""Configuration: every key has a documented default and can be set from the environment."""

import json
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def compact_json(value) -> str:
    """How JSON columns are written: UTF-8 as is, no spaces (what is read back is the same value)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def sqlite_cache_mb() -> int:
    """``SQLITE_CACHE_MB``: each SQLite connection's page cache (read when a connection opens)."""
    return max(_env_int("SQLITE_CACHE_MB", 64), 1)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


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


class MissingSecretKey(RuntimeError):
    """A production start (``DEMO=0``) without ``SECRET_KEY`` in the environment."""


def secret_key(config: dict) -> str:
    """The key that signs sessions and CSRF tokens: ``SECRET_KEY`` when set.

    Without it, a demo start makes a random key once and keeps it in ``DATA_DIR/secret_key``, so a
    newcomer's ``make run`` needs no setup yet never runs on a known key. A production start refuses
    instead of doing the same: a key that appears silently inside the data folder is lost (and every
    session with it) when the folder is rebuilt or restored elsewhere, differs between hosts serving the
    same site, and is copied wherever the evidence files are; production keeps it as a managed secret.
    """
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    if not config["DEMO"]:
        raise MissingSecretKey(
            "Chế độ vận hành thật (DEMO=0) cần biến môi trường SECRET_KEY, ví dụ "
            "`export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\"`. "
            "Production mode (DEMO=0) requires SECRET_KEY in the environment."
        )
    return _stored_secret(Path(config["DATA_DIR"]))


def default_config() -> dict:
    """The settings read from the environment, each with its default.

    - ``DATA_DIR``: where the SQLite file and uploaded evidence live (default ``./data``).
    - ``DATABASE_URL``: SQLAlchemy URL (default SQLite with WAL in ``DATA_DIR/hoctap.sqlite``).
    - ``REDIS_URL``: Redis for RQ jobs; empty means jobs run in-process after commit.
    - ``DEMO``: ``1`` (default) for a demo or development start, ``0`` for production: ``scripts/run``
      then loads no demo data, and the app refuses to start without ``SECRET_KEY`` (``secret_key``).
    - ``SECRET_KEY``: signs sessions and CSRF tokens. When unset in demo mode, a random key is made once
      and kept in ``DATA_DIR/secret_key`` (readable by the owner only), so no deployment runs on a known key.
    - ``MAX_EVIDENCE_BYTES``: largest evidence file accepted (default 10 MB).
    - ``IMPORT_MAX_ROWS``: most data rows one registry import file may hold (default 200000).
    - ``PROCEDURES_DIR`` / ``CRITERIA_DIR``: the shipped procedure packages and criteria sets
      (default ``bpmn/`` and ``criteria/``).
    - ``SCRIPT_BUDGET_SECONDS``: processor time one engine step's scripts, conditions and DMN cells may
      use before the step is stopped and fails cleanly (default 1; CPU time, so a loaded server does not
      fail ordinary steps).
    - ``MAX_REQUEST_BYTES``: largest request body (default five evidence files plus 1 MB).
    - ``RQ_QUEUE``: the RQ queue name (default ``hoctap``).
    - ``API_TOKEN_DAYS``: how long an API token stays valid (default 30 days).
    - ``SESSION_IDLE_MINUTES``: a signed-in browser left untouched this long must sign in again
      (default 120).
    - ``SESSION_MAX_HOURS``: a browser session ends this long after sign-in, however busy (default 12,
      a working day).
    - ``PROXY_HOPS``: reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto to
      trust (default 0).
    - ``PREFERRED_URL_SCHEME``: ``https`` when the site is served over TLS (default ``http``): the session
      cookie is then sent over HTTPS only (``Secure``), and external links are written with ``https``.
    - ``LOGIN_RATE_LIMIT``: failed password attempts allowed per address and account (``10 per minute``),
      counted in Redis when ``REDIS_URL`` is set so every worker shares the count.
    - ``BABEL_DEFAULT_LOCALE``: ``vi`` (English with ``en``).
    - ``MAIL_SERVER``, ``MAIL_PORT`` (25), ``MAIL_USE_TLS`` (STARTTLS, off), ``MAIL_USE_SSL`` (off),
      ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER`` (``hoctap@localhost``): the SMTP server
      notices are sent through, named as Flask-Mail names them. Without ``MAIL_SERVER`` e-mail is off (the
      admin's incidents page says so) and notices stay in the app.
    - ``MAIL_TIMEOUT_SECONDS``: how long one SMTP conversation may wait (default 10).
    - ``PUBLIC_URL``: the address users open the site at, for links in e-mails
      (default ``http://127.0.0.1:5000``).
    - ``DIGEST_HOUR``: the local hour (``BABEL_DEFAULT_TIMEZONE``) after which the daily digest is sent
      (default 7).
    - ``WORKER_TICK_SECONDS``: how often ``flask worker`` fires due timers, re-dispatches stranded jobs,
      escalates overdue tasks and plans digests (default 30).
    - ``JOB_MAX_ATTEMPTS``: attempts before a failing job or timer becomes an incident (default 5).
    - ``JOB_RETRY_SECONDS``: the wait after a job's first failure, doubled after each further one
      (default 30).
    - ``JOB_LEASE_SECONDS``: how long a worker may hold a job; a job whose worker died runs again after
      this (default 300).
    - ``DOCUMENT_JOB_SECONDS``: how long one certificate-making job works before it hands the rest of a
      decision to a new job (default a third of ``JOB_LEASE_SECONDS``).
    - ``OUTBOX_RETENTION_DAYS``: delivered background jobs older than this are deleted by the daily
      pruning job, except those whose dedupe key could be written again (default 30, at least 1).
      Failed jobs (incidents) are never deleted.
    - ``NOTIFICATION_RETENTION_DAYS``: read notices older than this are deleted by the same job
      (default 180, at least 1); unread ones stay.
    - ``VERIFY_RATE_LIMIT``: look-ups of the public certificate check page per address (``60 per minute``).

    The production server's settings are read by ``gunicorn.conf.py``, not here: ``WEB_BIND``
    (``127.0.0.1:5000``), ``WEB_WORKERS`` (``2 × cores + 1``, at most 9), ``WEB_THREADS`` (2),
    ``WEB_TIMEOUT`` (60 s), ``WEB_GRACEFUL_TIMEOUT`` (30 s), ``WEB_LOG_LEVEL`` (``info``); the access log
    goes to ``DATA_DIR/access.log``. Each worker process builds its own engine, runtime and caches; the
    login and verify rate limits are counted per worker unless ``REDIS_URL`` is set.
    """
    data_dir = Path(_env("DATA_DIR", str(PROJECT_ROOT / "data"))).resolve()
    job_lease = float(_env("JOB_LEASE_SECONDS", "300"))
    max_evidence = _env_int("MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
    return {
        "DATA_DIR": str(data_dir),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{data_dir / 'hoctap.sqlite'}"),
        "REDIS_URL": _env("REDIS_URL", ""),
        "RQ_QUEUE": _env("RQ_QUEUE", "hoctap"),
        "DEMO": _env_flag("DEMO", True),
        # Resolved by ``secret_key`` once the caller's overrides (DATA_DIR, DEMO) are applied.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "MAX_EVIDENCE_BYTES": max_evidence,
        "IMPORT_MAX_ROWS": _env_int("IMPORT_MAX_ROWS", 200_000),
        "SCRIPT_BUDGET_SECONDS": float(_env("SCRIPT_BUDGET_SECONDS", "1")),
        # A self-report may carry several photos (each checked against MAX_EVIDENCE_BYTES); bodies
        # beyond this are refused before they are read.
        "MAX_CONTENT_LENGTH": _env_int("MAX_REQUEST_BYTES", 5 * max_evidence + 1024 * 1024),
        "BABEL_DEFAULT_LOCALE": _env("BABEL_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": _env("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ["vi", "en"],
        "PROCEDURES_DIR": _env("PROCEDURES_DIR", str(PROJECT_ROOT / "bpmn")),
        "CRITERIA_DIR": _env("CRITERIA_DIR", str(PROJECT_ROOT / "criteria")),
        # JSON columns (audit details, submissions, labels, notices) are stored as UTF-8 without spaces:
        # Vietnamese text takes 2-3 bytes a letter instead of a 6-byte \uXXXX escape. Read back the same.
        # LIFO: the connection used last is handed out next, so its page cache (SQLite's is per
        # connection) is warm and idle ones can time out.
        "SQLALCHEMY_ENGINE_OPTIONS": {"json_serializer": compact_json, "pool_use_lifo": True},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "INBOX_PAGE_SIZE": _env_int("INBOX_PAGE_SIZE", 20),
        "API_TOKEN_DAYS": _env_int("API_TOKEN_DAYS", 30),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 120),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute"),
        "PROXY_HOPS": _env_int("PROXY_HOPS", 0),
        "PREFERRED_URL_SCHEME": _env("PREFERRED_URL_SCHEME", "http"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A login must not fail because Redis did: the limiter counts in memory until Redis is back.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "MAIL_SERVER": _env("MAIL_SERVER", ""),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": _env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "hoctap@localhost"),
        "MAIL_TIMEOUT_SECONDS": float(_env("MAIL_TIMEOUT_SECONDS", "10")),
        "PUBLIC_URL": _env("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "DIGEST_HOUR": _env_int("DIGEST_HOUR", 7),
        "WORKER_TICK_SECONDS": float(_env("WORKER_TICK_SECONDS", "30")),
        "JOB_MAX_ATTEMPTS": _env_int("JOB_MAX_ATTEMPTS", 5),
        "OUTBOX_RETENTION_DAYS": _env_int("OUTBOX_RETENTION_DAYS", 30),
        "NOTIFICATION_RETENTION_DAYS": _env_int("NOTIFICATION_RETENTION_DAYS", 180),
        "JOB_RETRY_SECONDS": float(_env("JOB_RETRY_SECONDS", "30")),
        "JOB_LEASE_SECONDS": job_lease,
        "DOCUMENT_JOB_SECONDS": float(_env("DOCUMENT_JOB_SECONDS", str(job_lease / 3))),
        "VERIFY_RATE_LIMIT": _env("VERIFY_RATE_LIMIT", "60 per minute"),
    }

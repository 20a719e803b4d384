"""Configuration: every key has a documented default and can be set from the environment."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def default_config() -> dict:
    """The settings read from the environment, each with its default.

    - ``DATA_DIR``: where the SQLite file and uploaded evidence live (default ``./data``).
    - ``DATABASE_URL``: SQLAlchemy URL (default SQLite with WAL in ``DATA_DIR/hoctap.sqlite``).
    - ``REDIS_URL``: Redis for RQ jobs; empty means jobs run in-process after commit.
    - ``SECRET_KEY``: signs sessions and CSRF tokens; set it in production.
    - ``COMMUNE_REMINDER_DAYS``: days before the commune scoring reminder fires (default 10).
    - ``MAX_EVIDENCE_BYTES``: largest evidence file accepted (default 10 MB).
    - ``RQ_QUEUE``: the RQ queue name (default ``hoctap``).
    - ``API_TOKEN_DAYS``: how long an API token stays valid (default 30 days).
    - ``LOGIN_RATE_LIMIT``: password attempts allowed per client address (default ``10 per minute``),
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
        "SECRET_KEY": _env("SECRET_KEY", "dev-only-change-me"),
        "COMMUNE_REMINDER_DAYS": _env_int("COMMUNE_REMINDER_DAYS", 10),
        "MAX_EVIDENCE_BYTES": max_evidence,
        # The request cap sits a little above one evidence file so multipart overhead fits; larger
        # bodies are refused before they are read.
        "MAX_CONTENT_LENGTH": max_evidence + 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": _env("BABEL_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": _env("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ["vi", "en"],
        "PROCEDURES_DIR": _env("PROCEDURES_DIR", str(PROJECT_ROOT / "bpmn")),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "INBOX_PAGE_SIZE": _env_int("INBOX_PAGE_SIZE", 20),
        "API_TOKEN_DAYS": _env_int("API_TOKEN_DAYS", 30),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_HEADERS_ENABLED": True,
    }

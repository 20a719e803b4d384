"""The Flask application: app factory and wiring."""

import sqlite3
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT, default_config, secret_key, sqlite_cache_mb
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.security import init_security


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers run beside the single writer; the busy timeout makes writers queue instead of
    # failing at once when two steps commit together.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # SQLite's default page cache is 2 MB: an inbox of a large commune reads a few thousand rows
        # scattered over the subject table, and cached pages make that several times faster.
        cursor.execute(f"PRAGMA cache_size=-{sqlite_cache_mb() * 1024}")
        cursor.close()
        # SQLite's own lower() folds ASCII only; searches for "đặng" must find "Đặng" as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _select_locale() -> str:
    languages = ("vi", "en")
    if not has_request_context():
        return "vi"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    if request.path.startswith("/api/") and request.accept_languages:
        return request.accept_languages.best_match(languages, default="vi")
    return "vi"


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides the environment-derived defaults (tests use it)."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(default_config())
    if config:
        app.config.update(config)
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = secret_key(app.config)
    if app.config["PROXY_HOPS"]:
        # Behind nginx the client address comes from X-Forwarded-For; without this every user
        # would share the proxy's address (and its login rate limit).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"]
        )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)

    from app import models  # noqa: F401  (register tables before anything queries them)
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.campaigns import bp as campaigns_bp
    from app.cli import register_cli
    from app.decisions import bp as decisions_bp
    from app.documents import bp as documents_bp
    from app.dossiers import bp as dossiers_bp
    from app.errors import register_error_handlers
    from app.inbox import bp as inbox_bp
    from app.indicators import INDICATORS  # noqa: F401  (derived-indicator kinds, before any form loads)
    from app.jobs import init_jobs
    from app.notifications import bp as notifications_bp
    from app.registry import bp as registry_bp
    from app.reports import bp as reports_bp
    from app.requests import init_request_limits
    from app.services.procedures import init_runtime
    from app.subjects import bp as subjects_bp
    from app.verify import bp as verify_bp
    from app.web import register_template_helpers

    app.register_blueprint(auth_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(subjects_bp)
    app.register_blueprint(documents_bp, url_prefix="/documents")
    app.register_blueprint(verify_bp)
    app.register_blueprint(registry_bp, url_prefix="/registry")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)

    init_runtime(app)
    init_jobs(app)
    register_error_handlers(app)
    init_request_limits(app)
    register_template_helpers(app)
    register_cli(app)
    return app

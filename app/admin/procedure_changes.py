"""Admin pages for the two acts around a new version: what-if (replay a year's finished dossiers through
it) and moving running dossiers onto it (dry run first, then all or none)."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.routes import admin_required
from app.models import utcnow
from app.services.migration import MigrationUnsafe, migrate_batch
from app.services.procedures import get_version
from app.services.replay import replay_version

# A request replays synchronously (about 5 ms a dossier); larger what-ifs go through the API in pieces.
PAGE_REPLAY_LIMIT = 1000


def _int_arg(name: str, default: int | None = None) -> int | None:
    value = request.values.get(name, type=int)
    return value if value is not None else default


@bp.route("/procedures/<key>/versions/<int:version>/replay", methods=["GET", "POST"])
@admin_required
def procedure_replay(key: str, version: int):
    definition = get_version(key, version)
    year = _int_arg("year", date.today().year)
    limit = min(max(_int_arg("limit", 200), 1), PAGE_REPLAY_LIMIT)
    report = None
    if request.method == "POST":
        report = replay_version(definition, year=year, limit=limit, now=utcnow())
    return render_template(
        "admin/procedures/replay.html",
        definition=definition,
        year=year,
        limit=limit,
        report=report,
        max_limit=PAGE_REPLAY_LIMIT,
    )


@bp.route("/procedures/<key>/versions/<int:version>/migrate", methods=["GET", "POST"])
@admin_required
def procedure_migrate(key: str, version: int):
    """GET with ``from`` shows the dry run; POST with ``confirm=yes`` moves every dossier or none."""
    target = get_version(key, version)
    source = _int_arg("from")
    report, refused = None, None
    if source is not None:
        get_version(key, source)
        confirmed = request.method == "POST" and request.form.get("confirm") == "yes"
        try:
            report = migrate_batch(
                key, source, version, dry_run=not confirmed, actor=current_user, now=utcnow()
            )
        except MigrationUnsafe as exc:
            refused = exc.reasons
        else:
            if confirmed:
                flash(
                    _("Đã chuyển %(n)s hồ sơ sang phiên bản %(v)s.", n=len(report["dossiers"]), v=version),
                    "success",
                )
                return redirect(url_for("admin.procedure_versions", key=key))
    return render_template(
        "admin/procedures/migrate.html", target=target, source=source, report=report, refused=refused
    )

"""Steps that failed in the engine (a script error, a script over its time budget): admins see them here,
newest first, with the dossier and the element named; each failed step changed nothing."""

from flask import render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.admin.routes import admin_required
from app.extensions import db
from app.models import AuditEvent, Dossier


@bp.route("/incidents")
@admin_required
def incidents():
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.action == "step.failed")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=25, error_out=False)
    ids = {event.dossier_id for event in page.items} - {None}
    codes = dict(db.session.execute(select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all())
    return render_template("admin/incidents.html", page=page, codes=codes)

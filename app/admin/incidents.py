"""What went wrong without anyone watching, for admins. Steps that failed in the engine (a script error, a
script over its time budget), newest first, with the dossier and the element named; each failed step changed
nothing. Background jobs that failed every attempt (outbox rows ``failed``), with retry and dismiss. Above
both, the state of the job layer: whether e-mail leaves at all, where jobs run, how many wait or failed."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import jobs
from app.admin import bp
from app.admin.incident_queries import compact_payload, failed_jobs_page, job_kind_label, job_status
from app.admin.routes import admin_required
from app.extensions import db
from app.models import AuditEvent, Dossier, OutboxMessage, utcnow
from app.services.errors import NotFound


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
    failed_jobs, job_codes = failed_jobs_page(request.args.get("jobs_page", 1, type=int))
    return render_template(
        "admin/incidents.html",
        page=page,
        codes=codes,
        failed_jobs=failed_jobs,
        job_codes=job_codes,
        status=job_status(),
        job_kind_label=job_kind_label,
        compact_payload=compact_payload,
    )


@bp.route("/incidents/jobs/<int:outbox_id>/retry", methods=["POST"])
@admin_required
def incident_retry(outbox_id: int):
    try:
        jobs.retry_incident(outbox_id, actor=current_user, now=utcnow())
    except NotFound:
        # Retried or dismissed meanwhile (by another admin, another tab): the list shows how it stands.
        flash(_("Công việc nền này không còn lỗi (đã được chạy lại hoặc bỏ qua)."), "warning")
        return redirect(url_for("admin.incidents"))
    message = db.session.get(OutboxMessage, outbox_id)
    if message.status == "done":
        flash(_("Đã chạy lại công việc nền: đã xong."), "success")
    elif message.status == "failed" or (message.status == "pending" and message.attempts):
        # Run here (no Redis) and failed again: it waits for its next attempt, or is an incident again.
        error = message.last_error or ""
        flash(_("Đã chạy lại công việc nền nhưng vẫn lỗi: %(error)s", error=error), "danger")
    else:
        flash(_("Đã đưa công việc nền vào hàng đợi để chạy lại."), "success")
    return redirect(url_for("admin.incidents"))


@bp.route("/incidents/jobs/<int:outbox_id>/dismiss", methods=["POST"])
@admin_required
def incident_dismiss(outbox_id: int):
    try:
        jobs.dismiss_incident(outbox_id, actor=current_user, now=utcnow())
    except NotFound:
        flash(_("Công việc nền này không còn lỗi (đã được chạy lại hoặc bỏ qua)."), "warning")
        return redirect(url_for("admin.incidents"))
    flash(_("Đã bỏ qua công việc nền lỗi; công việc sẽ không được chạy lại."), "success")
    return redirect(url_for("admin.incidents"))

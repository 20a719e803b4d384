from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.inbox import bp
from app.inbox.query import InboxFilter, inbox_query
from app.models import OFFICIAL_ROLES, AdminUnit, utcnow
from app.services.dossiers import claim_task, release_task
from app.services.errors import Conflict
from app.titles import title_choices
from app.web import redirect_back


def _filter_units(user):
    """Units an official may filter by: the communes (and districts) inside their jurisdiction."""
    units = []
    for assignment in user.roles:
        if assignment.role not in OFFICIAL_ROLES:
            continue
        units.extend(
            db.session.scalars(
                select(AdminUnit)
                .where(
                    AdminUnit.path.startswith(assignment.unit.path),
                    AdminUnit.level_code.in_(("district", "commune")),
                )
                .order_by(AdminUnit.path)
            )
        )
    seen, unique = set(), []
    for unit in units:
        if unit.id not in seen:
            seen.add(unit.id)
            unique.append(unit)
    return unique


@bp.route("/inbox")
@login_required
def index():
    args = request.args
    filters = InboxFilter.from_args(args)
    now = utcnow()
    page = db.paginate(
        inbox_query(current_user, filters, now=now),
        page=args.get("page", 1, type=int),
        per_page=current_app.config["INBOX_PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "inbox/index.html",
        page=page,
        filters=filters,
        units=_filter_units(current_user),
        titles=title_choices(),
        now=now,
    )


def _back():
    return redirect_back(url_for("inbox.index"))


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    try:
        claim_task(task_id, actor=current_user, now=utcnow())
        flash(_("Đã nhận xử lý công việc."), "success")
    except Conflict as exc:
        flash(exc.message, "warning")
    return _back()


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@login_required
def release(task_id: int):
    try:
        release_task(task_id, actor=current_user, now=utcnow())
        flash(_("Đã trả công việc về hàng chờ."), "info")
    except Conflict as exc:
        flash(exc.message, "warning")
    return _back()

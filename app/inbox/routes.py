from flask import current_app, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.inbox import bp
from app.inbox.query import (
    PAGE_SIZES,
    BadCursor,
    InboxFilter,
    escalated_below,
    inbox_page,
    page_size,
    view_context,
)
from app.labels import localized
from app.models import OFFICIAL_ROLES, AdminUnit, Dossier, HumanTask, utcnow
from app.reports.dashboard import home_dashboard
from app.reports.routes import local_today
from app.services.bulk import (
    MAX_TASKS,
    BulkRefused,
    bulk_completion,
    bulk_fields,
    claim_tasks,
    complete_tasks,
    release_tasks,
)
from app.services.dossiers import claim_task, release_task
from app.services.errors import Conflict, InvalidInput
from app.services.jurisdiction import task_scope, works_on_tasks
from app.services.procedures import task_form
from app.titles import title_choices
from app.web import is_local_path, redirect_back
from forms import input_values, prefill_values

# More villages than this in reach (a district or a province): the list asks for a commune first.
MAX_VILLAGE_CHOICES = 300
# Reasons listed in the message of a refused bulk act; the others are counted.
SHOWN_REFUSALS = 5


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


def _filter_villages(user, units, unit_id: int | None):
    """Villages an official may filter by: those of the chosen commune or district, else of their own
    units; None when there are too many to list (then a commune is chosen first)."""
    chosen = [unit for unit in units if unit.id == unit_id]
    roots = chosen or [a.unit for a in user.roles if a.role in OFFICIAL_ROLES]
    if not roots:
        return []
    villages = db.session.scalars(
        select(AdminUnit)
        .where(
            AdminUnit.level_code == "village",
            or_(*(AdminUnit.path.startswith(root.path, autoescape=True) for root in roots)),
        )
        .options(joinedload(AdminUnit.parent))
        .order_by(AdminUnit.path)
        .limit(MAX_VILLAGE_CHOICES + 1)
    ).all()
    return None if len(villages) > MAX_VILLAGE_CHOICES else villages


@bp.app_template_global()
def has_inbox() -> bool:
    """Whether the menu offers the inbox: the reader holds an official role that may be given tasks."""
    return current_user.is_authenticated and works_on_tasks(current_user)


@bp.route("/inbox")
@login_required
def index():
    args = request.args
    filters = InboxFilter.from_args(args)
    now = utcnow()
    per_page = page_size(args, current_app.config["INBOX_PAGE_SIZE"])
    number = args.get("page", 1, type=int) or 1
    try:
        page = inbox_page(
            current_user, filters, now=now, page=number, per_page=per_page, after=args.get("after")
        )
    except BadCursor:
        # A stale or edited link: the same view from its numbered page rather than an error.
        page = inbox_page(current_user, filters, now=now, page=number, per_page=per_page)
    units = _filter_units(current_user)
    escalated, escalated_total = escalated_below(current_user)
    return render_template(
        "inbox/index.html",
        page=page,
        escalated=escalated,
        escalated_total=escalated_total,
        filters=filters,
        units=units,
        villages=_filter_villages(current_user, units, filters.unit_id),
        titles=title_choices(),
        now=now,
        per_page=per_page,
        page_sizes=sorted({*PAGE_SIZES, current_app.config["INBOX_PAGE_SIZE"]}),
        # Carried to each task page, for its previous / next links and the way back to this list.
        view=view_context(args),
        max_selected=MAX_TASKS,
        dashboard=home_dashboard(current_user, now=now, year=local_today().year),
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


def _refusal_text(exc: BulkRefused) -> str:
    """The refusal with the first few reasons, each after its dossier's code."""
    shown = [
        f"{refusal.dossier_code or '#' + str(refusal.task_id)}: {refusal.message}"
        for refusal in exc.refusals[:SHOWN_REFUSALS]
    ]
    text = f"{exc.message} {' '.join(shown)}"
    if len(exc.refusals) > SHOWN_REFUSALS:
        text += " " + _("Và %(n)s công việc khác.", n=len(exc.refusals) - SHOWN_REFUSALS)
    return text


@bp.route("/inbox/bulk", methods=["POST"])
@login_required
def bulk():
    """The inbox's selection: claim or release every selected task, or go on to complete them."""
    action, selected, now = request.form.get("action"), request.form.getlist("task_ids"), utcnow()
    try:
        if action == "claim":
            done = claim_tasks(selected, actor=current_user, now=now)
            flash(_("Đã nhận xử lý %(n)s công việc.", n=len(done)), "success")
        elif action == "release":
            done = release_tasks(selected, actor=current_user, now=now)
            flash(_("Đã trả %(n)s công việc về hàng chờ.", n=len(done)), "info")
        elif action == "complete":
            tasks, form = bulk_completion(selected, actor=current_user, locale=_locale())
            return _confirmation(tasks, form, input_values(form, prefill_values(form, {})))
        else:
            flash(_("Vui lòng chọn một thao tác."), "warning")
    except BulkRefused as exc:
        flash(_refusal_text(exc), "warning")
    except (Conflict, InvalidInput) as exc:
        flash(exc.message, "warning")
    return _back()


def _locale() -> str:
    return str(get_locale() or "vi")


def _confirmation(tasks, form, values, *, errors=None, refusals=(), status=200):
    """The page that lists the selected dossiers and asks for the one answer they will all get."""
    return render_template(
        "inbox/bulk_complete.html",
        tasks=tasks,
        form=form,
        fields=bulk_fields(form),
        values=values,
        errors=errors or {},
        refused={refusal.task_id: refusal.message for refusal in refusals},
        step=localized(tasks[0].label, _locale()),
        locale=_locale(),
        back=_back_path(),
    ), status


def _back_path() -> str:
    # Shown as a link: only a path on this site, never what a crafted form put there.
    target = request.form.get("next") or ""
    return target if is_local_path(target) else url_for("inbox.index")


def _selected_tasks(selected) -> list[HumanTask]:
    """The selected tasks the official may work on, to list again on the confirmation page."""
    ids = [int(value) for value in selected if value.isdigit()]
    return db.session.scalars(
        select(HumanTask)
        .where(HumanTask.id.in_(ids), task_scope(current_user))
        .options(selectinload(HumanTask.dossier).selectinload(Dossier.subject))
        .order_by(HumanTask.id)
    ).all()


@bp.route("/inbox/bulk/complete", methods=["POST"])
@login_required
def bulk_complete():
    """Complete the confirmed dossiers with the answer given, all or none."""
    selected = request.form.getlist("task_ids")
    try:
        done = complete_tasks(selected, request.form, actor=current_user, now=utcnow(), locale=_locale())
    except InvalidInput as exc:
        tasks = _selected_tasks(selected)
        if not tasks:
            flash(exc.message, "warning")
            return _back()
        form = task_form(tasks[0])
        flash(_("Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."), "danger")
        return _confirmation(tasks, form, request.form, errors=exc.errors, status=422)
    except BulkRefused as exc:
        tasks = _selected_tasks(selected)
        if not tasks:
            flash(_refusal_text(exc), "warning")
            return _back()
        flash(exc.message, "warning")
        form = task_form(tasks[0])
        return _confirmation(tasks, form, request.form, refusals=exc.refusals, status=409)
    except Conflict as exc:
        flash(exc.message, "warning")
        return _back()
    flash(_("Đã hoàn thành %(n)s công việc với cùng một kết quả.", n=len(done)), "success")
    return _back()

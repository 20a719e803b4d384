"""Admin page for the provinces' own targets: a province sets its share per title and year (with the
act that sets it), which wins over the national figure in every report of that province.
Every change is audited."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.routes import admin_required
from app.extensions import db
from app.models import AdminUnit, utcnow
from app.services import targets
from app.services.errors import InvalidInput
from app.titles import title_choices


def _number(text: str | None):
    """The posted rate as a number ("75", "72,5" or "72.5"); the text itself when it is none (refused)."""
    text = (text or "").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return text


@bp.route("/targets", methods=["GET", "POST"])
@admin_required
def targets_page():
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            targets.set_province_target(
                form.get("unit", type=int),
                form.get("title"),
                form.get("year", type=int),
                _number(form.get("rate")),
                form.get("source"),
                actor=current_user,
                now=utcnow(),
            )
            flash(_("Đã lưu chỉ tiêu của tỉnh."), "success")
            return redirect(url_for("admin.targets_page"))
        except InvalidInput as exc:
            errors, status = exc.errors, 422
            flash(exc.message, "danger")
    provinces = db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id.is_(None)).order_by(AdminUnit.name)
    ).all()
    titles = title_choices()
    national = targets.national_defaults()
    return render_template(
        "admin/targets.html",
        provinces=provinces,
        titles=titles,
        national=national,
        national_labels=targets.national_labels(),
        rows=targets.province_targets(),
        errors=errors,
        values=request.form,
    ), status


@bp.route("/targets/<int:target_id>/remove", methods=["POST"])
@admin_required
def target_remove(target_id: int):
    targets.remove_province_target(target_id, actor=current_user, now=utcnow())
    flash(_("Đã xoá chỉ tiêu của tỉnh; chỉ tiêu quốc gia được áp dụng lại."), "success")
    return redirect(url_for("admin.targets_page"))

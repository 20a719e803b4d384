"""The desk page: a commune officer records a household that came in person and registers its dossier."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.dossiers import bp
from app.models import Subject, utcnow
from app.services import desk
from app.services.bounds import limit, search_text
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.jurisdiction import desk_assignments
from app.titles import registrable_titles, title_choices


@bp.app_context_processor
def _desk_menu():
    """``serves_desk()`` for the menu: whether the reader holds a desk role."""
    return {"serves_desk": lambda: current_user.is_authenticated and bool(desk_assignments(current_user))}


def _desk_officer():
    if not desk_assignments(current_user):
        abort(404)


@bp.route("/desk")
@login_required
def desk_page(errors=None, status=200):
    _desk_officer()
    needle = search_text(request.args)
    households = desk.households_at_desk(current_user, needle)
    return render_template(
        "dossiers/desk.html",
        units=desk.desk_units(current_user),
        households=households,
        registrable={s.id: registrable_titles(s) for s in households},
        needle=needle,
        errors=errors or {},
        values=request.form,
        this_year=date.today().year,
        titles=title_choices(),
        head_max=desk.HEAD_NAME_MAX,
        address_max=limit(Subject.address),
    ), status


@bp.route("/desk/households", methods=["POST"])
@login_required
def desk_household():
    """Record the household, then open its dossier when a title was chosen: one visit to the desk."""
    _desk_officer()
    form = request.form
    try:
        subject = desk.create_household(
            form.get("unit_id", type=int),
            form.get("head_name", ""),
            form.get("address", ""),
            actor=current_user,
            now=utcnow(),
            account=form.get("account", ""),
        )
    except InvalidInput as exc:
        flash(_("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."), "danger")
        return desk_page(errors=exc.errors, status=422)
    flash(_("Đã thêm %(name)s (mã %(code)s).", name=subject.name, code=subject.code), "success")
    if subject.account_id is not None:
        # Linked to its account: the household registers and self-assesses on its own from now on.
        return redirect(url_for("dossiers.desk_page"))
    if form.get("title"):
        return _register(subject.id)
    return redirect(url_for("dossiers.desk_page", q=subject.code))


@bp.route("/desk/dossiers", methods=["POST"])
@login_required
def desk_dossier():
    _desk_officer()
    return _register(request.form.get("subject_id", type=int))


def _register(subject_id: int | None):
    try:
        dossier = desk.register_at_desk(
            subject_id or 0,
            request.form.get("title", ""),
            request.form.get("year", type=int) or date.today().year,
            actor=current_user,
            now=utcnow(),
        )
    except (Conflict, NotFound) as exc:
        flash(exc.message, "warning")
        return redirect(url_for("dossiers.desk_page"))
    except InvalidInput as exc:
        flash(" ".join(m for messages in exc.errors.values() for m in messages), "danger")
        return redirect(url_for("dossiers.desk_page"))
    flash(
        _(
            "Đã tạo hồ sơ %(code)s thay cho hộ gia đình. Nhập phần tự đánh giá theo phiếu của hộ; "
            "việc chấm điểm do một cán bộ khác thực hiện.",
            code=dossier.code,
        ),
        "success",
    )
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))

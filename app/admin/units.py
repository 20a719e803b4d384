"""Admin pages for the administrative tree: find a commune, add its villages one by one or from CSV."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.admin import bp
from app.admin.routes import admin_required
from app.extensions import db
from app.models import AdminUnit, utcnow
from app.services.bounds import search_text
from app.services.errors import InvalidInput, NotFound
from app.services.units import add_villages, parse_village_csv

MAX_CSV_BYTES = 1_000_000


@bp.route("/units")
@admin_required
def units():
    """Communes, searchable by name or code, with how many villages each has."""
    query = select(AdminUnit).where(AdminUnit.level_code == "commune")
    needle = search_text(request.args).lower()
    if needle:
        pattern = f"%{needle}%"
        query = query.where(
            func.lower(AdminUnit.name).like(pattern) | func.lower(AdminUnit.code).like(pattern)
        )
    page = db.paginate(
        query.order_by(AdminUnit.path),
        page=request.args.get("page", 1, type=int),
        per_page=25,
        error_out=False,
    )
    counts = dict(
        db.session.execute(
            select(AdminUnit.parent_id, func.count(AdminUnit.id))
            .where(AdminUnit.parent_id.in_([unit.id for unit in page.items]))
            .group_by(AdminUnit.parent_id)
        ).all()
    )
    return render_template("admin/units.html", page=page, village_counts=counts)


@bp.route("/units/<int:unit_id>/villages", methods=["GET", "POST"])
@admin_required
def villages(unit_id: int):
    commune = db.session.get(AdminUnit, unit_id)
    if commune is None or commune.level_code != "commune":
        raise NotFound(_("Không tìm thấy xã/phường."))
    errors, status = {}, 200
    if request.method == "POST":
        try:
            rows = _posted_rows()
            added = add_villages(commune.id, rows, actor=current_user, now=utcnow())
            flash(_("Đã thêm %(n)s thôn, tổ dân phố.", n=len(added)), "success")
            return redirect(url_for("admin.villages", unit_id=commune.id))
        except InvalidInput as exc:
            errors, status = exc.errors, 422
            flash(exc.message or _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."), "danger")
    children = db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id == commune.id).order_by(AdminUnit.code)
    ).all()
    return render_template(
        "admin/villages.html", commune=commune, villages=children, errors=errors, values=request.form
    ), status


def _posted_rows() -> list[dict]:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise InvalidInput({"file": [_("Tệp CSV tối đa 1 MB.")]})
        return parse_village_csv(data)
    return [{"name": request.form.get("name"), "code": request.form.get("code")}]

"""Admin pages for the administrative tree: browse and search it, see who holds a role where, add a
commune's villages one by one or from CSV."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.routes import admin_required
from app.extensions import db
from app.models import AdminUnit, utcnow
from app.services.bounds import search_text
from app.services.errors import InvalidInput, NotFound
from app.services.units import (
    add_villages,
    child_counts,
    officials_at,
    parse_village_csv,
    place_name,
    search_units,
)

MAX_CSV_BYTES = 1_000_000
SEARCH_RESULTS = 50


@bp.route("/units")
@admin_required
def units():
    """The administrative tree: one unit at a time (its place, the units under it, the officials who hold
    a role there), or the units whose name or code matches a search, with or without diacritics."""
    needle = search_text(request.args)
    unit = db.session.get(AdminUnit, request.args.get("unit", type=int) or 0)
    if needle:
        listed = search_units(needle, limit_to=SEARCH_RESULTS)
    elif unit is not None:
        listed = db.session.scalars(
            select(AdminUnit).where(AdminUnit.parent_id == unit.id).order_by(AdminUnit.name)
        ).all()
    else:
        listed = db.session.scalars(
            select(AdminUnit).where(AdminUnit.parent_id.is_(None)).order_by(AdminUnit.name)
        ).all()
    shown = [u.id for u in listed] + ([unit.id] if unit is not None else [])
    return render_template(
        "admin/units.html",
        needle=needle,
        unit=unit,
        listed=listed,
        counts=child_counts(shown),
        officials=officials_at(shown),
        place_name=place_name,
        search_results=SEARCH_RESULTS,
    )


@bp.route("/units/search")
@admin_required
def units_search():
    """Units matching ``q`` by name or code, for the unit pickers (JSON)."""
    return jsonify(
        units=[
            {"id": u.id, "code": u.code, "name": u.name, "level": u.level_code, "place": place_name(u)}
            for u in search_units(search_text(request.args))
        ]
    )


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

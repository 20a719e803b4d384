"""The administrative tree: levels, units and their materialised paths."""

import csv
import io
import re
import unicodedata
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import OFFICIAL_ROLES, AdminUnit, RoleAssignment, UnitLevel, User
from app.services import audit
from app.services.bounds import limit, too_long
from app.services.errors import InvalidInput, NotFound
from app.services.uow import commit

LEVELS = (
    ("province", "Tỉnh / Thành phố", "Province / City", 1),
    ("district", "Quận / Huyện (trước 7/2025)", "District (before 7/2025)", 2),
    ("commune", "Xã / Phường / Đặc khu", "Commune / Ward", 3),
    ("village", "Thôn / Ấp / Tổ dân phố", "Village / Residential group", 4),
)


def ensure_levels() -> None:
    for code, name_vi, name_en, rank in LEVELS:
        if db.session.get(UnitLevel, code) is None:
            db.session.add(UnitLevel(code=code, name_vi=name_vi, name_en=name_en, rank=rank))
    db.session.flush()


def ensure_unit(code: str, name: str, level: str, parent: AdminUnit | None = None) -> tuple[AdminUnit, bool]:
    """Get or create a unit by code, keeping its path in step with its parent."""
    unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == code))
    created = unit is None
    if created:
        unit = AdminUnit(code=code, name=name, level_code=level, parent=parent, path="")
        db.session.add(unit)
        db.session.flush()
    else:
        unit.name, unit.level_code, unit.parent = name, level, parent
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit, created


def import_official_units(*, province_code: int | None = None) -> dict:
    """Load the post-2025 tree (34 provinces, 3,321 communes) from the ``vietnam-provinces`` package.

    Codes are the statistics office's: provinces as ``P01``, communes as ``X00070``. Idempotent.
    """
    import vietnam_provinces as vp

    ensure_levels()
    provinces, communes = {}, 0
    for province in vp.Province.iter_all():
        number = int(province.code.value)
        if province_code is not None and number != province_code:
            continue
        provinces[number], _created = ensure_unit(f"P{number:02d}", _clean_name(province.name), "province")
    for ward in vp.Ward.iter_all():
        parent = provinces.get(int(ward.province_code.value))
        if parent is None:
            continue
        ensure_unit(f"X{int(ward.code.value):05d}", _clean_name(ward.name), "commune", parent)
        communes += 1
    return {"provinces": len(provinces), "communes": communes}


# --------------------------------------------------------------------------------------- villages

MAX_VILLAGES_PER_BATCH = 500
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def _clean_name(value) -> str:
    # Imported names carry double spaces ("Xã  Phú Hữu"); one space is what people type and search for.
    return " ".join(str(value or "").split())


def _next_village_codes(commune: AdminUnit, taken: set[str]):
    number = 1
    while True:
        code = f"{commune.code}-V{number}"
        if code not in taken:
            taken.add(code)
            yield code
        number += 1


def add_villages(commune_id: int, rows: list[dict], *, actor: User | None, now: datetime) -> list[AdminUnit]:
    """Add villages (thôn, ấp, tổ dân phố) under a commune: all of them, or none when any row is wrong.

    Units from ``units import`` stop at communes; procedures with a village step need this level.
    ``rows`` are ``{"name": ..., "code": ...}`` (code optional, ``line`` the row's line in an uploaded
    file). Errors are keyed ``row N``: the file's line, else the row's 1-based position.
    """
    commune = db.session.get(AdminUnit, commune_id)
    if commune is None or commune.level_code != "commune":
        raise NotFound(_("Không tìm thấy xã/phường."))
    if not rows:
        raise InvalidInput({"rows": [_("Chưa có thôn, tổ dân phố nào để thêm.")]})
    if len(rows) > MAX_VILLAGES_PER_BATCH:
        raise InvalidInput(
            {"rows": [_("Mỗi lần thêm tối đa %(n)s thôn, tổ dân phố.", n=MAX_VILLAGES_PER_BATCH)]}
        )
    wanted = {str(row.get("code") or "").strip() for row in rows} - {""}
    taken_codes = set(
        db.session.scalars(
            select(AdminUnit.code).where(
                AdminUnit.code.in_(wanted) | AdminUnit.code.startswith(f"{commune.code}-V", autoescape=True)
            )
        )
    )
    taken_names = {
        name.lower()
        for name in db.session.scalars(select(AdminUnit.name).where(AdminUnit.parent_id == commune.id))
    }
    errors: dict[str, list[str]] = {}
    cleaned = []
    for number, row in enumerate(rows, start=1):
        name, code = _clean_name(row.get("name")), str(row.get("code") or "").strip()
        problems = []
        if not name:
            problems.append(_("Thiếu tên thôn, tổ dân phố."))
        elif message := too_long(name, limit(AdminUnit.name)):
            problems.append(message)
        elif name.lower() in taken_names:
            problems.append(_("Xã/phường đã có “%(name)s”.", name=name))
        if code and not _UNIT_CODE.fullmatch(code):
            problems.append(_("Mã gồm tối đa 32 chữ cái không dấu, số, gạch ngang hoặc gạch dưới."))
        elif code and code in taken_codes:
            problems.append(_("Mã %(code)s đã được dùng.", code=code))
        if problems:
            errors[f"row {row.get('line', number)}"] = problems
            continue
        taken_names.add(name.lower())
        if code:
            taken_codes.add(code)
        cleaned.append((name, code))
    if errors:
        raise InvalidInput(errors, _("Chưa thêm thôn, tổ dân phố nào: vui lòng sửa các dòng bị lỗi."))
    codes = _next_village_codes(commune, taken_codes)
    added = [ensure_unit(code or next(codes), name, "village", commune)[0] for name, code in cleaned]
    audit.record(
        "unit.villages_added",
        actor=actor,
        at=now,
        obj=commune,
        details={"commune": commune.code, "villages": [unit.code for unit in added]},
    )
    commit()
    return added


def parse_village_csv(data: bytes) -> list[dict]:
    """Rows of a CSV with a ``ten`` (or ``name``) column and an optional ``ma`` (or ``code``) column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput({"file": [_("Tệp CSV phải dùng bảng mã UTF-8.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    name_column = headers.get("ten") or headers.get("tên") or headers.get("name")
    if name_column is None:
        raise InvalidInput({"file": [_("Tệp CSV cần cột “ten” (tên thôn, tổ dân phố) ở dòng đầu.")]})
    code_column = headers.get("ma") or headers.get("mã") or headers.get("code")
    rows = []
    for row in reader:
        if any((value or "").strip() for value in row.values() if isinstance(value, str)):
            code = row.get(code_column) if code_column else None
            rows.append({"name": row.get(name_column), "code": code, "line": reader.line_num})
    return rows


# --------------------------------------------------------------------------------------- finding units

MAX_FOUND = 20


def fold(text: str) -> str:
    """Lower case without diacritics, đ as d: "Phường An Hòa" and "an hoa" fold alike, as people type."""
    decomposed = unicodedata.normalize("NFD", " ".join(str(text or "").lower().replace("đ", "d").split()))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _folded_rows():
    """(id, folded name, lower-case code, path) of every unit. Folding happens here, not in SQL: neither
    SQLite nor a stock PostgreSQL folds Vietnamese, and the whole tree (3,321 communes and their
    villages) is a few thousand short rows."""
    for unit_id, name, code, path in db.session.execute(
        select(AdminUnit.id, AdminUnit.name, AdminUnit.code, AdminUnit.path)
    ):
        yield unit_id, fold(name), code.lower(), path


def _units_in_order(ids: list[int]) -> list[AdminUnit]:
    units = {unit.id: unit for unit in db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids)))}
    return [units[unit_id] for unit_id in ids]


def search_units(query: str, *, limit_to: int = MAX_FOUND) -> list[AdminUnit]:
    """Units whose name or code contains ``query``, ignoring case and diacritics: a code typed whole
    first, then names with a word starting as typed, higher levels before lower ones."""
    needle = fold(query)
    if not needle:
        return []
    found = []
    for unit_id, name, code, path in _folded_rows():
        if needle in name or needle in code:
            found.append(((code != needle, f" {needle}" not in f" {name}", path.count("/"), name), unit_id))
    return _units_in_order([unit_id for _rank, unit_id in sorted(found)[:limit_to]])


def unit_by_code_or_name(text: str) -> AdminUnit:
    """The unit a person named: by its code, else by its name (with or without "Xã", "Phường"...) when
    exactly one unit bears it. ``InvalidInput`` on the ``unit`` field otherwise."""
    text = " ".join(str(text or "").split())
    unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == text)) if text else None
    if unit is not None:
        return unit
    needle = f" {fold(text)}"
    matches = sorted(
        (path, unit_id)
        for unit_id, name, _code, path in _folded_rows()
        if text and f" {name}".endswith(needle)
    )
    named = _units_in_order([unit_id for _path, unit_id in matches])
    if len(named) == 1:
        return named[0]
    if named:
        raise InvalidInput(
            {
                "unit": [
                    _(
                        "Có nhiều đơn vị tên “%(name)s”: %(units)s. Vui lòng chọn một đơn vị.",
                        name=text,
                        units=", ".join(f"{u.name} ({u.code})" for u in named[:MAX_FOUND]),
                    )
                ]
            }
        )
    raise InvalidInput({"unit": [_("Không tìm thấy đơn vị hành chính %(code)s.", code=text)]})


def place_name(unit: AdminUnit) -> str:
    """The unit and the units above it, as an address reads: "Phường An Hòa, Quận Ninh Kiều, ..."."""
    return ", ".join(u.name for u in unit.ancestors())


def officials_at(unit_ids) -> dict[int, list[RoleAssignment]]:
    """Unit id → the official role assignments held there (active accounts), for "whom to ask"."""
    found: dict[int, list[RoleAssignment]] = {}
    for assignment in db.session.scalars(
        select(RoleAssignment)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.unit_id.in_(list(unit_ids)),
            RoleAssignment.role.in_(OFFICIAL_ROLES),
            User.active,
        )
        .order_by(RoleAssignment.role, User.full_name)
    ):
        found.setdefault(assignment.unit_id, []).append(assignment)
    return found


def child_counts(unit_ids) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(AdminUnit.parent_id, func.count(AdminUnit.id))
            .where(AdminUnit.parent_id.in_(list(unit_ids)))
            .group_by(AdminUnit.parent_id)
        ).all()
    )

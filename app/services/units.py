"""The administrative tree: levels, units and their materialised paths."""

from sqlalchemy import select

from app.extensions import db
from app.models import AdminUnit, UnitLevel

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
        provinces[number], _ = ensure_unit(f"P{number:02d}", province.name, "province")
    for ward in vp.Ward.iter_all():
        parent = provinces.get(int(ward.province_code.value))
        if parent is None:
            continue
        ensure_unit(f"X{int(ward.code.value):05d}", ward.name, "commune", parent)
        communes += 1
    return {"provinces": len(provinces), "communes": communes}

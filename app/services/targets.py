"""The share of subjects a plan wants recognised for a title by a year, and where that figure comes from.

National defaults ship as data (``targets/national.json``, from QĐ 281/QĐ-TTg, QĐ 387/QĐ-TTg and
QĐ 677/QĐ-TTg); an admin sets a province's own (table ``target`` with the province's ``unit_id``), which wins.

Plans name milestone years (2020, 2025, 2030), not every year. A year between two named years takes the
*next* named year's figure: that is the milestone the year is working toward, and it is what the plan says;
interpolating would print a figure no plan contains. After the last named year the last one still applies
(nothing newer has been set); before the first, the first. A province's own figures are looked up the same
way among its own years first; when the province names no year at or after the one asked, the national
milestone applies (a province that set only 2025 does not freeze its 2030 target at its 2025 figure).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AdminUnit, Target, User
from app.services import audit
from app.services.bounds import limit
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import InvalidInput, NotFound
from app.services.uow import commit

NATIONAL = "national"
PROVINCE = "province"


@dataclass(frozen=True)
class AppliedTarget:
    """A target as a report row shows it. Unpacks as ``(rate, source, where)``."""

    rate: float
    source: str
    # NATIONAL or PROVINCE: whose figure it is.
    where: str
    # The milestone year the figure was set for (may be later than the year asked).
    year: int
    unit_id: int | None = None

    def __iter__(self):
        return iter((self.rate, self.source, self.where))


def national_file() -> Path:
    return Path(current_app.config.get("TARGETS_FILE") or PROJECT_ROOT / "targets" / "national.json")


@lru_cache(maxsize=4)
def _load_national(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _national() -> dict:
    path = national_file()
    return _load_national(str(path), path.stat().st_mtime)


def national_defaults() -> dict[str, list[dict]]:
    """title → [{"year", "rate", "source"}] by year, as shipped."""
    return {title: sorted(rows, key=lambda r: r["year"]) for title, rows in _national()["titles"].items()}


def national_labels() -> dict[str, str]:
    """The titles' names as the plans write them, for titles no deployed procedure serves yet."""
    return _national().get("labels", {})


def _milestone(rows: list, year: int, *, fall_back_to_last: bool):
    """The first row whose year is ≥ ``year``; else the last when allowed."""
    for row in rows:
        if row[0] >= year:
            return row
    return rows[-1] if rows and fall_back_to_last else None


class TargetBook:
    """Every target of one title, loaded once: a report over many units asks it without a query per row."""

    def __init__(self, title: str):
        self.title = title
        national = {
            r["year"]: (r["year"], float(r["rate"]), r["source"], None)
            for r in national_defaults().get(title, [])
        }
        self.provinces: dict[int, list] = {}
        for row in db.session.scalars(select(Target).where(Target.title == title)):
            entry = (row.year, float(row.rate), row.source, row.unit_id)
            if row.unit_id is None:
                # A national figure stored by an admin replaces the shipped one for that year.
                national[row.year] = entry
            else:
                self.provinces.setdefault(row.unit_id, []).append(entry)
        self.national = sorted(national.values())
        for rows in self.provinces.values():
            rows.sort()

    def for_province(self, province: int | None, year: int) -> AppliedTarget | None:
        own = _milestone(self.provinces.get(province, []), year, fall_back_to_last=False)
        if own is not None:
            return AppliedTarget(own[1], own[2], PROVINCE, own[0], own[3])
        found = _milestone(self.national, year, fall_back_to_last=True)
        if found is None:
            return None
        return AppliedTarget(found[1], found[2], NATIONAL, found[0], found[3])

    def for_unit(self, unit: AdminUnit | None, year: int) -> AppliedTarget | None:
        return self.for_province(unit.province_id if unit is not None else None, year)


def target_for(title: str, year: int, unit: AdminUnit | None) -> AppliedTarget | None:
    """The target that applies to ``unit`` (its province's own, else the national one) for ``year``;
    None when no plan names one for the title. ``unit`` None: the national figure."""
    return TargetBook(title).for_unit(unit, year)


def province_targets() -> list[Target]:
    """Every province's own target, by province, title and year."""
    return db.session.scalars(
        select(Target)
        .where(Target.unit_id.is_not(None))
        .join(AdminUnit, AdminUnit.id == Target.unit_id)
        .order_by(AdminUnit.name, Target.title, Target.year)
    ).all()


def _checked(unit_id, title, year, rate, source) -> tuple[AdminUnit, str, int, float, str]:
    errors: dict[str, list[str]] = {}
    unit = db.session.get(AdminUnit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or unit.parent_id is not None:
        errors["unit"] = [_("Vui lòng chọn một tỉnh, thành phố.")]
    title = (title or "").strip()
    if not title or len(title) > limit(Target.title):
        errors["title"] = [_("Vui lòng chọn danh hiệu.")]
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_("Năm phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 100:
        errors["rate"] = [_("Tỷ lệ phải từ 0 đến 100 (%).")]
    source = " ".join((source or "").split())
    if not source:
        errors["source"] = [_("Vui lòng ghi căn cứ (số, ngày văn bản của tỉnh).")]
    elif len(source) > limit(Target.source):
        errors["source"] = [_("Căn cứ tối đa %(n)s ký tự.", n=limit(Target.source))]
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."))
    return unit, title, year, float(rate), source


def set_province_target(
    unit_id: int, title: str, year: int, rate: float, source: str, *, actor: User, now: datetime
) -> Target:
    """Set (or change) a province's own target for a title and year; audited."""
    unit, title, year, rate, source = _checked(unit_id, title, year, rate, source)
    row = db.session.scalar(
        select(Target).where(Target.title == title, Target.year == year, Target.unit_id == unit.id)
    )
    before = {"rate": row.rate, "source": row.source} if row is not None else None
    if row is None:
        row = Target(title=title, year=year, unit_id=unit.id)
        db.session.add(row)
    row.rate, row.source, row.set_by_id, row.set_at = rate, source, actor.id, now
    db.session.flush()
    audit.record(
        "target.set",
        actor=actor,
        at=now,
        obj=row,
        details={
            "unit": unit.code,
            "title": title,
            "year": year,
            "rate": rate,
            "source": source,
            "before": before,
        },
    )
    commit()
    return row


def remove_province_target(target_id: int, *, actor: User, now: datetime) -> None:
    """Remove a province's own target: the national one applies again; audited."""
    row = db.session.get(Target, target_id)
    if row is None or row.unit_id is None:
        raise NotFound(_("Không tìm thấy chỉ tiêu."))
    audit.record(
        "target.removed",
        actor=actor,
        at=now,
        obj=row,
        details={
            "unit": row.unit.code,
            "title": row.title,
            "year": row.year,
            "rate": row.rate,
            "source": row.source,
        },
    )
    db.session.delete(row)
    commit()

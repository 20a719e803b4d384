"""``households_recognised``: the share of the households in the subject's area (a village, or a
commune) whose dossier for ``params.title`` (default gia_dinh_hoc_tap) is recognised in the dossier's
year. A village's learning-community subject has that village as its unit."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.indicators import indicator
from app.indicators._counting import recognised_share
from app.models import AdminUnit, Subject


@indicator("households_recognised")
def households_recognised(dossier, params):
    area = dossier.subject.unit
    # The area's own households and those of the residential groups below it (the path covers both).
    households = db.session.scalars(
        select(Subject)
        .join(AdminUnit, Subject.unit_id == AdminUnit.id)
        .where(Subject.kind == "household", AdminUnit.path.startswith(area.path, autoescape=True))
        .order_by(Subject.code)
    ).all()
    return recognised_share(households, params.get("title") or "gia_dinh_hoc_tap", dossier.year)

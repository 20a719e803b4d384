"""``clan_families_recognised``: the share of a clan's member households (links ``clan_member``)
whose dossier for ``params.title`` (default gia_dinh_hoc_tap) is recognised in the dossier's year."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.indicators import indicator
from app.indicators._counting import recognised_share
from app.models import Subject, SubjectLink


@indicator("clan_families_recognised")
def clan_families_recognised(dossier, params):
    families = db.session.scalars(
        select(Subject)
        .join(SubjectLink, SubjectLink.child_id == Subject.id)
        .where(SubjectLink.parent_id == dossier.subject_id, SubjectLink.relation == "clan_member")
        .order_by(Subject.code)
    ).all()
    return recognised_share(families, params.get("title") or "gia_dinh_hoc_tap", dossier.year)

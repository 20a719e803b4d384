"""``staff_citizens_recognised``: the share of an organisation's staff (links ``staff``) whose dossier
for ``params.title`` (default cong_dan_hoc_tap) is recognised in the dossier's year."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.indicators import indicator
from app.indicators._counting import recognised_share
from app.models import Subject, SubjectLink


@indicator("staff_citizens_recognised")
def staff_citizens_recognised(dossier, params):
    staff = db.session.scalars(
        select(Subject)
        .join(SubjectLink, SubjectLink.child_id == Subject.id)
        .where(SubjectLink.parent_id == dossier.subject_id, SubjectLink.relation == "staff")
        .order_by(Subject.code)
    ).all()
    return recognised_share(staff, params.get("title") or "cong_dan_hoc_tap", dossier.year)

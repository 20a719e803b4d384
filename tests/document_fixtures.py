"""Issued decisions made directly in the database, for the document tests (integration and browser).

The documents only read a decision and its entries, so these tests do not depend on how a decision is
drafted and issued (app/services/decisions.py, tested on its own): a decision row with status ``issued``
and entries over real dossiers is all they need.
"""

import secrets
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tests.factories import FACTORY_PASSWORD, make_household
from tests.helpers import TITLE, YEAR

# ư, ơ, ế and ớ: a name that only comes out right when the fonts and the text extraction both keep them.
SPECIAL_NAME = "Hộ ông Lê Thế Phước"
SPECIAL_HOUSEHOLD = "ho-le-the-phuoc"
HOUSEHOLD_PASSWORD = FACTORY_PASSWORD
# Personal: the public verification page must not show it.
REVOKE_REASON = "Gia đình có con bỏ học giữa năm"


@dataclass(frozen=True)
class IssuedDecision:
    decision_id: int
    dossier_ids: list[int]
    entry_ids: list[int]
    codes: list[str]
    special_dossier_id: int


def make_issued_decision(
    app, *, others: int = 2, commune: str = "DEMO-AH", render: bool = True
) -> IssuedDecision:
    """A recognition decision of ``commune``'s chairman listing a new household named ``SPECIAL_NAME`` (own
    account ``SPECIAL_HOUSEHOLD``) and ``others`` demo households; rendered by the job unless ``render`` is
    false."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AdminUnit, Decision, DecisionEntry, Subject, User, utcnow
    from app.services.dossiers import open_dossier
    from app.services.outbox import add_job
    from app.services.uow import commit

    household = make_household(app, SPECIAL_HOUSEHOLD, f"{commune}-V1", name=SPECIAL_NAME.removeprefix("Hộ "))
    with app.app_context():
        now = utcnow()
        admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == commune))
        subjects = [db.session.get(Subject, household.subject_id)]
        subjects += db.session.scalars(
            select(Subject)
            .join(AdminUnit, AdminUnit.id == Subject.unit_id)
            .where(
                AdminUnit.parent_id == unit.id,
                Subject.kind == "household",
                Subject.id != household.subject_id,
            )
            .order_by(Subject.code)
            .limit(others)
        ).all()
        dossiers = [open_dossier(subject, TITLE, YEAR, actor=admin, now=now) for subject in subjects]
        decision = Decision(
            kind="recognition",
            title=TITLE,
            year=YEAR,
            number="125/QĐ-UBND",
            signed_on=date(2026, 12, 20),
            signer="Nguyễn Văn Thắng",
            position="Chủ tịch",
            legal_basis=(
                "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
                "Xét đề nghị của Hội đồng Thi đua – Khen thưởng."
            ),
            issuing_unit_id=unit.id,
            status="issued",
            created_by_id=admin.id,
            issued_by_id=admin.id,
            issued_at=now,
        )
        for position, (subject, dossier) in enumerate(zip(subjects, dossiers, strict=True), start=1):
            decision.entries.append(
                DecisionEntry(
                    dossier_id=dossier.id,
                    subject_id=subject.id,
                    position=position,
                    name_as_printed=subject.name,
                    verify_code=secrets.token_urlsafe(12),
                )
            )
        db.session.add(decision)
        commit()
        if render:
            # Through the job, as issuing does it: without Redis it runs in-process after the commit.
            add_job("render_decision_documents", {"decision_id": decision.id}, at=now)
            commit()
        entries = db.session.scalars(
            select(DecisionEntry)
            .where(DecisionEntry.decision_id == decision.id)
            .order_by(DecisionEntry.position)
        ).all()
        return IssuedDecision(
            decision.id,
            [d.id for d in dossiers],
            [e.id for e in entries],
            [e.verify_code for e in entries],
            dossiers[0].id,
        )


def revoke(app, decision_id: int) -> None:
    """Revoke through helper A's service when it is there, else by setting the columns it sets."""
    from app.extensions import db
    from app.models import Decision, User, utcnow

    with app.app_context():
        # The four-level procedure's deciding role: the city's emulation committee, above An Hòa.
        decider = db.session.query(User).filter_by(username="demo-city").one()
        try:
            from app.services.decisions import revoke_decision
        except ImportError:
            revoke_decision = None
        if revoke_decision is not None:
            revoke_decision(decision_id, REVOKE_REASON, actor=decider, now=utcnow())
            return
        decision = db.session.get(Decision, decision_id)
        decision.status, decision.revoked_at, decision.revoked_by_id = "revoked", utcnow(), decider.id
        decision.revoke_reason = REVOKE_REASON
        db.session.commit()


def decode_qr(png: Path) -> str:
    """What ``zbarimg`` reads from a PNG file (the text of its one QR code)."""
    result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, check=True)
    return result.stdout.strip()

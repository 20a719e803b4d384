"""The documents of a decision: the decision itself with its annexed list, and one certificate per entry.

Both are HTML templates (``templates/documents/``) printed to PDF by WeasyPrint with the Noto fonts, which
cover Vietnamese fully. They are written in Vietnamese whatever the reader's language: they are the
administrative act and its certificates, not interface text, and a translated decision would not be the act.

A decision's documents are made by the ``render_decision_documents`` background job once it is issued,
never in a request: a commune's decision lists hundreds of families. The job commits every ``BATCH``
certificates so the decision page's progress bar moves, skips what already exists (a retried or repeated job
continues where the last one stopped), and hands the rest to a fresh job once it has run for ``time_budget``
so that a decision of thousands never outlives a worker's lease.

Revocation regenerates nothing. The PDFs are what was signed and handed out, and their sha256 (in the audit
log) must keep matching the copies people hold; a revoked act is not rewritten but revoked by another. What
changes is the live answer: the verification page that every certificate's QR code opens says the decision
was revoked and when, and a revoked decision's certificates are no longer served to households (officials
keep the record). The job written at revocation only makes whatever the issue job had not made yet.

Files are stored like evidence, outside the database under their sha256: ``DATA_DIR/documents/ab/<sha256>``.
"""

import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import segno
import weasyprint
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.labels import localized
from app.models import AdminUnit, Decision, DecisionEntry, Dossier, User
from app.services import audit, blobs
from app.services.decisions import can_see_decision
from app.services.errors import NotFound
from app.services.outbox import add_job
from app.services.uow import commit
from app.titles import catalogue, title_label

BATCH = 50
# Words of a unit's name that say its level; a place name in a date line goes without them (Nghị định
# 30/2020/NĐ-CP, Phụ lục I, II.4.a), unless what is left is a number ("Phường 12" stays whole).
_LEVEL_WORDS = re.compile(r"^(thành phố|tỉnh|quận|huyện|thị xã|thị trấn|phường|xã|đặc khu)\s+", re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


# --- where things live --------------------------------------------------------------------------------


def verify_url(entry: DecisionEntry) -> str:
    """The public page a certificate's QR code opens."""
    return f"{current_app.config['PUBLIC_URL']}/verify/{entry.verify_code}"


def document_path(sha256: str) -> Path:
    return blobs.blob_path("documents", sha256)


def _store(content: bytes) -> str:
    return blobs.store_blob("documents", content)


def _exists(sha256: str | None) -> bool:
    # A row whose file is gone (a data folder restored without documents) is made again, not served broken.
    return sha256 is not None and document_path(sha256).exists()


# --- what the documents say ----------------------------------------------------------------------------


def _unit_name_text(name: str) -> str:
    # Demo units carry notes in brackets ("Thành phố Cần Thơ (từ 01/7/2025)"); a document names the unit only.
    return " ".join(_PARENTHESES.sub("", name).split())


def unit_name(unit) -> str:
    """The unit's name as a document prints it."""
    return _unit_name_text(unit.name)


def unit_phrase(unit) -> str:
    name = unit_name(unit)
    return name[:1].lower() + name[1:]


def place_name(decision: Decision) -> str:
    """The place in the date line: the unit's name without its level word, unless only a number is left."""
    name = unit_name(decision.issuing_unit)
    bare = _LEVEL_WORDS.sub("", name)
    return name if bare.isdigit() else bare


def number_label(decision: Decision) -> str:
    """``125/QĐ-UBND``: the number as drafted when it carries its symbol, else with the People's
    Committee's decision symbol."""
    number = (decision.number or "").strip()
    return number if "/" in number else f"{number}/QĐ-UBND"


def long_date(value: date | None) -> str:
    """``ngày 05 tháng 02 năm 2026``: days below 10 and the months January and February with a leading zero,
    as Nghị định 30/2020/NĐ-CP writes them (so "tháng 1" cannot be completed into "tháng 11")."""
    if value is None:
        return "ngày … tháng … năm …"
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def _subject_word(decision: Decision) -> str:
    serves = catalogue().get(decision.title) or {}
    word = localized(serves.get("subject_label"), "vi") if serves.get("subject_label") else "đối tượng"
    return word[:1].lower() + word[1:]


def _signature(decision: Decision) -> list[str]:
    """The lines above the signer's name: a deputy signs on behalf of the chairman ("KT. CHỦ TỊCH")."""
    position = " ".join((decision.position or "Chủ tịch").split())
    if position.lower().startswith("phó chủ tịch"):
        return ["KT. CHỦ TỊCH", position.upper()]
    return [position.upper()]


def _legal_basis(decision: Decision) -> list[str]:
    return [line.strip() for line in (decision.legal_basis or "").splitlines() if line.strip()]


def _context(decision: Decision) -> dict:
    return {
        "decision": decision,
        # Two lines, as decisions print it: the kind of body, then the unit.
        "body": ["ỦY BAN NHÂN DÂN", unit_name(decision.issuing_unit).upper()],
        "place": place_name(decision),
        "number": number_label(decision),
        "date_line": long_date(decision.signed_on),
        "title_label": title_label(decision.title, "vi"),
        "subject_word": _subject_word(decision),
        "signature": _signature(decision),
        "legal_basis": _legal_basis(decision),
        "unit_name": unit_name(decision.issuing_unit),
        # Inside a sentence the level word is written in lower case: "Ủy ban nhân dân phường Cái Khế".
        "unit_phrase": unit_phrase(decision.issuing_unit),
        "commendation": decision.kind == "commendation",
    }


def _base_url() -> str:
    # The templates refer to nothing outside themselves, but relative URLs must not resolve against the
    # worker's current directory.
    return str(Path(current_app.root_path) / "templates" / "documents")


def _pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html, base_url=_base_url()).write_pdf()


def decision_pdf(decision: Decision) -> bytes:
    """The decision with its annexed list (the list starts on a page of its own)."""
    # One query for the whole annex: a commune's list runs to hundreds of lines.
    lines = db.session.execute(
        select(DecisionEntry.position, DecisionEntry.name_as_printed, AdminUnit.name, Dossier.score)
        .join(Dossier, Dossier.id == DecisionEntry.dossier_id)
        .join(AdminUnit, AdminUnit.id == Dossier.unit_id)
        .where(DecisionEntry.decision_id == decision.id)
        .order_by(DecisionEntry.position)
    ).all()
    rows = [
        {"position": position, "name": name, "unit": _unit_name_text(unit), "score": score}
        for position, name, unit, score in lines
    ]
    html = render_template("pdf/decision.html", rows=rows, count=len(rows), **_context(decision))
    return _pdf(html)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG data URI: a real image in the PDF, which a scanner (and a test,
    through the PDF's images) reads back. Error level M survives a crease or a stain."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=8, border=4)


def certificate_pdfs(entries: list[DecisionEntry]) -> list[bytes]:
    """One PDF per entry (all of one decision): one page, A4 landscape, Giấy công nhận for a recognition,
    Giấy khen for a commendation.

    The batch is laid out as one document and each page written on its own: setting up a document (its
    styles, fonts) costs more than a page, so a batch of 50 is several times faster than 50 documents."""
    if not entries:
        return []
    decision = entries[0].decision
    certificates = []
    for entry in entries:
        url = verify_url(entry)
        certificates.append(
            {"entry": entry, "unit": unit_name(entry.dossier.unit), "url": url, "qr": qr_data_uri(url)}
        )
    html = render_template("pdf/certificate.html", certificates=certificates, **_context(decision))
    document = weasyprint.HTML(string=html, base_url=_base_url()).render()
    if len(document.pages) != len(entries):
        # The frame has a fixed height, so this is a template error, never a long name: fail loudly rather
        # than hand a family another family's page.
        raise RuntimeError(f"{len(entries)} certificates laid out on {len(document.pages)} pages")
    return [document.copy([page]).write_pdf() for page in document.pages]


def certificate_pdf(entry: DecisionEntry) -> bytes:
    """The certificate of one entry (see ``certificate_pdfs``)."""
    return certificate_pdfs([entry])[0]


# --- the job -----------------------------------------------------------------------------------------


def _pending_entries(decision_id: int, after_id: int, limit: int) -> list[DecisionEntry]:
    return list(
        db.session.scalars(
            select(DecisionEntry)
            .where(DecisionEntry.decision_id == decision_id, DecisionEntry.id > after_id)
            .order_by(DecisionEntry.id)
            .limit(limit)
            # A certificate prints its village: loaded with the batch, not one query per family.
            .options(selectinload(DecisionEntry.dossier).selectinload(Dossier.unit))
        )
    )


def render_decision_documents(
    decision_id: int, *, now: datetime, after_id: int = 0, time_budget: float | None = None
) -> None:
    """Make what is missing of an issued (or revoked) decision's documents; see the module's notes.

    ``time_budget`` (seconds; default ``DOCUMENT_JOB_SECONDS``, else a third of the job lease) bounds one
    run: past it, the rest is handed to a fresh job and this one ends, so a decision of thousands never
    outlives its worker's lease.
    ``after_id``: that fresh job's start, the last entry the run before it reached.
    """
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.status == "draft":
        # A draft has no documents yet; a decision deleted as a draft has none to make.
        return
    if time_budget is None:
        time_budget = current_app.config.get(
            "DOCUMENT_JOB_SECONDS", current_app.config["JOB_LEASE_SECONDS"] / 3
        )
    deadline = time.monotonic() + time_budget
    if not _exists(decision.document_sha256):
        decision.document_sha256 = _store(decision_pdf(decision))
        commit()
    made = 0
    while True:
        batch = _pending_entries(decision_id, after_id, BATCH)
        if not batch:
            break
        after_id = batch[-1].id
        missing = [entry for entry in batch if not _exists(entry.certificate_sha256)]
        for entry, pdf in zip(missing, certificate_pdfs(missing), strict=True):
            entry.certificate_sha256 = _store(pdf)
        made += len(missing)
        # One commit per batch: the progress bar moves, and a run stopped half-way keeps what it made.
        commit()
        if time.monotonic() > deadline:
            if _pending_entries(decision_id, after_id, 1):
                # The next run starts after the last entry this one reached.
                add_job(
                    "render_decision_documents",
                    {"decision_id": decision_id, "after_id": after_id},
                    at=now,
                    dedupe_key=f"documents:{decision_id}:{decision.status}:after:{after_id}",
                )
                commit()
                return
            break
    done, total = document_progress(decision)
    if made and done == total:
        audit.record(
            "decision.documents_generated",
            actor=None,
            at=now,
            obj=decision,
            # The decision's sha256 in the log makes a copy of the issued PDF checkable against it.
            details={"number": decision.number, "sha256": decision.document_sha256, "certificates": total},
        )
        commit()


def document_progress(decision: Decision) -> tuple[int, int]:
    """(certificates made, entries): what the decision page's progress bar shows."""
    done, total = db.session.execute(
        select(
            func.count(DecisionEntry.certificate_sha256),
            func.count(DecisionEntry.id),
        ).where(DecisionEntry.decision_id == decision.id)
    ).one()
    return done, total


# --- who may read them -------------------------------------------------------------------------------


def visible_decision(decision_id: int, user: User) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.status == "draft" or not can_see_decision(user, decision):
        raise NotFound(_("Không tìm thấy quyết định."))
    return decision


def decision_document(decision_id: int, user: User) -> tuple[Decision, Path]:
    """The issued decision's PDF, for someone who may see the decision; NotFound until it is made."""
    decision = visible_decision(decision_id, user)
    if not _exists(decision.document_sha256):
        raise NotFound(_("Văn bản quyết định đang được tạo, vui lòng thử lại sau ít phút."))
    return decision, document_path(decision.document_sha256)


def visible_entry(entry_id: int, user: User) -> DecisionEntry:
    """An entry whose certificate ``user`` may download: officials who see the decision; the household
    of the dossier while the decision stands."""
    entry = db.session.get(DecisionEntry, entry_id)
    if entry is None or entry.decision.status == "draft":
        raise NotFound(_("Không tìm thấy giấy chứng nhận."))
    if can_see_decision(user, entry.decision):
        return entry
    if entry.decision.status == "issued" and entry.subject.account_id == user.id:
        return entry
    raise NotFound(_("Không tìm thấy giấy chứng nhận."))


def entry_certificate(entry: DecisionEntry) -> Path:
    if not _exists(entry.certificate_sha256):
        raise NotFound(_("Giấy chứng nhận đang được tạo, vui lòng thử lại sau ít phút."))
    return document_path(entry.certificate_sha256)


def certificate_entry(dossier: Dossier, kind: str = "recognition") -> DecisionEntry:
    """The certificate of a dossier the caller already may see: from the newest decision of ``kind`` that
    stands. A revoked decision's certificate is no longer handed out (its verification page says why)."""
    entry = db.session.scalar(
        select(DecisionEntry)
        .join(Decision, Decision.id == DecisionEntry.decision_id)
        .where(DecisionEntry.dossier_id == dossier.id, Decision.kind == kind, Decision.status == "issued")
        .order_by(Decision.issued_at.desc(), Decision.id.desc())
        .limit(1)
    )
    if entry is None:
        raise NotFound(_("Hồ sơ chưa có giấy chứng nhận."))
    return entry


def entry_by_code(code: str) -> DecisionEntry | None:
    """The entry a verification code names, if its decision was issued (a draft's code proves nothing)."""
    if not code or len(code) > DecisionEntry.__table__.c.verify_code.type.length:
        return None
    return db.session.scalar(
        select(DecisionEntry)
        .join(Decision, Decision.id == DecisionEntry.decision_id)
        .where(DecisionEntry.verify_code == code, Decision.status.in_(("issued", "revoked")))
    )


# --- file names and the zip ----------------------------------------------------------------------------


def ascii_slug(text: str) -> str:
    """``Hộ Nguyễn Thị Hương`` → ``ho-nguyen-thi-huong``: names every unzip tool and file system keeps.
    Đ/đ has no decomposition, so it is mapped by hand."""
    text = text.replace("Đ", "D").replace("đ", "d")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "chung-nhan"


def certificate_file_name(entry: DecisionEntry) -> str:
    return f"{entry.position}-{ascii_slug(entry.name_as_printed)}.pdf"


def decision_file_name(decision: Decision) -> str:
    return f"quyet-dinh-{ascii_slug(number_label(decision))}.pdf"


def certificates_zip(decision: Decision) -> Iterator[bytes]:
    """A zip of every certificate made so far, streamed as it is written (PDFs are compressed already, so
    they are stored, not deflated again). The caller checks the progress first: a partial zip is not offered.
    """
    paths = [
        (certificate_file_name(entry), document_path(entry.certificate_sha256))
        for entry in db.session.scalars(
            select(DecisionEntry)
            .where(DecisionEntry.decision_id == decision.id, DecisionEntry.certificate_sha256.is_not(None))
            .order_by(DecisionEntry.position)
        )
    ]
    return _zip_stream(paths)


class _Pipe(io.RawIOBase):
    """A write-only file whose written bytes are collected and handed out chunk by chunk."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _zip_stream(paths: list[tuple[str, Path]]) -> Iterator[bytes]:
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in paths:
            with archive.open(name, "w", force_zip64=False) as member, open(path, "rb") as source:
                while chunk := source.read(64 * 1024):
                    member.write(chunk)
            yield pipe.take()
    yield pipe.take()

"""Evidence files: checked by content, stored outside the database under their sha256."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import Dossier, EvidenceFile, User
from app.services import audit, blobs, pdf_safety
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.jurisdiction import can_act_on_task, can_see_dossier
from app.services.procedures import form_for
from app.services.uow import commit

ACCEPTED_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_NAME_CHARS = EvidenceFile.__table__.c.original_name.type.length
# Characters a file name does not keep: controls (NUL, line breaks), format characters (the bidi overrides
# and isolates that show "invoice\u202egnp.exe" as "invoiceexe.png", zero-width characters, the BOM),
# surrogates and private-use characters, which have no agreed look.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}
_PATH_SEPARATORS = re.compile(r"[/\\]")
# Characters no honest file name carries: NUL, and the bidi embeddings, overrides and isolates that make a
# name read differently from what it is ("invoice\u202egnp.exe" shows as "invoiceexe.png"). An upload named
# with them is refused rather than renamed, so the uploader learns the file is not what it looked like.
_DECEPTIVE_NAME_CHARS = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class PendingUpload:
    """An upload that passed the checks but is not stored yet."""

    content: bytes
    sha256: str
    mime_type: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.content)


def clean_file_name(name: str | None, mime_type: str) -> str:
    """The name an upload is kept, shown and downloaded under: the uploader's, as far as it is harmless.

    One line of visible characters in NFC, without any folder part (``/`` or ``\\``), no longer than the
    column, and ending in the extension of the type the content was found to be: whatever extension the
    name claimed is dropped, so a PNG named ``invoice.exe`` is offered as ``invoice.png``.
    """
    extension = filetype.get_type(mime=mime_type).extension
    visible = "".join(
        " " if char.isspace() else char
        for char in name or ""
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    last_part = _PATH_SEPARATORS.split(visible)[-1]
    # NFC after the removals: a dropped character between a letter and its accent leaves a pair to compose.
    text = unicodedata.normalize("NFC", " ".join(last_part.split()))
    stem = text.rpartition(".")[0] if "." in text else text
    # Leading dots would hide the saved file on Unix; trailing dots and spaces are dropped by Windows.
    stem = stem.strip(" .")[: MAX_NAME_CHARS - len(extension) - 1].rstrip(" .")
    return f"{stem or 'minh-chung'}.{extension}"


def _check_pdf(content: bytes, field: str) -> None:
    try:
        pdf_safety.check_pdf(content)
        return
    except pdf_safety.ActiveContent:
        message = _(
            "Tệp PDF có nội dung chủ động (mã JavaScript, lệnh mở chương trình hoặc tệp khác, tệp đính kèm) "
            "nên không được nhận. Vui lòng lưu lại thành PDF thường (ví dụ in ra PDF) hoặc gửi ảnh chụp."
        )
    except pdf_safety.Uncheckable:
        message = _(
            "Không kiểm tra được nội dung tệp PDF này (tệp được mã hoá, đặt mật khẩu hoặc nén theo cách "
            "không hỗ trợ). Vui lòng lưu lại thành PDF thường, không đặt mật khẩu, rồi tải lên."
        )
    raise InvalidInput({field: [message]})


def inspect_upload(original_name: str, stream, *, field: str = "file") -> PendingUpload:
    """Read and check one upload. Raises ``InvalidInput`` keyed by ``field``; nothing is written."""
    limit = current_app.config["MAX_EVIDENCE_BYTES"]
    content = stream.read(limit + 1)
    if not content:
        raise InvalidInput({field: [_("Tệp rỗng.")]})
    if len(content) > limit:
        raise InvalidInput(
            {field: [_("Tệp vượt quá dung lượng cho phép (%(mb)s MB).", mb=limit // (1024 * 1024))]}
        )
    # The name and the browser's content type are claims; the bytes decide.
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise InvalidInput(
            {field: [_("Chỉ chấp nhận tệp PDF, JPEG hoặc PNG; nội dung tệp này không đúng định dạng đó.")]}
        )
    if _DECEPTIVE_NAME_CHARS.search(original_name or ""):
        raise InvalidInput(
            {
                field: [
                    _(
                        "Tên tệp có ký tự ẩn làm tên hiện sai (ví dụ giấu đuôi thật của tệp) nên không được "
                        "nhận. Vui lòng đổi tên tệp chỉ gồm chữ, số và dấu câu thường rồi tải lên lại."
                    )
                ]
            }
        )
    if kind.mime == "application/pdf":
        _check_pdf(content, field)
    name = clean_file_name(original_name, kind.mime)
    return PendingUpload(content, hashlib.sha256(content).hexdigest(), kind.mime, name)


def blob_path(sha256: str) -> Path:
    return blobs.blob_path("evidence", sha256)


def _write_blob(upload: PendingUpload) -> None:
    blobs.store_blob("evidence", upload.content)


def add_evidence(
    dossier: Dossier, upload: PendingUpload, criterion: str | None, *, actor: User, now: datetime
) -> EvidenceFile:
    """Store the content and add the metadata row in the current transaction."""
    _write_blob(upload)
    evidence = EvidenceFile(
        dossier_id=dossier.id,
        criterion=criterion,
        sha256=upload.sha256,
        size=upload.size,
        mime_type=upload.mime_type,
        original_name=upload.original_name,
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    db.session.add(evidence)
    db.session.flush()
    audit.record(
        "evidence.uploaded",
        actor=actor,
        at=now,
        dossier_id=dossier.id,
        obj=evidence,
        details={"criterion": criterion, "name": upload.original_name, "sha256": upload.sha256},
    )
    return evidence


def criteria_of(dossier: Dossier) -> dict[str, object]:
    """Criterion keys that evidence may be filed under, with their labels, from the dossier's forms."""
    found = {}
    for link in dossier.process_definition.forms:
        form = form_for(link.form_version)
        if form.scoring is not None:
            for criterion in form.scoring.criteria:
                found.setdefault(criterion.key, criterion)
    return found


def upload_evidence(
    dossier_id: int, original_name: str, stream, criterion: str | None, *, actor: User, now: datetime
) -> EvidenceFile:
    """Attach one evidence file to a dossier (its own transaction)."""
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or not can_see_dossier(actor, dossier):
        raise NotFound(_("Không tìm thấy hồ sơ."))
    # Evidence is added by whoever holds the dossier's current step: the household while it reports,
    # an official while it is theirs to score or verify; nobody adds files to a step already judged.
    if not any(task.state == "open" and can_act_on_task(actor, task) for task in dossier.tasks):
        raise Conflict(_("Chỉ người đang xử lý bước hiện tại của hồ sơ mới bổ sung được minh chứng."))
    if criterion and criterion not in criteria_of(dossier):
        raise InvalidInput({"criterion": [_("Tiêu chí không có trong bộ tiêu chí của hồ sơ.")]})
    upload = inspect_upload(original_name, stream)
    evidence = add_evidence(dossier, upload, criterion or None, actor=actor, now=now)
    commit()
    return evidence

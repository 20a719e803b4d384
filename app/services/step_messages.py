"""What a completed step did, in the words its doer reads: the message after it and its history line.

"Đã hoàn thành: Chấm điểm cấp xã" says nothing to an official who has just sent a dossier back; the
procedure's manifest names its subject (``serves.subject_label``), so the core says whom it went back to
without knowing any title.
"""

from flask_babel import gettext as _

from app.labels import localized

# ``serves.subject_label`` is optional in a manifest: a procedure that names no subject gets this word.
GENERIC_SUBJECT = {"vi": "Đối tượng", "en": "Applicant"}


def subject_label(manifest: dict) -> dict:
    return (manifest.get("serves") or {}).get("subject_label") or GENERIC_SUBJECT


def returned_message(label) -> str:
    """The same words as the dossier history's line for a return (dossiers/show.html)."""
    return _("Đã trả lại hồ sơ cho %(subject)s", subject=localized(label).lower())


def completion_message(task, dossier) -> str:
    """The message for whoever just completed ``task``, read from where the step left ``dossier``."""
    if task.subject_id is None and dossier.status == "returned":
        return returned_message(subject_label(dossier.process_definition.manifest))
    return _("Đã hoàn thành: %(task)s.", task=localized(task.label))

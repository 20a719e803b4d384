"""The titles the deployed procedures serve, read from their manifests: the core knows none by name."""

from flask import g, has_request_context
from sqlalchemy import select

from app.extensions import db
from app.labels import STATUS, localized
from app.models import ProcessDefinition, Subject
from app.services.procedures import definition_for


def _manifests() -> list[dict]:
    if has_request_context() and "procedure_manifests" in g:
        return g.procedure_manifests
    manifests = db.session.scalars(
        select(ProcessDefinition.manifest).order_by(ProcessDefinition.deployed_at, ProcessDefinition.id)
    ).all()
    if has_request_context():
        g.procedure_manifests = manifests
    return manifests


def catalogue() -> dict[str, dict]:
    """title key → what the newest deployed version serving it declares (label, code prefix...)."""
    found: dict[str, dict] = {}
    for manifest in _manifests():
        serves = manifest.get("serves") or {}
        if serves.get("title"):
            found[serves["title"]] = serves
    return found


def status_label(status: str | None) -> str:
    """The words for a dossier outcome: the built-in ones, else what a procedure's manifest declares
    (a procedure may end in outcomes of its own)."""
    if not status:
        return ""
    if status in STATUS:
        return str(STATUS[status])
    for manifest in reversed(_manifests()):
        declared = (manifest.get("status_labels") or {}).get(status)
        if declared:
            return localized(declared)
    return status


def title_label(title: str | None, locale: str | None = None) -> str:
    if not title:
        return ""
    serves = catalogue().get(title)
    return localized(serves["label"], locale) if serves else title


def title_choices(locale: str | None = None) -> dict[str, str]:
    """title key → label, for filters."""
    return {key: localized(serves["label"], locale) for key, serves in sorted(catalogue().items())}


def registrable_titles(subject: Subject) -> list[tuple[str, str]]:
    """The titles ``subject`` can register for: a version is active for its province and its kind fits."""
    options = []
    for key, serves in sorted(catalogue().items()):
        if serves.get("subject_kind") not in (None, subject.kind):
            continue
        if definition_for(key, subject.unit) is not None:
            options.append((key, localized(serves["label"])))
    return options

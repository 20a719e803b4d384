"""Deploying procedures and forms, and getting their compiled forms back cheaply."""

from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import FormDefinition, FormVersion, ProcessDefinition, ProcessForm, User
from app.services import audit
from app.services.uow import commit
from forms import FormDefinitionError, load_form_definition
from workflow import (
    CompiledProcedure,
    ProcedureError,
    ProcedurePackage,
    WorkflowRuntime,
    compile_procedure,
    load_procedure_folder,
    restore_procedure,
)

# One runtime per process: it holds the serializer and the sandboxed script engine, both reusable.
RUNTIME = WorkflowRuntime()


_COMPILED: dict[str, CompiledProcedure] = {}


def compiled_for(definition: ProcessDefinition) -> CompiledProcedure:
    """The compiled procedure of a deployed version; its stored spec is read once per process."""
    compiled = _COMPILED.get(definition.sha256)
    if compiled is None:
        compiled = restore_procedure(definition.sha256, definition.serialized_spec, definition.manifest)
        _COMPILED[definition.sha256] = compiled
    return compiled


# Form versions are immutable, so a parsed definition can be kept for the life of the process.
_PARSED_FORMS: dict[tuple[int, str], object] = {}


def form_for(version: FormVersion):
    """The parsed form definition of a published form version."""
    key = (version.id, version.sha256)
    form = _PARSED_FORMS.get(key)
    if form is None:
        form = _PARSED_FORMS[key] = load_form_definition(version.definition)
    return form


def form_version_ids(definition: ProcessDefinition) -> dict[str, int]:
    """formKey → form version id of a deployed procedure version."""
    return dict(
        db.session.execute(
            select(ProcessForm.form_key, ProcessForm.form_version_id).where(
                ProcessForm.process_definition_id == definition.id
            )
        ).all()
    )


def latest_definition(key: str) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key, ProcessDefinition.status == "active")
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def publish_form_version(full_key: str, definition, *, actor: User | None, now: datetime) -> FormVersion:
    """Publish a form definition; an unchanged definition reuses its latest version."""
    form = db.session.scalars(select(FormDefinition).where(FormDefinition.key == full_key)).first()
    if form is None:
        form = FormDefinition(key=full_key, created_at=now)
        db.session.add(form)
        db.session.flush()
    latest = form.versions[-1] if form.versions else None
    if latest is not None and latest.sha256 == definition.sha256:
        return latest
    version = FormVersion(
        form_definition=form,
        version=(latest.version + 1) if latest else 1,
        sha256=definition.sha256,
        definition=definition.raw,
        published_by_id=actor.id if actor else None,
        published_at=now,
    )
    db.session.add(version)
    audit.record(
        "form.published",
        actor=actor,
        at=now,
        details={"form": full_key, "version": version.version},
    )
    return version


def deploy_procedure(
    package: ProcedurePackage, *, actor: User | None, now: datetime
) -> tuple[ProcessDefinition, bool]:
    """Deploy a procedure package as a new version, unless the same sources are already deployed.

    Raises ``ProcedureError`` listing every problem found (hostile XML, unsafe scripts, bad forms...).
    """
    existing = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.sha256 == package.sha256)
    ).first()
    if existing is not None:
        return existing, False
    compiled = compile_procedure(package)
    forms, errors = {}, []
    for key, raw in sorted(package.forms.items()):
        try:
            forms[key] = load_form_definition(raw)
        except FormDefinitionError as exc:
            errors.extend(f"forms/{key}.json: {message}" for message in exc.errors)
    if errors:
        raise ProcedureError(errors)
    last = db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == package.key)
    )
    definition = ProcessDefinition(
        key=package.key,
        version=(last or 0) + 1,
        sha256=package.sha256,
        manifest=package.manifest,
        sources={
            "bpmn": {name: data.decode("utf-8") for name, data in package.bpmn.items()},
            "dmn": {name: data.decode("utf-8") for name, data in package.dmn.items()},
        },
        serialized_spec=compiled.serialized_spec,
        deployed_by_id=actor.id if actor else None,
        deployed_at=now,
    )
    db.session.add(definition)
    for key, form in forms.items():
        version = publish_form_version(f"{package.key}.{key}", form, actor=actor, now=now)
        db.session.add(ProcessForm(process_definition=definition, form_key=key, form_version=version))
    db.session.flush()
    audit.record(
        "procedure.deployed",
        actor=actor,
        at=now,
        obj=definition,
        details={"key": package.key, "version": definition.version, "sha256": package.sha256},
    )
    commit()
    return definition, True


def shipped_packages() -> list[ProcedurePackage]:
    root = Path(current_app.config["PROCEDURES_DIR"])
    return [
        load_procedure_folder(folder)
        for folder in sorted(root.iterdir())
        if (folder / "procedure.json").exists()
    ]


def deploy_shipped(*, actor: User | None, now: datetime) -> list[tuple[ProcessDefinition, bool]]:
    return [deploy_procedure(package, actor=actor, now=now) for package in shipped_packages()]

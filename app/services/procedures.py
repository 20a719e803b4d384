"""Procedures as data: deploying versions, activating them per title and province, and getting their
compiled forms back cheaply. Which version a new dossier runs is decided here, in one place."""

import json
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AdminUnit,
    FormDefinition,
    FormVersion,
    ProcedureActivation,
    ProcessDefinition,
    ProcessForm,
    User,
)
from app.services import audit
from app.services.bounds import DEFINITION_TEXT, check_lengths, limit, long_texts
from app.services.errors import NotFound
from app.services.uow import commit
from forms import FormDefinitionError, load_form_definition
from workflow import (
    CompiledProcedure,
    Problem,
    ProcedureError,
    ProcedurePackage,
    WorkflowRuntime,
    cached_procedure,
    compile_procedure,
    load_procedure_folder,
    package_to_zip,
    restore_procedure,
)


def init_runtime(app) -> None:
    """One runtime per app: it holds the serializers and the sandboxed script engine, both reusable,
    and the time budget of a step (``SCRIPT_BUDGET_SECONDS``; a bad value fails at start-up)."""
    app.extensions["workflow_runtime"] = WorkflowRuntime(
        step_budget_seconds=app.config["SCRIPT_BUDGET_SECONDS"]
    )
    app.extensions["procedure_forms"] = {}
    app.extensions["parsed_forms"] = {}


def runtime() -> WorkflowRuntime:
    return current_app.extensions["workflow_runtime"]


def compiled_for(definition: ProcessDefinition) -> CompiledProcedure:
    """The compiled procedure of a deployed version; its stored spec is read once per process."""
    return cached_procedure(definition.sha256) or restore_procedure(
        definition.sha256, definition.serialized_spec, definition.manifest
    )


def form_for(version: FormVersion):
    """The parsed form definition of a published form version."""
    # Form versions are immutable, so a parsed definition is kept per app (per database) for the life
    # of the process.
    parsed = current_app.extensions["parsed_forms"]
    form = parsed.get(version.id)
    if form is None:
        form = parsed[version.id] = load_form_definition(version.definition)
    return form


def task_form(task):
    """The parsed form of a task's version; the version's row is read only when this app first needs it."""
    form = current_app.extensions["parsed_forms"].get(task.form_version_id)
    return form if form is not None else form_for(task.form_version)


def form_version_ids(definition: ProcessDefinition) -> dict[str, int]:
    """formKey → form version id of a deployed procedure version.

    A deployed version's forms never change, so they are read once per app (per database: each test's
    app has its own) instead of on every step that opens a task.
    """
    known = current_app.extensions["procedure_forms"]
    key = (definition.id, definition.sha256)
    versions = known.get(key)
    if versions is None:
        versions = known[key] = dict(
            db.session.execute(
                select(ProcessForm.form_key, ProcessForm.form_version_id).where(
                    ProcessForm.process_definition_id == definition.id
                )
            ).all()
        )
    return dict(versions)


def library_version(definition) -> FormVersion | None:
    """The published version of the library form ``definition.key`` with exactly this content, if any.

    A package form copied from the library then pins that very version, so the library shows where
    each of its versions is used; anything else becomes the package's own ``<procedure>.<form>`` copy.
    """
    return db.session.scalars(
        select(FormVersion)
        .join(FormDefinition)
        .where(FormDefinition.key == definition.key, FormVersion.sha256 == definition.sha256)
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


def check_package(package: ProcedurePackage, *, remember: bool = False):
    """Every deploy-time check on a package: ``(compiled or None, parsed forms, problems)``."""
    problems: list[Problem] = []
    compiled = None
    try:
        compiled = compile_procedure(package, remember=remember)
    except ProcedureError as exc:
        problems.extend(exc.problems)
    forms = {}
    for key, raw in sorted(package.forms.items()):
        try:
            forms[key] = load_form_definition(raw)
        except FormDefinitionError as exc:
            problems.extend(Problem(message, file=f"forms/{key}.json") for message in exc.errors)
    # Titles, labels and help texts are shown on every page of the procedure: bounded like the library's.
    texts = [("procedure.json", package.manifest)]
    texts += [(f"forms/{key}.json", form.raw) for key, form in sorted(forms.items())]
    for file, value in texts:
        problems.extend(
            Problem(f"{path}: {message}" if path else message, file=file)
            for path, message in long_texts(value, DEFINITION_TEXT)
        )
    return compiled, forms, problems


def validate_package(package: ProcedurePackage) -> list[Problem]:
    """The problems that would stop ``package`` from deploying; nothing is stored."""
    return check_package(package)[2]


def deploy_procedure(
    package: ProcedurePackage, *, actor: User | None, now: datetime
) -> tuple[ProcessDefinition, bool]:
    """Deploy a procedure package as a new version, unless the same sources are already deployed.

    Raises ``ProcedureError`` listing every problem found (hostile XML, unsafe scripts, bad forms...);
    then nothing is stored. The first version deployed for a title nobody has activated yet becomes
    active everywhere, so a fresh installation works without an extra step.
    """
    existing = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.sha256 == package.sha256)
    ).first()
    if existing is not None:
        return existing, False
    compiled, forms, problems = check_package(package, remember=True)
    if problems:
        raise ProcedureError(problems)
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
            "forms": {name: data.decode("utf-8") for name, data in package.forms.items()},
        },
        serialized_spec=compiled.serialized_spec,
        deployed_by_id=actor.id if actor else None,
        deployed_at=now,
    )
    db.session.add(definition)
    for key, form in forms.items():
        version = library_version(form) or publish_form_version(
            f"{package.key}.{key}", form, actor=actor, now=now
        )
        db.session.add(ProcessForm(process_definition=definition, form_key=key, form_version=version))
    db.session.flush()
    audit.record(
        "procedure.deployed",
        actor=actor,
        at=now,
        obj=definition,
        details={"key": package.key, "version": definition.version, "sha256": package.sha256},
    )
    title_active = db.session.scalar(
        select(ProcedureActivation.id).where(ProcedureActivation.title == definition.title_key).limit(1)
    )
    if title_active is None:
        _activate(definition, None, actor=actor, now=now)
    commit()
    return definition, True


def package_of(definition: ProcessDefinition) -> ProcedurePackage:
    """The package a version was deployed from (same sha256), for download and for editing."""
    sources = definition.sources
    forms = sources.get("forms")
    if forms is None:
        # Versions deployed before the form sources were kept: the published forms are the same JSON.
        forms = {
            pf.form_key: json.dumps(pf.form_version.definition, ensure_ascii=False) for pf in definition.forms
        }
    return ProcedurePackage(
        key=definition.key,
        manifest=definition.manifest,
        bpmn={name: text.encode() for name, text in sources["bpmn"].items()},
        dmn={name: text.encode() for name, text in sources.get("dmn", {}).items()},
        forms={name: text.encode() for name, text in forms.items()},
    )


def package_download(definition: ProcessDefinition) -> tuple[bytes, str]:
    """A version's package as zip bytes, and the file name it downloads as."""
    return package_to_zip(package_of(definition)), f"{definition.key}-v{definition.version}.zip"


def definition_for(title: str, unit: AdminUnit) -> ProcessDefinition | None:
    """The version new dossiers of ``title`` in ``unit`` run: the province's own activation, else the
    one for everywhere. The only place that rule lives."""
    province_scope = ProcedureActivation.scope_of(unit.province_id)
    rows = db.session.execute(
        select(ProcedureActivation.scope, ProcessDefinition)
        .join(ProcessDefinition, ProcessDefinition.id == ProcedureActivation.process_definition_id)
        .where(ProcedureActivation.title == title, ProcedureActivation.scope.in_((province_scope, "*")))
    ).all()
    by_scope = {scope: definition for scope, definition in rows}
    return by_scope.get(province_scope) or by_scope.get("*")


def _activate(
    definition: ProcessDefinition, province: AdminUnit | None, *, actor: User | None, now: datetime
) -> ProcedureActivation:
    scope = ProcedureActivation.scope_of(province.id if province else None)
    row = db.session.scalars(
        select(ProcedureActivation).where(
            ProcedureActivation.title == definition.title_key, ProcedureActivation.scope == scope
        )
    ).first()
    previous = row.process_definition if row is not None else None
    if row is None:
        row = ProcedureActivation(
            title=definition.title_key, scope=scope, province_id=province and province.id
        )
        db.session.add(row)
    row.process_definition = definition
    row.activated_by_id = actor.id if actor else None
    row.activated_at = now
    db.session.flush()
    audit.record(
        "procedure.activated",
        actor=actor,
        at=now,
        obj=definition,
        details={
            "key": definition.key,
            "version": definition.version,
            "title": definition.title_key,
            "province": province.code if province else None,
            "replaces": f"{previous.key} v{previous.version}" if previous is not None else None,
        },
    )
    return row


def province_by_code(code: str | None) -> AdminUnit | None:
    """The province (a root of the unit tree) with ``code``; None for "everywhere"; 404 otherwise."""
    if code is None:
        return None
    check_lengths({"province": (code, limit(AdminUnit.code))})
    province = db.session.scalar(
        select(AdminUnit).where(AdminUnit.code == code, AdminUnit.parent_id.is_(None))
    )
    if province is None:
        raise NotFound(_("Không tìm thấy tỉnh/thành phố có mã %(code)s.", code=code))
    return province


def activate_version(
    definition: ProcessDefinition, province_code: str | None, *, actor: User | None, now: datetime
) -> ProcedureActivation:
    """Make ``definition`` the version new dossiers of its title use in a province (or everywhere)."""
    row = _activate(definition, province_by_code(province_code), actor=actor, now=now)
    commit()
    return row


def get_version(key: str, version: int) -> ProcessDefinition:
    definition = db.session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if definition is None:
        raise NotFound(_("Không tìm thấy phiên bản quy trình."))
    return definition


def shipped_packages() -> list[ProcedurePackage]:
    root = Path(current_app.config["PROCEDURES_DIR"])
    return [
        load_procedure_folder(folder)
        for folder in sorted(root.iterdir())
        if (folder / "procedure.json").exists()
    ]


def deploy_shipped(*, actor: User | None, now: datetime) -> list[tuple[ProcessDefinition, bool]]:
    return [deploy_procedure(package, actor=actor, now=now) for package in shipped_packages()]

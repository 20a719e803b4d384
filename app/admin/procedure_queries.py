"""Reads for the procedure library, shared by the admin pages and the API."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AdminUnit, Dossier, ProcedureActivation, ProcessDefinition, User


@dataclass
class VersionRow:
    definition: ProcessDefinition
    deployed_by: str | None
    dossiers: int
    # Province codes where this version is what new dossiers use; None stands for "everywhere".
    active_in: list[str | None] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def deployed_at(self) -> datetime:
        return self.definition.deployed_at


@dataclass
class ProcedureRow:
    key: str
    title: dict
    serves: dict
    versions: list[VersionRow]


def procedure_library(key: str | None = None) -> list[ProcedureRow]:
    """Every procedure (or one) with its versions, newest last: who deployed each, how many dossiers
    run on it and where it is active."""
    query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    definitions = db.session.scalars(query).all()
    ids = [d.id for d in definitions]
    dossiers = dict(
        db.session.execute(
            select(Dossier.process_definition_id, func.count(Dossier.id))
            .where(Dossier.process_definition_id.in_(ids))
            .group_by(Dossier.process_definition_id)
        ).all()
    )
    deployers = dict(
        db.session.execute(
            select(User.id, User.username).where(
                User.id.in_({d.deployed_by_id for d in definitions} - {None})
            )
        ).all()
    )
    active: dict[int, list[str | None]] = {}
    for activation in db.session.scalars(
        select(ProcedureActivation)
        .options(joinedload(ProcedureActivation.province))
        .where(ProcedureActivation.process_definition_id.in_(ids))
        .order_by(ProcedureActivation.scope)
    ):
        province: AdminUnit | None = activation.province
        active.setdefault(activation.process_definition_id, []).append(province.code if province else None)
    library: dict[str, ProcedureRow] = {}
    for definition in definitions:
        row = library.setdefault(
            definition.key, ProcedureRow(definition.key, definition.manifest["title"], definition.serves, [])
        )
        # The newest version names the procedure.
        row.title, row.serves = definition.manifest["title"], definition.serves
        row.versions.append(
            VersionRow(
                definition=definition,
                deployed_by=deployers.get(definition.deployed_by_id),
                dossiers=dossiers.get(definition.id, 0),
                active_in=active.get(definition.id, []),
            )
        )
    return list(library.values())

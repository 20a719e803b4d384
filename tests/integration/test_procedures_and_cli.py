"""Deploying procedures (hostile input refused, nothing stored), seeding, unit import and migrations."""

import dataclasses
import json
import warnings

import pytest

from tests.conftest import ROOT

PROCEDURE = ROOT / "bpmn" / "gia_dinh_hoc_tap"


def _package(**replace):
    from workflow import load_procedure_folder

    return dataclasses.replace(load_procedure_folder(PROCEDURE), **replace)


def _bpmn(mutate):
    text = (PROCEDURE / "process.bpmn").read_text(encoding="utf-8")
    return {"process.bpmn": mutate(text).encode("utf-8")}


def _counts(db):
    from app.models import AuditEvent, FormVersion, ProcessDefinition

    return tuple(
        db.session.scalar(db.select(db.func.count(m.id)))
        for m in (ProcessDefinition, FormVersion, AuditEvent)
    )


XXE = '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'


@pytest.mark.parametrize(
    ("name", "mutate", "fragment"),
    [
        ("xxe", lambda t: XXE + t.split("?>", 1)[1], "DOCTYPE"),
        (
            "escape-in-condition",
            lambda t: t.replace(
                "recognized</bpmn:conditionExpression>",
                "().__class__.__base__.__subclasses__()</bpmn:conditionExpression>",
            ),
            "__",
        ),
        (
            "import-in-script",
            lambda t: t.replace(
                'notify("task_reminder", task="commune_scoring")', "import os; os.system('id')"
            ),
            "import",
        ),
    ],
)
def test_hostile_procedure_is_refused_and_nothing_is_stored(app_ctx, name, mutate, fragment):
    from app.extensions import db
    from app.models import utcnow
    from app.services.procedures import deploy_procedure
    from workflow import ProcedureError

    before = _counts(db)
    package = _package(bpmn=_bpmn(mutate))
    with pytest.raises(ProcedureError) as refused:
        deploy_procedure(package, actor=None, now=utcnow())
    assert fragment in " ".join(refused.value.errors), refused.value.errors
    db.session.rollback()
    assert _counts(db) == before


def test_a_bad_form_definition_is_refused_at_deploy(app_ctx):
    from app.extensions import db
    from app.models import utcnow
    from app.services.procedures import deploy_procedure
    from workflow import ProcedureError

    package = _package()
    forms = dict(package.forms)
    broken = json.loads(forms["commune_scoring"])
    broken["fields"][1]["max_points"] = 50
    forms["commune_scoring"] = json.dumps(broken).encode()
    before = _counts(db)
    with pytest.raises(ProcedureError) as refused:
        deploy_procedure(_package(forms=forms), actor=None, now=utcnow())
    assert any("commune_scoring" in e for e in refused.value.errors)
    assert _counts(db) == before


def test_deploy_is_keyed_by_content_and_dossiers_keep_their_version(app_ctx, api):
    from app.extensions import db
    from app.models import Dossier, ProcessDefinition, utcnow
    from app.services.procedures import deploy_procedure, get_version
    from tests.helpers import walk

    first = get_version("gia_dinh_hoc_tap", 1)
    again, created = deploy_procedure(_package(), actor=None, now=utcnow())
    assert (again.id, created) == (first.id, False)

    dossier_id = walk(api, to="commune_scoring")
    changed = _package(bpmn=_bpmn(lambda t: t.replace('name="Chấm điểm cấp xã"', 'name="Chấm điểm (xã)"')))
    second, created = deploy_procedure(changed, actor=None, now=utcnow())
    assert created and second.version == first.version + 1
    assert (
        db.session.scalar(
            db.select(db.func.count(ProcessDefinition.id)).where(ProcessDefinition.key == "gia_dinh_hoc_tap")
        )
        == 2
    )
    assert db.session.get(Dossier, dossier_id).process_definition_id == first.id
    # Spec stored once per version; each dossier's state carries only a reference to it.
    state = db.session.get(Dossier, dossier_id).state
    assert first.sha256 in state
    assert "decisionTable" not in state and "rule" not in json.loads(state)
    assert len(state) < len(first.serialized_spec)
    from tests.helpers import commune_accept

    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept())


def test_procedures_deploy_command(app):
    result = app.test_cli_runner().invoke(args=["procedures", "deploy"])
    assert result.exit_code == 0, result.output
    assert "gia_dinh_hoc_tap v1" in result.output and "không đổi" in result.output


def test_seed_demo_is_idempotent(app_ctx):
    from app.extensions import db
    from app.models import AdminUnit, HouseholdMember, Subject, User

    def counts():
        return tuple(
            db.session.scalar(db.select(db.func.count(m.id)))
            for m in (AdminUnit, Subject, User, HouseholdMember)
        )

    before = counts()
    # Four-level Cần Thơ (city, 2 districts, 4 communes, 8 villages, 80 households) beside the post-2025
    # tree (province, 2 wards, 4 areas, 20 households). Per commune (6): its own subject, its 2 villages',
    # 2 clans, 3 organisations with 4 staff citizens each, and a citizen of each other group per village
    # (108 citizens in all). Accounts: 10 + 9 officials and households, 12 clans, 6 organisations, 2
    # citizens, the association and the province officer.
    households = db.session.scalar(db.select(db.func.count(Subject.id)).where(Subject.kind == "household"))
    assert households == 80 + 20
    assert before[:3] == (1 + 2 + 4 + 8 + 1 + 2 + 4, 100 + 6 * (1 + 2 + 2 + 3) + 108, 10 + 9 + 12 + 6 + 2 + 2)
    result = app_ctx.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"households_added": 0, "procedures_deployed": 0}
    assert counts() == before


def test_units_import_loads_the_34_provinces_and_3321_communes(app_ctx):
    from app.extensions import db
    from app.models import AdminUnit

    runner = app_ctx.test_cli_runner()
    result = runner.invoke(args=["units", "import"])
    assert result.exit_code == 0, result.output
    assert "34" in result.output and "3321" in result.output
    provinces = db.session.scalar(db.select(db.func.count(AdminUnit.id)).where(AdminUnit.code.like("P%")))
    communes = db.session.scalar(db.select(db.func.count(AdminUnit.id)).where(AdminUnit.code.like("X%")))
    assert (provinces, communes) == (34, 3321)
    go_quao = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "X30952"))
    assert go_quao.name == "Xã Gò Quao" and go_quao.parent.code == "P91"
    assert go_quao.path.startswith(go_quao.parent.path)
    assert runner.invoke(args=["units", "import"]).exit_code == 0
    assert db.session.scalar(db.select(db.func.count(AdminUnit.id)).where(AdminUnit.code.like("X%"))) == 3321


def test_migrations_match_the_models(app_ctx):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db

    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect the inbox's expression indexes (PostgreSQL compares them): the migration
        # writes them by hand, and this comparison sees them as equal rather than missing.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []

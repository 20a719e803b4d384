"""Schemathesis against /api/v1: requests generated from the OpenAPI document get documented answers.

Every operation is one test on a fresh database (the ``app`` fixture), so the writing operations
(completing tasks, publishing forms, migrating dossiers) run for real without leaking into each other.
Before generating, a dossier is opened and its self-report completed; then most ids, keys and versions of
the valid requests are swapped for ones that exist, so that requests get past "not found". Each request
goes as the household, a commune official or the admin, or with a token nobody holds.

Checked: no 5xx, every status and content type documented, every body matching its schema, a 405 with
``Allow`` for a method a path lacks, and a request that breaks the schema refused (a number sent as a
string, a value out of its range, an unknown choice). Bounded for a 2-core CI machine: the examples and
coverage phases, then ``FUZZ_EXAMPLES`` generated requests per operation, derandomized so that every run
sends the same requests.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from app.api.openapi import openapi_document
from app.config import default_config
from tests.helpers import TITLE, YEAR, self_report

pytestmark = pytest.mark.api_fuzz

FUZZ_EXAMPLES = 200
ROLES = ("demo-household", "demo-commune", "demo-admin")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_dict(
    openapi_document(default_config()),
    # The token is the test's to choose (below), so that it names a role.
    config=schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}}),
)

# What exists in the current test's database: set by the ``world`` fixture, read by the hook.
WORLD: dict = {}


def _token(username: str) -> str:
    return f"schemathesis-{username}"


def _bearer(username: str) -> dict:
    return {"Authorization": f"Bearer {_token(username)}"}


@schema.hook
def flatmap_case(context, case):
    """A generated case goes as one of the roles or as nobody, mostly as whom the operation serves; a
    valid one mostly about what exists (a negative one keeps its invalid ids)."""
    path_mode = case.meta.components.get(ParameterLocation.PATH)
    existing = {}
    if path_mode is None or path_mode.mode.is_positive:
        for name in sorted(case.path_parameters or {}):
            existing[name] = st.sampled_from([*WORLD["existing"](name, case.path), None])
    served = _role_for(case.path)
    return st.tuples(
        st.sampled_from((served, served, served, *ROLES, "nobody")), st.fixed_dictionaries(existing)
    ).map(lambda drawn: _as(case, *drawn))


def _as(case, role: str, swapped: dict):
    case.headers = {**(case.headers or {}), **_bearer(role)}
    case.path_parameters.update({name: value for name, value in swapped.items() if value is not None})
    return case


def _role_for(path: str) -> str:
    """Whom an operation serves (the examples and coverage phases bypass the hook and go as them)."""
    if path.startswith(("/procedures", "/forms", "/audit", "/incidents")) or path.endswith("/migrate"):
        return "demo-admin"
    if path.startswith("/tasks"):
        return "demo-commune"
    return "demo-household"


@pytest.fixture
def app(make_app):
    # The requests test the API, not the scripts' time budget, which a loaded CI machine can overrun.
    return make_app(SCRIPT_BUDGET_SECONDS=30)


@pytest.fixture
def world(app, client):
    """Tokens for the roles, a dossier at the commune's step, and the ids, keys and versions that exist."""
    from app.extensions import db
    from app.models import (
        ApiToken,
        Campaign,
        Decision,
        Dossier,
        HumanTask,
        Notification,
        OutboxMessage,
        Subject,
        User,
        utcnow,
    )

    with app.app_context():
        for username in ROLES:
            user = db.session.scalar(db.select(User).where(User.username == username))
            token_hash = ApiToken.hash_token(_token(username))
            db.session.add(ApiToken(user_id=user.id, token_hash=token_hash, created_at=utcnow()))
        db.session.commit()
    opened = client.post("/api/v1/dossiers", json={"title": TITLE, "year": YEAR}, headers=_bearer(ROLES[0]))
    assert opened.status_code == 201, opened.get_json()
    dossier = client.get(f"/api/v1/dossiers/{opened.get_json()['id']}", headers=_bearer(ROLES[0])).get_json()
    done = client.post(
        f"/api/v1/tasks/{dossier['current_tasks'][0]['id']}/complete",
        json={"data": self_report(9)},
        headers=_bearer(ROLES[0]),
    )
    assert done.status_code == 200, done.get_json()
    libraries = {
        prefix: client.get(f"/api/v1{prefix}", headers=_bearer("demo-admin")).get_json()["items"]
        for prefix in ("/forms", "/procedures")
    }
    with app.app_context():
        # An incident to list and retry: a job out of attempts (its task is gone, so a retry ends it).
        db.session.add(
            OutboxMessage(
                kind="task_opened",
                payload={"human_task_id": 999_999},
                status="failed",
                attempts=5,
                last_error="ValueError: a test incident",
                created_at=utcnow(),
                processed_at=utcnow(),
            )
        )
        db.session.commit()
        existing = {
            "id": {
                "/tasks": list(db.session.scalars(db.select(HumanTask.id))),
                "/dossiers": list(db.session.scalars(db.select(Dossier.id))),
                # /decisions/{id}, /decisions/{id}/document: none in the demo, so unknown ids (404s).
                "/decisions": list(db.session.scalars(db.select(Decision.id))),
                "/notifications": list(db.session.scalars(db.select(Notification.id))),
                "/incidents": list(
                    db.session.scalars(db.select(OutboxMessage.id).where(OutboxMessage.status == "failed"))
                ),
                "/campaigns": list(db.session.scalars(db.select(Campaign.id))),
                "/subjects": list(db.session.scalars(db.select(Subject.id))),
                # /imports/{id}: none before a file is uploaded, so unknown ids (404s).
                "/imports": [],
            },
            "key": {prefix: [item["key"] for item in items] for prefix, items in libraries.items()},
            "version": {
                prefix: sorted({v["version"] for item in items for v in item["versions"]})
                for prefix, items in libraries.items()
            },
        }
    # By parameter name and the path's first segment: /tasks/{id}, /forms/{key}/versions/{version}, ...
    WORLD["existing"] = lambda name, path: existing[name]["/" + path.split("/")[1]]
    yield
    WORLD.clear()


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        # One database per operation, shared by its requests: that is the point.
        HealthCheck.function_scoped_fixture,
    ],
)
def test_generated_requests_get_documented_answers(case, app, world):
    headers = None if "Authorization" in (case.headers or {}) else _bearer(_role_for(case.path))
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_the_document_tested_is_the_one_served(client, app):
    """The generated requests follow the document as built from the test app's own configuration."""
    assert client.get("/api/v1/openapi.json").get_json() == openapi_document(app.config)
    assert openapi_document(app.config) == openapi_document(default_config())

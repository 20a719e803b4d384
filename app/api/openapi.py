"""The OpenAPI 3.1 description of /api/v1 (the routes and fields listed here are a contract).

Every operation lists every status it can answer, with the body of each. Limits come from where the
code keeps them, so the document cannot drift from what is checked: years, pages and draft sizes from
the modules that enforce them, the request size and the login rate from the app's configuration, field
values from the field types (``forms.field_input_schemas``) and form definitions from their own JSON
Schema (``forms.definition_schema``), inlined as components.
"""

from collections.abc import Mapping

from app.admin import audit_queries as audit
from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE
from app.admin.incident_queries import PER_PAGE as INCIDENTS_PER_PAGE
from app.api.params import CLAIMED, DOSSIERS_PER_PAGE, MAX_ID, OVERDUE
from app.inbox.query import MAX_CURSOR, SORTS
from app.models import DOSSIER_STATUSES
from app.requests import MAX_JSON_DEPTH
from app.services import bulk, preferences
from app.services.bounds import DEFINITION_TEXT, SEARCH
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.drafts import MAX_BYTES, MAX_KEYS
from app.services.forms import KEY as FORM_KEY
from app.services.replay import MAX_REPLAY
from forms import FIELD_TYPES, definition_schema, field_input_schemas


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _body(schema: dict, media_type: str = "application/json") -> dict:
    return {"required": True, "content": {media_type: {"schema": schema}}}


def _integer(low: int, high: int, **extra) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high, **extra}


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    # Every list reads an empty parameter as one not given (app/api/params.py, the audit filter).
    parameter = {"name": name, "in": "query", "schema": schema, "allowEmptyValue": True}
    return parameter | ({"description": description} if description else {})


ID = _integer(1, MAX_ID)
ID_PARAMETER = _path("id", ID)
KEY = _path("key", {"type": "string", "minLength": 1})
VERSION = _path("version", ID)
YEAR = _integer(MIN_YEAR, MAX_YEAR)

NOT_FOUND = {
    "404": _error("Unknown, or outside the caller's jurisdiction (both answer 404, so nothing leaks)")
}
INVALID = {
    "422": _json(_ref("ValidationErrors"), "Invalid values, keyed by field or parameter; nothing changed")
}
PROCEDURE_FAILED = {
    "500": _error(
        "The procedure itself failed at this step (a script error, or over its time budget); nothing changed"
    )
}
ADMINS_ONLY = {"403": _error("Only administrators manage procedures and forms")}


class _Operations:
    """Builds operations with the answers every one of them can give, so none is left out."""

    def __init__(self, config: Mapping):
        mb = config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        self.too_large = {
            "413": _error(f"The request body is over {mb} MB (MAX_REQUEST_BYTES); nothing was read")
        }

    def __call__(
        self,
        summary: str,
        responses: dict,
        *,
        parameters: tuple = (),
        body: dict | None = None,
        public: bool = False,
        description: str | None = None,
    ) -> dict:
        answers = {
            **responses,
            # Refused before any view (app/errors.py, app/requests.py), or by the database.
            "400": _error(
                "A NUL character in a parameter, form field or JSON body, JSON nested deeper than "
                f"{MAX_JSON_DEPTH} levels, or a value out of the database's range"
            ),
        }
        if not public:
            answers["401"] = _error("Missing, wrong, expired or revoked token")
        if body is not None:
            answers |= self.too_large
        operation = {"summary": summary}
        if description:
            operation["description"] = description
        if public:
            operation["security"] = []
        if parameters:
            operation["parameters"] = list(parameters)
        if body is not None:
            operation["requestBody"] = body
        return operation | {"responses": answers}


def _as_components(schema: dict, name: str) -> dict:
    """A JSON Schema with ``$defs`` as components: the root as ``name``, each definition as ``name.key``.

    Inlined rather than referenced by URL, so that a client or tool resolves the document on its own.
    """
    local = "#/$defs/"

    def moved(node):
        if isinstance(node, dict):
            return {
                key: f"#/components/schemas/{name}.{value.removeprefix(local)}"
                if key == "$ref" and value.startswith(local)
                else moved(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [moved(item) for item in node]
        return node

    root = {key: value for key, value in schema.items() if key not in ("$schema", "$defs")}
    return {name: moved(root)} | {f"{name}.{key}": moved(value) for key, value in schema["$defs"].items()}


def _schemas() -> dict:
    history_entry = {
        "type": "object",
        "required": ["at", "actor", "action"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": ["string", "null"], "description": "username; null: the system"},
            "action": {"type": "string"},
            "details": {"type": "object"},
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                }
            },
        },
        "ValidationErrors": {
            "type": "object",
            "required": ["errors", "message"],
            "properties": {
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "message": {"type": "string"},
            },
        },
        "Problems": {
            "type": "object",
            "required": ["errors", "message"],
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["file", "line", "element", "message"],
                        "properties": {
                            "file": {"type": ["string", "null"]},
                            "line": {"type": ["integer", "null"]},
                            "element": {"type": ["string", "null"], "description": "BPMN/DMN id"},
                            "message": {"type": "string"},
                        },
                    },
                },
                "message": {"type": "string"},
            },
        },
        "DefinitionProblems": {
            "type": "object",
            "required": ["errors", "message"],
            "properties": {
                "errors": {"type": "array", "items": _ref("DefinitionProblem")},
                "message": {"type": "string"},
            },
        },
        "DefinitionProblem": {
            "type": "object",
            "required": ["path", "message"],
            "properties": {
                "path": {"type": "string", "description": 'where, e.g. "fields[3].max"; "" for the root'},
                "message": {"type": "string"},
            },
        },
        "MigrationRefused": {
            "allOf": [_ref("Error")],
            "properties": {
                "reasons": {"type": "array", "items": {"type": "string"}},
                "plan": {"type": ["object", "null"]},
            },
        },
        "BulkRefused": {
            "allOf": [_ref("Error")],
            "required": ["reasons"],
            "properties": {
                "reasons": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["task_id", "dossier_code", "message"],
                        "properties": {
                            "task_id": {"type": "integer"},
                            "dossier_code": {
                                "type": ["string", "null"],
                                "description": "null: a task the caller may not work on",
                            },
                            "message": {"type": "string"},
                        },
                    },
                }
            },
        },
        "ProcedureVersion": {
            "type": "object",
            "required": ["key", "version", "sha256"],
            "properties": {
                "key": {"type": "string"},
                "version": {"type": "integer"},
                "sha256": {"type": "string"},
            },
        },
        "Task": {
            "type": "object",
            "required": [
                "id",
                "dossier_id",
                "dossier_code",
                "subject",
                "name",
                "label",
                "title",
                "unit",
                "state",
                "due_at",
                "claimed_by",
            ],
            "properties": {
                "id": {"type": "integer"},
                "dossier_id": {"type": "integer"},
                "dossier_code": {"type": "string"},
                "subject": {"type": "string"},
                "name": {"type": "string", "description": "BPMN id of the user task"},
                "label": {"type": "string"},
                "title": {"type": "string", "description": "title key (serves.title)"},
                "unit": {"type": "string"},
                "village": {"type": "string", "description": "the dossier's own unit"},
                "self_score": {"type": ["integer", "null"]},
                "state": {"type": "string", "enum": ["open", "completed", "cancelled"]},
                "due_at": {"type": ["string", "null"], "format": "date-time"},
                "claimed_by": {"type": ["string", "null"]},
            },
        },
        **{f"FieldValue.{name}": schema for name, schema in field_input_schemas().items()},
        "FormField": {
            "type": "object",
            "required": ["name", "type", "label", "required"],
            "properties": {
                "name": {"type": "string"},
                "type": {
                    "type": "string",
                    "enum": list(FIELD_TYPES),
                    "description": "a field type; FieldValue.<type> is the JSON it takes",
                },
                "label": {"type": "string"},
                "required": {"type": "boolean"},
                "min": {},
                "max": {},
                "choices": {
                    "type": ["array", "null"],
                    "items": {
                        "type": "object",
                        "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
                    },
                },
                "max_points": {"type": ["integer", "null"]},
            },
        },
        "TaskDraft": {
            "type": "object",
            "required": ["data", "saved_at"],
            "properties": {
                "data": {"type": "object", "description": "field values by field name, as saved"},
                "saved_at": {"type": "string", "format": "date-time"},
            },
        },
        "TaskDetail": {
            "allOf": [_ref("Task")],
            "required": ["draft"],
            "properties": {
                "form": {
                    "type": "object",
                    "required": ["key", "version", "fields"],
                    "properties": {
                        "key": {"type": "string"},
                        "version": {"type": "integer"},
                        "fields": {"type": "array", "items": _ref("FormField")},
                    },
                },
                "data": {"type": "object", "description": "pre-filled values"},
                "derived": {
                    "type": "object",
                    "description": "derived fields by name: the server's value (frozen when the dossier was "
                    "scored), numerator, denominator and the list it was computed from",
                },
                "draft": {
                    "oneOf": [_ref("TaskDraft"), {"type": "null"}],
                    "description": "the caller's own draft (PUT /tasks/{id}/draft)",
                },
            },
        },
        "Dossier": {
            "type": "object",
            "required": [
                "id",
                "code",
                "title",
                "year",
                "subject",
                "unit",
                "status",
                "status_reason",
                "current_tasks",
                "self_score",
                "score",
                "rating",
                "procedure_version",
                "history",
            ],
            "properties": {
                "id": {"type": "integer"},
                "code": {"type": "string"},
                "title": {"type": "string"},
                "year": {"type": "integer"},
                "subject": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
                "unit": {"type": "string"},
                "status": {"type": "string", "enum": list(DOSSIER_STATUSES)},
                "status_reason": {"type": ["string", "null"]},
                "current_tasks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "label"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "label": {"type": "string"},
                        },
                    },
                },
                "self_score": {"type": ["integer", "null"]},
                "score": {"type": ["integer", "null"]},
                "rating": {"type": ["string", "null"]},
                "procedure_version": {"type": "integer"},
                "history": {"type": "array", "items": history_entry},
            },
        },
        **_as_components(definition_schema(), "FormDefinition"),
        # What a draft must get right (app/services/forms.py); the rest is listed back as problems.
        "FormDraft": {
            "type": "object",
            "description": (
                "A form definition (FormDefinition), possibly unfinished: what publishing would refuse comes "
                f"back as problems. No text in it longer than {DEFINITION_TEXT} characters."
            ),
            "required": ["key", "title", "fields"],
            "properties": {
                "key": {"type": "string", "pattern": f"^{FORM_KEY.pattern}$"},
                "title": {"type": ["string", "object"]},
                "fields": {"type": "array"},
            },
        },
    }


def openapi_document(config: Mapping) -> dict:
    """The document for an app with ``config`` (its request size and login rate are part of it)."""
    operation = _Operations(config)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hệ thống đánh giá, công nhận danh hiệu học tập – API",
            "version": "1.0.0",
            "description": (
                "Bearer tokens from POST /auth/token. Messages follow Accept-Language (vi, en). Values are "
                'strictly typed: a number is a JSON number, not the string "10", and a yes/no is true or '
                "false; a query parameter that is not what it says here is a 422 naming it, and an empty "
                "one counts as not given. A method a path does not have is answered 405 with an Allow "
                "header."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}],
        "paths": {
            **_core_paths(operation, config),
            **_bulk_paths(operation),
            **_draft_paths(operation),
            **_procedure_paths(operation),
            **_form_paths(operation),
            **_audit_paths(operation),
            **_notification_paths(operation),
            **_incident_paths(operation),
            **_decision_paths(operation),
            **_document_paths(operation),
            **_report_paths(operation),
            **_subject_paths(operation),
            **_import_paths(operation),
            **_campaign_paths(operation),
        },
    }


def _decision_paths(operation: _Operations) -> dict:
    # Imported here: that module builds on the helpers above.
    from app.api.decisions_openapi import decision_paths

    return decision_paths(operation)


def _import_paths(operation: _Operations) -> dict:
    from app.api.imports_openapi import import_paths  # builds on the helpers above

    return import_paths(operation)


def _campaign_paths(operation: _Operations) -> dict:
    # Imported here: that module builds on the helpers above.
    from app.api.campaigns_openapi import campaign_paths

    return campaign_paths(operation)


def _subject_paths(operation: _Operations) -> dict:
    from app.api.subjects_openapi import subject_paths

    return subject_paths(operation)


def _report_paths(operation: _Operations) -> dict:
    # Imported here: that module builds on the helpers above.
    from app.api.reports_openapi import report_paths

    return report_paths(operation)


def _core_paths(operation: _Operations, config: Mapping) -> dict:
    evidence_mb = config["MAX_EVIDENCE_BYTES"] // (1024 * 1024)
    field_values = {
        "type": "object",
        "description": "field values by field name; null means empty",
        "additionalProperties": {"anyOf": [_ref(f"FieldValue.{name}") for name in field_input_schemas()]},
    }
    return {
        "/openapi.json": {
            "get": operation("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}, public=True)
        },
        "/auth/token": {
            "post": operation(
                "Exchange a username and password for a bearer token",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string"}},
                        },
                        "Token",
                    ),
                    "401": _error("Wrong username or password, or account deactivated"),
                    "422": _json(_ref("ValidationErrors"), "The body is not a JSON object"),
                    "429": _error(
                        f"Too many wrong passwords for this account from this address "
                        f"({config['LOGIN_RATE_LIMIT']}, counted with the sign-in page); wait and retry"
                    ),
                },
                public=True,
                body=_body(
                    {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                    }
                ),
            )
        },
        "/tasks": {
            "get": operation(
                "The caller's open tasks (inbox)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items", "total", "page", "per_page"],
                            "properties": {
                                "items": {"type": "array", "items": _ref("Task")},
                                "total": {
                                    "type": "integer",
                                    "description": "tasks in the view, counted up to 10,000 (total_capped)",
                                },
                                "total_capped": {
                                    "type": "boolean",
                                    "description": "true when the view holds more tasks than total",
                                },
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                                "next_cursor": {
                                    "type": ["string", "null"],
                                    "description": "pass as after= for the next page; null on the last page",
                                },
                            },
                        },
                        "Tasks",
                    ),
                    **INVALID,
                },
                parameters=(
                    _query(
                        "q",
                        {"type": "string", "maxLength": SEARCH},
                        "a name, dossier or subject code, or village name, in any case",
                    ),
                    _query("title", {"type": "string"}, "title key"),
                    _query("unit", ID, "administrative unit id: tasks of dossiers in its subtree"),
                    _query("village", ID, "the subject's own unit (a village) id"),
                    _query("score_min", _integer(0, MAX_ID), "the lowest self-score"),
                    _query("score_max", _integer(0, MAX_ID), "the highest self-score"),
                    _query(
                        "overdue", {"type": "string", "enum": list(OVERDUE)}, "true or 1: only tasks past due"
                    ),
                    _query("claimed", {"type": "string", "enum": list(CLAIMED)}),
                    _query("sort", {"type": "string", "enum": list(SORTS), "default": "due"}),
                    _query("page", _integer(1, MAX_PAGE, default=1)),
                    _query("per_page", _integer(1, MAX_PER_PAGE, default=50)),
                    _query(
                        "after",
                        {"type": "string", "maxLength": MAX_CURSOR},
                        "next_cursor of the previous page: the tasks after it, in the same sort and filters",
                    ),
                    _query("cursor", {"type": "string", "maxLength": MAX_CURSOR}, "another name for after"),
                ),
            )
        },
        "/tasks/{id}": {
            "get": operation(
                "A task with its form and pre-filled data",
                {"200": _json(_ref("TaskDetail"), "Task"), **NOT_FOUND},
                parameters=(ID_PARAMETER,),
            )
        },
        "/tasks/{id}/claim": {
            "post": operation(
                "Claim (Nhận xử lý)",
                {
                    "200": _json(_ref("Task"), "Claimed"),
                    "409": _error("Claimed by someone else or closed"),
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/tasks/{id}/release": {
            "post": operation(
                "Release (Trả lại hàng chờ)",
                {
                    "200": _json(_ref("Task"), "Released"),
                    "409": _error("Not yours or closed"),
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/tasks/{id}/complete": {
            "post": operation(
                "Complete a task with its form values",
                {
                    "200": _json(_ref("Dossier"), "The dossier after the step"),
                    "409": _error(
                        "Already completed, claimed by someone else, or a second decision by one person"
                    ),
                    **INVALID,
                    **NOT_FOUND,
                    **PROCEDURE_FAILED,
                },
                parameters=(ID_PARAMETER,),
                body=_body({"type": "object", "required": ["data"], "properties": {"data": field_values}}),
            )
        },
        "/dossiers": {
            "get": operation(
                f"Dossiers the caller may see, newest first, {DOSSIERS_PER_PAGE} a page",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items", "total"],
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": [
                                            "id",
                                            "code",
                                            "title",
                                            "year",
                                            "status",
                                            "subject",
                                            "score",
                                        ],
                                        "properties": {
                                            "id": {"type": "integer"},
                                            "code": {"type": "string"},
                                            "title": {"type": "string"},
                                            "year": {"type": "integer"},
                                            "status": {"type": "string", "enum": list(DOSSIER_STATUSES)},
                                            "subject": {"type": "string"},
                                            "score": {"type": ["integer", "null"]},
                                        },
                                    },
                                },
                                "total": {"type": "integer"},
                            },
                        },
                        "Dossiers",
                    ),
                    **INVALID,
                },
                parameters=(
                    _query("status", {"type": "string", "enum": list(DOSSIER_STATUSES)}),
                    _query("year", YEAR),
                    _query("page", _integer(1, MAX_PAGE, default=1)),
                ),
            ),
            "post": operation(
                "Open a dossier (the applicant)",
                {
                    "201": _json(
                        {
                            "type": "object",
                            "required": ["id", "code"],
                            "properties": {"id": {"type": "integer"}, "code": {"type": "string"}},
                        },
                        "Opened",
                    ),
                    "404": _error(
                        "The account has no household or subject (of that id), or the title has no procedure "
                        "for its area"
                    ),
                    "409": _error(
                        "The subject already has this title's dossier that year, or cannot have it"
                    ),
                    **INVALID,
                    **PROCEDURE_FAILED,
                },
                body=_body(
                    {
                        "type": "object",
                        "required": ["title", "year"],
                        "properties": {
                            "title": {
                                "type": "string",
                                "minLength": 1,
                                "description": "title key, as a procedure manifest declares it",
                            },
                            "year": {**YEAR, "example": 2026},
                            "subject_id": {
                                **ID,
                                "description": "which of the account's subjects; default the first",
                            },
                        },
                    }
                ),
            ),
        },
        "/dossiers/{id}": {
            "get": operation(
                "A dossier with its history",
                {"200": _json(_ref("Dossier"), "Dossier"), **NOT_FOUND},
                parameters=(ID_PARAMETER,),
            )
        },
        "/dossiers/{id}/evidence": {
            "post": operation(
                f"Upload evidence (PDF, JPEG, PNG; at most {evidence_mb} MB; type read from the content)",
                {
                    "201": _json(
                        {
                            "type": "object",
                            "required": ["id", "sha256", "mime_type", "size", "criterion"],
                            "properties": {
                                "id": {"type": "integer"},
                                "sha256": {"type": "string"},
                                "mime_type": {"type": "string"},
                                "size": {"type": "integer"},
                                "criterion": {"type": ["string", "null"]},
                            },
                        },
                        "Stored",
                    ),
                    "409": _error("The caller does not hold the dossier's current step"),
                    "422": _json(
                        _ref("ValidationErrors"),
                        f"No file, an empty file, over {evidence_mb} MB, not a PDF, JPEG or PNG, a PDF with "
                        "active content, or an unknown criterion",
                    ),
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
                body=_body(
                    {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "criterion": {"type": "string", "example": "c1"},
                        },
                    },
                    "multipart/form-data",
                ),
            )
        },
        "/forms/schema.json": {
            "get": operation(
                "The JSON Schema of form definitions (no token needed)",
                {"200": _json({"type": "object"}, "JSON Schema, draft 2020-12")},
                public=True,
            )
        },
    }


def _bulk_paths(operation: _Operations) -> dict:
    def act(verb: str, done: str) -> dict:
        return operation(
            f"{verb} many tasks at once: all of them, or none",
            {
                "200": _json(
                    {
                        "type": "object",
                        "required": [done],
                        "properties": {done: {"type": "array", "items": {"type": "integer"}}},
                    },
                    f"The ids {done}, ascending",
                ),
                "409": _json(_ref("BulkRefused"), "Some could not be; the reason for each; none was"),
                **INVALID,
            },
            body=_body(
                {
                    "type": "object",
                    "required": ["task_ids"],
                    "properties": {
                        "task_ids": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": bulk.MAX_TASKS,
                            "items": ID,
                        }
                    },
                }
            ),
        )

    return {
        "/tasks/claim": {"post": act("Claim", "claimed")},
        "/tasks/release": {"post": act("Release", "released")},
    }


DRAFT_SCALAR = {"type": ["string", "number", "boolean", "null"]}


def _draft_paths(operation: _Operations) -> dict:
    """Drafts of a task's answers: the holder's own, saved without validation."""
    return {
        "/tasks/{id}/draft": {
            "put": operation(
                "Save the caller's draft of the task's answers (not validated; replaces the last)",
                {
                    "200": _json(_ref("TaskDraft"), "Saved; data is what was kept"),
                    "409": _error("Task closed, claimed by someone else, or without a form"),
                    "422": _json(_ref("ValidationErrors"), "Not an object of field values, or too large"),
                    **NOT_FOUND,
                },
                description=(
                    "Only someone who may act on the task, and the claimer once it is claimed. Keys that "
                    f"are not fields of the form are dropped. At most {MAX_KEYS} keys and "
                    f"{MAX_BYTES // 1000} kB. Deleted when the task is completed."
                ),
                parameters=(ID_PARAMETER,),
                body=_body(
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "data": {
                                "type": "object",
                                "maxProperties": MAX_KEYS,
                                "description": "field values by field name, as typed; null means empty",
                                "additionalProperties": {
                                    "anyOf": [DRAFT_SCALAR, {"type": "array", "items": DRAFT_SCALAR}]
                                },
                            }
                        },
                    }
                ),
            ),
            "delete": operation(
                "Discard the caller's draft of the task",
                {"204": {"description": "Discarded (or there was none)"}, **NOT_FOUND},
                parameters=(ID_PARAMETER,),
            ),
        }
    }


def _audit_paths(operation: _Operations) -> dict:
    def text(name: str, description: str) -> dict:
        return _query(name, {"type": "string", "maxLength": audit.MAX_TEXT}, description)

    def day(name: str, description: str) -> dict:
        return _query(name, {"type": "string", "format": "date"}, description)

    event = {
        "type": "object",
        "required": [
            "at",
            "actor",
            "action",
            "dossier_id",
            "dossier_code",
            "object_type",
            "object_id",
            "details",
        ],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": ["string", "null"], "description": "username; null: the system"},
            "action": {"type": "string", "example": "task.completed"},
            "dossier_id": {"type": ["integer", "null"]},
            "dossier_code": {"type": ["string", "null"]},
            "object_type": {"type": ["string", "null"], "description": "table of the object acted on"},
            "object_id": {"type": ["string", "null"]},
            "details": {"type": "object"},
        },
    }
    return {
        "/audit": {
            "get": operation(
                "Audit log, newest first (admins: all; inspectors: dossiers under their units)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items", "total", "page", "per_page"],
                            "properties": {
                                "items": {"type": "array", "items": event},
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                                "per_page": {"type": "integer"},
                            },
                        },
                        "Events",
                    ),
                    "403": _error("Only administrators and inspectors read the audit log"),
                    "422": _json(
                        _ref("ValidationErrors"),
                        "A bad date, page or per_page, an unknown unit code or a value over its length; "
                        "errors are keyed by the parameter",
                    ),
                },
                description=(
                    "Append-only: who did what, when, on which dossier. Dates are days in Vietnam time, "
                    f"both ends included, years {audit.MIN_YEAR}–{audit.MAX_YEAR}. Events without a dossier "
                    "(accounts, procedures) are shown to admins only."
                ),
                parameters=(
                    text("dossier", "dossier id or code"),
                    text("user", "username of the actor"),
                    text("action", "action code, e.g. task.completed"),
                    text("unit", "administrative unit code: events of dossiers in its subtree"),
                    day("since", "first day (YYYY-MM-DD)"),
                    day("until", "last day (YYYY-MM-DD)"),
                    _query("page", _integer(1, MAX_PAGE, default=1)),
                    _query("per_page", _integer(1, MAX_PER_PAGE, default=50)),
                ),
            )
        }
    }


def _procedure_paths(operation: _Operations) -> dict:
    versions = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["version", "sha256", "deployed_at", "deployed_by", "dossiers", "active_in"],
            "properties": {
                "version": {"type": "integer"},
                "sha256": {"type": "string"},
                "deployed_at": {"type": "string", "format": "date-time"},
                "deployed_by": {"type": ["string", "null"]},
                "dossiers": {"type": "integer", "description": "dossiers running on this version"},
                "active_in": {
                    "type": "array",
                    "items": {"type": ["string", "null"]},
                    "description": "provinces where new dossiers use it; null: everywhere",
                },
            },
        },
    }
    migration_body = {
        "type": "object",
        "properties": {
            "dry_run": {"type": "boolean", "default": True, "description": "only say what would change"}
        },
    }
    return {
        "/procedures": {
            "get": operation(
                "The procedure library: every procedure with its versions (admins)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["key", "title", "serves", "versions"],
                                        "properties": {
                                            "key": {"type": "string"},
                                            "title": {"type": "string"},
                                            "serves": {
                                                "type": "object",
                                                "required": ["title", "label"],
                                                "properties": {
                                                    "title": {"type": "string"},
                                                    "label": {"type": "string"},
                                                },
                                            },
                                            "versions": versions,
                                        },
                                    },
                                }
                            },
                        },
                        "Procedures",
                    ),
                    **ADMINS_ONLY,
                },
            ),
            "post": operation(
                "Deploy a package (zip of the folder, procedure.json at its root)",
                {
                    "201": _json(_ref("ProcedureVersion"), "A new version"),
                    "200": _json(_ref("ProcedureVersion"), "The same sources were already deployed"),
                    "422": _json(_ref("Problems"), "Refused; every problem located; nothing stored"),
                    **ADMINS_ONLY,
                },
                body=_body(
                    {
                        "type": "object",
                        "required": ["package"],
                        "properties": {"package": {"type": "string", "format": "binary"}},
                    },
                    "multipart/form-data",
                ),
            ),
        },
        "/procedures/{key}/versions/{version}/package": {
            "get": operation(
                "Download a version's package as a zip",
                {
                    "200": {
                        "description": "The package",
                        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                },
                parameters=(KEY, VERSION),
            )
        },
        "/procedures/{key}/versions/{version}/activate": {
            "post": operation(
                "Make new dossiers of its title in a province (or everywhere) use this version",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["key", "version", "title", "province"],
                            "properties": {
                                "key": {"type": "string"},
                                "version": {"type": "integer"},
                                "title": {"type": "string"},
                                "province": {"type": ["string", "null"]},
                            },
                        },
                        "Activated",
                    ),
                    **INVALID,
                    **ADMINS_ONLY,
                    "404": _error("Unknown version, or no province with that code"),
                },
                parameters=(KEY, VERSION),
                body=_body(
                    {
                        "type": "object",
                        "properties": {
                            "province": {
                                "type": ["string", "null"],
                                "description": "province unit code; null or absent for everywhere",
                            }
                        },
                    }
                ),
            )
        },
        "/procedures/{key}/versions/{version}/replay": {
            "post": operation(
                "What-if: replay a year's finished dossiers through this version in memory",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["replayed", "changed"],
                            "properties": {
                                "replayed": {"type": "integer"},
                                "changed": {"type": "array", "items": {"type": "object"}},
                                "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
                            },
                        },
                        "The outcomes that would change, and why; nothing is written",
                    ),
                    "422": _json(_ref("ValidationErrors"), "Invalid year or limit"),
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                },
                parameters=(KEY, VERSION),
                body=_body(
                    {
                        "type": "object",
                        "required": ["year"],
                        "properties": {"year": YEAR, "limit": _integer(1, MAX_REPLAY)},
                    }
                ),
            )
        },
        "/procedures/{key}/versions/{version}/migrate": {
            "post": operation(
                "Move every running dossier of from_version to this version (all or none)",
                {
                    "200": _json({"type": "object"}, "Per dossier what changes (or changed)"),
                    "409": _json(_ref("MigrationRefused"), "A dossier cannot move, or too many; none moved"),
                    **INVALID,
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                    **PROCEDURE_FAILED,
                },
                parameters=(KEY, VERSION),
                body=_body(
                    {
                        **migration_body,
                        "required": ["from_version"],
                        "properties": {"from_version": ID, **migration_body["properties"]},
                    }
                ),
            )
        },
        "/dossiers/{id}/migrate": {
            "post": operation(
                "Move a running dossier to another version of its procedure (dry run by default)",
                {
                    "200": _json({"type": "object"}, "Steps added, removed, changed; where open tasks go"),
                    "409": _json(_ref("MigrationRefused"), "Unsafe: the reasons; nothing changed"),
                    **INVALID,
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                    **PROCEDURE_FAILED,
                },
                parameters=(ID_PARAMETER,),
                body=_body(
                    {
                        **migration_body,
                        "required": ["to_version"],
                        "properties": {"to_version": ID, **migration_body["properties"]},
                    }
                ),
            )
        },
    }


def _form_paths(operation: _Operations) -> dict:
    """The form library (admins only, reading included); /forms/schema.json stays public."""
    problems = {
        "type": "array",
        "items": _ref("DefinitionProblem"),
        "description": "what publishing would still refuse (a draft may be unfinished)",
    }
    draft_saved = {
        "type": "object",
        "required": ["key", "version", "problems"],
        "properties": {
            "key": {"type": "string"},
            "version": {"type": "null", "description": "a draft is not a version"},
            "problems": problems,
        },
    }
    published = {
        "type": "object",
        "required": ["key", "version"],
        "properties": {"key": {"type": "string"}, "version": {"type": "integer"}},
    }
    form_version = {
        "type": "object",
        "required": ["version", "sha256", "published_at", "published_by", "used_by"],
        "properties": {
            "version": {"type": "integer"},
            "sha256": {"type": "string"},
            "published_at": {"type": "string", "format": "date-time"},
            "published_by": {"type": ["string", "null"]},
            "used_by": {
                "type": "array",
                "description": "procedure versions that pin it",
                "items": {
                    "type": "object",
                    "required": ["procedure", "version"],
                    "properties": {"procedure": {"type": "string"}, "version": {"type": "integer"}},
                },
            },
        },
    }
    definition = _body(_ref("FormDraft"))
    refused = _json(
        _ref("DefinitionProblems"), "Not a valid definition, every problem located; nothing stored"
    )
    return {
        "/forms": {
            "get": operation(
                "The form library: every form with its published versions and where they are used",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["key", "title", "versions", "draft"],
                                        "properties": {
                                            "key": {"type": "string"},
                                            "title": {"type": ["string", "null"]},
                                            "versions": {"type": "array", "items": form_version},
                                            "draft": {"type": "boolean"},
                                        },
                                    },
                                }
                            },
                        },
                        "Forms",
                    ),
                    **ADMINS_ONLY,
                },
            ),
            "post": operation(
                "Create a form (its definition's key names it) as a draft; nothing is published",
                {
                    "201": _json(draft_saved, "Stored as the draft"),
                    "409": _error("A form with this key exists"),
                    "422": refused,
                    **ADMINS_ONLY,
                },
                body=definition,
            ),
        },
        "/forms/{key}/draft": {
            "get": operation(
                "The draft being edited",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["key", "definition", "saved_at", "problems"],
                            "properties": {
                                "key": {"type": "string"},
                                "definition": {"type": "object"},
                                "saved_at": {"type": ["string", "null"], "format": "date-time"},
                                "problems": problems,
                            },
                        },
                        "The draft",
                    ),
                    **ADMINS_ONLY,
                    "404": _error("No such form, or it has no draft"),
                },
                parameters=(KEY,),
            ),
            "put": operation(
                "Replace the draft (it may fail meaning checks; publishing may not)",
                {"200": _json(draft_saved, "Saved"), "422": refused, **ADMINS_ONLY, **NOT_FOUND},
                parameters=(KEY,),
                body=definition,
            ),
            "delete": operation(
                "Discard the draft",
                {"204": {"description": "Discarded"}, **ADMINS_ONLY, **NOT_FOUND},
                parameters=(KEY,),
            ),
        },
        "/forms/{key}/publish": {
            "post": operation(
                "Publish the draft as the next immutable version; the draft is cleared",
                {
                    "201": _json(published, "A new version"),
                    "200": _json(published, "The draft was identical to the latest version"),
                    "409": _error("No draft"),
                    "422": _json(
                        _ref("DefinitionProblems"), "The draft is not a valid definition; it is kept"
                    ),
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                },
                parameters=(KEY,),
            )
        },
        "/forms/{key}/versions/{version}": {
            "get": operation(
                "A published version",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["key", "version", "definition"],
                            "properties": {
                                "key": {"type": "string"},
                                "version": {"type": "integer"},
                                "definition": _ref("FormDefinition"),
                            },
                        },
                        "The version",
                    ),
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                },
                parameters=(KEY, VERSION),
            )
        },
        "/forms/{key}/versions/{version}/score": {
            "post": operation(
                "Preview the score and outcome a submission would get (validated; nothing stored)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["data", "score", "outcome"],
                            "properties": {
                                "data": {"type": "object", "description": "the clean values, as stored"},
                                "score": {
                                    "type": ["object", "null"],
                                    "description": "null: unscored form, or scores that do not apply",
                                },
                                "outcome": {
                                    "type": ["object", "null"],
                                    "properties": {
                                        "passed": {"type": "boolean"},
                                        "rating": {"type": ["string", "null"]},
                                        "shortfalls": {"type": "array", "items": {"type": "string"}},
                                    },
                                },
                            },
                        },
                        "Score and outcome",
                    ),
                    "422": _json(_ref("ValidationErrors"), "Values a submission would be refused for"),
                    **ADMINS_ONLY,
                    **NOT_FOUND,
                },
                parameters=(KEY, VERSION),
                body=_body(
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "data": {
                                "type": "object",
                                "description": "field values by name",
                                "additionalProperties": {
                                    "anyOf": [_ref(f"FieldValue.{name}") for name in field_input_schemas()]
                                },
                            }
                        },
                    }
                ),
            )
        },
    }


PAGE = _query("page", _integer(1, MAX_PAGE, default=1))


def _per_page(default: int) -> dict:
    return _query("per_page", _integer(1, MAX_PER_PAGE, default=default))


def _page_of(items: dict, **more: dict) -> dict:
    """A list answer: the items of one page, and where the page is in the whole."""
    return {
        "type": "object",
        "required": ["items", *more, "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": items},
            **more,
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    }


def _notification_paths(operation: _Operations) -> dict:
    """The caller's own notifications and how each kind of notice reaches them."""
    notification = {
        "type": "object",
        "required": ["id", "kind", "text", "url", "created_at", "read"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "example": "task_opened"},
            "text": {"type": "string", "description": "the notice in the caller's language"},
            "url": {
                "type": ["string", "null"],
                "description": "path (on this site) of the task it is about, else of its dossier",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "read": {"type": "boolean"},
        },
    }
    channel = {
        "type": "string",
        "enum": list(preferences.CHANNELS),
        "description": "app: in the app only; email: an e-mail at once; digest: in the daily e-mail",
    }
    chosen = {
        "type": "object",
        "required": ["preferences"],
        "properties": {
            "preferences": {
                "type": "object",
                "description": "channel by notification kind",
                "properties": {kind: channel for kind in preferences.KINDS},
                "additionalProperties": False,
            }
        },
    }
    return {
        "/notifications": {
            "get": operation(
                "The caller's notifications, newest first",
                {
                    "200": _json(
                        _page_of(
                            notification,
                            unread={"type": "integer", "description": "how many of all of them are unread"},
                        ),
                        "Notifications",
                    ),
                    "422": _json(_ref("ValidationErrors"), "A bad page or per_page, keyed by the parameter"),
                },
                parameters=(PAGE, _per_page(50)),
            )
        },
        "/notifications/{id}/read": {
            "post": operation(
                "Mark one of the caller's notifications read",
                {
                    "200": _json(notification, "The notification, read"),
                    "404": _error("Unknown, or someone else's (both answer 404)"),
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/me/notification-preferences": {
            "get": operation(
                "How each kind of notification reaches the caller (the defaults of their roles where unset)",
                {"200": _json(chosen, "Preferences")},
            ),
            "put": operation(
                "Choose how kinds of notification reach the caller",
                {
                    "200": _json(chosen, "Stored; every kind, as it now stands"),
                    "422": _json(
                        _ref("ValidationErrors"), "An unknown kind or channel, or no preferences object"
                    ),
                },
                description="Kinds left out keep what they were.",
                body=_body(chosen),
            ),
        },
    }


def _incident_paths(operation: _Operations) -> dict:
    """Background jobs that failed every attempt: an administrator sees them and runs them again."""
    admins_only = {"403": _error("Only administrators see and retry failed background jobs")}
    incident = {
        "type": "object",
        "required": [
            "id",
            "kind",
            "error",
            "attempts",
            "payload",
            "dossier_id",
            "dossier_code",
            "created_at",
            "failed_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "example": "send_email"},
            "error": {"type": ["string", "null"], "description": "the last attempt's error"},
            "attempts": {"type": "integer"},
            "payload": {"type": "object"},
            "dossier_id": {"type": ["integer", "null"]},
            "dossier_code": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "failed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    return {
        "/incidents": {
            "get": operation(
                "Failed background jobs (incidents), newest first",
                {
                    "200": _json(_page_of(incident), "Incidents"),
                    "422": _json(_ref("ValidationErrors"), "A bad page or per_page, keyed by the parameter"),
                    **admins_only,
                },
                parameters=(PAGE, _per_page(INCIDENTS_PER_PAGE)),
            )
        },
        "/incidents/{id}/retry": {
            "post": operation(
                "Run a failed job again (its attempts start over)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["id", "status"],
                            "properties": {
                                "id": {"type": "integer"},
                                "status": {
                                    "type": "string",
                                    "enum": ["pending", "running", "done", "failed"],
                                    "description": (
                                        "pending or running: queued for a worker; without Redis it has "
                                        "already run (done, or failed again)"
                                    ),
                                },
                            },
                        },
                        "Queued again",
                    ),
                    "404": _error("No failed job of that id (unknown, done, pending or dismissed)"),
                    **admins_only,
                },
                parameters=(ID_PARAMETER,),
            )
        },
    }


def _document_paths(operation: _Operations) -> dict:
    """A decision's PDF and a dossier's certificate: made by a background job after issuing, so both are a
    404 until the job has made them."""
    pdf = {
        "description": "The PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
    return {
        "/decisions/{id}/document": {
            "get": operation(
                "The decision with its annexed list, as PDF",
                {
                    "200": pdf,
                    "404": _error(
                        "Unknown, a draft, outside the caller's jurisdiction, or not generated yet (all "
                        "answer 404, so nothing leaks)"
                    ),
                },
                parameters=(ID_PARAMETER,),
                description=(
                    "Officials of the issuing unit, of the units under it and above it, and administrators. "
                    "A revoked decision's PDF stays as it was issued."
                ),
            )
        },
        "/dossiers/{id}/certificate": {
            "get": operation(
                "The dossier's certificate (Giấy công nhận, or Giấy khen with kind=commendation), as PDF",
                {
                    "200": pdf,
                    "404": _error(
                        "Unknown or outside the caller's jurisdiction, no decision of that kind that stands "
                        "lists the dossier, or its certificate is not generated yet"
                    ),
                    "422": _json(_ref("ValidationErrors"), "kind is not recognition or commendation"),
                },
                parameters=(
                    ID_PARAMETER,
                    _query("kind", {"type": "string", "enum": ["recognition", "commendation"]}),
                ),
                description=(
                    "The household fetches its own, officials those of dossiers they see. From the newest "
                    "issued decision of the kind; a revoked decision's certificate is no longer served."
                ),
            )
        },
    }

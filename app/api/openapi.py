"""The OpenAPI 3.1 description of /api/v1 (the routes and fields listed here are a contract)."""

from app.admin.audit_queries import MAX_PAGE, MAX_PER_PAGE, MAX_TEXT, MAX_YEAR, MIN_YEAR
from app.services.drafts import MAX_BYTES, MAX_KEYS
from forms import FIELD_TYPES, field_input_schemas


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": _json(_ref("Error"), "Missing, wrong or revoked token"),
    "404": _json(_ref("Error"), "Unknown, or outside the caller's jurisdiction"),
}


def openapi_document() -> dict:
    task_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hệ thống đánh giá, công nhận danh hiệu học tập – API",
            "version": "1.0.0",
            "description": "Bearer tokens from POST /auth/token. Messages follow Accept-Language (vi, en).",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                        }
                    },
                },
                "Problems": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["file", "line", "element", "message"],
                                "properties": {
                                    "file": {"type": ["string", "null"]},
                                    "line": {"type": ["integer", "null"]},
                                    "element": {
                                        "type": ["string", "null"],
                                        "description": "BPMN/DMN id",
                                    },
                                    "message": {"type": "string"},
                                },
                            },
                        },
                        "message": {"type": "string"},
                    },
                },
                "MigrationRefused": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "object"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                        "plan": {"type": ["object", "null"]},
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
                "ValidationErrors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                        "message": {"type": "string"},
                    },
                },
                "Task": {
                    "type": "object",
                    "required": ["id", "dossier_id", "name", "title", "unit", "due_at", "claimed_by"],
                    "properties": {
                        "id": {"type": "integer"},
                        "dossier_id": {"type": "integer"},
                        "dossier_code": {"type": "string"},
                        "subject": {"type": "string"},
                        "name": {"type": "string", "description": "BPMN id of the user task"},
                        "label": {"type": "string"},
                        "title": {
                            "type": "string",
                            "description": "title key (serves.title)",
                        },
                        "unit": {"type": "string"},
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
                    "allOf": [
                        _ref("Task"),
                        {
                            "type": "object",
                            "properties": {
                                "form": {
                                    "type": "object",
                                    "properties": {
                                        "key": {"type": "string"},
                                        "version": {"type": "integer"},
                                        "fields": {"type": "array", "items": _ref("FormField")},
                                    },
                                },
                                "data": {"type": "object", "description": "pre-filled values"},
                                "draft": {
                                    "oneOf": [_ref("TaskDraft"), {"type": "null"}],
                                    "description": "the caller's own draft (PUT /tasks/{id}/draft)",
                                },
                            },
                        },
                    ]
                },
                "Dossier": {
                    "type": "object",
                    "required": [
                        "id",
                        "title",
                        "year",
                        "status",
                        "current_tasks",
                        "self_score",
                        "score",
                        "rating",
                        "history",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "year": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["in_progress", "returned", "recognized", "not_recognized", "rejected"],
                        },
                        "status_reason": {"type": ["string", "null"]},
                        "current_tasks": {"type": "array", "items": {"type": "object"}},
                        "self_score": {"type": ["integer", "null"]},
                        "score": {"type": ["integer", "null"]},
                        "rating": {"type": ["string", "null"]},
                        "history": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "at": {"type": "string", "format": "date-time"},
                                    "actor": {"type": ["string", "null"]},
                                    "action": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/auth/token": {
                "post": {
                    "summary": "Exchange a username and password for a bearer token",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["username", "password"],
                                    "properties": {
                                        "username": {"type": "string"},
                                        "password": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"token": {"type": "string"}}}, "Token"
                        ),
                        "401": _json(_ref("Error"), "Wrong username or password, or account deactivated"),
                    },
                }
            },
            "/tasks": {
                "get": {
                    "summary": "The caller's open tasks (inbox)",
                    "parameters": [
                        {"name": "title", "in": "query", "schema": {"type": "string"}},
                        {"name": "unit", "in": "query", "schema": {"type": "integer"}},
                        {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                        {
                            "name": "claimed",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["me", "unclaimed"]},
                        },
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["due", "-due", "created", "-created"]},
                        },
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 200}},
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "items": {"type": "array", "items": _ref("Task")},
                                    "total": {"type": "integer"},
                                },
                            },
                            "Tasks",
                        ),
                        **ERRORS,
                    },
                }
            },
            "/tasks/{id}": {
                "get": {
                    "summary": "A task with its form and pre-filled data",
                    "parameters": [task_id],
                    "responses": {"200": _json(_ref("TaskDetail"), "Task"), **ERRORS},
                }
            },
            "/tasks/{id}/claim": {
                "post": {
                    "summary": "Claim (Nhận xử lý)",
                    "parameters": [task_id],
                    "responses": {
                        "200": _json(_ref("Task"), "Claimed"),
                        "409": _json(_ref("Error"), "Claimed by someone else or closed"),
                        **ERRORS,
                    },
                }
            },
            "/tasks/{id}/release": {
                "post": {
                    "summary": "Release (Trả lại hàng chờ)",
                    "parameters": [task_id],
                    "responses": {
                        "200": _json(_ref("Task"), "Released"),
                        "409": _json(_ref("Error"), "Not yours or closed"),
                        **ERRORS,
                    },
                }
            },
            "/tasks/{id}/complete": {
                "post": {
                    "summary": "Complete a task with its form values",
                    "parameters": [task_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["data"],
                                    "properties": {
                                        "data": {
                                            "type": "object",
                                            "description": "field values by field name; null means empty",
                                            "additionalProperties": {
                                                "anyOf": [
                                                    _ref(f"FieldValue.{name}")
                                                    for name in field_input_schemas()
                                                ]
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_ref("Dossier"), "The dossier after the step"),
                        "409": _json(_ref("Error"), "Already completed, or claimed by someone else"),
                        "422": _json(_ref("ValidationErrors"), "Invalid values; nothing changed"),
                        **ERRORS,
                    },
                }
            },
            "/dossiers": {
                "get": {
                    "summary": "Dossiers the caller may see",
                    "responses": {"200": _json({"type": "object"}, "Dossiers"), **ERRORS},
                },
                "post": {
                    "summary": "Open a dossier (the applicant)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["title", "year"],
                                    "properties": {
                                        "title": {
                                            "type": "string",
                                            "description": "title key, as a procedure manifest declares it",
                                        },
                                        "year": {"type": "integer", "example": 2026},
                                        "subject_id": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "properties": {"id": {"type": "integer"}, "code": {"type": "string"}},
                            },
                            "Opened",
                        ),
                        "409": _json(_ref("Error"), "The subject already has this title's dossier that year"),
                        "422": _json(_ref("ValidationErrors"), "Invalid title or year"),
                        **ERRORS,
                    },
                },
            },
            "/dossiers/{id}": {
                "get": {
                    "summary": "A dossier with its history",
                    "parameters": [task_id],
                    "responses": {"200": _json(_ref("Dossier"), "Dossier"), **ERRORS},
                }
            },
            "/dossiers/{id}/evidence": {
                "post": {
                    "summary": "Upload evidence (PDF, JPEG, PNG; at most 10 MB; type read from the content)",
                    "parameters": [task_id],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {"type": "string", "format": "binary"},
                                        "criterion": {"type": "string", "example": "c1"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "properties": {"id": {"type": "integer"}, "sha256": {"type": "string"}},
                            },
                            "Stored",
                        ),
                        "409": _json(_ref("Error"), "The caller does not hold the dossier's current step"),
                        "413": _json(_ref("Error"), "Request body over the limit"),
                        "422": _json(_ref("ValidationErrors"), "Not a PDF, JPEG or PNG"),
                        **ERRORS,
                    },
                }
            },
            **_procedure_paths(),
            **_audit_paths(),
            **_form_paths(),
            **_draft_paths(task_id),
        },
    }


DRAFT_SCALAR = {"type": ["string", "number", "boolean", "null"]}


def _draft_paths(task_id: dict) -> dict:
    """Drafts of a task's answers: the holder's own, saved without validation."""
    return {
        "/tasks/{id}/draft": {
            "put": {
                "summary": "Save the caller's draft of the task's answers (not validated; replaces the last)",
                "description": (
                    "Only someone who may act on the task, and the claimer once it is claimed. Keys that "
                    f"are not fields of the form are dropped. At most {MAX_KEYS} keys and "
                    f"{MAX_BYTES // 1000} kB. Deleted when the task is completed."
                ),
                "parameters": [task_id],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {
                            "data": {
                                "type": "object",
                                "maxProperties": MAX_KEYS,
                                "description": "field values by field name, as typed; null means empty",
                                "additionalProperties": {
                                    "anyOf": [
                                        DRAFT_SCALAR,
                                        {"type": "array", "items": DRAFT_SCALAR},
                                    ]
                                },
                            }
                        },
                    }
                ),
                "responses": {
                    "200": _json(_ref("TaskDraft"), "Saved; data is what was kept"),
                    "409": _json(_ref("Error"), "Task closed, claimed by someone else, or without a form"),
                    "422": _json(_ref("ValidationErrors"), "Not an object of field values, or too large"),
                    **ERRORS,
                },
            },
            "delete": {
                "summary": "Discard the caller's draft of the task",
                "parameters": [task_id],
                "responses": {"204": {"description": "Discarded (or there was none)"}, **ERRORS},
            },
        }
    }


FORBIDDEN = {"403": _json(_ref("Error"), "Only administrators manage procedures")}


def _audit_paths() -> dict:
    def text(name: str, description: str) -> dict:
        schema = {"type": "string", "maxLength": MAX_TEXT}
        return {"name": name, "in": "query", "description": description, "schema": schema}

    def day(name: str, description: str) -> dict:
        schema = {"type": "string", "format": "date"}
        return {"name": name, "in": "query", "description": description, "schema": schema}

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
            "get": {
                "summary": "Audit log, newest first (admins: all; inspectors: dossiers under their units)",
                "description": (
                    "Append-only: who did what, when, on which dossier. Dates are days in Vietnam time, "
                    f"both ends included, years {MIN_YEAR}–{MAX_YEAR}. Events without a dossier (accounts, "
                    "procedures) are shown to admins only."
                ),
                "parameters": [
                    text("dossier", "dossier id or code"),
                    text("user", "username of the actor"),
                    text("action", "action code, e.g. task.completed"),
                    text("unit", "administrative unit code: events of dossiers in its subtree"),
                    day("since", "first day (YYYY-MM-DD)"),
                    day("until", "last day (YYYY-MM-DD)"),
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                    },
                    {
                        "name": "per_page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
                    },
                ],
                "responses": {
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
                    "403": _json(_ref("Error"), "Only administrators and inspectors read the audit log"),
                    "422": _json(
                        _ref("ValidationErrors"),
                        "A bad date, page or per_page, an unknown unit code or a value over its length; "
                        "errors are keyed by the parameter",
                    ),
                    **ERRORS,
                },
            }
        }
    }


def _procedure_paths() -> dict:
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "integer"}}
    versions = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["version", "sha256", "deployed_at", "active_in"],
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
    return {
        "/procedures": {
            "get": {
                "summary": "The procedure library: every procedure with its versions (admins)",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["key", "title", "versions"],
                                        "properties": {
                                            "key": {"type": "string"},
                                            "title": {"type": "string"},
                                            "serves": {"type": "object"},
                                            "versions": versions,
                                        },
                                    },
                                }
                            },
                        },
                        "Procedures",
                    ),
                    **FORBIDDEN,
                    **ERRORS,
                },
            },
            "post": {
                "summary": "Deploy a package (zip of the folder, procedure.json at its root)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["package"],
                                "properties": {"package": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(_ref("ProcedureVersion"), "A new version"),
                    "200": _json(_ref("ProcedureVersion"), "The same sources were already deployed"),
                    "422": _json(_ref("Problems"), "Refused; every problem located; nothing stored"),
                    **FORBIDDEN,
                    **ERRORS,
                },
            },
        },
        "/procedures/{key}/versions/{version}/package": {
            "get": {
                "summary": "Download a version's package as a zip",
                "parameters": [key, version],
                "responses": {
                    "200": {
                        "description": "The package",
                        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/procedures/{key}/versions/{version}/activate": {
            "post": {
                "summary": "Make new dossiers of its title in a province (or everywhere) use this version",
                "parameters": [key, version],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "province": {
                                        "type": ["string", "null"],
                                        "description": "province unit code; null for everywhere",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "Activated"),
                    "422": _json(_ref("ValidationErrors"), "Invalid body"),
                    **FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/procedures/{key}/versions/{version}/replay": {
            "post": {
                "summary": "What-if: replay a year's finished dossiers through this version in memory",
                "parameters": [key, version],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["year"],
                        "properties": {
                            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
                            "limit": {"type": "integer", "minimum": 1, "maximum": 5000},
                        },
                    }
                ),
                "responses": {
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
                    **FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/procedures/{key}/versions/{version}/migrate": {
            "post": {
                "summary": "Move every running dossier of from_version to this version (all or none)",
                "parameters": [key, version],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["from_version"],
                        "properties": {"from_version": {"type": "integer"}, "dry_run": {"type": "boolean"}},
                    }
                ),
                "responses": {
                    "200": _json({"type": "object"}, "Per dossier what changes (or changed)"),
                    "409": _json(_ref("MigrationRefused"), "A dossier cannot move; none moved"),
                    "422": _json(_ref("ValidationErrors"), "Invalid body"),
                    **FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/dossiers/{id}/migrate": {
            "post": {
                "summary": "Move a running dossier to another version of its procedure (dry run by default)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["to_version"],
                        "properties": {"to_version": {"type": "integer"}, "dry_run": {"type": "boolean"}},
                    }
                ),
                "responses": {
                    "200": _json({"type": "object"}, "Steps added, removed, changed; where open tasks go"),
                    "409": _json(_ref("MigrationRefused"), "Unsafe: the reasons; nothing changed"),
                    "422": _json(_ref("ValidationErrors"), "Invalid body"),
                    **FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/forms/schema.json": {
            "get": {
                "summary": "The JSON Schema of form definitions (no token needed)",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "JSON Schema, draft 2020-12")},
            }
        },
    }


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


FORM_FORBIDDEN = {"403": _json(_ref("Error"), "Only administrators manage forms")}
DEFINITION_PROBLEMS = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {
                    "path": {"type": "string", "description": 'where, e.g. "fields[3].max"; "" for the root'},
                    "message": {"type": "string"},
                },
            },
        },
        "message": {"type": "string"},
    },
}


def _form_paths() -> dict:
    """The form library (admins only, reading included); /forms/schema.json stays public."""
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "integer"}}
    definition = {"$ref": "/api/v1/forms/schema.json", "description": "a form definition"}
    draft_saved = {
        "type": "object",
        "required": ["key", "version", "problems"],
        "properties": {
            "key": {"type": "string"},
            "version": {"type": "null", "description": "a draft is not a version"},
            "problems": {
                **DEFINITION_PROBLEMS["properties"]["errors"],
                "description": "what publishing would still refuse (a draft may be unfinished)",
            },
        },
    }
    published = {
        "type": "object",
        "required": ["key", "version"],
        "properties": {"key": {"type": "string"}, "version": {"type": "integer"}},
    }
    form_version = {
        "type": "object",
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
                    "properties": {"procedure": {"type": "string"}, "version": {"type": "integer"}},
                },
            },
        },
    }
    draft_refused = _json(DEFINITION_PROBLEMS, "Not an object with key, title and fields; nothing stored")
    return {
        "/forms": {
            "get": {
                "summary": "The form library: every form with its published versions and where they are used",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
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
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            },
            "post": {
                "summary": "Create a form (its definition's key names it) as a draft; nothing is published",
                "requestBody": _body(definition),
                "responses": {
                    "201": _json(draft_saved, "Stored as the draft"),
                    "409": _json(_ref("Error"), "A form with this key exists"),
                    "422": draft_refused,
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            },
        },
        "/forms/{key}/draft": {
            "get": {
                "summary": "The draft being edited",
                "parameters": [key],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "key": {"type": "string"},
                                "definition": {"type": "object"},
                                "saved_at": {"type": "string", "format": "date-time"},
                                "problems": draft_saved["properties"]["problems"],
                            },
                        },
                        "The draft",
                    ),
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            },
            "put": {
                "summary": "Replace the draft (it may fail meaning checks; publishing may not)",
                "parameters": [key],
                "requestBody": _body(definition),
                "responses": {
                    "200": _json(draft_saved, "Saved"),
                    "422": draft_refused,
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            },
            "delete": {
                "summary": "Discard the draft",
                "parameters": [key],
                "responses": {"204": {"description": "Discarded"}, **FORM_FORBIDDEN, **ERRORS},
            },
        },
        "/forms/{key}/publish": {
            "post": {
                "summary": "Publish the draft as the next immutable version; the draft is cleared",
                "parameters": [key],
                "responses": {
                    "201": _json(published, "A new version"),
                    "200": _json(published, "The draft was identical to the latest version"),
                    "409": _json(_ref("Error"), "No draft"),
                    "422": _json(DEFINITION_PROBLEMS, "The draft is not a valid definition; it is kept"),
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/forms/{key}/versions/{version}": {
            "get": {
                "summary": "A published version",
                "parameters": [key, version],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["key", "version", "definition"],
                            "properties": {
                                "key": {"type": "string"},
                                "version": {"type": "integer"},
                                "definition": definition,
                            },
                        },
                        "The version",
                    ),
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            }
        },
        "/forms/{key}/versions/{version}/score": {
            "post": {
                "summary": "Preview the score and outcome a submission would get (validated; nothing stored)",
                "parameters": [key, version],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["data"],
                        "properties": {"data": {"type": "object", "description": "field values by name"}},
                    }
                ),
                "responses": {
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
                    **FORM_FORBIDDEN,
                    **ERRORS,
                },
            }
        },
    }

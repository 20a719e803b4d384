"""The OpenAPI 3.1 description of /api/v1 (the routes and fields listed here are a contract)."""

from forms.definition import FIELD_TYPES


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
                        "name": {"type": "string", "description": "BPMN task id, e.g. commune_scoring"},
                        "label": {"type": "string"},
                        "title": {"type": "string", "description": "title key, e.g. gia_dinh_hoc_tap"},
                        "unit": {"type": "string"},
                        "state": {"type": "string", "enum": ["open", "completed", "cancelled"]},
                        "due_at": {"type": ["string", "null"], "format": "date-time"},
                        "claimed_by": {"type": ["string", "null"]},
                    },
                },
                "FormField": {
                    "type": "object",
                    "required": ["name", "type", "label", "required"],
                    "properties": {
                        "name": {"type": "string"},
                        "type": {
                            "type": "string",
                            "enum": list(FIELD_TYPES),
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
                                            "description": "field values; a file field takes evidence ids",
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
                    "summary": "Open a dossier (household)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["title", "year"],
                                    "properties": {
                                        "title": {"type": "string", "example": "gia_dinh_hoc_tap"},
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
        },
    }

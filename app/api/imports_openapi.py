"""The OpenAPI paths of registry imports and the registry export (app/api/imports.py), merged by
openapi_document."""

from app.api.openapi import ID_PARAMETER, INVALID, _body, _error, _json, _query
from app.models import IMPORT_STATUSES
from app.registry.queries import EXPORT_FORMATS
from app.services.registry_layouts import KINDS, headers

COUNT = {"type": "integer", "minimum": 0}


def import_paths(operation) -> dict:
    problem = {
        "type": "object",
        "required": ["row", "column", "error"],
        "description": "One problem found in the file; a row with several problems has one item for each.",
        "properties": {
            "row": {
                "type": ["integer", "null"],
                "description": "the row number as the spreadsheet shows it (the header is row 1); "
                "null: the file as a whole (its type, encoding, headers, or too many rows)",
            },
            "column": {
                "type": ["string", "null"],
                "description": "the column's header as in the file layout; null: the row or file as a whole",
            },
            "error": {"type": "string", "description": "what is wrong, in Vietnamese"},
        },
    }
    state = {
        "type": "object",
        "required": [
            "id",
            "kind",
            "status",
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "unchanged",
            "report",
        ],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": list(KINDS)},
            "filename": {"type": "string"},
            "status": {
                "enum": list(IMPORT_STATUSES),
                "description": "queued → validating (every row checked; processed_rows grows) → writing "
                "(all rows in one transaction) → done; rejected: some row is bad and nothing was written "
                "(see report); failed: the import crashed and nothing was written (see error)",
            },
            "total_rows": {
                "type": ["integer", "null"],
                "description": "data rows in the file; null until known",
            },
            "processed_rows": COUNT | {"description": "rows checked so far"},
            "created": COUNT | {"description": "subjects added to the registry"},
            "updated": COUNT
            | {
                "description": "subjects already there (by code) that changed, members, staff or "
                "member households included"
            },
            "unchanged": COUNT | {"description": "subjects already there exactly as in the file"},
            "error": {"type": ["string", "null"], "description": "why a failed import failed"},
            "report": {
                "type": "array",
                "items": problem,
                "description": "every problem of a rejected file, by row; empty otherwise",
            },
        },
    }
    layouts = "; ".join(f"{kind}: {', '.join(headers(kind))}" for kind in KINDS)
    who = (
        "Administrators import anywhere; commune officers and village heads into their unit's subtree "
        "(a row elsewhere is a problem of that row)."
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        "/imports": {
            "post": operation(
                "Import registry subjects (households with members, clans, organisations with staff) from "
                "an XLSX or CSV file",
                {
                    "202": _json(
                        {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
                        "Accepted; the import runs in the background (follow GET /imports/{id})",
                    ),
                    "403": _error("Only administrators, commune officers and village heads import"),
                    "422": _json(
                        {"$ref": "#/components/schemas/ValidationErrors"},
                        "No file, an unknown kind, or a file that is empty, not XLSX or UTF-8 CSV, lacks a "
                        "column of the layout, or has more rows than IMPORT_MAX_ROWS; nothing was imported",
                    ),
                },
                description=(
                    "The first row holds the column headers (Vietnamese, any order). Layouts — "
                    f"{layouts}. One row per person (member, staff) or member household. Subjects are keyed "
                    "by their code: importing the same file again changes nothing. Every row is checked "
                    "before anything is written; one bad row and nothing is written. " + who
                ),
                body=_body(
                    {
                        "type": "object",
                        "required": ["file", "kind"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"enum": list(KINDS)},
                        },
                    },
                    "multipart/form-data",
                ),
            )
        },
        "/imports/{id}": {
            "get": operation(
                "An import's progress, counts and per-row report",
                {
                    "200": _json(state, "The import"),
                    "403": _error("Only administrators, commune officers and village heads import"),
                    "404": _error("Unknown, or someone else's import (administrators see all)"),
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/registry/export": {
            "get": operation(
                "The registry in the import layout (an export imports back to no change)",
                {
                    "200": {
                        "description": "The file: the subjects of the kind under the caller's units",
                        "content": {
                            xlsx: {"schema": {"type": "string", "format": "binary"}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "403": _error("Only officials and administrators read the registry"),
                    **INVALID,
                },
                parameters=(
                    _query("kind", {"enum": list(KINDS), "default": "households"}),
                    _query("format", {"enum": list(EXPORT_FORMATS), "default": "xlsx"}),
                ),
            )
        },
    }

"""The OpenAPI description of the progress report (GET /reports/progress), joined into app/api/openapi.py."""

from app.api.openapi import NOT_FOUND, YEAR, _error, _json, _query
from app.api.reports import FORMATS

NUMBER_OR_NULL = {"type": ["number", "null"]}


def report_paths(operation) -> dict:
    row = {
        "type": "object",
        "required": [
            "unit_code",
            "unit_name",
            "base",
            "registered",
            "recognized",
            "rate_registered",
            "rate_base",
            "target",
            "gap",
        ],
        "properties": {
            "unit_code": {"type": ["string", "null"]},
            "unit_name": {"type": "string"},
            "base": {
                "type": "integer",
                "description": "subjects of the title's kind in the registry under the unit",
            },
            "registered": {"type": "integer", "description": "dossiers of the title and year"},
            "recognized": {"type": "integer", "description": "of which recognised"},
            "rate_registered": NUMBER_OR_NULL
            | {"description": "recognised / registered, percent; null: none"},
            "rate_base": NUMBER_OR_NULL | {"description": "recognised / base, percent; null: empty base"},
            "target": NUMBER_OR_NULL | {"description": "the target's percent of the base; null: none set"},
            "target_year": {
                "type": ["integer", "null"],
                "description": "the plan's milestone year it is for",
            },
            "target_source": {"type": ["string", "null"], "description": "the act that sets it"},
            "target_scope": {"enum": ["national", "province", None], "description": "whose figure it is"},
            "gap": NUMBER_OR_NULL
            | {"description": "target − rate_base, percentage points (negative: beyond)"},
        },
    }
    point = {
        "type": "object",
        "properties": {
            "year": {"type": "integer"},
            "registered": {"type": "integer"},
            "recognized": {"type": "integer"},
            "rate_registered": NUMBER_OR_NULL,
            "rate_base": NUMBER_OR_NULL,
            "target": NUMBER_OR_NULL,
        },
    }
    body = {
        "type": "object",
        "required": ["unit", "title", "year", "rows", "total", "trend"],
        "properties": {
            "unit": {
                "type": ["object", "null"],
                "description": "the unit reported on; null: every province (administrators)",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "level": {"type": "string"},
                },
            },
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "rows": {"type": "array", "items": row, "description": "one per unit directly under it"},
            "total": row,
            "trend": {"type": "array", "items": point, "description": "the five years ending with year"},
        },
    }
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        "/reports/progress": {
            "get": operation(
                "Progress of a unit against its target: one row per unit under it, and the total",
                {
                    "200": {
                        "description": "The report (JSON), or with format=xlsx the XLSX file",
                        "content": {
                            "application/json": {"schema": body},
                            xlsx: {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "403": _error("Only officials and administrators read reports"),
                    **NOT_FOUND,
                    "422": _json(
                        {"$ref": "#/components/schemas/ValidationErrors"}, "A bad title, year or format"
                    ),
                },
                description=(
                    "Base: subjects of the title's kind in the registry; registered: dossiers of the title "
                    "and year; both rates in percent. The target is the province's own when an administrator "
                    "set one, else the national plan's (QĐ 387/QĐ-TTg, QĐ 677/QĐ-TTg); a year between two "
                    "milestones takes the next milestone's figure. Officials read their units and those "
                    "below; without unit, their own unit (administrators: every province)."
                ),
                parameters=(
                    _query("title", {"type": "string"}, "title key (default: the first served)"),
                    _query("year", YEAR, "year (default: this year)"),
                    _query("unit", {"type": "string", "maxLength": 64}, "administrative unit code"),
                    _query("format", {"enum": list(FORMATS), "default": "json"}),
                ),
            )
        }
    }

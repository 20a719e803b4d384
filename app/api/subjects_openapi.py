"""The OpenAPI description of GET /subjects/{id}, joined into app/api/openapi.py."""

from app.api.openapi import ID, ID_PARAMETER, NOT_FOUND, YEAR, _json
from app.models import SUBJECT_KINDS

NULLABLE_TEXT = {"type": ["string", "null"]}


def subject_paths(operation) -> dict:
    brief = {
        "type": "object",
        "required": ["id", "code", "kind", "name"],
        "properties": {
            "id": ID,
            "code": {"type": "string"},
            "kind": {"enum": list(SUBJECT_KINDS)},
            "name": {"type": "string"},
        },
    }
    link = {
        "type": "object",
        "required": ["relation", "position", "subject"],
        "properties": {
            "relation": {
                "type": "string",
                "description": "clan_member (household in a clan), staff (citizen)",
            },
            "position": NULLABLE_TEXT | {"description": "a staff member's position"},
            "subject": brief,
        },
    }
    member = {
        "type": "object",
        "required": ["full_name", "gender", "birth_year", "relation", "is_head"],
        "properties": {
            "full_name": {"type": "string"},
            "gender": {"enum": ["nam", "nu", None]},
            "birth_year": {"type": ["integer", "null"]},
            "relation": NULLABLE_TEXT
            | {"description": "to the head, as on the household book: Chủ hộ, Vợ, Con…"},
            "is_head": {"type": "boolean"},
        },
    }
    entry = {
        "type": "object",
        "required": ["title", "title_label", "year", "status", "status_label", "dossier_id", "code"],
        "properties": {
            "title": {"type": "string"},
            "title_label": {"type": "string"},
            "year": YEAR,
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "dossier_id": ID,
            "code": {"type": "string"},
        },
    }
    body = {
        "type": "object",
        "required": [
            "id",
            "code",
            "kind",
            "category",
            "name",
            "address",
            "unit",
            "members",
            "links",
            "titles",
            "years_in_a_row",
        ],
        "properties": {
            "id": ID,
            "code": {"type": "string"},
            "kind": {"enum": list(SUBJECT_KINDS)},
            "category": NULLABLE_TEXT
            | {"description": "an organisation's type or a citizen's group (its criteria form)"},
            "name": {"type": "string"},
            "address": NULLABLE_TEXT,
            "gender": {"enum": ["nam", "nu", None], "description": "citizens"},
            "birth_year": {"type": ["integer", "null"], "description": "citizens"},
            "unit": {
                "type": "object",
                "required": ["id", "code", "name"],
                "properties": {"id": ID, "code": {"type": "string"}, "name": {"type": "string"}},
            },
            "members": {"type": "array", "items": member, "description": "a household's members, head first"},
            "links": {
                "type": "object",
                "required": ["members", "belongs_to"],
                "properties": {
                    "members": {
                        "type": "array",
                        "items": link,
                        "description": "a clan's families, a unit's staff",
                    },
                    "belongs_to": {
                        "type": "array",
                        "items": link,
                        "description": "its clans, its organisations",
                    },
                },
            },
            "titles": {
                "type": "array",
                "items": entry,
                "description": "every dossier of the subject, by title, newest year first",
            },
            "years_in_a_row": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0},
                "description": "title → recognised consecutive years ending at its latest recognised year",
            },
        },
    }
    return {
        "/subjects/{id}": {
            "get": operation(
                "A subject with its members, links and titles year by year",
                {"200": _json(body, "The subject"), **NOT_FOUND},
                parameters=(ID_PARAMETER,),
                description=(
                    "Visible to administrators, to officials whose unit's subtree holds the subject's unit, "
                    "and to the subject's own account; anyone else gets 404."
                ),
            )
        }
    }

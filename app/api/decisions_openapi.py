"""The OpenAPI paths of the decision endpoints (app/api/decisions.py), merged by openapi_document."""

from app.api.openapi import ID, ID_PARAMETER, INVALID, NOT_FOUND, YEAR, _body, _error, _integer, _json, _query
from app.models.decision import DECISION_KINDS, DECISION_STATUSES
from app.services.decisions import MAX_DOSSIERS, MAX_YEARS_IN_A_ROW

FORBIDDEN = {
    "403": _error("The caller holds no role that may make decisions (the lane role of a decision step)")
}
NULLABLE_TEXT = {"type": ["string", "null"]}


def decision_paths(operation) -> dict:
    candidate = {
        "type": "object",
        "required": ["dossier_id", "subject", "score", "rating"],
        "properties": {
            "dossier_id": {"type": "integer"},
            "dossier_code": {"type": "string"},
            "subject": {"type": "string"},
            "year": {"type": "integer"},
            "score": {"type": ["integer", "null"]},
            "rating": NULLABLE_TEXT,
        },
    }
    entry = {
        "type": "object",
        "required": ["dossier_id", "subject", "verify_url"],
        "properties": {
            "dossier_id": {"type": "integer"},
            "dossier_code": {"type": "string"},
            "subject": {"type": "string"},
            "name_as_printed": {"type": "string"},
            "verify_url": {"type": ["string", "null"], "description": "null while the decision is a draft"},
        },
    }
    decision = {
        "type": "object",
        "required": ["id", "kind", "number", "status", "dossiers"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(DECISION_KINDS)},
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "number": {"type": "string"},
            "signed_on": NULLABLE_TEXT,
            "signer": NULLABLE_TEXT,
            "position": NULLABLE_TEXT,
            "legal_basis": NULLABLE_TEXT,
            "issuing_unit": {"type": "string"},
            "status": {"type": "string", "enum": list(DECISION_STATUSES)},
            "issued_at": NULLABLE_TEXT,
            "revoked_at": NULLABLE_TEXT,
            "revoke_reason": NULLABLE_TEXT,
            "dossiers": {"type": "array", "items": entry},
        },
    }
    status_of = {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
    }
    refused = {
        "type": "object",
        "required": ["error", "dossiers"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            },
            "dossiers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["dossier_id", "dossier_code", "message"],
                    "properties": {
                        "dossier_id": {"type": "integer"},
                        "dossier_code": NULLABLE_TEXT,
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }
    return {
        "/decisions/candidates": {
            "get": operation(
                f"Dossiers the caller may list in a decision (at most the first {MAX_DOSSIERS}, by id)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {"items": {"type": "array", "items": candidate}},
                        },
                        "Recognition: dossiers waiting at a step marked decides that the caller may act "
                        "on; commendation: recognised dossiers in the caller's reach, not yet commended "
                        "that year",
                    ),
                    **FORBIDDEN,
                    **INVALID,
                },
                parameters=(
                    _query("kind", {"type": "string", "enum": list(DECISION_KINDS)}, "default recognition"),
                    _query("title", {"type": "string"}),
                    _query("year", YEAR),
                    _query("unit", ID, "an administrative unit id: only dossiers under it"),
                    _query("score_min", _integer(0, 2**31 - 1)),
                    _query("rating", {"type": "string"}),
                    _query(
                        "years_in_a_row",
                        _integer(1, MAX_YEARS_IN_A_ROW),
                        "recognised N years in a row counting the dossier's own year "
                        "(the N-1 years before it were recognised)",
                    ),
                ),
            )
        },
        "/decisions": {
            "post": operation(
                "Draft a decision with its annexed list",
                {"201": _json(status_of, "Drafted (status draft)"), **FORBIDDEN, **INVALID},
                description=(
                    "Every listed dossier must be a candidate for the caller (else 422 naming them). "
                    "names: dossier id → the name as printed, when it differs from the subject's."
                ),
                body=_body(
                    {
                        "type": "object",
                        "required": [
                            "kind",
                            "title",
                            "year",
                            "number",
                            "signed_on",
                            "signer",
                            "position",
                            "dossier_ids",
                        ],
                        "properties": {
                            "kind": {"type": "string", "enum": list(DECISION_KINDS)},
                            "title": {"type": "string", "minLength": 1},
                            "year": YEAR,
                            "number": {"type": "string", "minLength": 1, "maxLength": 64},
                            "signed_on": {"type": "string", "format": "date"},
                            "signer": {"type": "string", "minLength": 1, "maxLength": 200},
                            "position": {"type": "string", "minLength": 1, "maxLength": 200},
                            "legal_basis": {"type": "string", "maxLength": 4000},
                            "issuing_unit_id": ID,
                            "dossier_ids": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_DOSSIERS,
                                "items": ID,
                            },
                            "names": {
                                "type": "object",
                                "additionalProperties": {"type": "string", "maxLength": 200},
                            },
                        },
                    }
                ),
            )
        },
        "/decisions/{id}": {
            "get": operation(
                "A decision with its annex",
                {"200": _json(decision, "The decision"), **NOT_FOUND},
                parameters=(ID_PARAMETER,),
            )
        },
        "/decisions/{id}/issue": {
            "post": operation(
                "Issue a draft: a recognition completes the decision step of every listed dossier, "
                "all or none",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status", "dossiers"],
                            "properties": {
                                "id": {"type": "integer"},
                                "status": {"type": "string", "enum": ["issued"]},
                                "dossiers": {"type": "integer"},
                            },
                        },
                        "Issued; dossiers is how many it lists",
                    ),
                    "409": _json(
                        refused,
                        "Not a draft, or dossiers that block it (each with its reason); nothing changed",
                    ),
                    **FORBIDDEN,
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/decisions/{id}/revoke": {
            "post": operation(
                "Revoke an issued decision, with the reason the listed dossiers will show",
                {
                    "200": _json(status_of, "Revoked"),
                    "409": _error("Not issued (a draft, or already revoked)"),
                    **FORBIDDEN,
                    **NOT_FOUND,
                    **INVALID,
                },
                parameters=(ID_PARAMETER,),
                body=_body(
                    {
                        "type": "object",
                        "required": ["reason"],
                        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
                    }
                ),
            )
        },
    }

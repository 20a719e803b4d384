"""The OpenAPI paths of the campaign endpoints (app/api/campaigns.py), merged by openapi_document."""

from app.api.openapi import ID, ID_PARAMETER, INVALID, NOT_FOUND, YEAR, _body, _error, _integer, _json, _query
from app.models.campaign import CAMPAIGN_STATUSES
from app.services.campaigns import DATE_FIELDS, MAX_REGISTRATIONS, NAME_MAX

ADMIN_ONLY = {"403": _error("Only administrators create, open and close campaigns")}
DATE = {"type": "string", "format": "date"}
NULLABLE_TEXT = {"type": ["string", "null"]}


def campaign_paths(operation) -> dict:
    campaign = {
        "type": "object",
        "required": [
            "id",
            "province",
            "title",
            "year",
            "status",
            *DATE_FIELDS,
            "deadlines",
            "registered",
            "dossiers",
        ],
        "properties": {
            "id": {"type": "integer"},
            "province": {"type": "string", "description": "the province's unit code"},
            "province_name": {"type": "string"},
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "name": NULLABLE_TEXT,
            "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
            "process_definition": {
                "type": ["object", "null"],
                "description": "null: the version active for the province when a dossier opens",
                "properties": {
                    "id": {"type": "integer"},
                    "key": {"type": "string"},
                    "version": {"type": "integer"},
                },
            },
            "criteria_version_id": {"type": ["integer", "null"]},
            **{field: DATE for field in DATE_FIELDS},
            "deadlines": {
                "type": "object",
                "description": "step (BPMN task id) → its last day; its tasks are due at the end of it",
                "additionalProperties": DATE,
            },
            "opened_at": NULLABLE_TEXT,
            "closed_at": NULLABLE_TEXT,
            "registered": {"type": "integer", "description": "subjects registered"},
            "dossiers": {"type": "integer", "description": "of which the dossier has opened"},
        },
    }
    skipped = {
        "type": "object",
        "required": ["subject_id", "reason"],
        "properties": {
            "subject_id": {"type": "integer"},
            "code": {
                "type": "string",
                "enum": ["not_found", "other_province", "wrong_kind", "already_registered", "has_dossier"],
            },
            "reason": {"type": "string"},
        },
    }
    return {
        "/campaigns": {
            "get": operation(
                "Campaigns the caller sees (officials and admins: their provinces'; applicants: the open "
                "ones of their province), newest year first, 50 a page",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items", "total"],
                            "properties": {
                                "items": {"type": "array", "items": campaign},
                                "total": {"type": "integer"},
                            },
                        },
                        "A page of campaigns",
                    ),
                    **INVALID,
                },
                parameters=(
                    _query("province", {"type": "string"}, "a province's unit code"),
                    _query("title", {"type": "string"}),
                    _query("year", YEAR),
                    _query("status", {"type": "string", "enum": list(CAMPAIGN_STATUSES)}),
                    _query("page", _integer(1, 10_000)),
                ),
            ),
            "post": operation(
                "Create a campaign (in draft) for a province, title and year",
                {
                    "201": _json(campaign, "Created, in draft"),
                    "409": _error("The province already has a campaign of that title and year"),
                    **ADMIN_ONLY,
                    **INVALID,
                },
                description=(
                    "Windows in order (registration starts no later than self-assessment, and ends no later "
                    "than it), every date within the year before to the year after; the evidence window "
                    "defaults to 1 January – 31 December. Deadlines name user tasks of the procedure version "
                    "that would run, each on or after the start of self-assessment."
                ),
                body=_body(
                    {
                        "type": "object",
                        "required": [
                            "province",
                            "title",
                            "year",
                            "registration_from",
                            "registration_to",
                            "assessment_from",
                            "assessment_to",
                        ],
                        "properties": {
                            "province": {"type": "string", "minLength": 1, "maxLength": 32},
                            "title": {"type": "string", "minLength": 1, "maxLength": 64},
                            "year": YEAR,
                            "name": {"type": ["string", "null"], "maxLength": NAME_MAX},
                            "process_definition_id": {"anyOf": [ID, {"type": "null"}]},
                            "criteria_version_id": {"anyOf": [ID, {"type": "null"}]},
                            **{field: DATE for field in DATE_FIELDS},
                            "deadlines": {"type": "object", "additionalProperties": DATE},
                        },
                    }
                ),
            ),
        },
        "/campaigns/{id}": {
            "get": operation(
                "A campaign with its windows, deadlines and counts",
                {"200": _json(campaign, "The campaign"), **NOT_FOUND},
                parameters=(ID_PARAMETER,),
            )
        },
        "/campaigns/{id}/open": {
            "post": operation(
                "Open a draft campaign: registration can start and its windows and deadlines apply",
                {
                    "200": _json(campaign, "Opened"),
                    "409": _error("Not a draft"),
                    **ADMIN_ONLY,
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/campaigns/{id}/close": {
            "post": operation(
                "Close an open campaign: no more registrations or new dossiers of its title and year in its "
                "province; open dossiers run on",
                {
                    "200": _json(campaign, "Closed"),
                    "409": _error("Not open"),
                    **ADMIN_ONLY,
                    **NOT_FOUND,
                },
                parameters=(ID_PARAMETER,),
            )
        },
        "/campaigns/{id}/registrations": {
            "post": operation(
                "Register subjects (đăng ký phấn đấu), all in one transaction",
                {
                    "201": _json(
                        {
                            "type": "object",
                            "required": ["registered", "skipped"],
                            "properties": {
                                "registered": {"type": "integer"},
                                "skipped": {"type": "array", "items": skipped},
                            },
                        },
                        "How many were registered, and why each other one was not. When self-assessment has "
                        "begun their dossiers open at once; else when it begins",
                    ),
                    "409": _error(
                        "Outside the registration window, or the campaign is not open; nobody was registered"
                    ),
                    **NOT_FOUND,
                    **INVALID,
                },
                description=(
                    "The subject's own account registers itself; a village head the subjects of its village, "
                    "a commune officer those of its commune, an admin anyone in the campaign's province."
                ),
                parameters=(ID_PARAMETER,),
                body=_body(
                    {
                        "type": "object",
                        "required": ["subject_ids"],
                        "properties": {
                            "subject_ids": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_REGISTRATIONS,
                                "items": ID,
                            }
                        },
                    }
                ),
            )
        },
    }

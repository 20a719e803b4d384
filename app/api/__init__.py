from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import (  # noqa: E402, F401  (routes attach themselves to bp)
    audit,
    campaigns,  # noqa: E402, F401  (campaigns and registrations)
    decisions,
    documents,  # noqa: E402, F401  (decision PDFs and certificates)
    drafts,
    forms,
    imports,  # noqa: E402, F401  (registry imports and export)
    incidents,
    notifications,
    procedures,
    reports,  # noqa: E402, F401  (progress reports)
    routes,
    subjects,  # noqa: E402, F401  (a subject with its titles year by year)
)

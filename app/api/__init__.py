from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import (  # noqa: E402, F401  (routes attach themselves to bp)
    audit,
    decisions,
    documents,  # noqa: E402, F401  (decision PDFs and certificates)
    drafts,
    forms,
    incidents,
    notifications,
    procedures,
    reports,  # noqa: E402, F401  (progress reports)
    routes,
)

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import (  # noqa: E402, F401  (routes attach themselves to bp)
    audit,
    forms,
    incidents,
    procedure_changes,
    procedures,
    routes,
    targets,  # noqa: E402, F401  (province targets)
    units,
)

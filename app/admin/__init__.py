from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import audit, forms, incidents, procedure_changes, procedures, routes, units  # noqa: E402, F401  (routes attach themselves to bp)

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import incidents, procedures, routes, units  # noqa: E402, F401  (routes attach themselves to bp)

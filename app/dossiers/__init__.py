from flask import Blueprint

bp = Blueprint("dossiers", __name__)

from app.dossiers import desk, diagram, routes  # noqa: E402, F401  (routes attach themselves to bp)

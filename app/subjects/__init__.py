from flask import Blueprint

bp = Blueprint("subjects", __name__)

from app.subjects import routes  # noqa: E402, F401  (routes attach themselves to bp)

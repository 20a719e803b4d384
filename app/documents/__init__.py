"""Downloads of a decision's documents: the decision PDF, each certificate, all of them as one zip, and
the progress of their making (the decision page's progress bar reads it)."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from app.documents import routes  # noqa: E402, F401  (routes attach themselves to bp)

"""The public verification page a certificate's QR code opens: no sign-in, nothing but what the
certificate itself prints and whether its decision still stands."""

from flask import Blueprint

bp = Blueprint("verify", __name__)

from app.verify import routes  # noqa: E402, F401  (routes attach themselves to bp)

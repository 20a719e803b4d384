"""``GET /verify/<code>``: whether a certificate is genuine and still stands.

Open to anyone holding the certificate (an employer, a school, a neighbour), so it shows only what the
certificate already prints: the title, the year, the name as printed, and the decision (its number, date
and issuer, without which a number identifies nothing). For a revoked decision it says so and when, but not
why: the reason is an official's free text about one family ("a child left school", "a conviction") and
would publish that to whoever scans the code. The family learns the reason on its dossier page.

The code is 16 random URL-safe characters (96 bits), so it cannot be guessed; the limit per address still
keeps the page from being used to probe or to load the server, and search engines are told to keep the
pages out of their indexes.
"""

from flask import current_app, render_template

from app.extensions import limiter
from app.services import documents
from app.verify import bp


def _verify_rate_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "60 per minute")


@bp.route("/verify/<code>")
@limiter.limit(_verify_rate_limit)
def show(code: str):
    entry = documents.entry_by_code(code)
    if entry is None:
        response = current_app.make_response((render_template("verify/not_found.html"), 404))
    else:
        decision = entry.decision
        response = current_app.make_response(
            render_template(
                "verify/show.html",
                entry=entry,
                decision=decision,
                number=documents.number_label(decision),
                unit_name=documents.unit_name(decision.issuing_unit),
            )
        )
    # The answer changes when a decision is revoked: never serve a kept copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # The code in the address is what proves the certificate: links followed from here must not carry it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

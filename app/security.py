"""Security headers on every response, and session cookies that stay on TLS.

Every response (pages, the API, error pages, static files) carries:

- ``Content-Security-Policy`` (``POLICY``): scripts, styles, fonts, requests and frames from this site
  only; no inline script, no inline style (neither ``<style>`` nor ``style="..."``), no ``eval``; no site
  may frame a page (``frame-ancestors 'none'``); ``<base>``, form targets and plugins are pinned. Pages
  hand data to their scripts in ``<script type="application/json">`` blocks, which are data, not script,
  and widths that were style attributes are classes in ``static/app.css``. Images may be ``data:`` URLs
  because Bootstrap draws its check boxes, select arrows and menu icon with them.
- ``X-Frame-Options: DENY``: the same refusal to be framed, for browsers older than ``frame-ancestors``.
- ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy: same-origin``: another site never learns which dossier, search (household names in
  ``?q=``) or task a user came from; ``strict-origin-when-cross-origin`` would still tell it our
  address. Our own pages keep sending the full referrer, which Flask-WTF's CSRF check needs on HTTPS.
- ``Permissions-Policy`` switching off camera, microphone, location and the other device features no
  page uses. A household's photo upload is a plain file input, answered by the phone's camera or gallery
  app and not by a page's ``getUserMedia``, so switching the camera off does not touch it.
- ``Strict-Transport-Security`` only on requests that came over HTTPS (``request.is_secure``; behind a
  proxy that follows ``X-Forwarded-Proto`` once ``PROXY_HOPS`` trusts it): over plain HTTP the header is
  ignored, and it must never pin a development server's ``localhost`` to HTTPS.

A response that already has a policy keeps it; the pages that need another build it with ``policy``:

- The procedure modeler (``admin/procedures.py``, new and edit): ``style-src 'self' 'unsafe-inline'`` and
  ``font-src 'self' data:``. The vendored camunda-bpmn-js and dmn-js bundles build HTML with style
  attributes (the properties panel's height, the bpmn.io logo's position, the alignment icons) and their
  style sheets embed the icon fonts as ``data:`` URLs. Allowing exactly those attribute values by hash
  (``'unsafe-hashes'``) would tie the policy to the bundles' bytes, including menus the tests rarely
  open, and break on the next vendor update; a style attribute cannot run code, the page is for admins,
  and its scripts stay as strict as everywhere (no inline script, no ``eval``).
- The evidence download (``dossiers/routes.py``): ``default-src 'none'``, nothing runs inside a file.

The dossier diagram (bpmn-js's viewer), the task pages' form logic (json-logic-js interprets, it does not
``eval``), the form builder (SortableJS moves cards through the CSSOM, which is allowed) and every other
page run under the strict policy; tests/browser fails any test whose pages the browser reports a
violation on.

With ``PREFERRED_URL_SCHEME=https`` the session cookie is ``Secure``, so a browser never sends it over
plain HTTP; it is ``HttpOnly`` (Flask's default) and ``SameSite=Lax`` (``default_config``) always. Sign-in
keeps no "remember me" cookie (``login_user`` without ``remember``), so there is no second cookie to mark.
"""

from flask import Flask, request

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "serial",
    "usb",
)

# A year; without includeSubDomains, because the province's other sites under the same domain are not
# ours to pin to HTTPS.
HSTS = "max-age=31536000"


def policy(**replaced: str) -> str:
    """The site's Content-Security-Policy with some directives replaced, for a page that must have
    another (``style_src="'self' 'unsafe-inline'"``); the page's response sets it and keeps it."""
    directives = {**POLICY, **{name.replace("_", "-"): sources for name, sources in replaced.items()}}
    return "; ".join(f"{directive} {sources}" for directive, sources in directives.items())


STRICT = policy()
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in PERMISSIONS)


def init_security(app: Flask) -> None:
    if app.config["PREFERRED_URL_SCHEME"] == "https":
        app.config["SESSION_COOKIE_SECURE"] = True

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", STRICT)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

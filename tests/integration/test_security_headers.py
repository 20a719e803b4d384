"""Security headers on every response, Secure cookies over TLS, HSTS only on HTTPS, and one failed-login
counter for the sign-in form and the API (app/security.py, app/auth/routes.py)."""

import io
import re
from pathlib import Path

import pytest

from app.config import default_config
from app.security import PERMISSIONS_POLICY, STRICT
from tests.factories import png_bytes
from tests.helpers import WebClient

HEADERS = {
    "Content-Security-Policy": STRICT,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
HTTPS = "https://localhost"


def security_headers(response) -> dict:
    return {name: response.headers.get(name) for name in HEADERS}


def test_the_strict_policy_reads_as_intended():
    assert STRICT == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    assert "camera=()" in PERMISSIONS_POLICY and "microphone=()" in PERMISSIONS_POLICY
    assert "geolocation=()" in PERMISSIONS_POLICY


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/login", 200),
        ("GET", "/", 302),
        ("GET", "/inbox", 302),
        ("GET", "/khong-co-trang-nay", 404),
        ("POST", "/login", 400),  # no CSRF token
        ("GET", "/logout", 405),
        ("GET", "/static/app.css", 200),
        ("GET", "/static/js/form_logic.js", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/tasks", 401),
        ("GET", "/api/v1/khong-co", 404),
        ("POST", "/api/v1/auth/token", 401),
    ],
)
def test_every_kind_of_response_carries_the_headers(client, method, path, status):
    response = client.open(path, method=method, json={} if path.endswith("/token") else None)
    assert response.status_code == status
    assert security_headers(response) == HEADERS
    response.close()


def test_a_server_error_page_carries_the_headers(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/hong", view_func=broken)
    app.add_url_rule("/api/v1/hong", endpoint="api_broken", view_func=broken)
    client = app.test_client()
    for path in ("/hong", "/api/v1/hong"):
        response = client.get(path)
        assert response.status_code == 500
        assert security_headers(response) == HEADERS


def test_a_logged_in_page_and_an_api_answer_carry_the_headers(web, api):
    web.login("demo-household")
    assert security_headers(web.get("/dossiers")) == HEADERS
    response = api.get("demo-household", "/dossiers")
    assert response.status_code == 200
    assert security_headers(response) == HEADERS


def test_the_evidence_download_keeps_its_own_stricter_policy(web, api):
    dossier_id = api.open_dossier()
    uploaded = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(png_bytes()), "anh.png"), "criterion": "c1"},
    )
    assert uploaded.status_code == 201
    web.login("demo-household")
    response = web.get(f"/evidence/{uploaded.get_json()['id']}")
    response.close()
    assert response.status_code == 200
    [own] = response.headers.getlist("Content-Security-Policy")
    assert own.startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "path", ["/admin/procedures/new", "/admin/procedures/gia_dinh_hoc_tap/versions/1/edit"]
)
def test_only_the_modeler_may_use_inline_styles_and_its_scripts_stay_strict(web, path):
    web.login("demo-admin")
    response = web.get(path)
    assert response.status_code == 200
    directives = dict(part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; "))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["font-src"] == "'self' data:"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert web.get("/admin/procedures").headers["Content-Security-Policy"] == STRICT
    assert web.get("/admin/forms").headers["Content-Security-Policy"] == STRICT


def test_no_template_carries_inline_script_or_style():
    # E-mail bodies and PDF sources are not pages: mail clients and the PDF renderer read inline styles,
    # and no CSP applies to them. They must still carry no script.
    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    inline = re.compile(
        r"""\sstyle=|<style|\son[a-z]+=|javascript:|<script(?![^>]*\s(src=|type="application/json"))"""
    )
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in sorted(templates.rglob("*.html"))
        if path.parent.name not in ("email", "pdf")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if inline.search(line)
    ]
    assert offenders == []
    scripted = re.compile(r"<script|\son[a-z]+=|javascript:", re.IGNORECASE)
    assert [
        path.name
        for path in sorted((templates / "email").glob("*.html"))
        if scripted.search(path.read_text())
    ] == []


def test_hsts_only_on_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url=HTTPS)
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/api/v1/openapi.json", base_url=HTTPS).headers["Strict-Transport-Security"]


def test_hsts_behind_a_proxy_follows_the_forwarded_scheme_it_trusts(make_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    direct = make_app().test_client()
    # Without PROXY_HOPS the header is anyone's to send, so it proves nothing.
    assert "Strict-Transport-Security" not in direct.get("/login", headers=forwarded).headers
    proxied = make_app(PROXY_HOPS=1).test_client()
    assert proxied.get("/login", headers=forwarded).headers["Strict-Transport-Security"] == "max-age=31536000"
    assert (
        "Strict-Transport-Security"
        not in proxied.get("/login", headers={"X-Forwarded-Proto": "http"}).headers
    )


def session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def sign_in(client, base_url: str):
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    # Flask-WTF refuses an HTTPS form post without a same-site Referer: Referrer-Policy keeps sending it.
    return client.post(
        "/login",
        base_url=base_url,
        data={"username": "demo-household", "password": "demo1234", "csrf_token": token},
        headers={"Referer": f"{base_url}/login"},
    )


def test_the_session_cookie_is_httponly_and_lax_and_secure_once_the_site_is_https(make_app):
    plain = sign_in(make_app().test_client(), "http://localhost")
    assert plain.status_code == 302
    cookie = session_cookie(plain)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    secure = sign_in(make_app(PREFERRED_URL_SCHEME="https").test_client(), HTTPS)
    assert secure.status_code == 302
    cookie = session_cookie(secure)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_preferred_url_scheme_comes_from_the_environment(monkeypatch):
    assert default_config()["PREFERRED_URL_SCHEME"] == "http"
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    assert default_config()["PREFERRED_URL_SCHEME"] == "https"


def web_attempt(web: WebClient, password: str):
    token = web.csrf("/login")
    return web.client.post(
        "/login", data={"username": "demo-admin", "password": password, "csrf_token": token}
    )


def api_attempt(client, password: str):
    return client.post("/api/v1/auth/token", json={"username": "demo-admin", "password": password})


@pytest.fixture
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")


def test_failed_logins_on_the_web_and_the_api_share_one_counter(limited_app):
    web = WebClient(limited_app)
    assert [web_attempt(web, f"sai-{i}").status_code for i in range(2)] == [200, 200]
    assert api_attempt(web.client, "sai-3").status_code == 401
    refused = web_attempt(web, "demo1234")
    assert refused.status_code == 429
    assert "quá nhiều lần" in refused.get_data(as_text=True)
    assert security_headers(refused) == HEADERS
    assert api_attempt(web.client, "demo1234").status_code == 429


def test_the_api_uses_up_the_web_forms_attempts_too(limited_app):
    web = WebClient(limited_app)
    assert [api_attempt(web.client, f"sai-{i}").status_code for i in range(2)] == [401, 401]
    assert web_attempt(web, "sai-3").status_code == 200
    assert api_attempt(web.client, "demo1234").status_code == 429
    assert web_attempt(web, "demo1234").status_code == 429


def test_successful_and_refused_forms_cost_no_attempt(limited_app):
    web = WebClient(limited_app)
    for _ in range(3):
        assert web_attempt(web, "demo1234").status_code == 302
        assert api_attempt(web.client, "demo1234").status_code == 200
    # An empty password is refused by the form before any password is checked.
    assert 429 not in [web_attempt(web, "").status_code for _ in range(4)]
    assert [web_attempt(web, "sai").status_code for _ in range(3)] == [200, 200, 200]
    assert web_attempt(web, "demo1234").status_code == 429
    other = limited_app.test_client().post(
        "/api/v1/auth/token", json={"username": "demo-commune", "password": "demo1234"}
    )
    assert other.status_code == 200, "another account from the same address keeps its own attempts"

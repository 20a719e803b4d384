"""Test helpers: API and web clients that act as a given demo account, and form data factories."""

import re

ITEMS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
TITLE = "gia_dinh_hoc_tap"
YEAR = 2026


def scores(value: int = 9, **overrides) -> dict:
    """Points for the nine sub-items (value each unless overridden)."""
    return {item: overrides.get(item, value) for item in ITEMS}


def self_report(value: int = 9, **overrides) -> dict:
    return scores(value, **overrides)


def commune_accept(value: int = 9, **overrides) -> dict:
    return {"decision": "accept", **scores(value, **overrides)}


def commune_return(comment: str = "Bổ sung học bạ của cháu") -> dict:
    return {"decision": "return_to_household", "comment": comment}


def district(decision: str = "approve", reason: str | None = None) -> dict:
    data = {"decision": decision}
    if reason:
        data["reason"] = reason
    return data


def city(decision: str = "approve", reason: str | None = None) -> dict:
    """The city's recognition decision (the four-level procedure's ``city_commendation`` step)."""
    if decision != "approve":
        return {"decision": decision, "reason": reason or "Chưa đủ điều kiện công nhận"}
    return {
        "decision": "approve",
        "decision_number": "123/QĐ-HĐTĐKT",
        "decision_date": "2026-12-20",
        "signer": "Nguyễn Văn Chủ tịch",
    }


def make_official(
    app,
    username: str = "can-bo-xa-2",
    *,
    role: str = "commune_officer",
    unit: str = "DEMO-AH",
    full_name: str = "Cán bộ xã thứ hai",
    password: str = "matkhau123",
) -> int:
    """A second official beside the demo ones (e.g. two officers of the same commune); returns the id."""
    from app.models import utcnow
    from app.services import accounts

    with app.app_context():
        user = accounts.create_user(username, full_name, password, actor=None, now=utcnow())
        accounts.assign_role(user.id, role, unit, actor=None, now=utcnow())
        return user.id


class ApiClient:
    """Calls /api/v1 as a named demo account (password demo1234)."""

    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def token(self, username: str, password: str = "demo1234") -> str:
        if username not in self.tokens:
            response = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": password}
            )
            assert response.status_code == 200, response.get_json()
            self.tokens[username] = response.get_json()["token"]
        return self.tokens[username]

    def headers(self, username: str) -> dict:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def get(self, username: str, path: str, headers: dict | None = None, **kwargs):
        return self.client.get(
            f"/api/v1{path}", headers={**self.headers(username), **(headers or {})}, **kwargs
        )

    def post(self, username: str, path: str, headers: dict | None = None, **kwargs):
        return self.client.post(
            f"/api/v1{path}", headers={**self.headers(username), **(headers or {})}, **kwargs
        )

    def open_dossier(self, username: str = "demo-household", year: int = YEAR) -> int:
        response = self.post(username, "/dossiers", json={"title": TITLE, "year": year})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def dossier(self, username: str, dossier_id: int) -> dict:
        response = self.get(username, f"/dossiers/{dossier_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def task_for(self, username: str, dossier_id: int, name: str) -> dict:
        response = self.get(username, "/tasks", query_string={"per_page": 200})
        assert response.status_code == 200, response.get_json()
        found = [
            t for t in response.get_json()["items"] if t["dossier_id"] == dossier_id and t["name"] == name
        ]
        assert found, f"{username} has no open {name} for dossier {dossier_id}"
        return found[0]

    def complete(self, username: str, dossier_id: int, name: str, data: dict, expect: int = 200):
        task = self.task_for(username, dossier_id, name)
        response = self.post(username, f"/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == expect, response.get_json()
        return response.get_json()


def walk(api: ApiClient, *, to: str, self_points: int = 9, commune_points: int = 9, year: int = YEAR) -> int:
    """Open a dossier for demo-household and complete steps until ``to`` is the open task."""
    dossier_id = api.open_dossier(year=year)
    steps = [
        ("self_report", "demo-household", self_report(self_points)),
        ("commune_scoring", "demo-commune", commune_accept(commune_points)),
        ("district_verification", "demo-district", district("approve")),
        ("city_commendation", "demo-city", city()),
    ]
    for name, user, data in steps:
        if name == to:
            return dossier_id
        api.complete(user, dossier_id, name, data)
    return dossier_id


class WebClient:
    """Drives the HTML pages through the test client, with real CSRF tokens."""

    CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        match = self.CSRF.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = "demo1234"):
        token = self.csrf("/login")
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def post(self, path: str, data: dict, *, csrf_from: str | None = None, **kwargs):
        data = {**data, "csrf_token": self.csrf(csrf_from or path)}
        return self.client.post(path, data=data, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

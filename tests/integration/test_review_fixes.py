"""Regressions for defects found in review: redirects, stuck claims, trees without a level, odd input."""

import io

import pytest

from tests.helpers import ApiClient, city, commune_accept, district, make_official, walk


@pytest.mark.parametrize(
    "raw_target", ["/%09/evil.com", "//evil.com", "/%5Cevil.com", "https:%2F%2Fevil.com"]
)
def test_login_never_redirects_off_site(web, raw_target):
    token = web.csrf("/login")
    response = web.client.post(
        f"/login?next={raw_target}",
        data={"username": "demo-commune", "password": "demo1234", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


def test_deactivating_an_official_frees_the_tasks_they_claimed(app, api, web):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    api.post("demo-commune", f"/tasks/{task['id']}/claim")
    from app.extensions import db
    from app.models import User, utcnow
    from app.services import accounts

    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "demo-admin"))
        officer = db.session.scalar(db.select(User).where(User.username == "demo-commune"))
        make_official(app)
        accounts.set_active(officer.id, False, actor=admin, now=utcnow())
    api.token("can-bo-xa-2", "matkhau123")
    assert api.get("can-bo-xa-2", f"/tasks/{task['id']}").get_json()["claimed_by"] is None
    assert api.complete("can-bo-xa-2", dossier_id, "commune_scoring", commune_accept())["current_tasks"]
    history = api.dossier("can-bo-xa-2", dossier_id)["history"]
    assert any(h["action"] == "task.released" and h["details"].get("from") == "demo-commune" for h in history)


def test_revoking_a_role_frees_the_claims_made_with_it(app, api):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    api.post("demo-commune", f"/tasks/{task['id']}/claim")
    from app.extensions import db
    from app.models import RoleAssignment, User, utcnow
    from app.services import accounts

    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "demo-commune"))
        assignment = db.session.scalar(db.select(RoleAssignment).where(RoleAssignment.user_id == officer.id))
        accounts.revoke_role(assignment.id, actor=None, now=utcnow())
    assert api.get("demo-commune-b", "/tasks").get_json()["total"] == 0
    assert api.get("demo-household", f"/dossiers/{dossier_id}").status_code == 200
    with app.app_context():
        from app.models import HumanTask

        assert db.session.get(HumanTask, task["id"]).claimed_by_id is None


def test_a_subject_in_a_tree_without_districts_is_told_before_anything_starts(app, api):
    from app.extensions import db
    from app.models import HouseholdMember, Subject, User, utcnow
    from app.services import accounts
    from app.services.units import import_official_units

    with app.app_context():
        import_official_units(province_code=92)
        from app.models import AdminUnit

        commune = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code.like("X%")).limit(1))
        user = accounts.create_user("ho-hai-cap", "Hộ Hai Cấp", "matkhau123", actor=None, now=utcnow())
        db.session.add(
            Subject(
                code="HAI-CAP-1",
                kind="household",
                name="Hộ Hai Cấp",
                unit=commune,
                account_id=user.id,
                members=[HouseholdMember(full_name="Hai Cấp", is_head=True)],
            )
        )
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(User.id))) > 0
    api.token("ho-hai-cap", "matkhau123")
    response = api.post("ho-hai-cap", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026})
    assert response.status_code == 409
    # The level is named in words the reader knows, not by its code.
    assert "Quận / Huyện" in response.get_json()["error"]["message"]
    assert api.get("ho-hai-cap", "/dossiers").get_json()["total"] == 0


def test_an_old_decision_date_is_refused_and_pages_keep_working(api, web):
    dossier_id = walk(api, to="city_commendation")
    task = api.task_for("demo-city", dossier_id, "city_commendation")
    response = api.post(
        "demo-city", f"/tasks/{task['id']}/complete", json={"data": {**city(), "decision_date": "0001-01-01"}}
    )
    assert response.status_code == 422 and "decision_date" in response.get_json()["errors"]
    api.complete("demo-city", dossier_id, "city_commendation", city())
    web.login("demo-household")
    page = web.get(f"/dossiers/{dossier_id}")
    assert page.status_code == 200 and "20/12/2026" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/dossiers?page=99999999999999999999999",
        "/inbox?unit=99999999999999999999999",
        "/dossiers/99999999999999999999999",
        "/evidence/99999999999999999999999",
        "/notifications?page=99999999999999999999",
    ],
)
def test_huge_numbers_in_urls_are_not_server_errors(web, path):
    web.login("demo-commune")
    assert web.get(path).status_code in (200, 400, 404)


def test_nul_bytes_are_refused_with_400(web, client):
    response = client.post("/api/v1/auth/token", json={"username": "demo\u0000", "password": "x"})
    assert response.status_code == 400
    web.login("demo-commune")
    assert web.get("/dossiers?q=a%00b").status_code == 400


def test_web_form_refuses_an_absurd_year(web):
    web.login("demo-household")
    response = web.post(
        "/dossiers/new",
        {"subject_id": "1", "title": "gia_dinh_hoc_tap", "year": "99999999"},
        csrf_from="/dossiers",
    )
    assert response.status_code == 302
    page = web.get("/dossiers").get_data(as_text=True)
    assert "từ 2000 đến 2100" in page and 'data-testid="dossier-row"' not in page


def test_only_the_holder_of_the_current_step_adds_evidence(api):
    dossier_id = walk(api, to="commune_scoring")
    pdf = b"%PDF-1.4\n%%EOF\n"

    def upload(user):
        return api.post(
            user,
            f"/dossiers/{dossier_id}/evidence",
            data={"file": (io.BytesIO(pdf), "bien-ban.pdf"), "criterion": "c1"},
        )

    assert upload("demo-district").status_code == 409
    assert upload("demo-household").status_code == 409, "the household's step is over"
    assert upload("demo-commune").status_code == 201
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept())
    api.complete("demo-district", dossier_id, "district_verification", district())
    assert upload("demo-commune").status_code == 409


def test_password_reset_ends_sessions_and_tokens(app, web):
    api = ApiClient(app.test_client())
    token = api.token("demo-commune")
    web.login("demo-commune")
    assert web.get("/inbox").status_code == 200
    from app.extensions import db
    from app.models import User, utcnow
    from app.services import accounts

    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.username == "demo-commune"))
        accounts.reset_password(user_id, "matkhaumoi9", actor=None, now=utcnow())
    assert web.get("/inbox").status_code == 302
    assert (
        app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_a_bearer_token_does_not_open_the_web_pages(app, api):
    token = api.token("demo-commune")
    response = app.test_client().get("/inbox", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302


def test_search_ignores_case_in_vietnamese(web, api):
    api.open_dossier()
    web.login("demo-commune")
    page = web.get("/dossiers", query_string={"q": "hộ trần"}).get_data(as_text=True)
    assert 'data-testid="dossier-row"' in page


def test_only_failed_logins_count_towards_the_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(4):
        ok = client.post("/api/v1/auth/token", json={"username": "demo-commune", "password": "demo1234"})
        assert ok.status_code == 200
    for username in ("demo-city", "demo-district", "demo-admin"):
        assert (
            client.post("/api/v1/auth/token", json={"username": username, "password": "demo1234"}).status_code
            == 200
        )
    statuses = [
        client.post("/api/v1/auth/token", json={"username": "demo-city", "password": "sai"}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    other = client.post("/api/v1/auth/token", json={"username": "demo-admin", "password": "demo1234"})
    assert other.status_code == 200, "another account from the same address is not locked out"

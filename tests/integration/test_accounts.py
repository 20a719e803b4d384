"""Accounts: admins manage them on pages and with commands; a deactivated account is locked out."""

import re

from tests.helpers import ApiClient


def test_admin_creates_an_account_assigns_a_role_resets_and_deactivates_it(web, app):
    web.login("demo-admin")
    response = web.post(
        "/admin/users/new",
        {"username": "can-bo-moi", "full_name": "Cán bộ Mới", "password": "matkhau123"},
        csrf_from="/admin/users/new",
    )
    assert response.status_code == 302
    user_path = response.headers["Location"]
    assert (
        web.post(
            user_path,
            {"action": "assign_role", "role": "commune_officer", "unit": "DEMO-AH"},
            csrf_from=user_path,
        ).status_code
        == 302
    )
    page = web.get(user_path).get_data(as_text=True)
    assert "Cán bộ cấp xã" in page and "Phường An Hòa" in page

    api = ApiClient(app.test_client())
    token = api.token("can-bo-moi", "matkhau123")
    assert api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    assert (
        web.post(
            user_path, {"action": "reset_password", "password": "matkhaumoi1"}, csrf_from=user_path
        ).status_code
        == 302
    )
    assert (
        app.test_client()
        .post("/api/v1/auth/token", json={"username": "can-bo-moi", "password": "matkhau123"})
        .status_code
        == 401
    )

    assert web.post(user_path, {"action": "deactivate"}, csrf_from=user_path).status_code == 302
    assert api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert (
        app.test_client()
        .post("/api/v1/auth/token", json={"username": "can-bo-moi", "password": "matkhaumoi1"})
        .status_code
        == 401
    )
    other = type(web)(app)
    refused = other.login("can-bo-moi", "matkhaumoi1")
    assert refused.status_code == 200 and "bị khóa" in refused.get_data(as_text=True)


def test_deactivated_user_loses_an_open_web_session(app):
    from tests.helpers import WebClient

    officer = WebClient(app)
    officer.login("demo-commune")
    assert officer.get("/inbox").status_code == 200
    admin = WebClient(app)
    admin.login("demo-admin")
    with app.app_context():
        from app.extensions import db
        from app.models import User

        user_id = db.session.scalar(db.select(User.id).where(User.username == "demo-commune"))
    admin.post(f"/admin/users/{user_id}", {"action": "deactivate"}, csrf_from=f"/admin/users/{user_id}")
    assert officer.get("/inbox").status_code == 302


def test_bad_account_input_is_refused_with_messages_and_keeps_what_was_typed(web):
    web.login("demo-admin")
    response = web.post(
        "/admin/users/new",
        {"username": "A!", "full_name": "Người Thử", "password": "123"},
        csrf_from="/admin/users/new",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Tên đăng nhập gồm" in page
    assert 'value="Người Thử"' in page
    duplicate = web.post(
        "/admin/users/new",
        {"username": "demo-city", "full_name": "X", "password": "matkhau123"},
        csrf_from="/admin/users/new",
    )
    assert duplicate.status_code == 422 and "đã tồn tại" in duplicate.get_data(as_text=True)


def test_non_admins_do_not_see_admin_pages(web):
    web.login("demo-commune")
    assert web.get("/admin/users").status_code == 404


def test_forms_without_csrf_token_are_refused(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "demo-admin", "password": "demo1234"})
    assert response.status_code == 400
    assert "Phiên làm việc" in response.get_data(as_text=True)


def test_users_commands_manage_accounts(app):
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", "xa-cli", "--name", "Cán bộ CLI", "--password", "matkhau123"]
    )
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["users", "assign-role", "xa-cli", "commune_officer", "DEMO-NA"]).exit_code == 0
    listed = runner.invoke(args=["users", "list"]).output
    assert re.search(r"xa-cli\s+active\s+Cán bộ CLI \[commune_officer@DEMO-NA\]", listed)
    assert (
        runner.invoke(args=["users", "reset-password", "xa-cli", "--password", "matkhau456"]).exit_code == 0
    )
    assert runner.invoke(args=["users", "deactivate", "xa-cli"]).exit_code == 0
    assert "INACTIVE" in runner.invoke(args=["users", "list"]).output
    refused = runner.invoke(args=["users", "assign-role", "xa-cli", "commune_officer", "KHONG-CO"])
    assert refused.exit_code != 0 and "KHONG-CO" in refused.output


def test_api_tokens_expire(app, api):
    from datetime import timedelta

    from app.extensions import db
    from app.models import ApiToken

    token = api.token("demo-commune")
    assert api.get("demo-commune", "/tasks").status_code == 200
    with app.app_context():
        row = db.session.scalars(db.select(ApiToken)).one()
        row.created_at = row.created_at - timedelta(days=31)
        db.session.commit()
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_password_guessing_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/api/v1/auth/token", json={"username": "demo-admin", "password": f"sai-{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    refused = client.post("/api/v1/auth/token", json={"username": "demo-admin", "password": "demo1234"})
    assert refused.status_code == 429
    assert "quá nhiều lần" in refused.get_json()["error"]["message"]


def test_revoking_a_role_from_one_users_page_cannot_touch_another_users_role(app, web):
    from app.extensions import db
    from app.models import RoleAssignment, User

    with app.app_context():
        commune = db.session.scalar(db.select(User).where(User.username == "demo-commune"))
        city = db.session.scalar(db.select(User).where(User.username == "demo-city"))
        foreign = db.session.scalar(db.select(RoleAssignment.id).where(RoleAssignment.user_id == city.id))
        page = f"/admin/users/{commune.id}"
    web.login("demo-admin")
    response = web.post(page, {"action": "revoke_role", "assignment_id": str(foreign)})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(RoleAssignment, foreign) is not None

"""Server-side sessions: logout, deactivation, a revoked role, a new password, an admin and the timeouts
end exactly the sessions they should, at once, and a copied cookie dies with its session."""

import hashlib
from datetime import timedelta

import pytest

import app.auth.routes as auth_routes
from app.extensions import db
from app.models import AuditEvent, RoleAssignment, User, UserSession, utcnow
from app.services import accounts
from tests.helpers import ApiClient, WebClient


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == username))


def signed_in(app, username: str, user_agent: str = "Test-Browser/1.0") -> WebClient:
    client = WebClient(app)
    client.client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert client.login(username).status_code == 302
    return client


def copy_of(app, web: WebClient):
    """Another client holding the same cookie, as someone who copied it would."""
    other = app.test_client()
    other.set_cookie("session", web.client.get_cookie("session").value)
    return other


def rows(app, username: str) -> list[UserSession]:
    with app.app_context():
        return db.session.scalars(
            db.select(UserSession)
            .where(UserSession.user_id == user_id(app, username))
            .order_by(UserSession.created_at)
        ).all()


def session_audit(app) -> list[tuple[str, str | None, dict]]:
    with app.app_context():
        return [
            (event.action, event.actor_id, event.details)
            for event in db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.action.like("session.%")).order_by(AuditEvent.id)
            )
        ]


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.fixture
def clock(monkeypatch):
    """The app's clock, moved forward by assigning ``clock.offset``; no test sleeps."""

    class Clock:
        offset = timedelta()

        def __call__(self):
            return real() + self.offset

    real = auth_routes.utcnow
    shifted = Clock()
    monkeypatch.setattr(auth_routes, "utcnow", shifted)
    return shifted


def test_a_cookie_copied_before_logout_gets_the_login_page_after(app):
    officer = signed_in(app, "demo-commune")
    thief = copy_of(app, officer)
    assert thief.get("/inbox").status_code == 200

    assert_sent_to_login(officer.post("/logout", {}, csrf_from="/inbox"))
    assert_sent_to_login(thief.get("/inbox"))
    assert_sent_to_login(officer.get("/inbox"))
    [row] = rows(app, "demo-commune")
    assert row.ended_reason == "logout" and row.ended_at is not None
    assert [(action, details.get("reason")) for action, _, details in session_audit(app)] == [
        ("session.started", None),
        ("session.ended", "logout"),
    ]


def test_only_the_hash_of_the_cookie_id_is_stored(app):
    officer = signed_in(app, "demo-commune")
    cookie = app.session_interface.get_signing_serializer(app).loads(
        officer.client.get_cookie("session").value
    )
    [row] = rows(app, "demo-commune")
    assert cookie["_user_id"] != row.id
    assert hashlib.sha256(cookie["_user_id"].encode()).hexdigest() == row.id


def test_signing_in_again_ends_the_session_it_replaces(app):
    officer = signed_in(app, "demo-commune")
    old_cookie = copy_of(app, officer)
    assert officer.login("demo-district").status_code == 302
    assert_sent_to_login(old_cookie.get("/inbox"))
    assert officer.get("/inbox").status_code == 200
    assert rows(app, "demo-commune")[0].ended_reason == "replaced"


def test_deactivate_then_reactivate_leaves_old_sessions_dead(app):
    officer = signed_in(app, "demo-commune")
    copied = copy_of(app, officer)
    bystander = signed_in(app, "demo-district")
    admin = signed_in(app, "demo-admin")
    page = f"/admin/users/{user_id(app, 'demo-commune')}"

    assert admin.post(page, {"action": "deactivate"}, csrf_from=page).status_code == 302
    assert admin.post(page, {"action": "activate"}, csrf_from=page).status_code == 302

    assert_sent_to_login(officer.get("/inbox"))
    assert_sent_to_login(copied.get("/inbox"))
    assert bystander.get("/inbox").status_code == 200
    assert [row.ended_reason for row in rows(app, "demo-commune")] == ["deactivated"]
    assert signed_in(app, "demo-commune").get("/inbox").status_code == 200, "a new sign-in works"


def test_removing_a_role_ends_the_users_sessions_and_no_one_elses(app):
    officer = signed_in(app, "demo-commune")
    bystander = signed_in(app, "demo-commune-b")
    admin = signed_in(app, "demo-admin")
    officer_id = user_id(app, "demo-commune")
    with app.app_context():
        assignment_id = db.session.scalar(
            db.select(RoleAssignment.id).where(RoleAssignment.user_id == officer_id)
        )
    page = f"/admin/users/{officer_id}"
    response = admin.post(page, {"action": "revoke_role", "assignment_id": assignment_id}, csrf_from=page)
    assert response.status_code == 302

    assert_sent_to_login(officer.get("/inbox"))
    assert bystander.get("/inbox").status_code == 200
    assert rows(app, "demo-commune")[0].ended_reason == "role_revoked"
    assert rows(app, "demo-commune-b")[0].ended_at is None


def test_a_password_reset_ends_the_sessions_but_not_another_users(app):
    officer = signed_in(app, "demo-commune")
    bystander = signed_in(app, "demo-district")
    with app.app_context():
        accounts.reset_password(user_id(app, "demo-commune"), "matkhaumoi9", actor=None, now=utcnow())
    assert_sent_to_login(officer.get("/inbox"))
    assert bystander.get("/inbox").status_code == 200
    assert rows(app, "demo-commune")[0].ended_reason == "password_reset"


def test_a_web_logout_leaves_api_tokens_alone(app):
    api = ApiClient(app.test_client())
    token = api.token("demo-commune")
    officer = signed_in(app, "demo-commune")
    officer.post("/logout", {}, csrf_from="/inbox")
    response = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_an_idle_session_ends_and_last_seen_is_written_at_most_once_a_minute(app, clock):
    officer = signed_in(app, "demo-commune")
    started = rows(app, "demo-commune")[0].last_seen_at

    clock.offset = timedelta(seconds=30)
    assert officer.get("/inbox").status_code == 200
    assert rows(app, "demo-commune")[0].last_seen_at == started, "not written within the minute"

    clock.offset = timedelta(seconds=61)
    assert officer.get("/inbox").status_code == 200
    touched = rows(app, "demo-commune")[0].last_seen_at
    assert touched > started

    clock.offset = timedelta(seconds=61, minutes=119)
    assert officer.get("/inbox").status_code == 200, "idle time counts from the last request"
    clock.offset = timedelta(seconds=61, minutes=119 + 120)
    assert_sent_to_login(officer.get("/inbox"))
    [row] = rows(app, "demo-commune")
    assert row.ended_reason == "idle"
    assert ("session.ended", None, {"session": row.id[:12], "reason": "idle"}) in session_audit(app)


def test_a_busy_session_still_ends_after_the_maximum_hours(app, clock):
    officer = signed_in(app, "demo-commune")
    for minutes in range(100, 12 * 60, 100):
        clock.offset = timedelta(minutes=minutes)
        assert officer.get("/inbox").status_code == 200
    clock.offset = timedelta(hours=12)
    assert_sent_to_login(officer.get("/inbox"))
    assert rows(app, "demo-commune")[0].ended_reason == "expired"


def test_the_timeouts_are_configurable(make_app, clock):
    app = make_app(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    officer = signed_in(app, "demo-commune")
    clock.offset = timedelta(minutes=4)
    assert officer.get("/inbox").status_code == 200
    clock.offset = timedelta(minutes=10)
    assert_sent_to_login(officer.get("/inbox"))


def test_an_admin_sees_a_users_sessions_and_ends_one_then_all(app):
    first = signed_in(app, "demo-commune", user_agent="Office-PC/1.0")
    second = signed_in(app, "demo-commune", user_agent="Phone/2.0")
    bystander = signed_in(app, "demo-district")
    admin = signed_in(app, "demo-admin")
    admin_id = user_id(app, "demo-admin")
    page = f"/admin/users/{user_id(app, 'demo-commune')}"

    html = admin.get(page).get_data(as_text=True)
    assert html.count('data-testid="session-row" data-state="open"') == 2
    assert "Office-PC/1.0" in html and "Phone/2.0" in html and "127.0.0.1" in html

    office = next(row for row in rows(app, "demo-commune") if row.user_agent == "Office-PC/1.0")
    response = admin.post(page, {"action": "end_session", "session_id": office.id}, csrf_from=page)
    assert response.status_code == 302
    assert_sent_to_login(first.get("/inbox"))
    assert second.get("/inbox").status_code == 200
    assert "Quản trị viên kết thúc" in admin.get(page).get_data(as_text=True)

    assert admin.post(page, {"action": "end_sessions"}, csrf_from=page).status_code == 302
    assert_sent_to_login(second.get("/inbox"))
    assert bystander.get("/inbox").status_code == 200
    assert admin.get(page).status_code == 200, "the admin's own session is untouched"
    ended_by_admin = [
        d for action, actor, d in session_audit(app) if (action, actor) == ("session.ended", admin_id)
    ]
    assert sorted(d["session"] for d in ended_by_admin) == sorted(
        r.id[:12] for r in rows(app, "demo-commune")
    )
    assert {d["reason"] for d in ended_by_admin} == {"admin"}


def test_an_admin_cannot_end_a_session_through_another_users_page(app):
    officer = signed_in(app, "demo-commune")
    admin = signed_in(app, "demo-admin")
    other_page = f"/admin/users/{user_id(app, 'demo-district')}"
    session_id = rows(app, "demo-commune")[0].id
    response = admin.post(
        other_page, {"action": "end_session", "session_id": session_id}, csrf_from=other_page
    )
    assert response.status_code == 404
    assert officer.get("/inbox").status_code == 200

"""Per-kind notification preferences: defaults by role, saving through the service and the page."""

import pytest


def _user(username):
    from app.extensions import db
    from app.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


def _rows(user_id):
    from app.extensions import db
    from app.models import NotificationPreference

    return db.session.scalars(
        db.select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).all()


def test_defaults_follow_the_roles(app_ctx):
    from app.services.preferences import KINDS, get_preferences, wants_digest

    assert get_preferences(_user("demo-commune")) == {
        "task_opened": "digest",
        "task_reminder": "app",
        "task_overdue": "email",
        "dossier_returned": "app",
        "dossier_outcome": "app",
    }
    assert get_preferences(_user("demo-household")) == {
        "task_opened": "app",
        "task_reminder": "app",
        "task_overdue": "app",
        "dossier_returned": "email",
        "dossier_outcome": "email",
    }
    assert get_preferences(_user("demo-admin")) == dict.fromkeys(KINDS, "app")
    assert wants_digest(_user("demo-commune"))
    assert not wants_digest(_user("demo-household"))


def test_saved_choices_replace_the_defaults_and_are_audited(app_ctx):
    from app.extensions import db
    from app.models import AuditEvent, utcnow
    from app.services.preferences import channel_for, get_preferences, set_preferences, wants_digest

    officer = _user("demo-commune")
    result = set_preferences(
        officer, {"task_opened": "email", "task_reminder": "digest"}, actor=officer, now=utcnow()
    )
    assert result == get_preferences(officer)
    assert result["task_opened"] == "email" and result["task_reminder"] == "digest"
    assert result["task_overdue"] == "email"  # left out: still the default
    assert channel_for(officer, "task_opened") == "email"
    assert wants_digest(officer)

    set_preferences(officer, {"task_reminder": "app"}, actor=officer, now=utcnow())
    assert not wants_digest(officer)
    assert {row.kind: row.channel for row in _rows(officer.id)} == {
        "task_opened": "email",
        "task_reminder": "app",
    }
    events = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.action == "notification_preferences.changed")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.details["changed"] for e in events] == [
        {"task_opened": ["digest", "email"], "task_reminder": ["app", "digest"]},
        {"task_reminder": ["digest", "app"]},
    ]
    assert events[0].object_id == str(officer.id) and events[0].actor_id == officer.id


@pytest.mark.parametrize(
    ("preferences", "key"),
    [
        ({"task_opened": "email", "task_closed": "email"}, "preferences.task_closed"),
        ({"task_opened": "email", "dossier_outcome": "sms"}, "preferences.dossier_outcome"),
        ({"task_opened": None}, "preferences.task_opened"),
    ],
)
def test_an_unknown_kind_or_channel_is_refused_and_nothing_is_stored(app_ctx, preferences, key):
    from app.extensions import db
    from app.models import AuditEvent, utcnow
    from app.services.errors import InvalidInput
    from app.services.preferences import get_preferences, set_preferences

    officer = _user("demo-commune")
    before = get_preferences(officer)
    with pytest.raises(InvalidInput) as refused:
        set_preferences(officer, preferences, actor=officer, now=utcnow())
    assert list(refused.value.errors) == [key]
    assert _rows(officer.id) == []
    assert get_preferences(officer) == before
    assert not db.session.scalar(
        db.select(AuditEvent.id).where(AuditEvent.action == "notification_preferences.changed")
    )


def test_the_page_shows_the_choices_and_saves_them(web, app):
    web.login("demo-commune")
    listing = web.get("/notifications").get_data(as_text=True)
    assert 'href="/notifications/preferences"' in listing
    page = web.get("/notifications/preferences")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cách nhận thông báo" in html and "Thư tổng hợp" in html
    assert '<option value="digest" selected>' in html.split('name="task_opened"')[1].split("</select>")[0]
    # The test app has no SMTP server: the page says e-mail is off before one chooses it.
    assert 'data-testid="mail-off"' in html

    saved = web.post(
        "/notifications/preferences",
        {
            "task_opened": "email",
            "task_reminder": "digest",
            "task_overdue": "email",
            "dossier_returned": "app",
            "dossier_outcome": "app",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "Đã lưu cách nhận thông báo." in html
    assert '<option value="email" selected>' in html.split('name="task_opened"')[1].split("</select>")[0]

    refused = web.post("/notifications/preferences", {"task_opened": "fax"})
    assert refused.status_code == 422
    assert "is-invalid" in refused.get_data(as_text=True)

    with app.app_context():
        from app.services.preferences import get_preferences

        assert get_preferences(_user("demo-commune"))["task_opened"] == "email"
        assert get_preferences(_user("demo-commune"))["task_reminder"] == "digest"


def test_the_page_needs_a_login_and_a_csrf_token(client, web):
    assert client.get("/notifications/preferences").status_code in (302, 401)
    web.login("demo-commune")
    assert web.client.post("/notifications/preferences", data={"task_opened": "email"}).status_code == 400


def test_the_page_says_when_the_account_has_no_address(make_app):
    from tests.helpers import WebClient, make_official

    mail_app = make_app(MAIL_SERVER="127.0.0.1")
    make_official(mail_app, "can-bo-khong-thu")
    browser = WebClient(mail_app)
    browser.login("can-bo-khong-thu", "matkhau123")
    html = browser.get("/notifications/preferences").get_data(as_text=True)
    assert 'data-testid="no-address"' in html and 'data-testid="mail-off"' not in html
    browser = WebClient(mail_app)
    browser.login("demo-commune")
    html = browser.get("/notifications/preferences").get_data(as_text=True)
    assert "demo-commune@example.org" in html

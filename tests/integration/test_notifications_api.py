"""The caller's notifications and notification preferences over /api/v1."""

from datetime import timedelta

import pytest

from tests.helpers import walk

KEYS = {"id", "kind", "text", "url", "created_at", "read"}


def _user_id(username: str) -> int:
    from app.extensions import db
    from app.models import User

    return db.session.scalar(db.select(User.id).where(User.username == username))


def _add_notifications(app, username: str, count: int, *, kind: str = "dossier_outcome") -> list[int]:
    """``count`` notices for ``username``, an hour apart, oldest first; their ids in that order."""
    from app.extensions import db
    from app.models import Notification, utcnow

    with app.app_context():
        user_id, start = _user_id(username), utcnow() - timedelta(days=1)
        rows = [
            Notification(
                user_id=user_id,
                kind=kind,
                params={"dossier_code": f"HS-{n}", "status": "recognized"},
                dedupe_key=f"test:{username}:{n}",
                created_at=start + timedelta(hours=n),
            )
            for n in range(count)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _notifications(api, username: str, **query) -> dict:
    response = api.get(username, "/notifications", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _preferences(api, username: str) -> dict:
    response = api.get(username, "/me/notification-preferences")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["preferences"]


def test_list_is_the_callers_own_newest_first(app, api):
    mine = _add_notifications(app, "demo-household", 3)
    theirs = _add_notifications(app, "demo-district", 2)

    body = _notifications(api, "demo-household")

    assert set(body) == {"items", "unread", "total", "page", "per_page"}
    assert [item["id"] for item in body["items"]] == mine[::-1]
    assert not set(theirs) & {item["id"] for item in body["items"]}
    assert (body["unread"], body["total"], body["page"], body["per_page"]) == (3, 3, 1, 50)
    first = body["items"][0]
    assert set(first) == KEYS
    assert first["kind"] == "dossier_outcome" and first["read"] is False
    assert "HS-2" in first["text"]
    assert first["created_at"] > body["items"][1]["created_at"]
    # Nothing to lead to (no task, no dossier): no link rather than a broken one.
    assert first["url"] is None
    assert _notifications(api, "demo-district")["total"] == 2


def test_text_follows_the_language_and_url_is_the_task(app, api):
    """A real notice: the commune's officers are told of the task the household's self-report opened."""
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")

    vi = _notifications(api, "demo-commune")["items"]
    about = [item for item in vi if item["url"] == f"/tasks/{task['id']}"]
    assert len(about) == 1, vi
    assert about[0]["kind"] == "task_opened"
    assert about[0]["text"].startswith("Có công việc mới")

    en = api.get("demo-commune", "/notifications", headers={"Accept-Language": "en"}).get_json()["items"]
    assert [item["text"] for item in en if item["id"] == about[0]["id"]][0].startswith("New task")


def test_pages_and_their_bounds(app, api):
    ids = _add_notifications(app, "demo-household", 5)

    second = _notifications(api, "demo-household", per_page=2, page=2)
    assert [item["id"] for item in second["items"]] == [ids[2], ids[1]]
    assert (second["total"], second["page"], second["per_page"], second["unread"]) == (5, 2, 2, 5)
    assert _notifications(api, "demo-household", per_page=2, page=4)["items"] == []

    for query, name in (({"page": 0}, "page"), ({"per_page": 1000}, "per_page"), ({"page": "x"}, "page")):
        response = api.get("demo-household", "/notifications", query_string=query)
        assert response.status_code == 422
        assert set(response.get_json()) == {"errors", "message"} and name in response.get_json()["errors"]


def test_reading_one_notification(app, api):
    older, newer = _add_notifications(app, "demo-household", 2)

    response = api.post("demo-household", f"/notifications/{older}/read")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == older and response.get_json()["read"] is True
    assert set(response.get_json()) == KEYS
    body = _notifications(api, "demo-household")
    assert body["unread"] == 1
    assert {item["id"]: item["read"] for item in body["items"]} == {older: True, newer: False}
    # Reading it again changes nothing and still answers with it.
    again = api.post("demo-household", f"/notifications/{older}/read")
    assert again.status_code == 200 and again.get_json()["read"] is True


def test_someone_elses_or_an_unknown_notification_is_not_found(app, api):
    (theirs,) = _add_notifications(app, "demo-district", 1)

    for notification_id in (theirs, theirs + 1000):
        response = api.post("demo-household", f"/notifications/{notification_id}/read")
        assert response.status_code == 404
        assert response.get_json()["error"]["status"] == 404
    # Not read behind its owner's back.
    assert _notifications(api, "demo-district")["unread"] == 1


def test_without_a_token_nothing_is_answered(client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/me/notification-preferences").status_code == 401


def test_preferences_are_the_role_defaults_when_nothing_is_stored(app, api):
    from app.extensions import db
    from app.models import NotificationPreference

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(NotificationPreference)) == 0

    official = api.get("demo-commune", "/me/notification-preferences")
    household = api.get("demo-household", "/me/notification-preferences")

    assert official.status_code == 200 and household.status_code == 200
    assert official.get_json() == {
        "preferences": {
            "task_opened": "digest",
            "task_reminder": "app",
            "task_overdue": "email",
            "dossier_returned": "app",
            "dossier_outcome": "app",
        }
    }
    assert household.get_json()["preferences"]["dossier_returned"] == "email"
    assert household.get_json()["preferences"]["dossier_outcome"] == "email"


def test_put_stores_the_choices_and_answers_all_of_them(app, api):
    response = api.client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": {"task_opened": "email", "task_overdue": "app"}},
        headers=api.headers("demo-commune"),
    )

    assert response.status_code == 200, response.get_json()
    stored = response.get_json()["preferences"]
    assert stored["task_opened"] == "email" and stored["task_overdue"] == "app"
    # Kinds left out keep what they were.
    assert stored["task_reminder"] == "app"
    assert _preferences(api, "demo-commune") == stored
    # Someone else's stay as they were.
    assert api.get("demo-district", "/me/notification-preferences").get_json()["preferences"][
        "task_opened"
    ] == ("digest")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"preferences": {"no_such_kind": "email", "task_opened": "email"}}, "preferences.no_such_kind"),
        ({"preferences": {"task_opened": "sms"}}, "preferences.task_opened"),
        ({"preferences": {"task_opened": None}}, "preferences.task_opened"),
        ({"preferences": ["task_opened"]}, "preferences"),
        ({}, "preferences"),
    ],
)
def test_put_refuses_unknown_kinds_and_channels_whole(app, api, body, field):
    response = api.client.put(
        "/api/v1/me/notification-preferences", json=body, headers=api.headers("demo-commune")
    )

    assert response.status_code == 422
    answer = response.get_json()
    assert set(answer) == {"errors", "message"} and field in answer["errors"]
    # All or nothing: the valid choice beside the unknown kind was not stored either.
    assert api.get("demo-commune", "/me/notification-preferences").get_json()["preferences"][
        "task_opened"
    ] == ("digest")

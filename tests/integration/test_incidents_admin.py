"""Background jobs that failed every attempt (incidents): listed for admins over the API and on the
incidents page, run again or dismissed there; the page also says whether e-mail is on and where jobs run.

The failed rows are written straight into the database: how a job gets there (retries with backoff, the
worker process) is tested with the job layer. A ``task_opened`` job whose task does not exist is a real
job: retried, it runs in-process (no Redis in these tests) and ends ``done`` with nobody to tell.
"""

from datetime import timedelta

import pytest
from markupsafe import escape

MISSING_TASK = 999_999


def _failed_job(app, *, payload=None, dossier_id=None, age_hours: int = 1, status: str = "failed") -> int:
    from app.extensions import db
    from app.models import OutboxMessage, utcnow

    with app.app_context():
        failed_at = utcnow() - timedelta(hours=age_hours)
        message = OutboxMessage(
            kind="task_opened",
            payload={"human_task_id": MISSING_TASK} if payload is None else payload,
            status=status,
            attempts=5,
            last_error="OperationalError: database is locked",
            created_at=failed_at - timedelta(minutes=30),
            processed_at=failed_at,
            dossier_id=dossier_id,
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def _job(app, outbox_id: int):
    from app.extensions import db
    from app.models import OutboxMessage

    with app.app_context():
        message = db.session.get(OutboxMessage, outbox_id)
        db.session.expunge(message)
        return message


def _audit_actions(app, outbox_id: int) -> list[str]:
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        return list(
            db.session.scalars(
                db.select(AuditEvent.action)
                .where(AuditEvent.object_id == str(outbox_id), AuditEvent.action.like("job.%"))
                .order_by(AuditEvent.id)
            )
        )


# The API


def test_api_lists_failed_jobs_newest_first(app, api):
    dossier_id = api.open_dossier()
    older = _failed_job(app, age_hours=5)
    newer = _failed_job(app, dossier_id=dossier_id, age_hours=1)
    _failed_job(app, status="done")
    _failed_job(app, status="dismissed")

    response = api.get("demo-admin", "/incidents")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert [item["id"] for item in body["items"]] == [newer, older]
    assert (body["total"], body["page"]) == (2, 1)
    first = body["items"][0]
    assert set(first) == {
        "id",
        "kind",
        "error",
        "attempts",
        "payload",
        "dossier_id",
        "dossier_code",
        "created_at",
        "failed_at",
    }
    assert first["kind"] == "task_opened" and first["attempts"] == 5
    assert first["error"] == "OperationalError: database is locked"
    assert first["payload"] == {"human_task_id": MISSING_TASK}
    assert first["dossier_id"] == dossier_id
    assert first["dossier_code"] == api.dossier("demo-household", dossier_id)["code"]
    assert first["created_at"] < first["failed_at"]
    assert body["items"][1]["dossier_code"] is None

    page_two = api.get("demo-admin", "/incidents", query_string={"per_page": 1, "page": 2}).get_json()
    assert [item["id"] for item in page_two["items"]] == [older]
    assert api.get("demo-admin", "/incidents", query_string={"per_page": 0}).status_code == 422


def test_api_retry_runs_the_job_again(app, api):
    outbox_id = _failed_job(app)

    response = api.post("demo-admin", f"/incidents/{outbox_id}/retry")

    assert response.status_code == 200, response.get_json()
    # No Redis: the job ran in-process before the answer; its task is gone, so there was nobody to tell.
    assert response.get_json() == {"id": outbox_id, "status": "done"}
    job = _job(app, outbox_id)
    assert (job.status, job.attempts, job.last_error) == ("done", 1, None)
    assert _audit_actions(app, outbox_id) == ["job.retried"]
    assert api.get("demo-admin", "/incidents").get_json()["items"] == []
    # Not an incident any more.
    assert api.post("demo-admin", f"/incidents/{outbox_id}/retry").status_code == 404


def test_api_retry_of_a_job_that_fails_again_waits_for_its_next_attempt(app, api):
    outbox_id = _failed_job(app, payload={})

    response = api.post("demo-admin", f"/incidents/{outbox_id}/retry")

    assert response.status_code == 200
    assert response.get_json() == {"id": outbox_id, "status": "pending"}
    job = _job(app, outbox_id)
    # Its attempts started over: one used, the next one after the backoff.
    assert job.attempts == 1 and "KeyError" in job.last_error and job.next_attempt_at is not None


@pytest.mark.parametrize("status", ["pending", "done", "dismissed"])
def test_api_retry_of_what_is_not_an_incident_is_not_found(app, api, status):
    outbox_id = _failed_job(app, status=status)

    assert api.post("demo-admin", f"/incidents/{outbox_id}/retry").status_code == 404
    assert api.post("demo-admin", f"/incidents/{outbox_id + 1000}/retry").status_code == 404
    assert _job(app, outbox_id).status == status


@pytest.mark.parametrize("username", ["demo-commune", "demo-household"])
def test_api_is_for_admins_only(app, api, username):
    outbox_id = _failed_job(app)

    listed = api.get(username, "/incidents")
    retried = api.post(username, f"/incidents/{outbox_id}/retry")

    assert listed.status_code == 403 and listed.get_json()["error"]["status"] == 403
    assert retried.status_code == 403
    assert _job(app, outbox_id).status == "failed"


# The page


def test_page_lists_the_failed_job(app, api, web):
    dossier_id = api.open_dossier()
    code = api.dossier("demo-household", dossier_id)["code"]
    _failed_job(app, dossier_id=dossier_id)
    web.login("demo-admin")

    page = web.get("/admin/incidents").get_data(as_text=True)

    assert "Công việc nền lỗi" in page
    assert page.count('data-testid="failed-job"') == 1
    assert "Báo công việc mới" in page  # the kind in words
    assert "OperationalError: database is locked" in page
    assert str(escape(f'{{"human_task_id": {MISSING_TASK}}}')) in page
    assert f'href="/dossiers/{dossier_id}">{code}</a>' in page
    assert "Chạy lại" in page and "Bỏ qua" in page
    # Dismissing asks first (static/app.js reads data-confirm on the form).
    assert 'data-confirm="Bỏ qua công việc nền này?' in page


def test_page_retry_runs_the_job_and_it_leaves_the_list(app, web):
    outbox_id = _failed_job(app)
    web.login("demo-admin")

    response = web.post(
        f"/admin/incidents/jobs/{outbox_id}/retry", {}, csrf_from="/admin/incidents", follow_redirects=True
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã chạy lại công việc nền: đã xong." in page
    assert 'data-testid="failed-job"' not in page
    assert _job(app, outbox_id).status == "done"
    assert _audit_actions(app, outbox_id) == ["job.retried"]


def test_page_retry_that_fails_again_says_so(app, web):
    outbox_id = _failed_job(app, payload={})
    web.login("demo-admin")

    response = web.post(
        f"/admin/incidents/jobs/{outbox_id}/retry", {}, csrf_from="/admin/incidents", follow_redirects=True
    )

    assert "Đã chạy lại công việc nền nhưng vẫn lỗi: KeyError" in response.get_data(as_text=True)
    assert _job(app, outbox_id).status == "pending"


def test_page_dismiss(app, web):
    outbox_id = _failed_job(app)
    web.login("demo-admin")

    response = web.post(
        f"/admin/incidents/jobs/{outbox_id}/dismiss", {}, csrf_from="/admin/incidents", follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Đã bỏ qua công việc nền lỗi" in page
    assert 'data-testid="failed-job"' not in page
    assert _job(app, outbox_id).status == "dismissed"
    assert _audit_actions(app, outbox_id) == ["job.dismissed"]
    # Twice (another tab): told, nothing else happens.
    again = web.post(
        f"/admin/incidents/jobs/{outbox_id}/dismiss", {}, csrf_from="/admin/incidents", follow_redirects=True
    )
    assert "không còn lỗi" in again.get_data(as_text=True)
    assert _audit_actions(app, outbox_id) == ["job.dismissed"]


@pytest.mark.parametrize("username", ["demo-commune", "demo-household"])
def test_page_and_its_actions_do_not_exist_for_others(app, web, username):
    outbox_id = _failed_job(app)
    web.login(username)

    assert web.get("/admin/incidents").status_code == 404
    for action in ("retry", "dismiss"):
        response = web.post(f"/admin/incidents/jobs/{outbox_id}/{action}", {}, csrf_from="/notifications")
        assert response.status_code == 404
    assert _job(app, outbox_id).status == "failed"


def test_status_panel_says_mail_is_off_and_jobs_run_in_process(app, web):
    _failed_job(app)
    _failed_job(app, status="pending")
    _failed_job(app, status="pending")
    web.login("demo-admin")

    page = web.get("/admin/incidents").get_data(as_text=True)

    assert "Thư điện tử: tắt" in page
    assert "Chưa cấu hình máy chủ thư (MAIL_SERVER): thông báo chỉ hiện trong ứng dụng." in page
    assert "công việc nền chạy ngay trong tiến trình web" in page
    assert "Đang chờ chạy: 2 · Lỗi: 1" in page


def test_status_panel_names_the_mail_server_when_on(make_app):
    from tests.helpers import WebClient

    web = WebClient(make_app(MAIL_SERVER="smtp.example.org", MAIL_PORT=2525))
    web.login("demo-admin")

    page = web.get("/admin/incidents").get_data(as_text=True)

    assert "Thư điện tử: bật" in page and "smtp.example.org:2525" in page
    assert "MAIL_SERVER" not in page

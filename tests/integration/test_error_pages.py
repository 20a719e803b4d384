"""Every 4xx and 5xx is a Vietnamese page with a way back (JSON for the API and a page's own fetches), and
a task form posted with an expired session, a stale CSRF token or too large a body sends the user back
to the form, saying that the answers are kept in the browser (static/js/task_answers.js)."""

import io
import re
from datetime import timedelta

import pytest
from flask import abort
from werkzeug.exceptions import default_exceptions

from app.extensions import db
from app.models import User, UserSession, utcnow
from tests.helpers import WebClient, self_report

CODES = sorted(code for code in default_exceptions if code >= 400)
KEPT = "vẫn được giữ trong trình duyệt này"
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


@pytest.fixture
def aborting_app(make_app):
    """An app with a page and an API path that fail with any status, as some route one day will."""
    app = make_app()

    def fail(code: int):
        abort(code)

    app.add_url_rule("/thu-loi/<int:code>", "fail_page", fail)
    app.add_url_rule("/api/v1/thu-loi/<int:code>", "fail_api", fail)
    return app


def message_of(body: str) -> str:
    return re.search(r'data-testid="error-message">([^<]*)<', body).group(1)


@pytest.mark.parametrize("code", CODES)
def test_every_error_status_is_a_vietnamese_page_with_a_way_back(aborting_app, code):
    web = WebClient(aborting_app)
    web.login("demo-household")
    response = web.get(f"/thu-loi/{code}", headers={"Referer": "http://localhost/dossiers?status=new"})
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert '<html lang="vi"' in body
    assert VIETNAMESE.search(message_of(body)), message_of(body)
    assert default_exceptions[code].description not in body
    assert 'href="/dossiers?status=new"' in body and "Quay lại trang trước" in body
    assert 'data-testid="error-home"' in body and "Về trang chủ" in body


@pytest.mark.parametrize("code", CODES)
def test_every_api_error_is_json(aborting_app, code):
    response = aborting_app.test_client().get(f"/api/v1/thu-loi/{code}")
    assert response.status_code == code
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == code and VIETNAMESE.search(error["message"])


def test_a_page_failing_on_its_own_load_offers_home_not_itself(web):
    web.login("demo-household")
    response = web.get("/dossiers/999999", headers={"Referer": "http://localhost/dossiers/999999"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert 'data-testid="error-back"' not in body and 'data-testid="error-home"' in body


def test_a_referrer_from_another_site_is_no_way_back(web):
    response = web.get("/khong-co", headers={"Referer": "https://evil.example/trang"})
    assert response.status_code == 404
    assert "evil.example" not in response.get_data(as_text=True)


def test_unknown_api_paths_and_a_page_fetch_get_json(web, client):
    assert client.get("/api/v1/khong-co").get_json()["error"]["status"] == 404
    response = client.get("/khong-co", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json


@pytest.fixture
def household_task(api):
    dossier_id = api.open_dossier()
    return api.task_for("demo-household", dossier_id, "self_report")["id"]


def _expire_sessions(app, username: str) -> None:
    """Leave the user's sessions idle longer than SESSION_IDLE_MINUTES, as a lunch break would."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        for row in db.session.scalars(db.select(UserSession).where(UserSession.user_id == user.id)):
            row.last_seen_at = utcnow() - idle
        db.session.commit()


def test_a_task_form_posted_after_the_session_expired_goes_back_to_the_form_after_login(
    app, web, household_task
):
    web.login("demo-household")
    token = web.csrf(f"/tasks/{household_task}")
    _expire_sessions(app, "demo-household")
    response = web.client.post(
        f"/tasks/{household_task}?inbox=mine", data={**self_report(9), "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    login = web.get(response.location).get_data(as_text=True)
    assert "Phiên đăng nhập đã hết hạn" in login and KEPT in login
    # After signing in, the form (a GET), not the URL it was posted to with nothing in it.
    token = web.csrf(response.location)
    back = web.client.post(
        response.location, data={"username": "demo-household", "password": "demo1234", "csrf_token": token}
    )
    assert back.location == f"/tasks/{household_task}?inbox=mine"


def test_a_task_form_posted_without_its_session_cookie_goes_to_login_then_back(app, household_task):
    fresh = WebClient(app)
    response = fresh.client.post(f"/tasks/{household_task}", data=self_report(9))
    assert response.status_code == 302
    assert response.location == f"/login?next=/tasks/{household_task}"
    assert KEPT in fresh.get(response.location).get_data(as_text=True)


def test_a_stale_csrf_token_on_a_task_form_leads_back_to_the_form(web, household_task):
    web.login("demo-household")
    response = web.client.post(f"/tasks/{household_task}", data={**self_report(9), "csrf_token": "cu"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'href="/tasks/{household_task}"' in body and "Quay lại biểu mẫu" in body
    assert KEPT in body


def test_other_expired_posts_go_back_to_the_page_they_were_on(app, web, household_task):
    web.login("demo-household")
    token = web.csrf("/dossiers")
    _expire_sessions(app, "demo-household")
    response = web.client.post(
        "/notifications/read", data={"csrf_token": token}, headers={"Referer": "http://localhost/dossiers"}
    )
    assert response.location == "/login?next=/dossiers"
    body = web.get(response.location).get_data(as_text=True)
    assert "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại." in body and KEPT not in body


def test_an_oversized_task_form_says_the_answers_are_kept_and_links_back(make_app, api):
    app = make_app(MAX_EVIDENCE_BYTES=20 * 1024, MAX_CONTENT_LENGTH=100 * 1024)
    api = type(api)(app.test_client())
    dossier_id = api.open_dossier()
    task_id = api.task_for("demo-household", dossier_id, "self_report")["id"]
    web = WebClient(app)
    web.login("demo-household")
    data = {**self_report(9), "evidence_c1": (io.BytesIO(b"%PDF-1.4\n" + b"0" * 200 * 1024), "hoc-ba.pdf")}
    response = web.post(f"/tasks/{task_id}", data, content_type="multipart/form-data")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "tối đa 100 kB mỗi lần, 20 kB mỗi tệp" in body
    assert f'href="/tasks/{task_id}"' in body and "Quay lại biểu mẫu" in body and KEPT in body


def test_the_task_page_hands_its_script_the_size_limits_and_autosave_address(web, household_task):
    web.login("demo-household")
    body = web.get(f"/tasks/{household_task}").get_data(as_text=True)
    config = re.search(r'id="task-answers-config">([^<]*)</script>', body).group(1)
    assert f'"autosaveUrl": "/tasks/{household_task}/draft"' in config
    assert '"maxFileBytes": 10485760' in config
    assert "js/task_answers.js" in body


def _autosave(web, task_id: int, data: dict, token: str | None = None):
    return web.client.post(
        f"/tasks/{task_id}/draft",
        data={**data, "csrf_token": token or web.csrf(f"/tasks/{task_id}")},
        headers={"Accept": "application/json"},
    )


def test_autosave_keeps_the_answers_as_the_draft(web, household_task):
    web.login("demo-household")
    response = _autosave(web, household_task, {"c1a": "7", "note": "Đang chờ giấy khen"})
    assert response.status_code == 200
    assert "Đã tự động lưu nháp lúc" in response.get_json()["message"]
    page = web.get(f"/tasks/{household_task}").get_data(as_text=True)
    assert "Đang hiển thị bản nháp của bạn" in page and "Đang chờ giấy khen" in page


def test_autosave_refusals_are_json(app, web, household_task):
    web.login("demo-household")
    token = web.csrf(f"/tasks/{household_task}")
    too_long = _autosave(web, household_task, {"note": "x" * 100_000}, token)
    assert too_long.status_code == 422 and too_long.is_json
    _expire_sessions(app, "demo-household")
    expired = _autosave(web, household_task, {"c1a": "7"}, token)
    assert expired.status_code == 401 and expired.is_json

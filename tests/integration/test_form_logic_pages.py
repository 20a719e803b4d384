"""A hidden field's value posted anyway is dropped, through the API and through the web form; a repeating
group and a computed field reach the stored submission as the server made them."""

import io

from tests.procedure_factory import TITLE, logic_package, zip_bytes


def stored_report(app, dossier_id):
    from app.extensions import db
    from app.models import Submission

    with app.app_context():
        return (
            db.session.scalars(
                db.select(Submission).where(Submission.dossier_id == dossier_id).order_by(Submission.id)
            )
            .first()
            .data
        )


def deploy_and_open(api):
    data = {"package": (io.BytesIO(zip_bytes(logic_package())), "goi.zip")}
    assert api.post("demo-admin", "/procedures", data=data).status_code == 201
    dossier = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026})
    assert dossier.status_code == 201, dossier.get_json()
    return dossier.get_json()["id"]


def test_the_api_drops_a_hidden_value_and_recomputes(app, api):
    dossier_id = deploy_and_open(api)
    payload = {
        "books": 12,
        "has_members": False,
        "members": [{"full_name": "An", "books_read": 3}],
        "secret": "posted anyway",
        "per_member": 999,
    }
    api.complete("demo-household", dossier_id, "report_books", payload)
    data = stored_report(app, dossier_id)
    assert data["books"] == 12
    assert data["secret"] is None and data["members"] == [] and data["per_member"] is None


def test_the_api_keeps_visible_rows_and_reports_cells(app, api):
    dossier_id = deploy_and_open(api)
    bad = {"books": 12, "has_members": True, "members": [{"books_read": -1}]}
    task = api.task_for("demo-household", dossier_id, "report_books")
    response = api.post("demo-household", f"/tasks/{task['id']}/complete", json={"data": bad})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["members[0].full_name"] == ["Vui lòng nhập trường này."]
    members = [{"full_name": "An", "books_read": 3}, {"full_name": "Bình", "books_read": 9}]
    api.complete(
        "demo-household", dossier_id, "report_books", {"books": 12, "has_members": True, "members": members}
    )
    data = stored_report(app, dossier_id)
    assert data["members"] == members and data["per_member"] == 6


def test_the_web_form_drops_a_hidden_value(app, api, web):
    dossier_id = deploy_and_open(api)
    task = api.task_for("demo-household", dossier_id, "report_books")
    web.login("demo-household")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "data-visible-if=" in page and 'data-kind="group"' in page
    posted = {
        "books": "7",
        "has_members": "no",
        "members-0-full_name": "An",
        "secret": "posted anyway",
        "per_member": "1",
    }
    response = web.post(f"/tasks/{task['id']}", posted)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    data = stored_report(app, dossier_id)
    assert data["books"] == 7 and data["secret"] is None and data["members"] == []

"""The shipped criteria sets are published library forms, each with its legal basis in the API."""


def test_every_shipped_criteria_set_is_published_with_its_legal_basis(app, api):
    from tests.conftest import ROOT

    shipped = sorted(p.stem for p in (ROOT / "criteria").glob("*.json"))
    assert len(shipped) >= 6
    library = {item["key"]: item for item in api.get("demo-admin", "/forms").get_json()["items"]}
    for key in shipped:
        assert [v["version"] for v in library[key]["versions"]] == [1], key
        version = api.get("demo-admin", f"/forms/{key}/versions/1").get_json()
        assert version["definition"]["legal_basis"], key


def test_publishing_the_shipped_sets_again_changes_nothing(app):
    from app.extensions import db
    from app.models import AuditEvent, FormVersion

    def counts():
        with app.app_context():
            return (
                db.session.scalar(db.select(db.func.count(FormVersion.id))),
                db.session.scalar(db.select(db.func.count(AuditEvent.id))),
            )

    before = counts()
    result = app.test_cli_runner().invoke(args=["forms", "publish"])
    assert result.exit_code == 0, result.output
    assert "không đổi" in result.output and "đã xuất bản" not in result.output
    assert counts() == before


def test_the_task_page_shows_the_forms_legal_basis(api, web):
    dossier_id = api.post(
        "demo-household-ck", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026}
    ).get_json()["id"]
    task = api.task_for("demo-household-ck", dossier_id, "self_report")
    web.login("demo-household-ck")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'data-testid="legal-basis"' in page and "448/QĐ-KHVN" in page and "387/QĐ-TTg" in page


def test_the_builder_preview_shows_a_criteria_sets_legal_basis(app, web):
    import json

    from tests.conftest import ROOT
    from tests.integration.test_form_builder_pages import post_json

    web.login("demo-admin")
    definition = json.loads((ROOT / "criteria" / "don_vi_hoc_tap_tt22_2020.json").read_text(encoding="utf-8"))
    html = post_json(web, "/admin/forms/preview", {"definition": definition}).get_data(as_text=True)
    assert 'data-testid="legal-basis"' in html and "22/2020" in html

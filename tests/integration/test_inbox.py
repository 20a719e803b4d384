"""The inbox reads the human_task table only, and can be filtered, sorted and paged."""

from datetime import timedelta

from tests.helpers import walk


def test_inbox_never_deserializes_a_workflow(app, api, web, monkeypatch):
    from workflow import WorkflowRuntime

    for year in (2026, 2027, 2028):
        walk(api, to="commune_scoring", year=year)
    loads = []
    original = WorkflowRuntime._load

    def counting_load(self, *args, **kwargs):
        loads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(WorkflowRuntime, "_load", counting_load)

    listed = api.get("demo-commune", "/tasks").get_json()
    assert listed["total"] == 3
    web.login("demo-commune")
    page = web.get("/inbox?sort=-due&overdue=0")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('data-testid="task-row"') == 3
    assert loads == []

    # The counter is real: completing a step does load the workflow.
    from tests.helpers import commune_accept

    api.complete("demo-commune", listed["items"][0]["dossier_id"], "commune_scoring", commune_accept())
    assert loads


def test_inbox_filters_sort_and_pages(app, api):
    from app.extensions import db
    from app.models import AdminUnit, HumanTask, utcnow

    ids = [walk(api, to="commune_scoring", year=2026 + i) for i in range(5)]
    with app.app_context():
        # Make the oldest dossier's task overdue.
        task = db.session.scalars(
            db.select(HumanTask).where(HumanTask.dossier_id == ids[0], HumanTask.state == "open")
        ).one()
        task.due_at = utcnow() - timedelta(days=1)
        db.session.commit()
        commune = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-AH")).id
        other = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-XK")).id

    overdue = api.get("demo-commune", "/tasks", query_string={"overdue": "1"}).get_json()
    assert [t["dossier_id"] for t in overdue["items"]] == [ids[0]]

    by_due = api.get("demo-commune", "/tasks", query_string={"sort": "due"}).get_json()["items"]
    assert by_due[0]["dossier_id"] == ids[0]
    assert [t["due_at"] for t in by_due[1:]] == sorted(t["due_at"] for t in by_due[1:])

    page1 = api.get("demo-commune", "/tasks", query_string={"per_page": 2, "page": 1}).get_json()
    page3 = api.get("demo-commune", "/tasks", query_string={"per_page": 2, "page": 3}).get_json()
    assert page1["total"] == 5 and len(page1["items"]) == 2 and len(page3["items"]) == 1

    assert api.get("demo-commune", "/tasks", query_string={"unit": commune}).get_json()["total"] == 5
    assert api.get("demo-commune", "/tasks", query_string={"unit": other}).get_json()["total"] == 0
    assert (
        api.get("demo-commune", "/tasks", query_string={"title": "cong_dan_hoc_tap"}).get_json()["total"] == 0
    )

    first = by_due[0]["id"]
    api.post("demo-commune", f"/tasks/{first}/claim")
    mine = api.get("demo-commune", "/tasks", query_string={"claimed": "me"}).get_json()
    assert [t["id"] for t in mine["items"]] == [first]
    assert api.get("demo-commune", "/tasks", query_string={"claimed": "unclaimed"}).get_json()["total"] == 4


def test_inbox_page_claims_and_releases(web, api):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    web.login("demo-commune")
    response = web.post(f"/tasks/{task['id']}/claim", {"next": "/inbox"}, csrf_from="/inbox")
    assert response.status_code == 302
    page = web.get("/inbox").get_data(as_text=True)
    assert 'data-testid="release"' in page
    assert api.get("demo-commune", f"/tasks/{task['id']}").get_json()["claimed_by"] == "demo-commune"
    web.post(f"/tasks/{task['id']}/release", {"next": "/inbox"}, csrf_from="/inbox")
    assert api.get("demo-commune", f"/tasks/{task['id']}").get_json()["claimed_by"] is None

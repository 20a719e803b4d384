"""The audit log for the accountable: admins read all of it, an inspector the dossiers under its unit,
everyone else nothing; a dossier's whole life is listed and exported; rows are append-only."""

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.helpers import WebClient, make_official, self_report, walk

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r'data-testid="audit-row" data-action="([^"]+)"')
INSPECTOR_PASSWORD = "matkhau123"


def life_of(app, dossier_id: int) -> list[tuple[str, str | None]]:
    """Every audit row of the dossier, oldest first, straight from the table."""
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.dossier_id == dossier_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        return [(e.action, e.actor.username if e.actor else None) for e in events]


def code_of(api, dossier_id: int, username: str = "demo-admin") -> str:
    return api.dossier(username, dossier_id)["code"]


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark: Excel would garble Vietnamese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def audit_items(api, username: str, **query) -> list[dict]:
    response = api.get(username, "/audit", query_string={"per_page": 200, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def inspector(app, api, username: str, unit: str) -> str:
    make_official(app, username, role="inspector", unit=unit, full_name=f"Thanh tra {unit}")
    api.token(username, INSPECTOR_PASSWORD)
    return username


def open_b(api) -> int:
    """A dossier in commune B (Nhơn Ái), past its first step."""
    dossier_id = api.open_dossier("demo-household-b")
    api.complete("demo-household-b", dossier_id, "self_report", self_report())
    return dossier_id


def test_the_audit_view_lists_a_dossiers_whole_life_and_exports_it(app, api, web):
    dossier_id = walk(api, to="the end")
    code = code_of(api, dossier_id)
    life = life_of(app, dossier_id)
    assert [action for action, _ in life] == [
        "dossier.opened",
        "task.completed",
        "task.completed",
        "task.completed",
        "task.completed",
        "dossier.recognized",
    ]
    assert [actor for _, actor in life][:5] == [
        "demo-household",
        "demo-household",
        "demo-commune",
        "demo-district",
        "demo-city",
    ]

    web.login("demo-admin")
    show = web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="full-audit"', show)
    assert link and link.group(1) == f"/admin/audit?dossier={code}"

    page = web.get(link.group(1))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ROW.findall(html) == [action for action, _ in reversed(life)]  # newest first
    assert f'value="{code}"' in html  # the filter keeps its value
    csv_link = re.search(r'href="([^"]+)" data-testid="audit-csv"', html).group(1)
    assert csv_link == f"/admin/audit.csv?dossier={code}"

    export = web.get(csv_link)
    assert export.status_code == 200
    assert export.mimetype == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    header, *rows = read_csv(export)
    assert header[:6] == [
        "Thời điểm (ISO, UTC)",
        "Thời điểm",
        "Tài khoản",
        "Họ và tên",
        "Mã hành động",
        "Hành động",
    ]
    assert [(row[4], row[2] or None) for row in rows] == list(reversed(life))
    assert {row[6] for row in rows} == {code}
    assert "Hoàn thành bước" in {row[5] for row in rows}
    assert "Cán bộ xã An Hòa" in {row[3] for row in rows}
    for row in rows:
        assert datetime.fromisoformat(row[0]).tzinfo is not None
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row[1])

    api_items = audit_items(api, "demo-admin", dossier=code)
    assert [(item["action"], item["actor"]) for item in api_items] == list(reversed(life))
    assert {(item["dossier_id"], item["dossier_code"]) for item in api_items} == {(dossier_id, code)}
    assert [item["at"] for item in api_items] == [row[0] for row in rows]
    assert audit_items(api, "demo-admin", dossier=str(dossier_id)) == api_items

    household = WebClient(app)
    household.login("demo-household")
    assert 'data-testid="full-audit"' not in household.get(f"/dossiers/{dossier_id}").get_data(as_text=True)


def test_filters_by_person_action_unit_and_dossier(app, api):
    a = walk(api, to="district_verification")
    b = open_b(api)
    code_a, code_b = code_of(api, a), code_of(api, b)

    by_person = audit_items(api, "demo-admin", user="DEMO-COMMUNE")  # usernames match whatever the case
    assert by_person and {item["actor"] for item in by_person} == {"demo-commune"}
    assert ("task.completed", code_a) in {(item["action"], item["dossier_code"]) for item in by_person}

    opened = audit_items(api, "demo-admin", action="dossier.opened")
    assert {item["action"] for item in opened} == {"dossier.opened"}
    assert {code_a, code_b} <= {item["dossier_code"] for item in opened}

    assert {i["dossier_code"] for i in audit_items(api, "demo-admin", unit="DEMO-AH")} == {code_a}
    assert {i["dossier_code"] for i in audit_items(api, "demo-admin", unit="DEMO-NA")} == {code_b}
    # A district is the subtree of its communes: Ninh Kiều holds An Hòa, not Nhơn Ái.
    assert {i["dossier_code"] for i in audit_items(api, "demo-admin", unit="DEMO-NK")} == {code_a}

    both = audit_items(api, "demo-admin", user="demo-household-b", action="task.completed")
    assert [(i["action"], i["dossier_code"]) for i in both] == [("task.completed", code_b)]
    assert audit_items(api, "demo-admin", user="nobody-by-that-name") == []

    # Events without a dossier (accounts, procedures) are in the admins' unfiltered view.
    assert "user.created" in {i["action"] for i in audit_items(api, "demo-admin", action="user.created")}


def test_date_range_is_inclusive_in_vietnam_time(app, api, web):
    from app.extensions import db
    from app.models import User
    from app.services import audit

    dossier_id = api.open_dossier()
    # Vietnam is UTC+7: 17:00 UTC is local midnight of the next day.
    moments = {
        "before": datetime(2001, 3, 1, 16, 59, 59, tzinfo=UTC),  # 01/03 23:59:59 local
        "first": datetime(2001, 3, 1, 17, 0, tzinfo=UTC),  # 02/03 00:00 local
        "last": datetime(2001, 3, 2, 16, 59, 59, tzinfo=UTC),  # 02/03 23:59:59 local
        "after": datetime(2001, 3, 2, 17, 0, tzinfo=UTC),  # 03/03 00:00 local
    }
    with app.app_context():
        commune = db.session.scalar(select(User).where(User.username == "demo-commune"))
        for name, at in moments.items():
            audit.record(
                "comment.added", actor=commune, at=at, dossier_id=dossier_id, details={"moment": name}
            )
        db.session.commit()

    def moments_of(**query):
        return [
            i["details"].get("moment")
            for i in audit_items(api, "demo-admin", dossier=str(dossier_id), **query)
        ]

    assert moments_of(since="2001-03-02", until="2001-03-02") == ["last", "first"]
    assert moments_of(until="2001-03-01") == ["before"]
    assert moments_of(since="2001-03-03", until="2001-03-03") == ["after"]
    assert moments_of(since="2001-03-03")[-1] == "after" and "first" not in moments_of(since="2001-03-03")

    web.login("demo-admin")
    html = web.get(f"/admin/audit?dossier={dossier_id}&since=2001-03-02&until=2001-03-02").get_data(
        as_text=True
    )
    assert ROW.findall(html) == ["comment.added", "comment.added"]
    assert 'value="2001-03-02"' in html
    header, *rows = read_csv(
        web.get(f"/admin/audit.csv?dossier={dossier_id}&since=2001-03-02&until=2001-03-02")
    )
    assert [row[1] for row in rows] == ["02/03/2001 23:59", "02/03/2001 00:00"]
    assert [row[0] for row in rows] == ["2001-03-02T16:59:59+00:00", "2001-03-01T17:00:00+00:00"]
    assert '"moment": "last"' in rows[0][8]


def test_the_export_defuses_spreadsheet_formulas(app, api, web):
    make_official(app, "ke-gian", full_name='=HYPERLINK("http://evil.example","Bấm")')
    api.token("ke-gian", INSPECTOR_PASSWORD)
    web.login("demo-admin")
    header, *rows = read_csv(web.get("/admin/audit.csv?user=ke-gian"))
    assert rows and {row[3] for row in rows} == {'\'=HYPERLINK("http://evil.example","Bấm")'}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-13-01"}, "since"),
        ({"until": "30/11/2026"}, "until"),
        ({"since": "1999-12-31"}, "since"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until"),
        ({"unit": "NO-SUCH-UNIT"}, "unit"),
        ({"user": "x" * 65}, "user"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"per_page": "201"}, "per_page"),
        ({"per_page": "-1"}, "per_page"),
    ],
)
def test_bad_filters_answer_422_naming_the_field(api, query, field):
    response = api.get("demo-admin", "/audit", query_string=query)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_a_bad_filter_on_the_page_is_shown_with_the_typed_values(web):
    web.login("demo-admin")
    response = web.get("/admin/audit?since=2026-13-01&user=demo-commune")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "YYYY-MM-DD" in html and 'value="2026-13-01"' in html and 'value="demo-commune"' in html
    assert web.get("/admin/audit.csv?since=2026-13-01").status_code == 422


@pytest.mark.parametrize("username", ["demo-household", "demo-commune", "demo-district", "demo-city"])
def test_everyone_else_gets_404_on_the_page_and_403_on_the_api(app, api, username):
    response = api.get(username, "/audit")
    assert response.status_code == 403
    assert response.get_json()["error"]["status"] == 403
    browser = WebClient(app)
    browser.login(username)
    assert browser.get("/admin/audit").status_code == 404
    assert browser.get("/admin/audit.csv").status_code == 404
    assert 'href="/admin/audit"' not in browser.get("/dossiers").get_data(as_text=True)


def test_the_api_wants_a_token_and_the_page_a_login(client):
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/admin/audit").status_code in (302, 401)


def test_an_inspector_reads_its_communes_events_and_nothing_else(app, api):
    a, b = walk(api, to="district_verification"), open_b(api)
    code_a, code_b = code_of(api, a), code_of(api, b)
    inspector(app, api, "thanh-tra-ah", "DEMO-AH")
    inspector(app, api, "thanh-tra-pd", "DEMO-PD")  # the district holding commune B

    seen = audit_items(api, "thanh-tra-ah")
    assert {i["dossier_code"] for i in seen} == {code_a}
    assert [i["action"] for i in seen] == [action for action, _ in reversed(life_of(app, a))]
    assert audit_items(api, "thanh-tra-ah", dossier=code_b) == []
    assert audit_items(api, "thanh-tra-ah", unit="DEMO-NA") == []  # asking for B does not widen the scope
    assert audit_items(api, "thanh-tra-ah", action="user.created") == []  # no dossier: admins only
    assert {i["dossier_code"] for i in audit_items(api, "thanh-tra-pd")} == {code_b}

    # Reading the log confers nothing else: no dossier and no task.
    assert api.get("thanh-tra-ah", f"/dossiers/{a}").status_code == 404
    assert api.get("thanh-tra-ah", "/tasks").get_json()["items"] == []

    browser = WebClient(app)
    browser.login("thanh-tra-ah", INSPECTOR_PASSWORD)
    assert 'href="/admin/audit"' in browser.get("/dossiers").get_data(as_text=True)
    assert browser.get("/admin/users").status_code == 404
    html = browser.get("/admin/audit").get_data(as_text=True)
    assert code_a in html and code_b not in html
    header, *rows = read_csv(browser.get("/admin/audit.csv"))
    assert {row[6] for row in rows} == {code_a}
    assert len(rows) == len(seen)


def test_the_openapi_document_describes_the_audit(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/audit"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"dossier", "user", "action", "since", "until", "unit", "page", "per_page"}
    assert {"200", "401", "403", "422"} <= set(operation["responses"])


# Append-only is guarded twice. The application: no statement in it updates or deletes audit rows, and the
# ORM refuses to flush a change to one (both checked on every backend). The database: on PostgreSQL a
# trigger refuses UPDATE and DELETE from any client; SQLite has no such trigger, and the test says so
# rather than skipping, so each backend asserts what holds for it.
CHANGES = re.compile(
    r"(?i)\b(update|delete)\(\s*AuditEvent\b"
    r"|query\(\s*AuditEvent\s*\)[^\n]*\.(update|delete)\("
    r"|\bupdate\s+audit_event\b|\bdelete\s+from\s+audit_event\b"
)


def test_the_app_has_no_update_or_delete_path_for_audit_rows():
    sources = [p for folder in ("app", "workflow", "forms") for p in (ROOT / folder).rglob("*.py")]
    assert len(sources) > 20
    offenders = [str(p.relative_to(ROOT)) for p in sources if CHANGES.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_audit_rows_are_append_only(app_ctx, api):
    from app.extensions import db
    from app.models import AuditEvent

    api.open_dossier()
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()

    event.action = "x"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()

    if db.engine.dialect.name == "postgresql":
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            operation = statement.split()[0]
            with pytest.raises(DBAPIError, match=rf"audit_event is append-only \({operation} refused\)"):
                db.session.execute(text(statement))
            db.session.rollback()
    else:
        assert db.engine.dialect.name == "sqlite"
        triggers = db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"))
        assert triggers == 0, "SQLite now has a trigger: assert here that it refuses, as on PostgreSQL"

    assert db.session.scalar(select(func.count(AuditEvent.id))) == count
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "x")) == 0

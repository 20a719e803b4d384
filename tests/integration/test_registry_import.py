"""Importing the subject registry from XLSX and CSV through the API: every row checked before anything is
written, all or nothing, no duplicates on a second import, jurisdiction row by row, and an export that
imports back to no change."""

import io
import re
import time

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import AuditEvent, HouseholdMember, RegistryImport, Subject, SubjectLink
from app.models.counts import SubjectCount
from tests.registry_files import as_csv, as_xlsx, clan_rows, household_rows, organisation_rows

VILLAGES_AH = ["DEMO-AH-V1", "DEMO-AH-V2"]
FINISHED = ("done", "rejected", "failed")


def upload(api, username: str, kind: str, content: bytes, filename: str):
    # Encoded here, in memory: the test client spools a large body to a temporary file it never closes.
    boundary, body = encode_multipart(
        {"kind": kind, "file": FileStorage(stream=io.BytesIO(content), filename=filename)}
    )
    return api.post(username, "/imports", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def run(
    api, username: str, kind: str, content: bytes, filename: str = "so-ho.xlsx", timeout: float = 90
) -> dict:
    """Upload, then poll until the import has finished; returns its last state."""
    response = upload(api, username, kind, content, filename)
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["id"]
    deadline = time.monotonic() + timeout
    while True:
        state = api.get(username, f"/imports/{import_id}").get_json()
        if state["status"] in FINISHED:
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


def table_sizes(app) -> dict:
    with app.app_context():
        sizes = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Subject, HouseholdMember, SubjectLink)
        }
        db.session.remove()
        return sizes


def _unit_id(code: str) -> int:
    from app.models import AdminUnit

    return db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == code))


def test_ten_thousand_households_import_with_their_members_and_a_second_import_changes_nothing(app, api):
    rows = household_rows(10_000, VILLAGES_AH)
    content = as_xlsx("households", rows)
    before = table_sizes(app)
    started = time.monotonic()
    state = run(api, "demo-commune", "households", content)
    elapsed = time.monotonic() - started
    assert state["status"] == "done", state
    assert (state["created"], state["updated"], state["unchanged"]) == (10_000, 0, 0)
    assert state["total_rows"] == state["processed_rows"] == len(rows)
    assert state["report"] == []
    after = table_sizes(app)
    assert after["subject"] - before["subject"] == 10_000
    assert after["household_member"] - before["household_member"] == len(rows)
    assert elapsed < 60, f"10,000 households took {elapsed:.1f} s"
    with app.app_context():
        household = db.session.scalar(select(Subject).where(Subject.code == rows[0][0]))
        assert household.kind == "household" and household.unit.code == rows[0][3]
        members = [(m.full_name, m.gender, m.birth_year, m.relation, m.is_head) for m in household.members]
        expected = [
            (r[4], "nam" if r[5] == "Nam" else "nu", r[6], r[7], r[7] == "Chủ hộ")
            for r in rows
            if r[0] == rows[0][0]
        ]
        assert members == expected
        # The report counts were kept right by the recount after the bulk write.
        counted = db.session.scalar(
            select(func.sum(SubjectCount.n)).where(
                SubjectCount.kind == "household",
                SubjectCount.unit_id.in_([_unit_id(code) for code in VILLAGES_AH]),
            )
        )
        real = db.session.scalar(
            select(func.count())
            .select_from(Subject)
            .where(Subject.kind == "household", Subject.unit_id.in_([_unit_id(code) for code in VILLAGES_AH]))
        )
        assert counted == real
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "registry.imported")
            )
            == 1
        )

    again = run(api, "demo-commune", "households", content)
    assert (again["status"], again["created"], again["updated"], again["unchanged"]) == ("done", 0, 0, 10_000)
    assert table_sizes(app) == after


def test_a_changed_member_updates_only_that_household(app, api):
    rows = household_rows(20, VILLAGES_AH)
    assert run(api, "demo-commune", "households", as_csv("households", rows), "ho.csv")["created"] == 20
    rows[1][6] = rows[1][6] - 1  # a birth year corrected in the first household
    state = run(api, "demo-commune", "households", as_csv("households", rows, bom=False), "ho.csv")
    assert (state["created"], state["updated"], state["unchanged"]) == (0, 1, 19)
    with app.app_context():
        household = db.session.scalar(select(Subject).where(Subject.code == rows[1][0]))
        assert [m.birth_year for m in household.members][1] == rows[1][6]


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(app, api):
    rows = household_rows(30, VILLAGES_AH)
    first = rows[0][0]
    # Row numbers as the spreadsheet shows them: the header is row 1, rows[i] is row i + 2.
    rows[2][3] = "KHONG-CO"  # unknown village (row 4)
    rows[4][4] = ""  # missing name (row 6)
    rows[5][5] = "Không rõ"  # bad gender (row 7)
    rows[6][6] = 1850  # birth year out of range (row 8)
    rows[7][7] = "Hàng xóm"  # unknown relation (row 9)
    rows[8][3] = "DEMO-NA-V1"  # another commune's village: outside the commune officer's reach (row 10)
    rows.append(list(rows[1]))  # the same person twice (last row)
    duplicate_row = len(rows) + 1
    second_head = next(i for i, r in enumerate(rows) if r[0] != first and r[7] == "Vợ")
    rows[second_head][7] = "Chủ hộ"  # a household with two heads
    headless = next(i for i, r in enumerate(rows) if i > second_head + 4 and r[7] == "Chủ hộ")
    rows[headless][7] = "Con"  # a household with no head
    moved = next(i for i, r in enumerate(rows) if i > headless + 4 and r[7] == "Con")
    rows[moved][3] = (
        "DEMO-AH-V2" if rows[moved][3] == "DEMO-AH-V1" else "DEMO-AH-V1"
    )  # one household, two villages
    before = table_sizes(app)
    state = run(api, "demo-commune", "households", as_xlsx("households", rows))
    assert state["status"] == "rejected", state
    assert (state["created"], state["updated"], state["unchanged"]) == (0, 0, 0)
    assert table_sizes(app) == before
    problems = {(item["row"], item["column"]) for item in state["report"]}
    assert {
        (4, "Mã thôn"),
        (6, "Họ và tên"),
        (7, "Giới tính"),
        (8, "Năm sinh"),
        (9, "Quan hệ với chủ hộ"),
        (10, "Mã thôn"),
        (duplicate_row, "Họ và tên"),
        (second_head + 2, "Quan hệ với chủ hộ"),
        (moved + 2, "Mã thôn"),
    } <= problems
    headless_code = rows[headless][0]
    first_row_of_headless = next(i for i, r in enumerate(rows) if r[0] == headless_code) + 2
    assert (first_row_of_headless, "Quan hệ với chủ hộ") in problems
    by_row = {item["row"]: item["error"] for item in state["report"]}
    assert "KHONG-CO" in by_row[4]
    assert "ngoài phạm vi" in by_row[10]
    assert "Trùng" in by_row[duplicate_row]
    assert all(item["error"] for item in state["report"])
    with app.app_context():
        record = db.session.get(RegistryImport, state["id"])
        assert record.status == "rejected" and record.report == state["report"]


def test_a_commune_officer_importing_another_communes_rows_is_refused_row_by_row(app, api):
    rows = household_rows(4, ["DEMO-NA-V1", "DEMO-NA-V2"], prefix="NA")
    before = table_sizes(app)
    state = run(api, "demo-commune", "households", as_csv("households", rows), "na.csv")
    assert state["status"] == "rejected"
    assert sorted({item["row"] for item in state["report"]}) == list(range(2, len(rows) + 2))
    assert all(item["column"] == "Mã thôn" for item in state["report"])
    assert table_sizes(app) == before
    # Its own officer imports the same file.
    assert run(api, "demo-commune-b", "households", as_csv("households", rows), "na.csv")["created"] == 4


def test_who_may_import_and_follow_an_import(app, api):
    content = as_csv("households", household_rows(2, VILLAGES_AH))
    assert upload(api, "demo-household", "households", content, "x.csv").status_code == 403
    assert upload(api, "demo-district", "households", content, "x.csv").status_code == 403
    state = run(api, "demo-commune", "households", content, "x.csv")
    assert api.get("demo-commune-b", f"/imports/{state['id']}").status_code == 404
    assert api.get("demo-household", f"/imports/{state['id']}").status_code == 403
    assert api.get("demo-admin", f"/imports/{state['id']}").status_code == 200


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "trống"),
        ("Mã hộ,Tên hộ\r\nX,Y\r\n".encode(), "Thiếu cột"),
        ("Mã hộ;Mã thôn".encode("utf-16"), "UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04 not really a zip", "XLSX"),
    ],
)
def test_a_file_that_is_not_a_registry_table_is_refused_at_once(app, api, content, reason):
    before = table_sizes(app)
    response = upload(api, "demo-commune", "households", content, "bad.csv")
    assert response.status_code == 422, response.get_json()
    assert reason in response.get_json()["errors"]["file"][0]
    assert table_sizes(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RegistryImport)) == 0


def test_too_many_rows_are_refused(make_app):
    from tests.helpers import ApiClient

    app = make_app(IMPORT_MAX_ROWS=10)
    api = ApiClient(app.test_client())
    rows = household_rows(5, VILLAGES_AH)  # about 20 rows
    response = upload(api, "demo-commune", "households", as_xlsx("households", rows), "x.xlsx")
    assert response.status_code == 422
    assert "10" in response.get_json()["errors"]["file"][0]
    # A CSV, whose size is counted while reading, the same.
    assert upload(api, "demo-commune", "households", as_csv("households", rows), "x.csv").status_code == 422


def test_clans_link_their_member_households_and_refuse_unknown_ones(app, api):
    households = household_rows(6, VILLAGES_AH, prefix="CL")
    assert run(api, "demo-commune", "households", as_csv("households", households), "h.csv")["created"] == 6
    codes = sorted({row[0] for row in households})
    clans = {
        "DH-AH-NGUYEN": ("Dòng họ Nguyễn", "DEMO-AH", codes[:4]),
        "DH-AH-TRAN": ("Dòng họ Trần", "DEMO-AH-V1", codes[4:]),
    }
    bad = clan_rows(clans) + [["DH-AH-LE", "Dòng họ Lê", "DEMO-AH", "KHONG-CO-HO"]]
    before = table_sizes(app)
    rejected = run(api, "demo-commune", "clans", as_xlsx("clans", bad), "dh.xlsx")
    assert rejected["status"] == "rejected"
    assert [(item["row"], item["column"]) for item in rejected["report"]] == [
        (len(bad) + 1, "Mã hộ thành viên")
    ]
    assert table_sizes(app) == before
    state = run(api, "demo-commune", "clans", as_xlsx("clans", clan_rows(clans)), "dh.xlsx")
    assert (state["created"], state["updated"], state["unchanged"]) == (2, 0, 0)
    with app.app_context():
        clan = db.session.scalar(select(Subject).where(Subject.code == "DH-AH-NGUYEN"))
        linked = db.session.scalars(
            select(Subject.code)
            .join(SubjectLink, SubjectLink.child_id == Subject.id)
            .where(SubjectLink.parent_id == clan.id, SubjectLink.relation == "clan_member")
        ).all()
        assert sorted(linked) == codes[:4]
    clans["DH-AH-NGUYEN"] = ("Dòng họ Nguyễn", "DEMO-AH", codes[:3])
    again = run(api, "demo-commune", "clans", as_csv("clans", clan_rows(clans)), "dh.csv")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)


def test_organisations_bring_their_staff_as_citizens(app, api):
    rows = organisation_rows(3, "DEMO-AH", staff=4)
    state = run(api, "demo-commune", "organisations", as_xlsx("organisations", rows), "dv.xlsx")
    assert (state["status"], state["created"]) == ("done", 3), state
    with app.app_context():
        org = db.session.scalar(select(Subject).where(Subject.code == rows[0][0]))
        assert (org.kind, org.category, org.unit.code) == ("organisation", "school", "DEMO-AH")
        staff = db.session.execute(
            select(Subject, SubjectLink.position)
            .join(SubjectLink, SubjectLink.child_id == Subject.id)
            .where(SubjectLink.parent_id == org.id, SubjectLink.relation == "staff")
            .order_by(Subject.code)
        ).all()
        assert len(staff) == 4
        citizen, position = staff[0]
        assert citizen.kind == "citizen" and citizen.category in ("can_bo_doanh_nhan", "nguoi_lao_dong")
        assert citizen.gender in ("nam", "nu") and position == "Trưởng phòng"
    again = run(api, "demo-commune", "organisations", as_csv("organisations", rows), "dv.csv")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", ["households", "clans", "organisations"])
def test_an_export_imports_back_to_no_change(app, api, fmt, kind):
    households = household_rows(12, VILLAGES_AH, prefix="RT")
    assert (
        run(api, "demo-commune", "households", as_csv("households", households), "h.csv")["status"] == "done"
    )
    if kind == "clans":
        codes = sorted({row[0] for row in households})
        clans = {
            "DH-RT-1": ("Dòng họ Phạm", "DEMO-AH", codes[:5]),
            "DH-RT-2": ("Dòng họ Võ", "DEMO-AH-V2", []),
        }
        assert (
            run(
                api,
                "demo-commune",
                "clans",
                as_csv("clans", clan_rows(clans) + [["DH-RT-2", "Dòng họ Võ", "DEMO-AH-V2", ""]]),
                "c.csv",
            )["status"]
            == "done"
        )
    if kind == "organisations":
        orgs = organisation_rows(2, "DEMO-AH", staff=3) + [
            ["ORG-EMPTY", "Đơn vị chưa có người", "Cơ quan", "DEMO-AH", "", "", "", "", "", ""]
        ]
        assert (
            run(api, "demo-commune", "organisations", as_csv("organisations", orgs), "o.csv")["status"]
            == "done"
        )
    exported = api.get("demo-commune", "/registry/export", query_string={"kind": kind, "format": fmt})
    assert exported.status_code == 200
    content = exported.data
    if kind == "households":
        # The demo's own households predate the layout (relation "Thành viên"): round-trip what was imported.
        content = _only_rows_with(content, fmt, "RT-")
    before = table_sizes(app)
    state = run(api, "demo-commune", kind, content, f"export.{fmt}")
    assert state["status"] == "done", state["report"][:5]
    assert state["created"] == state["updated"] == 0 and state["unchanged"] > 0
    assert table_sizes(app) == before


def _only_rows_with(content: bytes, fmt: str, prefix: str) -> bytes:
    import csv
    import io

    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        return as_csv("households", [r for r in rows[1:] if r[0].startswith(prefix)], header=rows[0])
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return as_xlsx("households", [r for r in rows[1:] if str(r[0]).startswith(prefix)], header=rows[0])


def test_a_crash_while_writing_leaves_nothing_half_written(app, api, monkeypatch):
    from app.services import imports

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "recount", boom)
    before = table_sizes(app)
    state = run(
        api, "demo-commune", "households", as_csv("households", household_rows(50, VILLAGES_AH)), "h.csv"
    )
    assert state["status"] == "failed"
    assert "disk full" in state["error"]
    assert table_sizes(app) == before


def test_the_registry_page_lists_only_the_officials_units_with_filter_sort_and_pages(app, web):
    web.login("demo-commune")
    page = web.get("/registry/?kind=household&per_page=20")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "DEMO-AH-V1-H01" in text and "DEMO-NA-V1-H01" not in text
    assert 'data-testid="registry-next"' in text
    found = web.get("/registry/?q=DEMO-AH-V2-H03&kind=household").get_data(as_text=True)
    assert found.count('data-testid="registry-row"') == 1
    ordered = web.get("/registry/?sort=code&dir=desc&per_page=20").get_data(as_text=True)
    codes = re.findall(r'data-testid="registry-row">\s*<td>([^<]+)</td>', ordered)
    assert len(codes) == 20 and codes == sorted(codes, reverse=True)
    second = web.get("/registry/?sort=code&dir=desc&per_page=20&page=2").get_data(as_text=True)
    assert re.findall(r'data-testid="registry-row">\s*<td>([^<]+)</td>', second)[0] < codes[-1]
    assert web.get("/registry/?unit=DEMO-NA").get_data(as_text=True).count('data-testid="registry-row"') == 0
    web_household = type(web)(app)
    web_household.login("demo-household")
    assert web_household.get("/registry/").status_code == 403
    assert web_household.get("/registry/import").status_code == 403


def test_every_template_file_imports_as_its_example(app, api, web):
    web.login("demo-commune")
    for kind in ("households", "clans", "organisations"):
        response = web.get(f"/registry/template/{kind}.xlsx")
        assert response.status_code == 200
        state = run(api, "demo-commune", kind, response.data, f"mau-{kind}.xlsx")
        assert (state["status"], state["created"]) == ("done", 1), state


def test_uploading_on_the_page_leads_to_the_import_and_its_progress(app, web):
    web.login("demo-commune")
    refused = web.post(
        "/registry/import",
        {"kind": "households", "file": (io.BytesIO(b""), "rong.csv")},
        csrf_from="/registry/import",
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Tệp trống" in refused.get_data(as_text=True)
    content = as_csv("households", household_rows(3, VILLAGES_AH))
    sent = web.post(
        "/registry/import",
        {"kind": "households", "file": (io.BytesIO(content), "ho.csv")},
        csrf_from="/registry/import",
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    page_url = sent.headers["Location"]
    import_id = int(page_url.rstrip("/").split("/")[-1])
    deadline = time.monotonic() + 30
    while (state := web.get(f"/registry/imports/{import_id}/progress").get_json())["status"] not in FINISHED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state["created"] == 3
    shown = web.get(page_url).get_data(as_text=True)
    assert 'data-testid="import-counts"' in shown and "import_progress.js" not in shown
    other = type(web)(app)
    other.login("demo-commune-b")
    assert other.get(page_url).status_code == 404
    assert other.get(f"/registry/imports/{import_id}/progress").status_code == 404


def test_the_page_export_is_the_import_layout(app, web):
    web.login("demo-commune")
    exported = web.get("/registry/export?kind=households&format=csv")
    assert exported.status_code == 200
    lines = exported.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Mã hộ,Tên hộ,Địa chỉ,Mã thôn,Họ và tên,Giới tính,Năm sinh,Quan hệ với chủ hộ"
    assert all(",DEMO-AH-V" in line for line in lines[1:])


def test_a_workbook_as_excel_saves_it_imports_with_columns_in_any_order(app, api):
    """Shared strings, a dimension, floats, decomposed diacritics, an extra column, another order."""
    import unicodedata

    from openpyxl import Workbook

    rows = household_rows(3, VILLAGES_AH, prefix="EX")
    book = Workbook()
    sheet = book.active
    order = [7, 6, 5, 4, 3, 2, 1, 0]
    sheet.append(["Ghi chú", *[headers_households()[i] for i in order]])
    for row in rows:
        values = [row[i] for i in order]
        values = [float(v) if isinstance(v, int) else unicodedata.normalize("NFD", v) for v in values]
        sheet.append(["", *values])
    out = io.BytesIO()
    book.save(out)
    state = run(api, "demo-commune", "households", out.getvalue(), "excel.xlsx")
    assert (state["status"], state["created"]) == ("done", 3), state
    assert run(api, "demo-commune", "households", as_csv("households", rows), "x.csv")["unchanged"] == 3


def headers_households() -> list[str]:
    from app.services.registry_layouts import headers

    return headers("households")

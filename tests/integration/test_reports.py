"""Progress reports on a known dataset: hand-computed counts and both rates at province → commune → village,
the target that applies (a province's own over the national plan), the XLSX export, the API, who may read.

The dataset (province T-P, two-tier: communes, then villages), title gia_dinh_hoc_tap, year 2026:

    T-C1  V1: 10 households + 1 citizen; 8 dossiers: 6 recognised, 1 in progress, 1 not recognised
              (and 3 recognised in 2025, and 1 of another title in 2026)
          V2: 5 households; 4 dossiers, all recognised
    T-C2  V3: 4 households; no dossier

    C1: base 15, registered 12, recognised 10 → 83.33 % of registered, 66.67 % of the base
    C2: base 4, registered 0 → no rate over registered, 0 % of the base
    province: base 19, registered 12, recognised 10 → 83.33 %, 52.63 %
    V1: 10, 8, 6 → 75 %, 60 %;   V2: 5, 4, 4 → 100 %, 80 %
"""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.helpers import make_official

TITLE, YEAR = "gia_dinh_hoc_tap", 2026


@pytest.fixture
def dataset(app):
    """Units, subjects and dossiers inserted directly (no workflow): unit code → id."""
    from app.extensions import db
    from app.models import AdminUnit, Dossier, ProcessDefinition, Subject
    from app.services.units import ensure_levels, ensure_unit

    with app.app_context():
        ensure_levels()
        province, _ = ensure_unit("T-P", "Tỉnh Thử", "province")
        c1, _ = ensure_unit("T-C1", "Xã Một", "commune", province)
        c2, _ = ensure_unit("T-C2", "Xã Hai", "commune", province)
        v1, _ = ensure_unit("T-V1", "Thôn Một", "village", c1)
        v2, _ = ensure_unit("T-V2", "Thôn Hai", "village", c1)
        v3, _ = ensure_unit("T-V3", "Thôn Ba", "village", c2)
        definition = db.session.scalar(select(ProcessDefinition.id).limit(1))
        serial = iter(range(1, 1000))

        def subjects(village, n, kind="household"):
            made = [
                Subject(code=f"T-S{next(serial)}", kind=kind, name="Hộ thử", unit_id=village.id)
                for _ in range(n)
            ]
            db.session.add_all(made)
            db.session.flush()
            return made

        def dossiers(village, people, statuses, *, year=YEAR, title=TITLE):
            for subject, status in zip(people, statuses, strict=False):
                db.session.add(
                    Dossier(
                        code=f"T-D{next(serial)}",
                        title=title,
                        year=year,
                        subject_id=subject.id,
                        unit_id=village.id,
                        unit_path=village.path,
                        process_definition_id=definition,
                        state="",
                        status=status,
                    )
                )

        h1 = subjects(v1, 10)
        citizen = subjects(v1, 1, kind="citizen")
        dossiers(v1, h1, ["recognized"] * 6 + ["in_progress", "not_recognized"])
        dossiers(v1, h1, ["recognized"] * 3, year=YEAR - 1)
        dossiers(v1, citizen, ["recognized"], title="cong_dan_hoc_tap")
        h2 = subjects(v2, 5)
        dossiers(v2, h2, ["recognized"] * 4)
        subjects(v3, 4)
        db.session.commit()
        return {u.code: u.id for u in db.session.scalars(select(AdminUnit).where(AdminUnit.code.like("T-%")))}


def _rows(report):
    return {row.unit_code: row for row in report.rows}


def test_province_commune_village_counts_and_both_rates(app, dataset):
    from app.extensions import db
    from app.models import AdminUnit
    from app.reports.queries import progress

    with app.app_context():
        report = progress(db.session.get(AdminUnit, dataset["T-P"]), TITLE, YEAR)
        rows = _rows(report)
        assert list(rows) == ["T-C1", "T-C2"]
        c1, c2 = rows["T-C1"], rows["T-C2"]
        assert (c1.base, c1.registered, c1.recognized) == (15, 12, 10)
        assert c1.rate_registered == pytest.approx(100 * 10 / 12)
        assert c1.rate_base == pytest.approx(100 * 10 / 15)
        assert (c2.base, c2.registered, c2.recognized) == (4, 0, 0)
        assert c2.rate_registered is None and c2.rate_base == 0
        assert c1.drill and c2.drill
        total = report.total
        assert (total.base, total.registered, total.recognized) == (19, 12, 10)
        assert total.rate_base == pytest.approx(100 * 10 / 19)
        assert [(p["year"], p["registered"], p["recognized"]) for p in report.trend[-2:]] == [
            (YEAR - 1, 3, 3),
            (YEAR, 12, 10),
        ]

        commune = progress(db.session.get(AdminUnit, dataset["T-C1"]), TITLE, YEAR)
        v1, v2 = _rows(commune)["T-V1"], _rows(commune)["T-V2"]
        assert (v1.base, v1.registered, v1.recognized, v1.rate_registered, v1.rate_base) == (10, 8, 6, 75, 60)
        assert (v2.base, v2.registered, v2.recognized, v2.rate_registered, v2.rate_base) == (5, 4, 4, 100, 80)
        assert not v1.drill

        village = progress(db.session.get(AdminUnit, dataset["T-V1"]), TITLE, YEAR)
        assert [(r.unit_code, r.base, r.registered, r.recognized) for r in village.rows] == [
            ("T-V1", 10, 8, 6)
        ]


def test_national_target_then_province_override(app, dataset):
    from app.extensions import db
    from app.models import AdminUnit, AuditEvent, User, utcnow
    from app.reports.queries import progress
    from app.services.targets import NATIONAL, PROVINCE, set_province_target, target_for

    with app.app_context():
        province = db.session.get(AdminUnit, dataset["T-P"])
        # 2026 lies between the plan's 2025 and 2030 milestones: the 2030 figure applies.
        rate, source, where = target_for(TITLE, YEAR, province)
        assert (rate, where) == (80, NATIONAL) and "387/QĐ-TTg" in source
        assert target_for(TITLE, 2025, province).rate == 70
        assert target_for(TITLE, 2035, province).year == 2030
        c1 = _rows(progress(province, TITLE, YEAR))["T-C1"]
        assert c1.gap == pytest.approx(80 - 100 * 10 / 15)

        admin = db.session.scalar(select(User).where(User.username == "demo-admin"))
        set_province_target(province.id, TITLE, 2027, 75, "Kế hoạch 01/KH-UBND", actor=admin, now=utcnow())
        applied = target_for(TITLE, YEAR, db.session.get(AdminUnit, dataset["T-V1"]))
        assert (applied.rate, applied.where, applied.source, applied.year) == (
            75,
            PROVINCE,
            "Kế hoạch 01/KH-UBND",
            2027,
        )
        # After the province's last year, the national milestone applies again.
        assert target_for(TITLE, 2028, province).where == NATIONAL
        c1 = _rows(progress(province, TITLE, YEAR))["T-C1"]
        assert c1.target.rate == 75 and c1.gap == pytest.approx(75 - 100 * 10 / 15)
        assert c1.still_needed == 2  # 75 % of 15 is 11.25 → 12 households, 10 recognised
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "target.set"))
        assert event.details["rate"] == 75 and event.actor_id == admin.id


def test_xlsx_has_the_provincial_layout(app, dataset, web):
    web.login("demo-admin")
    response = web.get(f"/reports/export.xlsx?unit={dataset['T-P']}&title={TITLE}&year={YEAR}")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    assert "GIA ĐÌNH HỌC TẬP" in sheet["A1"].value and "2026" in sheet["A1"].value
    assert sheet["A5"].value == "STT" and sheet["D5"].value == "Tổng số (cơ sở)"
    assert [sheet.cell(6, c).value for c in range(1, 7)] == [1, "T-C1", "Xã Một", 15, 12, 10]
    assert sheet["G6"].value == pytest.approx(10 / 12) and sheet["G6"].number_format == "0.00%"
    assert sheet["H6"].value == pytest.approx(10 / 15) and sheet["H6"].number_format == "0.00%"
    assert sheet["I6"].value == pytest.approx(0.8) and "387/QĐ-TTg" in sheet["K6"].value
    assert sheet["G7"].value is None and sheet["H7"].value == 0
    assert sheet["C8"].value == "Tổng cộng" and [sheet.cell(8, c).value for c in (4, 5, 6)] == [19, 12, 10]
    assert sheet["H8"].value == pytest.approx(10 / 19) and sheet["D8"].number_format == "#,##0"


def test_pdf_export(app, dataset, web):
    from pypdf import PdfReader

    web.login("demo-admin")
    response = web.get(f"/reports/export.pdf?unit={dataset['T-P']}&title={TITLE}&year={YEAR}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = PdfReader(BytesIO(response.data)).pages[0].extract_text()
    assert "Xã Một" in text and "Tổng cộng" in text


def test_api_shape_and_xlsx(api, dataset):
    response = api.get(
        "demo-admin", "/reports/progress", query_string={"title": TITLE, "year": YEAR, "unit": "T-P"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["unit"] == {"code": "T-P", "name": "Tỉnh Thử", "level": "province"}
    first = body["rows"][0]
    assert {
        "unit_code",
        "unit_name",
        "base",
        "registered",
        "recognized",
        "rate_registered",
        "rate_base",
    } <= set(first) and {"target", "gap", "target_source"} <= set(first)
    assert (first["unit_code"], first["base"], first["registered"], first["recognized"]) == (
        "T-C1",
        15,
        12,
        10,
    )
    assert (first["rate_registered"], first["rate_base"], first["target"], first["gap"]) == (
        83.33,
        66.67,
        80,
        13.33,
    )
    assert body["rows"][1]["rate_registered"] is None
    assert (body["total"]["base"], body["total"]["rate_base"]) == (19, 52.63)

    xlsx = api.get(
        "demo-admin",
        "/reports/progress",
        query_string={"unit": "T-P", "title": TITLE, "year": YEAR, "format": "xlsx"},
    )
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(BytesIO(xlsx.data)).active["D6"].value == 15

    bad = api.get("demo-admin", "/reports/progress", query_string={"year": "1999", "format": "csv"})
    assert bad.status_code == 422 and {"year", "format"} <= set(bad.get_json()["errors"])


def test_jurisdiction(app, api, web, dataset):
    make_official(app, "can-bo-t-c1", unit="T-C1", full_name="Cán bộ Xã Một")
    # Outside the officer's commune (the province above it, another commune): 404, as if unknown.
    for code in ("T-P", "T-C2"):
        response = api.get("demo-commune", "/reports/progress", query_string={"unit": code})
        assert response.status_code == 404
    assert api.get("demo-household", "/reports/progress").status_code == 403

    api.token("can-bo-t-c1", "matkhau123")
    own = api.get("can-bo-t-c1", "/reports/progress", query_string={"year": YEAR})
    assert own.status_code == 200 and own.get_json()["unit"]["code"] == "T-C1"
    assert api.get("can-bo-t-c1", "/reports/progress", query_string={"unit": "T-V2"}).status_code == 200

    web.login("can-bo-t-c1", "matkhau123")
    assert web.get(f"/reports?unit={dataset['T-P']}").status_code == 404
    assert web.get(f"/reports/export.xlsx?unit={dataset['T-C2']}").status_code == 404
    page = web.get(f"/reports?year={YEAR}")
    assert page.status_code == 200 and "Thôn Một" in page.get_data(as_text=True)
    household = type(web)(web.app)
    household.login("demo-household")
    assert household.get("/reports").status_code == 403


def test_report_page_and_drill_down(web, dataset):
    web.login("demo-admin")
    national = web.get(f"/reports?year={YEAR}").get_data(as_text=True)
    assert "Tỉnh Thử" in national
    page = web.get(f"/reports?unit={dataset['T-P']}&title={TITLE}&year={YEAR}").get_data(as_text=True)
    assert f"/reports?unit={dataset['T-C1']}" in page and "83,33%" in page and "66,67%" in page
    assert 'id="report-chart-data"' in page and "chart.umd.min.js" in page


def test_admin_sets_and_removes_a_province_target(app, web, dataset):
    from app.extensions import db
    from app.models import Target

    web.login("demo-admin")
    bad = web.post(
        "/admin/targets",
        {"unit": dataset["T-P"], "title": TITLE, "year": "2027", "rate": "120", "source": ""},
    )
    assert bad.status_code == 422
    done = web.post(
        "/admin/targets",
        {"unit": dataset["T-P"], "title": TITLE, "year": "2027", "rate": "72,5", "source": "KH 9/KH-UBND"},
    )
    assert done.status_code == 302
    with app.app_context():
        target = db.session.scalar(select(Target).where(Target.unit_id == dataset["T-P"]))
        assert (target.rate, target.year, target.source) == (72.5, 2027, "KH 9/KH-UBND")
        target_id = target.id
    assert "KH 9/KH-UBND" in web.get("/admin/targets").get_data(as_text=True)
    assert web.post(f"/admin/targets/{target_id}/remove", {}, csrf_from="/admin/targets").status_code == 302
    with app.app_context():
        assert db.session.get(Target, target_id) is None


def test_official_home_shows_progress_and_what_waits(app, web, dataset):
    make_official(app, "can-bo-t-c1", unit="T-C1", full_name="Cán bộ Xã Một")
    web.login("can-bo-t-c1", "matkhau123")
    page = web.get("/inbox").get_data(as_text=True)
    assert 'data-testid="home-progress"' in page and 'data-testid="home-open-tasks"' in page
    assert "Xã Một" in page and 'data-testid="target-marker"' in page

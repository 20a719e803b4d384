"""Admins add a commune's villages (one, or many from CSV; all or none) so village steps can run."""

import io

from tests.helpers import make_official


def commune_id(app, code: str) -> int:
    from app.extensions import db
    from app.models import AdminUnit

    with app.app_context():
        return db.session.scalar(db.select(AdminUnit.id).where(AdminUnit.code == code))


def villages_of(app, code: str) -> list[tuple[str, str]]:
    from app.extensions import db
    from app.models import AdminUnit

    with app.app_context():
        parent = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == code))
        return db.session.execute(
            db.select(AdminUnit.code, AdminUnit.name)
            .where(AdminUnit.parent_id == parent.id)
            .order_by(AdminUnit.code)
        ).all()


def test_an_admin_adds_one_village_and_a_csv_of_villages(app, web):
    web.login("demo-admin")
    target = commune_id(app, "DEMO-XK")
    path = f"/admin/units/{target}/villages"
    response = web.post(path, {"name": "  Khu vực   3 ", "code": ""})
    assert response.status_code == 302
    assert villages_of(app, "DEMO-XK")[-1] == ("DEMO-XK-V3", "Khu vực 3")

    csv = "ten,ma\nKhu vực 4,\nKhu vực 5,XK-KV5\n".encode()
    response = web.post(path, {"file": (io.BytesIO(csv), "thon.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    # A row without a code gets the next free one of the commune; a given code is kept.
    assert set(villages_of(app, "DEMO-XK")) >= {("DEMO-XK-V4", "Khu vực 4"), ("XK-KV5", "Khu vực 5")}
    page = web.get(path).get_data(as_text=True)
    assert "Khu vực 5" in page and "XK-KV5" in page


def test_a_csv_with_one_bad_row_adds_nothing_and_names_the_row(app, web):
    web.login("demo-admin")
    target = commune_id(app, "DEMO-XK")
    before = villages_of(app, "DEMO-XK")
    csv = "ten,ma\nKhu vực 7,\n,\nKhu vực 1,\nKhu vực 8,bad code!\n".encode()
    response = web.post(
        f"/admin/units/{target}/villages",
        {"file": (io.BytesIO(csv), "thon.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # Lines as the spreadsheet numbers them: line 3 is blank and skipped, line 4 repeats an existing
    # name, line 5 has an invalid code.
    assert "Dòng 4: Xã/phường đã có “Khu vực 1”" in page and "Dòng 5: Mã" in page and "Dòng 3" not in page
    assert villages_of(app, "DEMO-XK") == before


def test_villages_pages_are_for_admins_only(app, web):
    make_official(app, "can-bo-xk", unit="DEMO-XK")
    web.login("can-bo-xk", "matkhau123")
    assert web.get("/admin/units").status_code == 404
    assert web.get(f"/admin/units/{commune_id(app, 'DEMO-XK')}/villages").status_code == 404


def test_a_village_added_to_an_imported_commune_lets_its_households_use_the_two_tier_procedure(app, web, api):
    """The README's path for real units: import, add villages, activate the two-tier procedure."""
    from app.extensions import db
    from app.models import HouseholdMember, Subject, utcnow
    from app.services import accounts

    runner = app.test_cli_runner()
    assert runner.invoke(args=["units", "import", "--province", "92"]).exit_code == 0
    web.login("demo-admin")
    commune = commune_id(app, "X31120")
    assert web.post(f"/admin/units/{commune}/villages", {"name": "Khu vực 1", "code": ""}).status_code == 302
    with app.app_context():
        village = villages_of(app, "X31120")[0][0]
        user = accounts.create_user("ho-cai-khe", "Hộ Lê Văn Tâm", "matkhau123", actor=None, now=utcnow())
        accounts.assign_role(user.id, "household", village, actor=None, now=utcnow())
        from app.models import AdminUnit

        unit = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == village))
        subject = Subject(
            code="HO-CK-1", kind="household", name="Hộ Lê Văn Tâm", unit=unit, account_id=user.id
        )
        subject.members.append(HouseholdMember(full_name="Lê Văn Tâm", relation="Chủ hộ", is_head=True))
        db.session.add(subject)
        db.session.commit()
    listing = api.get("demo-admin", "/procedures").get_json()["items"]
    version = next(p for p in listing if p["key"] == "gia_dinh_hoc_tap_hai_cap")["versions"][-1]["version"]
    activated = api.post(
        "demo-admin",
        f"/procedures/gia_dinh_hoc_tap_hai_cap/versions/{version}/activate",
        json={"province": "P92"},
    )
    assert activated.status_code == 200, activated.get_json()
    api.token("ho-cai-khe", "matkhau123")
    opened = api.post("ho-cai-khe", "/dossiers", json={"title": "gia_dinh_hoc_tap", "year": 2026})
    assert opened.status_code == 201, opened.get_json()

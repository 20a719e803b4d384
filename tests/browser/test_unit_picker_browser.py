"""The unit picker on the admin user page: typing a name without diacritics lists the matching units
from the server, choosing one fills in its code, and the role is given at that unit."""

from sqlalchemy import select


def login(page, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_a_role_is_given_by_picking_a_unit_found_by_its_name(app, page):
    from app.extensions import db
    from app.models import AdminUnit, RoleAssignment
    from tests.helpers import make_official

    officer = make_official(app, "can-bo-chon-don-vi", unit="DEMO-XK")
    login(page, "demo-admin")
    page.goto(f"/admin/users/{officer}")
    page.select_option("#role", "commune_officer")
    page.get_by_test_id("unit-picker").press_sequentially("an hoa")
    matches = page.get_by_test_id("unit-matches")
    first = matches.locator("button").first
    first.wait_for()
    assert first.get_attribute("data-code") == "DEMO-AH"
    assert "Phường An Hòa" in first.inner_text()
    first.click()
    assert page.get_by_test_id("unit-picker").input_value() == "DEMO-AH"
    assert matches.is_hidden()
    page.get_by_role("button", name="Phân quyền").click()
    page.wait_for_load_state()
    with app.app_context():
        target = db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == "DEMO-AH"))
        held = db.session.scalars(
            select(RoleAssignment.unit_id).where(RoleAssignment.user_id == officer)
        ).all()
    assert target in held

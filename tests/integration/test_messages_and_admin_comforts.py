"""Messages that say what happened (a return's reason in its notice, "returned to the household" for the
official, an outcome's reason) and the admin comforts: units found by name, the units page, guidance for
a household account without a household, registration at the commune's desk, no version numbers for
households."""

import html

from sqlalchemy import select

from tests.helpers import YEAR, WebClient, commune_accept, commune_return, make_official, self_report, walk

RETURN_NOTE = "Bổ sung học bạ của cháu"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def notifications(app, username: str, kind: str):
    from app.extensions import db
    from app.models import Notification, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        ).all()


def unit_id(app, code: str) -> int:
    from app.extensions import db
    from app.models import AdminUnit

    with app.app_context():
        return db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == code))


def open_task_id(app, dossier_id: int, name: str) -> int:
    from app.extensions import db
    from app.models import HumanTask

    with app.app_context():
        return db.session.scalar(
            select(HumanTask.id).where(
                HumanTask.dossier_id == dossier_id, HumanTask.name == name, HumanTask.state == "open"
            )
        )


# ------------------------------------------------------------------------------------------ messages


def test_a_return_tells_the_household_the_reason_in_the_notice(app, api, web):
    dossier_id = walk(api, to="commune_scoring")
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_return(RETURN_NOTE))
    returned = notifications(app, "demo-household", "dossier_returned")
    assert len(returned) == 1 and returned[0].params["reason"] == RETURN_NOTE
    web.login("demo-household")
    page = text(web.get("/notifications"))
    assert "được trả lại để bổ sung" in page and f"Lý do: {RETURN_NOTE}" in page
    # The first self-assessment was new work; the second one is the return, and says so.
    assert page.count("Có công việc mới: Tự đánh giá") == 1


def test_a_return_with_failing_scores_still_gives_the_officials_note(app, api):
    dossier_id = walk(api, to="commune_scoring")
    api.complete(
        "demo-commune", dossier_id, "commune_scoring", {**commune_accept(3), **commune_return(RETURN_NOTE)}
    )
    assert api.dossier("demo-household", dossier_id)["status_reason"] == RETURN_NOTE


def test_the_official_who_returns_a_dossier_reads_so_in_the_message_and_the_history(app, api, web):
    dossier_id = walk(api, to="commune_scoring")
    web.login("demo-commune")
    task_id = open_task_id(app, dossier_id, "commune_scoring")
    response = web.post(f"/tasks/{task_id}", commune_return(RETURN_NOTE), follow_redirects=True)
    page = text(response)
    assert "Đã trả lại hồ sơ cho hộ gia đình" in page
    assert "Đã hoàn thành: Chấm điểm cấp xã" not in page
    history = text(web.get(f"/dossiers/{dossier_id}"))
    assert "Đã trả lại hồ sơ cho hộ gia đình (Chấm điểm cấp xã)" in history


def test_the_subject_word_comes_from_the_procedure_manifest(app_ctx):
    from app.services.step_messages import returned_message, subject_label

    assert returned_message(subject_label({"serves": {"subject_label": {"vi": "Dòng họ"}}})) == (
        "Đã trả lại hồ sơ cho dòng họ"
    )
    assert returned_message(subject_label({})) == "Đã trả lại hồ sơ cho đối tượng"


def test_the_outcome_notice_says_why_a_dossier_is_not_recognised(app, api, web):
    dossier_id = walk(api, to="commune_scoring")
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(7))
    assert api.dossier("demo-household", dossier_id)["status"] == "not_recognized"
    outcome = notifications(app, "demo-household", "dossier_outcome")
    assert len(outcome) == 1 and "70" in outcome[0].params["reason"]
    web.login("demo-household")
    page = text(web.get("/notifications"))
    assert "Không được công nhận" in page and f"Lý do: {outcome[0].params['reason']}" in page


# ------------------------------------------------------------------------------------- unit pickers


def test_units_are_found_by_name_with_or_without_diacritics(web):
    web.login("demo-admin")
    for query in ("An Hòa", "an hoa", "AN HÒA", "phuong an hoa", "DEMO-AH"):
        found = web.get("/admin/units/search", query_string={"q": query}).get_json()["units"]
        assert found and found[0]["code"] == "DEMO-AH", query
        assert found[0]["place"].startswith("Phường An Hòa, Quận Ninh Kiều")
    assert web.get("/admin/units/search", query_string={"q": "khong co dau nay"}).get_json()["units"] == []


def test_the_unit_search_is_for_admins_only(web):
    web.login("demo-commune")
    assert web.get("/admin/units/search", query_string={"q": "an hoa"}).status_code == 404


def test_a_role_is_given_by_the_units_name(app, web):
    from app.extensions import db
    from app.models import RoleAssignment

    officer = make_official(app, "can-bo-moi", unit="DEMO-XK")
    web.login("demo-admin")
    response = web.post(
        f"/admin/users/{officer}", {"action": "assign_role", "role": "commune_officer", "unit": "an hoa"}
    )
    assert response.status_code == 302
    with app.app_context():
        units = db.session.scalars(
            select(RoleAssignment.unit_id).where(RoleAssignment.user_id == officer)
        ).all()
    assert unit_id(app, "DEMO-AH") in units
    # "Khu vực 1" names a village of both wards: the admin is asked to choose.
    response = web.post(
        f"/admin/users/{officer}", {"action": "assign_role", "role": "commune_officer", "unit": "Khu vực 1"}
    )
    assert response.status_code == 422 and "Có nhiều đơn vị tên “Khu vực 1”" in text(response)


def test_the_units_page_searches_browses_the_tree_and_lists_officials(app, web):
    web.login("demo-admin")
    page = text(web.get("/admin/units", query_string={"q": "an hoa"}))
    assert 'data-code="DEMO-AH"' in page
    page = text(web.get("/admin/units", query_string={"unit": unit_id(app, "DEMO-AH")}))
    assert "Cán bộ xã An Hòa" in page and "Quận Ninh Kiều" in page
    assert 'data-code="DEMO-AH-V1"' in page
    top = text(web.get("/admin/units"))
    assert 'data-code="DEMO-CT"' in top and 'data-code="DEMO-AH"' not in top


# ------------------------------------------------------------------------- households and the desk


def test_a_household_account_without_a_household_is_told_what_to_do_and_whom_to_ask(app, web):
    from app.models import utcnow
    from app.services import accounts

    with app.app_context():
        user = accounts.create_user("ho-chua-gan", "Nguyễn Văn Mới", "matkhau123", actor=None, now=utcnow())
        accounts.assign_role(user.id, "household", "DEMO-AH-V1", actor=None, now=utcnow())
    web.login("ho-chua-gan", "matkhau123")
    page = text(web.get("/dossiers"))
    assert "Tài khoản chưa gắn với hộ gia đình" in page
    assert "ho-chua-gan" in page and "Cán bộ xã An Hòa" in page

    # The officer asked records the household with that account: from then on it registers by itself.
    officer = WebClient(app)
    officer.login("demo-commune")
    household = {
        "unit_id": unit_id(app, "DEMO-AH-V1"),
        "head_name": "Nguyễn Văn Mới",
        "account": "ho-chua-gan",
    }
    assert officer.post("/desk/households", household, csrf_from="/desk").status_code == 302
    page = text(web.get("/dossiers"))
    assert "Tài khoản chưa gắn với hộ gia đình" not in page and "Hộ Nguyễn Văn Mới" in page
    again = officer.post("/desk/households", {**household, "head_name": "Người khác"}, csrf_from="/desk")
    assert again.status_code == 422 and "đã gắn với một hộ gia đình" in text(again)


def test_an_officer_records_a_household_at_the_desk_and_registers_its_dossier(app, api, web):
    from app.extensions import db
    from app.models import AuditEvent, Dossier, User

    web.login("demo-commune")
    assert "Tiếp nhận tại bộ phận một cửa" in text(web.get("/desk"))
    response = web.post(
        "/desk/households",
        {
            "unit_id": unit_id(app, "DEMO-AH-V1"),
            "head_name": "Trần Thị Quầy",
            "address": "Số 5, Khu vực 1",
            "title": "gia_dinh_hoc_tap",
            "year": YEAR,
        },
        csrf_from="/desk",
    )
    assert response.status_code == 302, text(response)
    dossier_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.subject.name == "Hộ Trần Thị Quầy" and dossier.subject.account_id is None
        officer = db.session.scalar(select(User.id).where(User.username == "demo-commune"))
        events = {
            e.action: e
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == officer)).all()
        }
        assert events["subject.created"].details["at_desk"] is True
        opened = events["dossier.opened"]
        assert opened.dossier_id == dossier_id and opened.details["on_behalf"] is True

    # The desk's officers are told of the household's task, as its account would be...
    assert [n.dossier_id for n in notifications(app, "demo-commune", "task_opened")] == [dossier_id]
    # ...and the officer enters the self-assessment from the household's paper form...
    api.complete("demo-commune", dossier_id, "self_report", self_report(9))
    # ...and, four eyes, does not score it: another officer of the commune does.
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    refused = api.post("demo-commune", f"/tasks/{task['id']}/complete", json={"data": commune_accept(9)})
    assert refused.status_code == 409 and "bốn mắt" in refused.get_json()["error"]["message"]
    make_official(app, "can-bo-xa-2")
    token = api.client.post("/api/v1/auth/token", json={"username": "can-bo-xa-2", "password": "matkhau123"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    done = api.client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": commune_accept(9)}, headers=headers
    )
    assert done.status_code == 200, done.get_json()


def test_the_desk_stays_within_the_officers_commune(app, web):
    from app.extensions import db
    from app.models import Dossier, Subject

    web.login("demo-commune-b")
    response = web.post(
        "/desk/households",
        {"unit_id": unit_id(app, "DEMO-AH-V1"), "head_name": "Lê Văn Ngoài", "title": ""},
        csrf_from="/desk",
    )
    assert response.status_code == 404
    with app.app_context():
        outside = db.session.scalar(
            select(Subject.id).where(Subject.account_id.is_(None), Subject.code.startswith("DEMO-AH-V1"))
        )
    response = web.post(
        "/desk/dossiers",
        {"subject_id": outside, "title": "gia_dinh_hoc_tap", "year": YEAR},
        csrf_from="/desk",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Dossier.id).where(Dossier.subject_id == outside)) is None
    district = WebClient(app)
    district.login("demo-district")
    assert district.get("/desk").status_code == 404


def test_the_desk_does_not_register_a_household_that_has_its_own_account(app, web):
    from app.extensions import db
    from app.models import Subject, User

    with app.app_context():
        own = db.session.scalar(
            select(Subject.id)
            .join(User, User.id == Subject.account_id)
            .where(User.username == "demo-household")
        )
    web.login("demo-commune")
    response = web.post(
        "/desk/dossiers",
        {"subject_id": own, "title": "gia_dinh_hoc_tap", "year": YEAR},
        csrf_from="/desk",
        follow_redirects=True,
    )
    assert "đã có tài khoản" in text(response)


# ----------------------------------------------------------------------------------- internal words


def test_households_do_not_see_procedure_version_numbers(app, api, web):
    dossier_id = api.open_dossier()
    web.login("demo-household")
    page = text(web.get(f"/dossiers/{dossier_id}"))
    assert "Phiên bản quy trình" not in page and "phiên bản" not in page
    official = WebClient(app)
    official.login("demo-commune")
    assert "Phiên bản quy trình" in text(official.get(f"/dossiers/{dossier_id}"))

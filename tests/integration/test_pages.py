"""The pages officials and households use, through the test client."""

import io

from tests.helpers import commune_accept, make_official, self_report, walk

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_login_redirects_each_role_to_its_home(web):
    assert web.login("demo-commune").headers["Location"] == "/inbox"
    other = type(web)(web.app)
    assert other.login("demo-household").headers["Location"] == "/dossiers"
    wrong = type(web)(web.app).login("demo-household", "sai-mat-khau")
    assert wrong.status_code == 200 and "không đúng" in wrong.get_data(as_text=True)


def test_household_registers_and_submits_through_the_pages_with_evidence(web, api):
    web.login("demo-household")
    created = web.post(
        "/dossiers/new",
        {"subject_id": "1", "title": "gia_dinh_hoc_tap", "year": "2026"},
        csrf_from="/dossiers",
    )
    assert created.status_code == 302
    dossier_path = created.headers["Location"]
    page = web.get(dossier_path).get_data(as_text=True)
    task_path = page.split('data-testid="do-task"')[0].rsplit('href="', 1)[1].split('"')[0]
    data = {k: str(v) for k, v in self_report(9).items()}
    data["upload__evidence_c1"] = (io.BytesIO(PDF), "hoc-ba.pdf")
    done = web.post(task_path, data, content_type="multipart/form-data")
    assert done.status_code == 302
    shown = web.get(dossier_path).get_data(as_text=True)
    assert "hoc-ba.pdf" in shown and 'data-testid="self-score">90<' in shown


def test_form_with_errors_comes_back_with_messages_and_the_typed_values(web, api):
    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(7, c1a=15).items()}
    data["note"] = "Ghi chú đã gõ"
    response = web.post(f"/tasks/{task['id']}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "từ 0 đến 10" in page
    assert 'name="c1a" inputmode="numeric" value="15"' in page or 'value="15"' in page
    assert 'value="7"' in page and "Ghi chú đã gõ" in page
    assert api.dossier("demo-household", dossier_id)["self_score"] is None


def test_disguised_upload_in_the_task_form_changes_nothing(web, api):
    dossier_id = api.open_dossier()
    task = api.task_for("demo-household", dossier_id, "self_report")
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(9).items()}
    data["upload__evidence_c2"] = (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "giay-chung-nhan.pdf")
    response = web.post(f"/tasks/{task['id']}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF, JPEG hoặc PNG" in response.get_data(as_text=True)
    detail = api.dossier("demo-household", dossier_id)
    assert detail["self_score"] is None and [t["name"] for t in detail["current_tasks"]] == ["self_report"]


def test_evidence_is_served_only_to_people_who_may_see_the_dossier(web, api, app):
    dossier_id = api.open_dossier()
    uploaded = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(PDF), "hoc-ba.pdf"), "criterion": "c1"},
    )
    assert uploaded.status_code == 201
    evidence_id = uploaded.get_json()["id"]
    web.login("demo-commune")
    response = web.get(f"/evidence/{evidence_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    outsider = type(web)(app)
    outsider.login("demo-commune-b")
    assert outsider.get(f"/evidence/{evidence_id}").status_code == 404
    assert outsider.get(f"/dossiers/{dossier_id}").status_code == 404
    assert type(web)(app).get(f"/evidence/{evidence_id}").status_code == 302


def test_dossier_page_shows_both_scores_history_and_comments(web, api):
    dossier_id = walk(api, to="district_verification", self_points=10, commune_points=9)
    web.login("demo-district")
    web.post(
        f"/dossiers/{dossier_id}/comments", {"body": "Đã xem minh chứng"}, csrf_from=f"/dossiers/{dossier_id}"
    )
    page = web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert 'data-testid="self-score">100<' in page and 'data-testid="official-score">90<' in page
    assert "Thẩm định cấp huyện" in page
    assert "Đã xem minh chứng" in page
    assert page.count('data-testid="history-item"') >= 4


def test_commune_form_is_prefilled_with_the_self_score(web, api):
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(8, c2a=6))
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    web.login("demo-commune")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="f-c2a" name="c2a"' in page
    c2a = page.split('id="f-c2a"')[1].split(">")[0]
    assert 'value="6"' in c2a
    assert "Tự chấm" in page


def test_interface_switches_to_english(web):
    web.login("demo-commune")
    web.post("/lang/en", {"next": "/inbox"}, csrf_from="/inbox")
    page = web.get("/inbox").get_data(as_text=True)
    assert '<html lang="en">' in page
    web.post("/lang/vi", {"next": "/inbox"}, csrf_from="/inbox")
    assert '<html lang="vi">' in web.get("/inbox").get_data(as_text=True)


def test_completing_through_the_page_moves_the_dossier(web, api):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    web.login("demo-commune")
    data = {k: str(v) for k, v in commune_accept(9).items()}
    assert web.post(f"/tasks/{task['id']}", data).status_code == 302
    assert api.dossier("demo-commune", dossier_id)["current_tasks"][0]["name"] == "district_verification"


def test_web_conflicts_come_back_as_messages_not_error_pages(web, api, app):
    dossier_id = walk(api, to="commune_scoring")
    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    api.post("demo-commune", f"/tasks/{task['id']}/claim")
    make_official(app)
    web.login("can-bo-xa-2", "matkhau123")
    claimed = web.post(f"/tasks/{task['id']}/claim", {"next": "/inbox"}, csrf_from="/inbox")
    assert claimed.status_code == 302
    assert "đang do Cán bộ xã An Hòa xử lý" in web.get("/inbox").get_data(as_text=True)
    refused = web.post(f"/tasks/{task['id']}", {k: str(v) for k, v in commune_accept().items()})
    assert refused.status_code == 302 and refused.headers["Location"] == f"/dossiers/{dossier_id}"


def test_registering_twice_for_a_year_says_so_and_links_the_dossier(web, api):
    dossier_id = api.open_dossier(year=__import__("datetime").date.today().year)
    web.login("demo-household")
    page = web.get("/dossiers").get_data(as_text=True)
    assert f'href="/dossiers/{dossier_id}" data-testid="this-year-dossier"' in page
    year = str(__import__("datetime").date.today().year)
    again = web.post(
        "/dossiers/new", {"subject_id": "1", "title": "gia_dinh_hoc_tap", "year": year}, csrf_from="/dossiers"
    )
    assert again.status_code == 302
    assert "đã có hồ sơ" in web.get("/dossiers").get_data(as_text=True)

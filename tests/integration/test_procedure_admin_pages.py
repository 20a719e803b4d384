"""The procedure library pages and the modeler's JSON endpoints, through the test client with real CSRF:
admins only (everyone else 404), hostile uploads refused with located messages and nothing stored,
activation that asks first, a version diff, and the dossier's diagram data."""

import io
import json
import re

import pytest

from tests.helpers import walk
from tests.procedure_factory import BPMN, package_files, zip_bytes

LIBRARY = "/admin/procedures"
SHIPPED = "gia_dinh_hoc_tap"
RENAMED = "Công nhận và cấp Giấy công nhận"


def shipped_files(app) -> dict[str, bytes]:
    """The shipped procedure's version 1 as files, the way an admin downloads it."""
    from app.services.procedures import get_version, package_of
    from workflow import package_files as files_of

    with app.app_context():
        return files_of(package_of(get_version(SHIPPED, 1)))


def renamed_city_step(app) -> dict[str, bytes]:
    files = shipped_files(app)
    bpmn = files["process.bpmn"].decode()
    assert 'name="Quyết định công nhận cấp thành phố"' in bpmn
    files["process.bpmn"] = bpmn.replace(
        'name="Quyết định công nhận cấp thành phố"', f'name="{RENAMED}"'
    ).encode()
    return files


def counts(app) -> tuple[int, int, int]:
    from app.extensions import db
    from app.models import AuditEvent, FormVersion, ProcessDefinition

    with app.app_context():
        return tuple(
            db.session.scalar(db.select(db.func.count(m.id)))
            for m in (ProcessDefinition, FormVersion, AuditEvent)
        )


def upload(web, files: dict[str, bytes] | bytes):
    data = files if isinstance(files, bytes) else zip_bytes(files)
    return web.post(
        f"{LIBRARY}/upload",
        {"package": (io.BytesIO(data), "goi.zip")},
        csrf_from=LIBRARY,
        content_type="multipart/form-data",
    )


def post_json(web, path: str, body):
    return web.client.post(path, json=body, headers={"X-CSRFToken": web.csrf(LIBRARY)})


def modeler_data(web, path: str) -> dict:
    page = web.get(path).get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="modeler-data">(.*?)</script>', page, re.S)
    assert match, "the modeler page carries its data as a JSON block"
    return json.loads(match.group(1))


def version_of(app, dossier_id: int) -> tuple[str, int]:
    from app.extensions import db
    from app.models import Dossier

    with app.app_context():
        definition = db.session.get(Dossier, dossier_id).process_definition
        return definition.key, definition.version


@pytest.mark.parametrize("username", ["demo-household", "demo-commune", "demo-city"])
def test_non_admins_get_404_on_every_procedure_page(web, username):
    web.login(username)
    for path in (
        LIBRARY,
        f"{LIBRARY}/{SHIPPED}",
        f"{LIBRARY}/new",
        f"{LIBRARY}/{SHIPPED}/versions/1/edit",
        f"{LIBRARY}/{SHIPPED}/versions/1/package",
        f"{LIBRARY}/{SHIPPED}/versions/1/activate",
        f"{LIBRARY}/{SHIPPED}/diff",
    ):
        assert web.get(path).status_code == 404, path
    token = web.csrf("/dossiers")
    for path in (f"{LIBRARY}/modeler/validate", f"{LIBRARY}/modeler/deploy"):
        assert web.client.post(path, json={}, headers={"X-CSRFToken": token}).status_code == 404, path
    response = web.client.post(f"{LIBRARY}/upload", data={"csrf_token": token})
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(web):
    response = web.get(LIBRARY)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_library_lists_every_procedure_with_its_versions(web):
    web.login("demo-admin")
    walk_page = web.get(LIBRARY)
    page = walk_page.get_data(as_text=True)
    assert walk_page.status_code == 200
    assert 'data-key="gia_dinh_hoc_tap"' in page and 'data-key="gia_dinh_hoc_tap_hai_cap"' in page
    assert "Phiên bản 1" in page and "Đang áp dụng: mọi tỉnh/thành" in page
    assert f"/admin/procedures/{SHIPPED}/versions/1/edit" in page
    assert "/admin/procedures/gia_dinh_hoc_tap/versions/1/package" in page
    assert "Thành phố Cần Thơ (từ 01/7/2025)" in page  # the two-tier procedure is active in its province
    filtered = web.get(LIBRARY, query_string={"q": "hai cấp"}).get_data(as_text=True)
    assert 'data-key="gia_dinh_hoc_tap_hai_cap"' in filtered and 'data-key="gia_dinh_hoc_tap"' not in filtered


def test_a_version_downloads_as_the_zip_it_was_deployed_from(app, web):
    from workflow import load_procedure_zip

    web.login("demo-admin")
    response = web.get(f"{LIBRARY}/{SHIPPED}/versions/1/package")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with app.app_context():
        from app.services.procedures import get_version

        assert load_procedure_zip(response.data).sha256 == get_version(SHIPPED, 1).sha256


def test_upload_deploys_a_new_version_and_an_identical_one_is_not_duplicated(app, web):
    web.login("demo-admin")
    response = upload(web, renamed_city_step(app))
    assert response.status_code == 302
    page = web.get(LIBRARY).get_data(as_text=True)
    assert "phiên bản 2" in page  # the flash
    assert 'data-version="2"' in page
    again = upload(web, renamed_city_step(app))
    assert again.status_code == 302
    assert "giống hệt phiên bản 2" in web.get(LIBRARY).get_data(as_text=True)


@pytest.mark.parametrize(
    ("files", "where", "message"),
    [
        (
            zip_bytes({**package_files(), "../evil.txt": b"x"}),
            "../evil.txt",
            "đường dẫn không hợp lệ",
        ),
        (
            package_files(
                **{
                    "process.bpmn": BPMN.replace(
                        "<bpmn:flowNodeRef>confirm_books</bpmn:flowNodeRef>", ""
                    ).encode()
                }
            ),
            "confirm_books",
            "phải nằm trong một lane",
        ),
        (
            package_files(
                **{
                    "process.bpmn": BPMN.replace(
                        '<bpmn:startEvent id="start" />', '<bpmn:startEvent id="start" /><!DOCTYPE x>'
                    ).encode()
                }
            ),
            "process.bpmn",
            "",
        ),
    ],
    ids=["path-traversal", "task-outside-lanes", "doctype"],
)
def test_upload_refuses_a_hostile_package_with_located_messages_and_stores_nothing(
    app, web, files, where, message
):
    web.login("demo-admin")
    before = counts(app)
    response = upload(web, files)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Gói quy trình không hợp lệ; chưa có gì được lưu." in page
    problems = re.findall(r'<li data-testid="problem">(.*?)</li>', page, re.S)
    assert any(where in p and message in p for p in problems), problems
    assert counts(app) == before


def test_activation_asks_first_and_then_decides_what_new_dossiers_run(app, web, api):
    web.login("demo-admin")
    upload(web, renamed_city_step(app))
    started_before = api.open_dossier("demo-household")
    assert version_of(app, started_before) == (SHIPPED, 1)

    question = web.get(f"{LIBRARY}/{SHIPPED}/versions/2/activate", query_string={"province": "DEMO-CT"})
    page = question.get_data(as_text=True)
    assert question.status_code == 200
    assert (
        "Áp dụng Gia đình học tập – quy trình bốn cấp" in page
        and "phiên bản 2, cho Thành phố Cần Thơ?" in page
    )
    assert "phiên bản 1" in page  # what new dossiers use there now
    # Asking changed nothing; nor does a POST that was not confirmed.
    web.post(f"{LIBRARY}/{SHIPPED}/versions/2/activate", {"province": "DEMO-CT"}, csrf_from=LIBRARY)
    assert version_of(app, api.open_dossier("demo-household-b")) == (SHIPPED, 1)

    confirmed = web.post(
        f"{LIBRARY}/{SHIPPED}/versions/2/activate",
        {"province": "DEMO-CT", "confirm": "yes"},
        csrf_from=LIBRARY,
    )
    assert confirmed.status_code == 302
    assert "Đã áp dụng" in web.get(LIBRARY).get_data(as_text=True)
    # A new dossier of the province runs version 2; the one started before keeps version 1.
    from tests.helpers import self_report

    api.complete("demo-household", started_before, "self_report", self_report())
    assert version_of(app, started_before) == (SHIPPED, 1)
    with app.app_context():
        from app.extensions import db
        from app.models import AdminUnit, AuditEvent
        from app.services.procedures import definition_for

        unit = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-AH"))
        assert definition_for(SHIPPED, unit).version == 2
        audit = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "procedure.activated")
        ).all()
        assert any(e.details.get("province") == "DEMO-CT" and e.details.get("version") == 2 for e in audit)


def test_activating_for_an_unknown_province_is_404(web):
    web.login("demo-admin")
    assert (
        web.get(f"{LIBRARY}/{SHIPPED}/versions/1/activate", query_string={"province": "NOPE"}).status_code
        == 404
    )


def test_the_diff_lists_a_renamed_step_as_changed(app, web):
    web.login("demo-admin")
    upload(web, renamed_city_step(app))
    response = web.get(f"{LIBRARY}/{SHIPPED}/diff", query_string={"from": 1, "to": 2})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    changed = page.split('data-testid="steps-changed"')[1].split("</ul>")[0]
    assert 'data-id="city_commendation"' in changed and RENAMED in changed
    assert "Nhiệm vụ người dùng" in changed
    assert "thêm 0 bước, bỏ 0 bước, thay đổi 1 bước" in page
    assert "process.bpmn" in page.split('data-testid="files-changed"')[1]
    # The library links each version to the one before it.
    assert f"/admin/procedures/{SHIPPED}/diff?from=1&amp;to=2" in web.get(LIBRARY).get_data(as_text=True)


def test_the_modeler_starts_from_the_versions_sources_and_validates_and_deploys(app, web):
    web.login("demo-admin")
    data = modeler_data(web, f"{LIBRARY}/{SHIPPED}/versions/1/edit")
    package = data["package"]
    assert package["manifest"]["key"] == SHIPPED and set(package["bpmn"]) == {"process.bpmn"}
    assert set(package["forms"]) == {
        "self_report",
        "commune_scoring",
        "district_verification",
        "city_commendation",
    }
    assert {"value": "commune_officer", "label": "Cán bộ cấp xã"} in data["roles"]
    assert data["levels"][0]["value"] == "subject" and any(
        level["value"] == "commune" for level in data["levels"]
    )

    assert post_json(web, f"{LIBRARY}/modeler/validate", package).get_json() == {"problems": []}
    same = post_json(web, f"{LIBRARY}/modeler/deploy", package)
    assert same.status_code == 200 and same.get_json()["created"] is False and same.get_json()["version"] == 1

    broken = dict(
        package,
        bpmn={
            "process.bpmn": package["bpmn"]["process.bpmn"].replace(
                '"P" + str(commune_reminder_days) + "D"', "P10D"
            )
        },
    )
    problems = post_json(web, f"{LIBRARY}/modeler/validate", broken).get_json()["problems"]
    assert [(p["element"], p["file"]) for p in problems] == [("commune_reminder_timer", "process.bpmn")]
    assert "ngoặc kép" in problems[0]["message"]
    before = counts(app)
    refused = post_json(web, f"{LIBRARY}/modeler/deploy", broken)
    assert refused.status_code == 422 and refused.get_json()["problems"] == problems
    assert counts(app) == before

    renamed = dict(
        package,
        bpmn={
            "process.bpmn": package["bpmn"]["process.bpmn"].replace(
                'name="Quyết định công nhận cấp thành phố"', f'name="{RENAMED}"'
            )
        },
    )
    created = post_json(web, f"{LIBRARY}/modeler/deploy", renamed)
    assert created.status_code == 201 and created.get_json()["version"] == 2


def test_the_modeler_refuses_unsafe_file_names_and_oversized_files(web):
    web.login("demo-admin")
    package = modeler_data(web, f"{LIBRARY}/new")["package"]
    assert post_json(web, f"{LIBRARY}/modeler/validate", package).get_json() == {"problems": []}
    sneaky = dict(package, forms={**package["forms"], "../x": "{}"})
    assert (
        "../x" in post_json(web, f"{LIBRARY}/modeler/validate", sneaky).get_json()["problems"][0]["message"]
    )
    huge = dict(package, dmn={"big.dmn": "x" * 2_100_000})
    problems = post_json(web, f"{LIBRARY}/modeler/validate", huge).get_json()["problems"]
    assert problems[0]["file"] == "big.dmn" and "quá lớn" in problems[0]["message"]
    assert post_json(web, f"{LIBRARY}/modeler/validate", ["not", "a", "package"]).get_json()["problems"]


def test_the_new_procedure_template_deploys_as_its_own_title(app, web):
    web.login("demo-admin")
    package = modeler_data(web, f"{LIBRARY}/new")["package"]
    response = post_json(web, f"{LIBRARY}/modeler/deploy", package)
    assert response.status_code == 201 and response.get_json()["key"] == "quy_trinh_moi"
    assert 'data-key="quy_trinh_moi"' in web.get(LIBRARY).get_data(as_text=True)


def test_the_dossier_diagram_marks_its_steps_and_is_only_for_those_who_see_the_dossier(api, web):
    dossier_id = walk(api, to="district_verification")
    web.login("demo-household")
    body = web.get(f"/dossiers/{dossier_id}/diagram").get_json()
    assert body["active"] == ["district_verification"]
    assert body["completed"] == ["commune_scoring", "self_report"]
    assert body["pending"] == ["city_commendation"] and body["ended"] == []
    assert 'id="district_verification"' in body["bpmn"] and body["version"] == 1

    other = type(web)(web.app)
    other.login("demo-household-b")
    assert other.get(f"/dossiers/{dossier_id}/diagram").status_code == 404
    officer = type(web)(web.app)
    officer.login("demo-commune-b")
    assert officer.get(f"/dossiers/{dossier_id}/diagram").status_code == 404


def test_a_finished_dossier_marks_the_end_it_reached(api, web):
    from tests.helpers import city

    dossier_id = walk(api, to="city_commendation")
    api.complete("demo-city", dossier_id, "city_commendation", city())
    web.login("demo-household")
    body = web.get(f"/dossiers/{dossier_id}/diagram").get_json()
    assert body["active"] == [] and body["pending"] == [] and body["ended"] == ["end_recognized"]


def test_a_procedure_with_many_versions_shows_the_latest_and_pages_through_the_rest(app, web, monkeypatch):
    web.login("demo-admin")
    files = shipped_files(app)
    for number in range(2, 8):
        manifest = json.loads(files["procedure.json"])
        manifest["defaults"] = {"commune_reminder_days": number}
        upload(web, {**files, "procedure.json": json.dumps(manifest).encode()})
    card = (
        web.get(LIBRARY).get_data(as_text=True).split('data-key="gia_dinh_hoc_tap"')[1].split("</section>")[0]
    )
    assert re.findall(r'data-version="(\d+)"', card) == ["7", "6", "5", "4", "3"]
    assert "Xem tất cả 7 phiên bản" in card
    page = web.get(f"{LIBRARY}/{SHIPPED}").get_data(as_text=True)
    assert re.findall(r'data-version="(\d+)"', page) == ["7", "6", "5", "4", "3", "2", "1"]
    assert f"/admin/procedures/{SHIPPED}/diff?from=6&amp;to=7" in page

    monkeypatch.setattr("app.admin.procedures.VERSIONS_PER_PAGE", 3)
    first = web.get(f"{LIBRARY}/{SHIPPED}").get_data(as_text=True)
    assert f'href="/admin/procedures/{SHIPPED}?page=2"' in first
    second = web.get(f"{LIBRARY}/{SHIPPED}", query_string={"page": 2}).get_data(as_text=True)
    assert re.findall(r'data-version="(\d+)"', second) == ["4", "3", "2"]

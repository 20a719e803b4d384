"""The admin pages around a new version: what-if replay and moving running dossiers (all or none)."""

from tests.integration.test_migration_and_replay_api import (
    DOUBLE_CHECK,
    RENAMED,
    _finish_four_level,
    _manifest_without,
    _open,
    _stricter_floor_version,
)
from tests.integration.test_procedure_library_api import upload
from tests.procedure_factory import package_files


def test_the_replay_page_names_the_dossiers_a_stricter_version_would_not_recognise(app, api, web):
    _finish_four_level(api, "demo-household", "demo-commune", "demo-district")
    borderline = _finish_four_level(
        api,
        "demo-household-b",
        "demo-commune-b",
        "demo-district-b",
        c2a=5,
        c2b=6,
        c2c=6,
        c1a=10,
        c1b=10,
        c1c=10,
        c3a=10,
        c3b=10,
        c4a=10,
        c4b=10,
    )
    version = _stricter_floor_version(app)
    web.login("demo-admin")
    path = f"/admin/procedures/gia_dinh_hoc_tap/versions/{version}/replay"
    assert "Chạy thử" in web.get(path).get_data(as_text=True)
    page = web.post(path, {"year": "2026", "limit": "100"}).get_data(as_text=True)
    assert "Đã chạy lại 2 hồ sơ; 1 hồ sơ có kết quả khác." in page
    assert borderline["code"] in page and "Tiêu chí 2" in page


def test_the_migration_page_previews_then_moves_every_dossier(app, api, web):
    upload(api, package_files())
    first = _open(api)
    upload(api, package_files(**{"process.bpmn": DOUBLE_CHECK.encode()}))
    web.login("demo-admin")
    path = "/admin/procedures/ngoi_sao_doc_sach/versions/2/migrate?from=1"
    preview = web.get(path).get_data(as_text=True)
    assert "1 hồ sơ sẽ được chuyển" in preview and "Kiểm tra lại" in preview
    assert api.dossier("demo-household", first)["procedure_version"] == 1
    moved = web.post(
        "/admin/procedures/ngoi_sao_doc_sach/versions/2/migrate",
        {"from": "1", "confirm": "yes"},
        csrf_from=path,
    )
    assert moved.status_code == 302
    assert api.dossier("demo-household", first)["procedure_version"] == 2


def test_the_migration_page_offers_no_move_while_a_dossier_cannot_move(app, api, web):
    upload(api, package_files())
    waiting = _open(api)
    renamed = package_files(
        **{"process.bpmn": RENAMED.encode(), "procedure.json": _manifest_without("report_books")}
    )
    upload(api, renamed)
    web.login("demo-admin")
    page = web.get("/admin/procedures/ngoi_sao_doc_sach/versions/2/migrate?from=1").get_data(as_text=True)
    assert "1 hồ sơ không chuyển được" in page and 'data-testid="confirm-migrate"' not in page
    refused = web.post(
        "/admin/procedures/ngoi_sao_doc_sach/versions/2/migrate",
        {"from": "1", "confirm": "yes"},
        csrf_from="/admin/procedures/ngoi_sao_doc_sach/versions/2/migrate?from=1",
    )
    assert refused.status_code == 200 and "Chưa chuyển hồ sơ nào" in refused.get_data(as_text=True)
    assert api.dossier("demo-household", waiting)["procedure_version"] == 1


def test_the_pages_are_for_admins_only(web):
    web.login("demo-commune")
    assert web.get("/admin/procedures/gia_dinh_hoc_tap/versions/1/replay").status_code == 404
    assert web.get("/admin/procedures/gia_dinh_hoc_tap/versions/1/migrate?from=1").status_code == 404

"""The evidence beside a review step's form, served by its own framable "view" variant, and the household's
home at /dossiers (issue 7, items 2 and 7), through the test client."""

import io
import re
from datetime import date

import pytest

from tests.factories import make_household, png_bytes
from tests.helpers import self_report, walk
from tests.pdf_samples import CLEAN as PDF

VIEW_POLICY = "default-src 'none'; frame-ancestors 'self'; sandbox"


def upload(api, dossier_id: int, name: str, content: bytes, criterion: str | None = "c1") -> int:
    data = {"file": (io.BytesIO(content), name)}
    if criterion:
        data["criterion"] = criterion
    response = api.post("demo-household", f"/dossiers/{dossier_id}/evidence", data=data)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def task_page(web, api, username: str, dossier_id: int, name: str) -> str:
    task = api.task_for(username, dossier_id, name)
    web.login(username)
    response = web.get(f"/tasks/{task['id']}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [("hoc-ba.pdf", PDF, "application/pdf"), ("anh.png", png_bytes(), "image/png")],
)
def test_the_view_variant_is_inline_and_framable_by_this_site_only(web, api, name, content, mime):
    dossier_id = api.open_dossier()
    evidence_id = upload(api, dossier_id, name, content)
    web.login("demo-household")
    response = web.get(f"/evidence/{evidence_id}/view")
    assert response.status_code == 200 and response.data == content
    response.close()
    assert response.mimetype == mime
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers.getlist("Content-Security-Policy") == [VIEW_POLICY]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The download is unchanged: a PDF is saved, never framed.
    download = web.get(f"/evidence/{evidence_id}")
    download.close()
    assert download.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in download.headers["Content-Security-Policy"]
    if mime == "application/pdf":
        assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_view_variant_is_refused_like_the_download(web, api, app):
    dossier_id = api.open_dossier()
    evidence_id = upload(api, dossier_id, "anh.png", png_bytes())
    make_household(app, "ho-khu-vuc-hai", "DEMO-AH-V2")
    for username, password in [("ho-khu-vuc-hai", "matkhau123"), ("demo-commune-b", "demo1234")]:
        outsider = type(web)(app)
        assert outsider.login(username, password).status_code == 302
        # Not 403: that would tell an outsider the file exists.
        assert outsider.get(f"/evidence/{evidence_id}/view").status_code == 404
    anonymous = type(web)(app).get(f"/evidence/{evidence_id}/view")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert type(web)(app).get("/evidence/999999/view").status_code == 302
    web.login("demo-commune")
    assert web.get("/evidence/999999/view").status_code == 404


def test_a_review_step_shows_the_evidence_per_criterion_the_scores_and_the_answers(web, api):
    dossier_id = api.open_dossier()
    photo = upload(api, dossier_id, "anh-lop-hoc.png", png_bytes(), criterion="c2")
    record = upload(api, dossier_id, "hoc-ba.pdf", PDF, criterion="c1")
    general = upload(api, dossier_id, "ghi-chu.png", png_bytes(), criterion=None)
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    page = task_page(web, api, "demo-commune", dossier_id, "commune_scoring")

    assert 'data-testid="evidence-panel"' in page and 'data-testid="scores-panel"' in page
    items = re.findall(r'href="/evidence/(\d+)/view"[^>]*data-testid="evidence-item"', page, re.S)
    # In the order of the criteria set, files of no criterion last.
    assert items == [str(record), str(photo), str(general)]
    # The first file is shown at once, in a frame of its view URL, named by file and criterion.
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert f'src="/evidence/{record}/view"' in frame and 'title="hoc-ba.pdf – ' in frame
    assert 'data-caption="anh-lop-hoc.png – ' in page and 'data-caption="ghi-chu.png – Chung"' in page
    # The shipped self-assessment is all scores and files: its answers are the table's self-score column.
    assert 'data-testid="score-table"' in page
    assert page.count('data-testid="tab-') == 3


def test_a_later_review_step_shows_both_score_columns(web, api):
    dossier_id = walk(api, to="district_verification", self_points=10, commune_points=9)
    page = task_page(web, api, "demo-district", dossier_id, "district_verification")
    table = page.split('data-testid="score-table"')[1].split("</table>")[0]
    total = table.split('<tr class="fw-bold">')[1]
    assert re.findall(r">(\d+)</td>", total) == ["100", "100", "90"]
    # What the commune decided, in its form's words.
    assert 'data-testid="step-commune_scoring"' in page.split('data-testid="scores-panel"')[1]
    assert "Chưa có minh chứng." in page


def test_the_households_own_step_has_no_review_panel(web, api):
    dossier_id = api.open_dossier()
    page = task_page(web, api, "demo-household", dossier_id, "self_report")
    assert "data-review" not in page and "review_panel.js" not in page


def test_the_household_home_shows_status_next_step_and_result(web, api):
    this_year = date.today().year
    dossier_id = api.open_dossier(year=this_year)
    task = api.task_for("demo-household", dossier_id, "self_report")
    web.login("demo-household")
    home = web.get("/dossiers").get_data(as_text=True)
    assert f'href="/tasks/{task["id"]}" data-testid="home-next"' in home
    assert "Việc cần làm: Tự đánh giá" in home

    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    home = web.get("/dossiers").get_data(as_text=True)
    assert 'data-testid="home-next"' not in home and 'data-testid="home-waiting"' in home


def test_the_household_home_shows_the_result_once_decided(web, api):
    walk(api, to="done", year=date.today().year)
    web.login("demo-household")
    home = web.get("/dossiers").get_data(as_text=True)
    result = home.split('data-testid="home-result"')[1].split("</p>")[0]
    assert "90 điểm" in result and "Được công nhận" in result
    assert 'data-testid="home-waiting"' not in home

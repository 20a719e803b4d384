"""Validation in one round: a refused task form shows every error at once, files included, with a summary
linking to each field, the errors tied to their inputs, and messages worded for the kind of field."""

import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import EvidenceFile
from tests.helpers import self_report

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOT_A_PDF = (b"MZ\x90\x00" + b"\x00" * 100, "giay-chung-nhan.pdf")


def evidence_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EvidenceFile))


def self_report_task(api) -> tuple[int, int]:
    dossier_id = api.open_dossier()
    return dossier_id, api.task_for("demo-household", dossier_id, "self_report")["id"]


def test_a_bad_file_and_invalid_scores_are_all_reported_in_one_response(web, api, app):
    dossier_id, task_id = self_report_task(api)
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(9, c1a=15, c1b=-3, c1c="7.5").items()}
    # A good file beside the bad one: neither is stored while the form is refused.
    data["upload__evidence_c1"] = (io.BytesIO(PDF), "hoc-ba.pdf")
    data["upload__evidence_c2"] = (io.BytesIO(NOT_A_PDF[0]), NOT_A_PDF[1])
    response = web.post(f"/tasks/{task_id}", data, content_type="multipart/form-data")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = page.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "có 4 lỗi cần sửa" in summary
    for name in ("c1a", "c1b", "c1c", "evidence_c2"):
        # Listed at the top, linking to the input, which names its message and is marked invalid.
        assert f'href="#f-{name}"' in summary
        assert re.search(
            rf'id="f-{name}"[^>]*aria-describedby="[^"]*f-{name}-error"[^>]*aria-invalid="true"', page
        )
        assert f'id="f-{name}-error"' in page
    assert "Giá trị phải từ 0 đến 10." in page  # 15 and −3
    assert "Vui lòng nhập số nguyên." in page  # 7.5
    assert "PDF, JPEG hoặc PNG" in page
    # Nothing changed: no score, no file, the household still has its self-assessment to do.
    detail = api.dossier("demo-household", dossier_id)
    assert detail["self_score"] is None
    assert [t["name"] for t in detail["current_tasks"]] == ["self_report"]
    assert evidence_count(app) == 0


def test_a_good_file_beside_a_bad_one_counts_as_the_criterions_evidence(web, api, app):
    dossier_id, task_id = self_report_task(api)
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(9).items()}
    data["upload__evidence_c1"] = (io.BytesIO(PDF), "hoc-ba.pdf")
    data["upload__evidence_c2"] = (io.BytesIO(NOT_A_PDF[0]), NOT_A_PDF[1])
    response = web.post(f"/tasks/{task_id}", data, content_type="multipart/form-data")
    assert response.status_code == 422
    summary = response.get_data(as_text=True).split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    # Only the refused file is reported; criterion 1 is not told it lacks the evidence just chosen.
    assert "có 1 lỗi cần sửa" in summary and 'href="#f-evidence_c2"' in summary
    assert evidence_count(app) == 0 and api.dossier("demo-household", dossier_id)["self_score"] is None


def test_with_the_errors_fixed_the_same_form_goes_through(web, api, app):
    dossier_id, task_id = self_report_task(api)
    web.login("demo-household")
    data = {k: str(v) for k, v in self_report(9).items()}
    data["upload__evidence_c1"] = (io.BytesIO(PDF), "hoc-ba.pdf")
    response = web.post(f"/tasks/{task_id}", data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert api.dossier("demo-household", dossier_id)["self_score"] == 90
    assert evidence_count(app) == 1


def test_an_unanswered_choice_asks_to_choose(web, api):
    dossier_id, _ = self_report_task(api)
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    task_id = api.task_for("demo-commune", dossier_id, "commune_scoring")["id"]
    web.login("demo-commune")
    response = web.post(f"/tasks/{task_id}", {k: str(v) for k, v in self_report(9).items()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Vui lòng chọn một phương án." in page
    assert "Vui lòng nhập trường này." not in page
    # The options are one group named by its question; the summary links to the first option.
    assert re.search(
        r'<fieldset class="mb-3" data-field="decision"[^>]*aria-describedby="f-decision-error"', page
    )
    assert '<legend class="form-label fs-6">' in page
    assert 'href="#f-decision-accept"' in page

"""Bad input gets a clear message and changes nothing."""

import io

import pytest

from tests.helpers import self_report, walk

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def _snapshot(app, dossier_id):
    from app.extensions import db
    from app.models import AuditEvent, Dossier, EvidenceFile, HumanTask, Submission

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        return {
            "state": dossier.state,
            "row_version": dossier.row_version,
            "status": dossier.status,
            "tasks": [
                (t.id, t.state, t.claimed_by_id)
                for t in db.session.scalars(db.select(HumanTask).where(HumanTask.dossier_id == dossier_id))
            ],
            "submissions": db.session.scalar(db.select(db.func.count(Submission.id))),
            "evidence": db.session.scalar(db.select(db.func.count(EvidenceFile.id))),
            "audit": db.session.scalar(db.select(db.func.count(AuditEvent.id))),
        }


def close_spooled_body(response) -> None:
    """werkzeug's test client encodes a large multipart body into a temporary file it never closes."""
    response.request.environ["wsgi.input"].close()


@pytest.fixture
def at_self_report(api):
    dossier_id = api.open_dossier()
    return dossier_id, api.task_for("demo-household", dossier_id, "self_report")["id"]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        (self_report(9, c1a=11), "c1a", "10"),
        (self_report(9, c1a=-1), "c1a", "0"),
        ({k: v for k, v in self_report(9).items() if k != "c2b"}, "c2b", "Vui lòng"),
        ({**self_report(9), "bonus_points": 50}, "bonus_points", "không có trong biểu mẫu"),
        ({**self_report(9), "c3a": "mười"}, "c3a", ""),
        # A number is a number over JSON: "10" and true are refused, not parsed like typed input.
        ({**self_report(9), "c3a": "10"}, "c3a", "Phải là số"),
        ({**self_report(9), "c3a": True}, "c3a", "Phải là số"),
        ({**self_report(9), "c3a": {"x": 1}}, "c3a", ""),
        ({**self_report(9), "evidence_c1": [424242]}, "evidence_c1", "Minh chứng"),
    ],
    ids=[
        "above-max",
        "below-min",
        "missing-required",
        "unknown-field",
        "not-a-number",
        "number-as-string",
        "boolean",
        "object",
        "foreign-evidence",
    ],
)
def test_invalid_form_data_is_refused_with_422_and_changes_nothing(
    app, api, at_self_report, data, field, fragment
):
    dossier_id, task_id = at_self_report
    before = _snapshot(app, dossier_id)
    response = api.post("demo-household", f"/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert _snapshot(app, dossier_id) == before


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"data"', b""])
def test_malformed_json_is_refused_and_changes_nothing(app, api, at_self_report, body):
    dossier_id, task_id = at_self_report
    before = _snapshot(app, dossier_id)
    response = api.post(
        "demo-household", f"/tasks/{task_id}/complete", data=body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "JSON" in response.get_json()["message"]
    assert _snapshot(app, dossier_id) == before


def test_english_messages_when_asked(api, at_self_report):
    _, task_id = at_self_report
    response = api.post(
        "demo-household",
        f"/tasks/{task_id}/complete",
        json={"data": self_report(9, c1a=11)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    message = " ".join(response.get_json()["errors"]["c1a"])
    assert "Giá trị" not in message and message


def test_twenty_megabyte_upload_is_refused_and_nothing_is_stored(app, api, at_self_report):
    dossier_id, _ = at_self_report
    before = _snapshot(app, dossier_id)
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    response = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(big), "to.pdf"), "criterion": "c1"},
    )
    assert response.status_code == 422
    assert "10 MB" in " ".join(response.get_json()["errors"]["file"])
    assert _snapshot(app, dossier_id) == before
    close_spooled_body(response)


def test_a_body_over_the_request_cap_is_refused_before_it_is_read(app, api, at_self_report):
    dossier_id, _ = at_self_report
    before = _snapshot(app, dossier_id)
    huge = b"%PDF-1.4\n" + b"0" * (60 * 1024 * 1024)
    response = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(huge), "to.pdf"), "criterion": "c1"},
    )
    assert response.status_code == 413
    assert "10 MB" in response.get_json()["error"]["message"]
    assert _snapshot(app, dossier_id) == before
    close_spooled_body(response)


def test_file_just_over_ten_megabytes_is_refused(app, api, at_self_report):
    dossier_id, _ = at_self_report
    before = _snapshot(app, dossier_id)
    content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(content), "scan.pdf"), "criterion": "c1"},
    )
    assert response.status_code == 422
    assert "10 MB" in " ".join(response.get_json()["errors"]["file"])
    assert _snapshot(app, dossier_id) == before
    close_spooled_body(response)


def test_executable_renamed_pdf_is_refused_and_nothing_is_stored(app, api, at_self_report, tmp_path):
    dossier_id, _ = at_self_report
    before = _snapshot(app, dossier_id)
    response = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(ELF), "hoc-ba.pdf"), "criterion": "c1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "PDF, JPEG" in " ".join(response.get_json()["errors"]["file"])
    assert _snapshot(app, dossier_id) == before
    assert not list((tmp_path / "data").rglob("evidence/*/*"))


def test_unknown_criterion_is_refused(api, at_self_report):
    dossier_id, _ = at_self_report
    response = api.post(
        "demo-household",
        f"/dossiers/{dossier_id}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "a.pdf"), "criterion": "c9"},
    )
    assert response.status_code == 422
    assert "criterion" in response.get_json()["errors"]


def test_completed_task_cannot_be_completed_again(api):
    dossier_id = walk(api, to="commune_scoring")
    task_ids = [h for h in api.get("demo-household", "/tasks").get_json()["items"]]
    assert task_ids == []
    first = api.dossier("demo-household", dossier_id)
    from tests.helpers import self_report as data

    self_task = [t for t in _all_tasks(api, dossier_id) if t["name"] == "self_report"][0]
    response = api.post("demo-household", f"/tasks/{self_task['id']}/complete", json={"data": data()})
    assert response.status_code == 409
    assert api.dossier("demo-household", dossier_id)["history"] == first["history"]


def _all_tasks(api, dossier_id):
    from app.extensions import db
    from app.models import HumanTask

    with api.client.application.app_context():
        return [
            {"id": t.id, "name": t.name}
            for t in db.session.scalars(db.select(HumanTask).where(HumanTask.dossier_id == dossier_id))
        ]

"""The procedure library over the API: packages are data an admin uploads, hostile ones are refused
with a located message and nothing stored, and a made-up title runs end to end with no code change."""

import io
import json
import struct
import zipfile

import pytest

from tests.procedure_factory import BPMN, DMN, TITLE, package_files, zip_bytes


def upload(api, files_or_bytes, user="demo-admin"):
    data = files_or_bytes if isinstance(files_or_bytes, bytes) else zip_bytes(files_or_bytes)
    return api.post(user, "/procedures", data={"package": (io.BytesIO(data), "goi.zip")})


def stored_counts(app):
    from app.extensions import db
    from app.models import AuditEvent, FormVersion, ProcedureActivation, ProcessDefinition

    with app.app_context():
        return tuple(
            db.session.scalar(db.select(db.func.count(m.id)))
            for m in (ProcessDefinition, FormVersion, ProcedureActivation, AuditEvent)
        )


def test_a_made_up_title_deploys_from_a_zip_and_runs_end_to_end(app, api, web):
    response = upload(api, package_files())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["key"] == "ngoi_sao_doc_sach" and response.get_json()["version"] == 1

    dossier = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026})
    assert dossier.status_code == 201, dossier.get_json()
    dossier_id = dossier.get_json()["id"]
    assert dossier.get_json()["code"].startswith("NSDS-2026-")

    api.complete("demo-household", dossier_id, "report_books", {"books": 5})
    returned = api.complete(
        "demo-commune", dossier_id, "confirm_books", {"decision": "return", "books": 5, "comment": "Thiếu sổ"}
    )
    assert returned["status"] == "returned" and returned["status_reason"] == "Thiếu sổ"
    api.complete("demo-household", dossier_id, "report_books", {"books": 14})
    task = api.task_for("demo-commune", dossier_id, "confirm_books")
    assert api.get("demo-commune", f"/tasks/{task['id']}").get_json()["data"]["books"] == 14
    done = api.complete("demo-commune", dossier_id, "confirm_books", {"decision": "confirm", "books": 14})
    assert done["status"] == "recognized" and done["current_tasks"] == []

    # The pages speak of the title in its own words, taken from the manifest.
    web.login("demo-household")
    page = web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Ngôi sao đọc sách" in page
    assert "Ngôi sao đọc sách" in web.get("/dossiers").get_data(as_text=True)


def test_the_made_up_title_ends_unrecognised_below_its_threshold(api):
    assert upload(api, package_files()).status_code == 201
    dossier_id = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026}).get_json()["id"]
    api.complete("demo-household", dossier_id, "report_books", {"books": 11})
    done = api.complete("demo-commune", dossier_id, "confirm_books", {"decision": "confirm", "books": 11})
    assert done["status"] == "not_recognized"


def test_identical_sources_return_the_existing_version_and_changes_make_the_next(api):
    first = upload(api, package_files())
    again = upload(api, package_files())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    changed = upload(
        api, package_files(**{"process.bpmn": BPMN.replace("Xác nhận", "Xác nhận số sách").encode()})
    )
    assert changed.status_code == 201 and changed.get_json()["version"] == 2

    listing = api.get("demo-admin", "/procedures").get_json()["items"]
    star = next(p for p in listing if p["key"] == "ngoi_sao_doc_sach")
    assert [v["version"] for v in star["versions"]] == [1, 2]
    # The first version of a new title becomes active everywhere; deploying v2 changes nothing running.
    assert [v["active_in"] for v in star["versions"]] == [[None], []]
    assert star["serves"] == {"title": TITLE, "label": "Ngôi sao đọc sách"}


def test_a_downloaded_package_uploads_back_as_the_same_version(api):
    upload(api, package_files())
    response = api.get("demo-admin", "/procedures/ngoi_sao_doc_sach/versions/1/package")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "procedure.json" in names and "forms/books_report.json" in names
    again = upload(api, response.data)
    assert again.status_code == 200 and again.get_json()["version"] == 1


def test_only_admins_may_touch_the_library(api):
    for user in ("demo-household", "demo-commune", "demo-city"):
        assert api.get(user, "/procedures").status_code == 403
        assert upload(api, package_files(), user=user).status_code == 403
        assert api.get(user, "/procedures/gia_dinh_hoc_tap/versions/1/package").status_code == 403
        activate = api.post(user, "/procedures/gia_dinh_hoc_tap/versions/1/activate", json={"province": None})
        assert activate.status_code == 403


def _huge_member_zip() -> bytes:
    """A zip whose member claims 1 GB once decompressed; nothing that large is ever built."""
    data = bytearray(zip_bytes(package_files()))
    # Patch the uncompressed size in the central directory entry of the first member.
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1_073_741_824)
    return bytes(data)


def _traversal_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in package_files().items():
            archive.writestr(name, content)
        archive.writestr("../../etc/cron.d/evil", b"* * * * * root id")
    return buffer.getvalue()


def _with_bpmn(old: str, new: str) -> dict:
    assert old in BPMN
    return package_files(**{"process.bpmn": BPMN.replace(old, new).encode()})


CONFIRM_FLOW = '<bpmn:sequenceFlow id="flow_decided" sourceRef="decide_star" targetRef="star_gateway" />'


def _script(code: str) -> dict:
    """Put a script task with ``code`` between the decision and its gateway."""
    return _with_bpmn(
        CONFIRM_FLOW,
        '<bpmn:scriptTask id="evil_script" scriptFormat="python"><bpmn:script>'
        + code
        + "</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="flow_decided" sourceRef="decide_star" targetRef="evil_script" />'
        '<bpmn:sequenceFlow id="flow_scripted" sourceRef="evil_script" targetRef="star_gateway" />',
    )


def _timer(expression: str) -> dict:
    return _with_bpmn(
        '<bpmn:endEvent id="end_star" />',
        '<bpmn:endEvent id="end_star" /><bpmn:boundaryEvent id="books_timer" attachedToRef="confirm_books" '
        'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>'
        + expression
        + "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
    )


HOSTILE = {
    "malformed_xml": (
        package_files(**{"process.bpmn": BPMN.replace("</bpmn:process>", "").encode()}),
        "process.bpmn",
        None,
    ),
    "doctype": (
        package_files(
            **{"process.bpmn": BPMN.replace("?>", "?>\n<!DOCTYPE x [<!ELEMENT x ANY>]>", 1).encode()}
        ),
        "process.bpmn",
        None,
    ),
    "external_entity": (
        package_files(
            **{
                "process.bpmn": BPMN.replace(
                    "?>", '?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>', 1
                ).encode()
            }
        ),
        "process.bpmn",
        None,
    ),
    "entity_expansion": (
        package_files(
            **{
                "decision.dmn": DMN.replace(
                    "?>", '?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>', 1
                ).encode()
            }
        ),
        "decision.dmn",
        None,
    ),
    "task_outside_lanes": (
        _with_bpmn("<bpmn:flowNodeRef>confirm_books</bpmn:flowNodeRef>", ""),
        "process.bpmn",
        "confirm_books",
    ),
    "missing_form": (
        {k: v for k, v in package_files().items() if k != "forms/books_confirm.json"},
        "process.bpmn",
        "confirm_books",
    ),
    "user_task_without_form": (
        _with_bpmn(' camunda:formKey="books_confirm"', ""),
        "process.bpmn",
        "confirm_books",
    ),
    "unquoted_timer": (_timer("P10D"), "process.bpmn", "books_timer"),
    "pt10d_timer": (_timer('"PT10D"'), "process.bpmn", "books_timer"),
    "import_os": (_script("import os"), "process.bpmn", "evil_script"),
    "open": (_script("x = open('/etc/passwd').read()"), "process.bpmn", "evil_script"),
    "subclasses": (_script("x = ().__class__.__base__.__subclasses__()"), "process.bpmn", "evil_script"),
    "dunder_import": (_script("os = __import__('os')"), "process.bpmn", "evil_script"),
    "escape_in_condition": (
        _with_bpmn(
            "<bpmn:conditionExpression>star</bpmn:conditionExpression>",
            "<bpmn:conditionExpression>__import__('os').system('id')</bpmn:conditionExpression>",
        ),
        "process.bpmn",
        "star_gateway",
    ),
    "escape_in_dmn_cell": (
        package_files(
            **{"decision.dmn": DMN.replace("<text>True</text>", "<text>open('/etc/passwd')</text>").encode()}
        ),
        "decision.dmn",
        "rule_star_out",
    ),
    "missing_dmn_id": (
        _with_bpmn('camunda:decisionRef="ngoi_sao_decision"', 'camunda:decisionRef="khong_co"'),
        "process.bpmn",
        "decide_star",
    ),
    "twenty_mb_file": (
        package_files(**{"process.bpmn": BPMN.encode() + b" " * 20_000_000}),
        "process.bpmn",
        None,
    ),
    "path_traversal": (_traversal_zip(), "../../etc/cron.d/evil", None),
    "one_gb_member": (_huge_member_zip(), "procedure.json", None),
    "not_a_zip": (b"this is not a zip", None, None),
}


def _line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


# The line each refusal must name, where the check can know it: the DOCTYPE's own line (the cases above
# put it on line 2), the line where libxml2 gave up, the line where the offending element is written.
HOSTILE_LINES = {
    "doctype": 2,
    "external_entity": 2,
    "entity_expansion": 2,
    "malformed_xml": _line_of(BPMN, "</bpmn:definitions>"),
    "missing_dmn_id": _line_of(BPMN, 'id="decide_star"'),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_package_is_refused_located_and_nothing_is_stored(app, api, case):
    package, file, element = HOSTILE[case]
    line = HOSTILE_LINES.get(case)
    api.token("demo-admin")  # issuing the token is audited; count after it
    before = stored_counts(app)
    response = upload(api, package)
    assert response.status_code == 422, (case, response.get_json())
    errors = response.get_json()["errors"]
    assert errors and all(set(e) == {"file", "line", "element", "message"} for e in errors)
    assert all(e["message"] for e in errors)
    if file is not None:
        assert any(e["file"] == file for e in errors), errors
    if element is not None:
        assert any(e["element"] == element for e in errors), errors
    if line is not None:
        located = [e for e in errors if (e["file"], e["line"]) == (file, line)]
        assert located and (element is None or any(e["element"] == element for e in located)), errors
    assert stored_counts(app) == before


def test_a_missing_dmn_id_is_named_in_vietnamese_at_its_task(api):
    """SpiffWorkflow reports a missing decision in English; the admin reads it in Vietnamese."""
    package = _with_bpmn('camunda:decisionRef="ngoi_sao_decision"', 'camunda:decisionRef="khong_co"')
    (error,) = upload(api, package).get_json()["errors"]
    assert error["element"] == "decide_star" and error["file"] == "process.bpmn"
    assert "No DMN" not in error["message"] and "Available" not in error["message"]
    assert "khong_co" in error["message"] and "ngoi_sao_decision" in error["message"]
    assert "bảng quyết định" in error["message"]


def test_a_missing_package_field_is_a_clear_422(api):
    response = api.post("demo-admin", "/procedures", data={})
    assert response.status_code == 422
    assert "package" in response.get_json()["errors"][0]["message"]


def test_activation_for_a_province_decides_what_new_dossiers_use(app, api):
    upload(api, package_files())
    changed = upload(
        api, package_files(**{"process.bpmn": BPMN.replace("Xác nhận", "Xác nhận lại").encode()})
    )
    assert changed.get_json()["version"] == 2
    before = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026}).get_json()["id"]

    response = api.post(
        "demo-admin", "/procedures/ngoi_sao_doc_sach/versions/2/activate", json={"province": "DEMO-CT"}
    )
    assert response.status_code == 200, response.get_json()
    after = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2027}).get_json()["id"]
    assert api.dossier("demo-household", before)["procedure_version"] == 1
    assert api.dossier("demo-household", after)["procedure_version"] == 2

    # The older dossier finishes on the version it started on.
    api.complete("demo-household", before, "report_books", {"books": 20})
    done = api.complete("demo-commune", before, "confirm_books", {"decision": "confirm", "books": 20})
    assert done["status"] == "recognized" and done["procedure_version"] == 1

    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        actions = db.session.scalars(
            db.select(AuditEvent.details).where(AuditEvent.action == "procedure.activated")
        ).all()
    assert {"key": "ngoi_sao_doc_sach", "version": 2, "province": "DEMO-CT"}.items() <= actions[-1].items()


def test_activation_names_an_existing_province(api):
    upload(api, package_files())
    unknown = api.post(
        "demo-admin", "/procedures/ngoi_sao_doc_sach/versions/1/activate", json={"province": "NOPE"}
    )
    commune = api.post(
        "demo-admin", "/procedures/ngoi_sao_doc_sach/versions/1/activate", json={"province": "DEMO-AH"}
    )
    missing = api.post(
        "demo-admin", "/procedures/ngoi_sao_doc_sach/versions/9/activate", json={"province": None}
    )
    assert (unknown.status_code, commune.status_code, missing.status_code) == (404, 404, 404)


def test_the_manifest_must_declare_the_title_it_serves(app, api):
    manifest = json.loads(package_files()["procedure.json"])
    del manifest["serves"]["code_prefix"]
    response = upload(api, package_files(**{"procedure.json": json.dumps(manifest).encode()}))
    assert response.status_code == 422
    assert any(
        e["file"] == "procedure.json" and "code_prefix" in e["message"] for e in response.get_json()["errors"]
    )


def test_the_form_definition_schema_is_served_as_published_in_the_repository(client):
    from tests.conftest import ROOT

    response = client.get("/api/v1/forms/schema.json")
    assert response.status_code == 200
    published = json.loads(
        (ROOT / "forms" / "schema" / "form-definition.schema.json").read_text(encoding="utf-8")
    )
    assert response.get_json() == published


def test_a_procedure_may_end_in_an_outcome_of_its_own_with_its_own_words(app, api, web):
    manifest = json.loads(package_files()["procedure.json"])
    manifest["end_states"]["end_no_star"] = "chua_dat_sao"
    manifest["status_labels"] = {"chua_dat_sao": {"vi": "Chưa đạt ngôi sao", "en": "No star yet"}}
    assert upload(api, package_files(**{"procedure.json": json.dumps(manifest).encode()})).status_code == 201
    dossier_id = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026}).get_json()["id"]
    api.complete("demo-household", dossier_id, "report_books", {"books": 2})
    done = api.complete("demo-commune", dossier_id, "confirm_books", {"decision": "confirm", "books": 2})
    assert done["status"] == "chua_dat_sao" and done["current_tasks"] == []
    web.login("demo-household")
    assert "Chưa đạt ngôi sao" in web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    # An ended dossier is final whatever its outcome is called: nothing can move it any more.
    moved = api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 1, "dry_run": True})
    assert moved.status_code == 409

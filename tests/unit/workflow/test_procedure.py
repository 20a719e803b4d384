import dataclasses
import json
import shutil

import pytest

from workflow import ProcedureError, compile_procedure, load_procedure_folder, restore_procedure


def with_file(package, kind, name, content):
    files = dict(getattr(package, kind))
    files[name] = content
    return dataclasses.replace(package, **{kind: files})


def test_shipped_procedure_compiles(proc):
    assert proc.key == proc.process_id == "gia_dinh_hoc_tap"
    assert proc.end_states == {
        "end_recognized": "recognized",
        "end_not_recognized": "not_recognized",
        "end_rejected": "rejected",
    }
    tasks = {k: (t.lane, t.role, t.level, t.form_key, t.sla_days) for k, t in proc.user_tasks.items()}
    assert tasks == {
        "self_report": ("Household", "household", "subject", "self_report", 30),
        "commune_scoring": ("Commune", "commune_officer", "commune", "commune_scoring", 10),
        "district_verification": ("District", "district_officer", "district", "district_verification", 10),
        "city_commendation": ("City", "emulation_committee", "province", "city_commendation", 15),
    }
    assert proc.user_tasks["commune_scoring"].name == "Chấm điểm cấp xã"
    assert proc.user_tasks["self_report"].label == {"vi": "Tự đánh giá", "en": "Self-assessment"}
    assert proc.manifest["defaults"] == {"commune_reminder_days": 10}


def test_label_falls_back_to_bpmn_name(package):
    manifest = json.loads(json.dumps(package.manifest))
    del manifest["tasks"]["city_commendation"]
    proc = compile_procedure(dataclasses.replace(package, manifest=manifest))
    assert proc.user_tasks["city_commendation"].label == {"vi": "Quyết định công nhận cấp thành phố"}


def test_sha256_is_stable_and_covers_every_source(package, load_shipped):
    again = load_shipped()
    assert package.sha256 == again.sha256
    assert len(package.sha256) == 64
    changed_form = with_file(package, "forms", "self_report", b'{"x": 1}')
    changed_dmn = with_file(package, "dmn", "rating.dmn", package.dmn["rating.dmn"] + b"\n")
    manifest = dict(package.manifest, title={"vi": "Khác"})
    changed_manifest = dataclasses.replace(package, manifest=manifest)
    hashes = {package.sha256, changed_form.sha256, changed_dmn.sha256, changed_manifest.sha256}
    assert len(hashes) == 4


def test_load_reports_missing_files(tmp_path, procedure_dir):
    folder = tmp_path / "p"
    shutil.copytree(procedure_dir, folder)
    (folder / "rating.dmn").unlink()
    with pytest.raises(ProcedureError) as info:
        load_procedure_folder(folder)
    assert "rating.dmn" in str(info.value)


def test_load_reports_missing_manifest_and_path_tricks(tmp_path):
    with pytest.raises(ProcedureError, match="procedure.json"):
        load_procedure_folder(tmp_path)
    (tmp_path / "procedure.json").write_text(json.dumps({"bpmn": ["../etc/passwd"], "dmn": []}))
    with pytest.raises(ProcedureError, match="không hợp lệ"):
        load_procedure_folder(tmp_path)


def test_load_reads_forms_by_stem(tmp_path, procedure_dir):
    folder = tmp_path / "p"
    shutil.copytree(procedure_dir, folder)
    (folder / "forms").mkdir(exist_ok=True)
    (folder / "forms" / "extra_form.json").write_bytes(b'{"fields": []}')
    assert load_procedure_folder(folder).forms["extra_form"] == b'{"fields": []}'


def test_restore_is_cached_per_sha(proc):
    again = restore_procedure(proc.sha256, proc.serialized_spec, proc.manifest)
    assert again is proc
    restored = restore_procedure("restored-" + proc.sha256, proc.serialized_spec, proc.manifest)
    assert restored is not proc
    assert restored.user_tasks == proc.user_tasks
    assert restore_procedure("restored-" + proc.sha256, "{}", {}) is restored


def test_serialized_spec_holds_the_spec(proc):
    stored = json.loads(proc.serialized_spec)
    assert stored["process_id"] == "gia_dinh_hoc_tap"
    assert "khong_dat" in proc.serialized_spec


# --------------------------------------------------------------------------- hostile or broken packages


def mutate_bpmn(package, old, new):
    source = package.bpmn["process.bpmn"].decode()
    assert old in source, old
    return with_file(package, "bpmn", "process.bpmn", source.replace(old, new).encode())


def mutate_dmn(package, old, new):
    source = package.dmn["rating.dmn"].decode()
    assert old in source, old
    return with_file(package, "dmn", "rating.dmn", source.replace(old, new).encode())


def errors_of(package):
    with pytest.raises(ProcedureError) as info:
        compile_procedure(package)
    assert info.value.errors
    return "\n".join(info.value.errors)


REMINDER = 'notify("task_reminder", task="commune_scoring")'
RECOGNIZED = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">recognized<'


def test_doctype_xxe_is_refused(package):
    bad = mutate_bpmn(
        package,
        "<bpmn:definitions",
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n<bpmn:definitions',
    )
    message = errors_of(
        mutate_bpmn(bad, "theo bộ tiêu chí.</bpmn:documentation>", "&xxe;</bpmn:documentation>")
    )
    assert "process.bpmn" in message and "DOCTYPE" in message


@pytest.mark.parametrize(
    "script",
    [
        "().__class__.__base__.__subclasses__()",
        "import os\nos.system('echo PWNED')",
        "__import__('os').system('echo PWNED')",
        "open('/etc/hostname').read()",
        "x = getattr(notify, '__globals__')",
    ],
)
def test_script_escapes_are_refused(package, script):
    message = errors_of(mutate_bpmn(package, REMINDER, script.replace("'", "&apos;")))
    assert "process.bpmn" in message and "send_commune_reminder" in message


def test_condition_with_import_is_refused(package):
    bad = mutate_bpmn(
        package, RECOGNIZED, RECOGNIZED.replace(">recognized<", '>__import__("os").system("id") == 0<')
    )
    message = errors_of(bad)
    assert "recognition_gateway" in message and "__import__" in message


def test_dmn_cells_are_checked(package):
    bad = mutate_dmn(package, '<text>"tot"</text>', "<text>().__class__.__base__</text>")
    bad = mutate_dmn(bad, "<text>&gt;= 90</text>", "<text>&gt;= __import__('os').getpid()</text>")
    message = errors_of(bad)
    assert "rating.dmn" in message
    assert "rule_tot_rating" in message and "rule_tot_score" in message


def test_lane_without_mapping_is_refused(package):
    manifest = json.loads(json.dumps(package.manifest))
    del manifest["lanes"]["City"]
    message = errors_of(dataclasses.replace(package, manifest=manifest))
    assert "lane_city" in message and "City" in message


def test_user_task_without_any_form_is_refused(package):
    forms = {k: v for k, v in package.forms.items() if k != "city_commendation"}
    without_key = mutate_bpmn(
        dataclasses.replace(package, forms=forms), ' camunda:formKey="city_commendation"', ""
    )
    message = errors_of(without_key)
    assert "city_commendation" in message and "formKey" in message and "formData" in message


FORM_DATA = """<bpmn:extensionElements><camunda:formData>
  <camunda:formField id="books" label="Số sách" type="long">
    <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="min" config="0" />
    <camunda:constraint name="max" config="500" /></camunda:validation></camunda:formField>
  <camunda:formField id="kind" label="Loại" type="enum">
    <camunda:value id="paper" name="Sách giấy" />
    <camunda:value id="ebook" name="Sách điện tử" /></camunda:formField>
  <camunda:formField id="agreed" label="Đồng ý" type="boolean" />
  <camunda:formField id="note" label="Ghi chú" type="string">
    <camunda:validation><camunda:constraint name="maxlength" config="200" /></camunda:validation>
  </camunda:formField>
  <camunda:formField id="on" label="Ngày" type="date" />
</camunda:formData>"""


def _with_form_data(package, fields: str):
    """The city step drawn as Camunda Modeler draws a generated task form: inline fields, no formKey."""
    from workflow import package_files, package_from_files

    files = package_files(package)
    del files["forms/city_commendation.json"]
    text = files["process.bpmn"].decode()
    start = text.index('<bpmn:userTask id="city_commendation"')
    opening_end = text.index(">", start) + 1
    opening = text[start:opening_end].replace(' camunda:formKey="city_commendation"', "")
    text = text[:start] + opening + text[opening_end:].replace("<bpmn:extensionElements>", fields, 1)
    files["process.bpmn"] = text.encode()
    return package_from_files(files)


def test_inline_form_data_becomes_the_task_form(package):
    drawn = _with_form_data(package, FORM_DATA)
    proc = compile_procedure(drawn, remember=False)
    assert proc.user_tasks["city_commendation"].form_key == "city_commendation"
    form = json.loads(drawn.forms["city_commendation"])
    assert [(f["name"], f["type"]) for f in form["fields"]] == [
        ("books", "integer"),
        ("kind", "choice"),
        ("agreed", "yesno"),
        ("note", "text"),
        ("on", "date"),
    ]
    books = form["fields"][0]
    assert (books["min"], books["max"], books["required"]) == (0, 500, True)
    assert form["fields"][1]["choices"][1] == {"value": "ebook", "label": {"vi": "Sách điện tử"}}
    assert form["fields"][3]["max_length"] == 200
    from forms import load_form_definition

    assert load_form_definition(drawn.forms["city_commendation"]).key == "city_commendation"


def test_an_inline_field_of_an_unsupported_type_is_refused_at_its_task(package):
    with pytest.raises(ProcedureError) as info:
        _with_form_data(package, FORM_DATA.replace('type="date"', 'type="file"'))
    assert [(p.element, p.file) for p in info.value.problems] == [("city_commendation", "process.bpmn")]
    assert "'file'" in info.value.errors[0]


def test_missing_form_is_refused(package):
    forms = {k: v for k, v in package.forms.items() if k != "district_verification"}
    message = errors_of(dataclasses.replace(package, forms=forms))
    assert "forms/district_verification.json" in message and "district_verification" in message


def test_constant_timer_must_be_valid_iso(package):
    bad = mutate_bpmn(package, '"P" + str(commune_reminder_days) + "D"', '"PT10D"')
    message = errors_of(bad)
    assert "commune_reminder_timer" in message and "PT10D" in message
    assert compile_procedure(mutate_bpmn(package, '"P" + str(commune_reminder_days) + "D"', '"P10D"'))


@pytest.mark.parametrize("expression", ["P10D", "P10D D"])
def test_unquoted_timer_is_refused(package, expression):
    assert "commune_reminder_timer" in errors_of(
        mutate_bpmn(package, '"P" + str(commune_reminder_days) + "D"', expression)
    )


def test_manifest_problems_are_collected(package):
    manifest = json.loads(json.dumps(package.manifest))
    manifest["end_states"]["send_commune_reminder"] = "oops"
    manifest["tasks"]["no_such_task"] = {"label": {"vi": "x"}}
    manifest["lanes"]["Province"] = {"role": "x", "level": "province"}
    forms = {k: v for k, v in package.forms.items() if k != "self_report"}
    message = errors_of(dataclasses.replace(package, manifest=manifest, forms=forms))
    for needle in ("send_commune_reminder", "no_such_task", "Province", "forms/self_report.json"):
        assert needle in message


def test_bulk_marks_are_booleans_and_never_on_a_scoring_step(package):
    from workflow import bulk_tasks

    assert bulk_tasks(package.manifest) == {"district_verification", "city_commendation"}
    manifest = json.loads(json.dumps(package.manifest))
    manifest["tasks"]["district_verification"]["bulk"] = "yes"
    manifest["tasks"]["commune_scoring"]["bulk"] = True
    message = errors_of(dataclasses.replace(package, manifest=manifest))
    assert "'district_verification': 'bulk' chỉ nhận true hoặc false" in message
    assert "'commune_scoring': nhiệm vụ chấm điểm ('scores') không thể khai báo 'bulk'" in message


def test_decides_marks_the_step_a_recognition_decision_completes(package):
    from workflow import decides_tasks

    assert decides_tasks(package.manifest) == {
        "city_commendation": {"kind": "recognition", "answers": {"decision": "approve"}}
    }
    for answers, kind, needle in (
        ({"decision": "approve"}, "commendation", "'decides.kind' chỉ nhận 'recognition'"),
        ("approve", "recognition", "'decides.answers' phải là đối tượng"),
        ({}, "recognition", "'decides.answers' phải là đối tượng"),
    ):
        manifest = json.loads(json.dumps(package.manifest))
        manifest["tasks"]["city_commendation"]["decides"] = {"kind": kind, "answers": answers}
        assert needle in errors_of(dataclasses.replace(package, manifest=manifest))
    manifest = json.loads(json.dumps(package.manifest))
    manifest["tasks"]["commune_scoring"]["decides"] = {
        "kind": "recognition",
        "answers": {"decision": "accept"},
    }
    message = errors_of(dataclasses.replace(package, manifest=manifest))
    assert "'commune_scoring': nhiệm vụ chấm điểm ('scores') không thể khai báo 'decides'" in message


def test_missing_manifest_keys(package):
    manifest = {k: v for k, v in package.manifest.items() if k not in ("lanes", "process_id")}
    message = errors_of(dataclasses.replace(package, manifest=manifest))
    assert "lanes" in message and "process_id" in message


def test_unknown_process_and_schema_errors(package):
    manifest = dict(package.manifest, process_id="nope")
    assert "nope" in errors_of(dataclasses.replace(package, manifest=manifest))
    message = errors_of(
        mutate_bpmn(
            package,
            '<bpmn:endEvent id="end_rejected"',
            '<bpmn:fooEvent id="x"/><bpmn:endEvent id="end_rejected"',
        )
    )
    assert "process.bpmn" in message


def test_decision_ref_must_exist(package):
    message = errors_of(
        mutate_bpmn(package, 'camunda:decisionRef="gia_dinh_hoc_tap_rating"', 'camunda:decisionRef="nope"')
    )
    assert "nope" in message


def test_manual_tasks_would_hang_and_are_refused(package):
    bad = mutate_bpmn(
        package, '<bpmn:userTask id="city_commendation"', '<bpmn:manualTask id="city_commendation"'
    )
    bad = mutate_bpmn(
        bad,
        '</bpmn:userTask>\n\n    <bpmn:exclusiveGateway id="city_decision_gateway"',
        '</bpmn:manualTask>\n\n    <bpmn:exclusiveGateway id="city_decision_gateway"',
    )
    assert "city_commendation" in errors_of(bad)

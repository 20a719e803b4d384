"""The post-2025 two-tier Gia đình học tập procedure (bpmn/gia_dinh_hoc_tap_hai_cap).

household self-report → village review meeting → commune scoring → DMN → commune chairman. Task data are
built the way app/services/dossiers.py submit_task builds them: the form validated on the server, stored
under its key, plus the scoring outputs when the form's score fields apply.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from forms import (
    formdata_from_json,
    load_form_definition,
    prefill_values,
    score_submission,
    validate_submission,
)
from workflow import Notice, compile_procedure, load_procedure_folder, parse_xml

FOLDER = Path(__file__).resolve().parents[3] / "bpmn" / "gia_dinh_hoc_tap_hai_cap"
NOW = datetime(2025, 12, 1, 1, 30, tzinfo=UTC)
START_DATA = {"subject_id": 7, "dossier_id": 42, "year": 2025}
EVIDENCE = frozenset({1, 2, 3})
GONE_LEVELS = {"district", "province"}

FULL_SCORES = {f"c{item}": 10 for item in ("1a", "1b", "1c", "2a", "2b", "2c", "3a", "3b", "4a", "4b")}
SELF_REPORT = {**FULL_SCORES, "evidence_c1": [1], "note": "Gia đình có hai con đang đi học."}
VILLAGE_PROPOSE = {
    "decision": "propose",
    "meeting_date": "2025-11-28",
    "households_present": 42,
    "minutes": [2],
}
CHAIRMAN_APPROVE = {
    "decision": "approve",
    "decision_number": "125/QĐ-UBND",
    "decision_date": "2025-12-20",
    "signer": "Nguyễn Văn An, Chủ tịch UBND xã",
    "decision_file": [3],
}
RETURNS = {
    "village_review": {"decision": "return_to_household", "reason": "Thiếu giấy xác nhận của nhà trường."},
    "commune_scoring": {"decision": "return_to_household", "comment": "Bổ sung học bạ của cháu lớn."},
    "recognition_decision": {
        "decision": "return_to_household",
        "reason": "Cần bổ sung minh chứng tiêu chí 4.",
    },
}


def commune(**overrides):
    return {"decision": "accept", **FULL_SCORES, "law_violation": False, **overrides}


@pytest.fixture(scope="module")
def package():
    return load_procedure_folder(FOLDER)


@pytest.fixture(scope="module")
def proc(package):
    return compile_procedure(package)


@pytest.fixture(scope="module")
def forms(package):
    return {key: load_form_definition(content) for key, content in package.forms.items()}


def _applies(field, data):
    return field.required_if is None or data.get(field.required_if.field) in field.required_if.values


def variables(form, answers):
    """What submit_task passes to complete_task for these answers (as a JSON API body)."""
    formdata, type_errors = formdata_from_json(form, answers)
    checked = validate_submission(form, formdata, evidence_ids=EVIDENCE)
    assert not type_errors and checked.valid, (type_errors, checked.errors)
    # A step that returns the dossier keeps no scores (submit_task's _without_inapplicable_scores).
    data = {
        name: None
        if form.field(name).type == "score" and not _applies(form.field(name), checked.data)
        else value
        for name, value in checked.data.items()
    }
    result = {form.key: data}
    if form.scoring is not None and all(_applies(f, data) for f in form.value_fields if f.type == "score"):
        result.update(score_submission(form, data).outputs(form))
    return result


def ready(result):
    return [task.bpmn_id for task in result.ready_tasks]


@pytest.fixture
def walk(runtime, proc, forms):
    """submit(result, bpmn_id, answers): complete the one ready task with that id, as the app would."""

    def submit(result, bpmn_id, answers, now=NOW):
        (task,) = [t for t in result.ready_tasks if t.bpmn_id == bpmn_id]
        data = variables(forms[task.form_key], answers)
        after = runtime.complete_task(proc, result.state, task.id, data, actor="tester", now=now)
        # Since 1 July 2025 there is no district; nothing in this procedure may wait at one (or above).
        assert not [t for t in after.ready_tasks if t.level in GONE_LEVELS]
        return after

    return submit


@pytest.fixture
def started(runtime, proc):
    return runtime.start(proc, data=dict(START_DATA), now=NOW)


@pytest.fixture
def at_village(walk, started):
    return walk(started, "self_report", SELF_REPORT)


@pytest.fixture
def at_commune(walk, at_village):
    return walk(at_village, "village_review", VILLAGE_PROPOSE)


@pytest.fixture
def at_chairman(walk, at_commune):
    return walk(at_commune, "commune_scoring", commune())


# --------------------------------------------------------------------------- package


def test_package_compiles_with_four_lanes_none_above_the_commune(proc):
    assert proc.key == proc.process_id == "gia_dinh_hoc_tap_hai_cap"
    tasks = {k: (t.lane, t.role, t.level, t.form_key, t.sla_days) for k, t in proc.user_tasks.items()}
    assert tasks == {
        "self_report": ("Household", "household", "subject", "self_report", 30),
        "village_review": ("Village", "village_head", "village", "village_review", 15),
        "commune_scoring": ("Commune", "commune_officer", "commune", "commune_scoring", 10),
        "recognition_decision": ("Chairman", "commune_chairman", "commune", "recognition_decision", 10),
    }
    assert not {lane["level"] for lane in proc.manifest["lanes"].values()} & GONE_LEVELS
    assert proc.end_states == {
        "end_recognized": "recognized",
        "end_not_recognized": "not_recognized",
        "end_rejected": "rejected",
    }
    assert proc.manifest["defaults"] == {"commune_reminder_days": 10}


def test_manifest_declares_the_title_it_serves_and_its_legal_basis(package):
    manifest = package.manifest
    assert manifest["serves"]["title"] == "gia_dinh_hoc_tap"
    assert manifest["serves"]["code_prefix"] == "GDHT"
    assert manifest["serves"]["subject_kind"] == "household"
    assert manifest["recognized_states"] == ["recognized"]
    scores = {task: entry.get("scores") for task, entry in manifest["tasks"].items()}
    assert scores == {
        "self_report": "self",
        "village_review": None,
        "commune_scoring": "official",
        "recognition_decision": None,
    }
    # Only documents domain.md marks as sourced.
    numbers = [entry["number"] for entry in manifest["legal_basis"]]
    assert numbers == ["448/QĐ-KHVN", "281/QĐ-TTg", "387/QĐ-TTg", "202/2025/QH15"]
    for entry in manifest["legal_basis"]:
        assert set(entry) == {"number", "date", "issuer", "title"}
        datetime.strptime(entry["date"], "%Y-%m-%d")


def test_every_form_loads_and_every_user_task_has_one(package, proc, forms):
    assert set(forms) == {"self_report", "village_review", "commune_scoring", "recognition_decision"}
    for key, content in package.forms.items():
        assert json.loads(content)["key"] == key
    assert {t.form_key for t in proc.user_tasks.values()} == set(forms)
    assert forms["self_report"].scoring.outputs == {"total": "self_score", "passed": "self_score_passed"}
    assert forms["commune_scoring"].scoring.outputs == {"total": "score", "passed": "score_passed"}
    for form in (forms["self_report"], forms["commune_scoring"]):
        assert (form.scoring.pass_total, form.scoring.criterion_floor_ratio, form.scoring.max_total) == (
            80,
            0.5,
            100,
        )
    # Fixes from the domain review.
    assert "Khá (fair)" in forms["self_report"].field("c1b").label("en")
    assert "cultured family" in forms["self_report"].field("c4b").label("en")
    assert "448/QĐ-KHVN" in forms["self_report"].description("vi")
    assert forms["recognition_decision"].field("reason").label("vi") == "Lý do trả lại / từ chối"
    # No commendation in a recognition procedure.
    for form in forms.values():
        for field in form.value_fields:
            assert "giay_khen" not in (field.choice_values if field.choices else ())


def test_commune_scoring_is_prefilled_from_the_self_report(forms):
    values = prefill_values(forms["commune_scoring"], {"self_report": {**FULL_SCORES, "c3b": 6}})
    assert {k: values[k] for k in FULL_SCORES} == {**FULL_SCORES, "c3b": 6}


@pytest.mark.parametrize(
    ("key", "answers", "missing"),
    [
        ("village_review", {"decision": "propose"}, {"meeting_date", "households_present", "minutes"}),
        ("village_review", {"decision": "return_to_household"}, {"reason"}),
        ("commune_scoring", {"decision": "accept", **FULL_SCORES}, {"law_violation"}),
        ("commune_scoring", {"decision": "return_to_household"}, {"comment"}),
        ("recognition_decision", {"decision": "approve"}, {"decision_number", "decision_date", "signer"}),
        ("recognition_decision", {"decision": "reject"}, {"reason"}),
        ("recognition_decision", {"decision": "return_to_household"}, {"reason"}),
    ],
)
def test_each_decision_requires_its_record(forms, key, answers, missing):
    formdata, _ = formdata_from_json(forms[key], answers)
    checked = validate_submission(forms[key], formdata, evidence_ids=EVIDENCE)
    assert set(checked.errors) == missing


# --------------------------------------------------------------------------- walks


def test_happy_path_reaches_end_recognized_through_village_and_commune_only(walk, started):
    assert ready(started) == ["self_report"]
    assert started.next_timer_at is None
    at_village = walk(started, "self_report", SELF_REPORT)
    assert at_village.data["self_score"] == 100 and at_village.data["self_score_passed"] is True
    assert [(t.bpmn_id, t.role, t.level) for t in at_village.ready_tasks] == [
        ("village_review", "village_head", "village")
    ]
    at_commune = walk(at_village, "village_review", VILLAGE_PROPOSE)
    assert [(t.bpmn_id, t.role, t.level) for t in at_commune.ready_tasks] == [
        ("commune_scoring", "commune_officer", "commune")
    ]
    # The commune form opens with the household's own scores.
    assert at_commune.ready_tasks[0].data["self_report"]["c2b"] == 10
    at_chairman = walk(at_commune, "commune_scoring", commune(c3b=5))
    assert at_chairman.data["score"] == 95 and at_chairman.data["score_passed"] is True
    assert (at_chairman.data["rating"], at_chairman.data["recognized"]) == ("dat", True)
    assert at_chairman.data["knockout"] is None
    assert [(t.bpmn_id, t.role, t.level) for t in at_chairman.ready_tasks] == [
        ("recognition_decision", "commune_chairman", "commune")
    ]
    assert at_chairman.next_timer_at is None
    done = walk(at_chairman, "recognition_decision", CHAIRMAN_APPROVE)
    assert done.completed and done.end_state == "recognized"
    assert done.data["recognition_decision"]["decision_number"] == "125/QĐ-UBND"
    assert done.data["village_review"]["households_present"] == 42
    assert done.data["village_review"]["minutes"] == [2]


@pytest.mark.parametrize(
    ("step", "fixture"),
    [
        ("village_review", "at_village"),
        ("commune_scoring", "at_commune"),
        ("recognition_decision", "at_chairman"),
    ],
)
def test_a_return_at_any_step_goes_back_to_the_self_report(request, walk, step, fixture):
    at_step = request.getfixturevalue(fixture)
    back = walk(at_step, step, RETURNS[step])
    assert [(t.bpmn_id, t.lane, t.level) for t in back.ready_tasks] == [
        ("self_report", "Household", "subject")
    ]
    assert not back.completed and back.end_state is None
    assert back.next_timer_at is None  # no reminder left running at the commune
    # The household's form reopens with what it sent before; the returning step's record is kept.
    assert back.ready_tasks[0].data["self_report"]["note"] == SELF_REPORT["note"]
    assert back.data[step]["decision"] == "return_to_household"
    assert back.data[step].get("reason") or back.data[step].get("comment")
    # The resubmitted dossier goes through the village meeting again, then on to recognition.
    again = walk(back, "self_report", SELF_REPORT)
    assert ready(again) == ["village_review"]
    at_commune = walk(again, "village_review", VILLAGE_PROPOSE)
    assert ready(at_commune) == ["commune_scoring"]
    at_chairman = walk(at_commune, "commune_scoring", commune())
    done = walk(at_chairman, "recognition_decision", CHAIRMAN_APPROVE)
    assert done.end_state == "recognized"


def test_a_commune_return_keeps_no_scores(walk, at_commune):
    back = walk(at_commune, "commune_scoring", RETURNS["commune_scoring"])
    assert "score" not in back.data and "rating" not in back.data
    assert back.data["commune_scoring"]["c1a"] is None


@pytest.mark.parametrize(
    ("scores", "total"),
    [
        ({"c2b": 0, "c3a": 5, "c4a": 0}, 75),  # below 80 points, every criterion at least half
        ({"c3a": 0, "c3b": 5}, 85),  # 85 points, but criterion 3 has 5 of 20, below half
    ],
)
def test_a_failing_score_ends_not_recognized(walk, at_commune, scores, total):
    done = walk(at_commune, "commune_scoring", commune(**scores))
    assert done.completed and done.end_state == "not_recognized"
    assert (done.data["score"], done.data["score_passed"]) == (total, False)
    assert (done.data["rating"], done.data["recognized"], done.data["knockout"]) == ("khong_dat", False, None)
    assert done.ready_tasks == []


def test_law_violation_knocks_out_a_family_with_100_points(walk, at_commune):
    done = walk(at_commune, "commune_scoring", commune(law_violation=True))
    assert (done.data["score"], done.data["score_passed"]) == (100, True)
    assert done.completed and done.end_state == "not_recognized"
    assert (done.data["rating"], done.data["recognized"]) == ("khong_dat", False)
    assert done.data["knockout"] == "law_violation"
    assert "vi phạm pháp luật" in done.data["rating_reason"]


def test_a_school_age_child_out_of_school_knocks_out_whatever_the_total(walk, at_commune):
    # c1a = 0 leaves 90 points and criterion 1 at 20 of 30: the points alone would pass.
    done = walk(at_commune, "commune_scoring", commune(c1a=0))
    assert (done.data["score"], done.data["score_passed"]) == (90, True)
    assert done.completed and done.end_state == "not_recognized"
    assert done.data["knockout"] == "child_out_of_school"
    assert "không đến trường" in done.data["rating_reason"]


def test_chairman_reject_ends_rejected(walk, at_chairman):
    done = walk(
        at_chairman, "recognition_decision", {"decision": "reject", "reason": "Hồ sơ không trung thực."}
    )
    assert done.completed and done.end_state == "rejected"
    assert done.data["recognition_decision"]["reason"] == "Hồ sơ không trung thực."


def test_the_commune_reminder_fires_without_moving_the_dossier(runtime, proc, walk, at_commune):
    due = NOW + timedelta(days=10)
    assert at_commune.next_timer_at == due
    task_id = at_commune.ready_tasks[0].id
    early = runtime.fire_due_timers(proc, at_commune.state, now=due - timedelta(minutes=1))
    assert early.notices == [] and early.next_timer_at == due
    fired = runtime.fire_due_timers(proc, early.state, now=due + timedelta(minutes=1))
    assert fired.notices == [Notice("task_reminder", {"task": "commune_scoring"}, "send_commune_reminder")]
    assert [t.id for t in fired.ready_tasks] == [task_id]
    assert fired.next_timer_at is None and not fired.completed
    # The late commune still scores, and the dossier goes on to the chairman.
    later = walk(fired, "commune_scoring", commune(), now=due + timedelta(days=1))
    assert ready(later) == ["recognition_decision"]


def test_reminder_days_come_from_the_start_data(runtime, proc, walk):
    started = runtime.start(proc, data={**START_DATA, "commune_reminder_days": 3}, now=NOW)
    at_village = walk(started, "self_report", SELF_REPORT)
    assert at_village.next_timer_at is None  # no reminder on the village step
    at_commune = walk(at_village, "village_review", VILLAGE_PROPOSE)
    assert at_commune.next_timer_at == NOW + timedelta(days=3)


# --------------------------------------------------------------------------- diagram

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "businessRuleTask", "exclusiveGateway")


@pytest.fixture(scope="module")
def diagram(package):
    root = parse_xml(package.bpmn["process.bpmn"], filename="process.bpmn")
    bounds = {}
    for shape in root.iter(f"{BPMNDI}BPMNShape"):
        box = shape.find(f"{DC}Bounds")
        x, y, w, h = (float(box.get(k)) for k in ("x", "y", "width", "height"))
        bounds[shape.get("bpmnElement")] = (x, y, x + w, y + h)
    edges = {
        edge.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in edge.iter(f"{DI}waypoint")]
        for edge in root.iter(f"{BPMNDI}BPMNEdge")
    }
    return root, bounds, edges


def _inside(point, box, slack=1):
    x, y = point
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def test_diagram_has_a_shape_for_every_element_and_an_edge_for_every_flow(diagram):
    root, bounds, edges = diagram
    process = root.find(f"{BPMN}process")
    nodes = [el.get("id") for tag in (*FLOW_NODES, "boundaryEvent") for el in process.iter(f"{BPMN}{tag}")]
    lanes = [lane.get("id") for lane in process.iter(f"{BPMN}lane")]
    participant = root.find(f"{BPMN}collaboration/{BPMN}participant")
    assert participant.get("processRef") == process.get("id")
    assert set(bounds) == {*nodes, *lanes, participant.get("id")}
    flows = {flow.get("id"): flow for flow in process.iter(f"{BPMN}sequenceFlow")}
    assert set(edges) == set(flows)
    for flow_id, flow in flows.items():
        points = edges[flow_id]
        assert len(points) >= 2
        # Orthogonal segments that start on the source and end on the target.
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:], strict=False)), flow_id
        assert _inside(points[0], bounds[flow.get("sourceRef")]), flow_id
        assert _inside(points[-1], bounds[flow.get("targetRef")]), flow_id


def test_lanes_run_top_to_bottom_and_hold_their_shapes_without_overlap(diagram):
    root, bounds, _ = diagram
    process = root.find(f"{BPMN}process")
    lanes = list(process.iter(f"{BPMN}lane"))
    assert [lane.get("name") for lane in sorted(lanes, key=lambda lane: bounds[lane.get("id")][1])] == [
        "Household",
        "Village",
        "Commune",
        "Chairman",
    ]
    participant = bounds[root.find(f"{BPMN}collaboration/{BPMN}participant").get("id")]
    for lane in lanes:
        box = bounds[lane.get("id")]
        assert _inside(box[:2], participant) and _inside(box[2:], participant)
        for ref in lane.iter(f"{BPMN}flowNodeRef"):
            node = bounds[ref.text]
            assert _inside(node[:2], box) and _inside(node[2:], box), (ref.text, lane.get("name"))
    nodes = [el.get("id") for tag in FLOW_NODES for el in process.iter(f"{BPMN}{tag}")]
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = bounds[a], bounds[b]
            assert ax2 <= bx1 or bx2 <= ax1 or ay2 <= by1 or by2 <= ay1, (a, b)
    # Flow runs left to right: each step of the main path starts right of the one before.
    main = [
        "start",
        "self_report",
        "village_review",
        "commune_scoring",
        "rate_dossier",
        "recognition_decision",
    ]
    lefts = [bounds[node][0] for node in main]
    assert lefts == sorted(lefts)


def test_every_return_is_drawn_back_into_the_self_report(diagram):
    root, bounds, edges = diagram
    returns = [
        flow.get("id")
        for flow in root.iter(f"{BPMN}sequenceFlow")
        if flow.get("targetRef") == "self_report" and flow.get("sourceRef") != "start"
    ]
    assert sorted(returns) == ["flow_chairman_return", "flow_commune_return", "flow_village_return"]
    for flow_id in returns:
        assert _inside(edges[flow_id][-1], bounds["self_report"])


def test_the_chairmans_step_is_the_one_a_recognition_decision_completes():
    from workflow import decides_tasks

    package = load_procedure_folder(Path(__file__).resolve().parents[3] / "bpmn" / "gia_dinh_hoc_tap_hai_cap")
    assert decides_tasks(package.manifest) == {
        "recognition_decision": {"kind": "recognition", "answers": {"decision": "approve"}}
    }

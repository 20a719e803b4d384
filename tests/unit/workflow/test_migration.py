import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from workflow import ProcedurePackage, WorkflowStepError, compile_procedure
from workflow.errors import MigrationRefused
from workflow.migration import diff_procedures
from workflow.serialization import SERIALIZER_VERSION

NOW = datetime(2025, 3, 3, 1, 30, tzinfo=UTC)
LANE = "Office"

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://test/migration">
<bpmn:process id="mig_probe" isExecutable="true">
<bpmn:laneSet id="lanes"><bpmn:lane id="lane_office" name="Office">{refs}</bpmn:lane></bpmn:laneSet>
{body}
</bpmn:process>
</bpmn:definitions>
"""


def _user_task(task_id, name):
    return f'<bpmn:userTask id="{task_id}" name="{name}" camunda:formKey="f"/>'


def _timer(attached_to, expression):
    return [
        '<bpmn:boundaryEvent id="remind" name="Nhắc việc" cancelActivity="false" '
        f'attachedToRef="{attached_to}">'
        "<bpmn:outgoing>flow_remind</bpmn:outgoing><bpmn:timerEventDefinition>"
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>",
        '<bpmn:scriptTask id="send_remind" name="Gửi nhắc" scriptFormat="python">'
        '<bpmn:script>notify("task_reminder", task="x")</bpmn:script></bpmn:scriptTask>',
        '<bpmn:endEvent id="end_remind"/>',
        '<bpmn:sequenceFlow id="flow_remind" sourceRef="remind" targetRef="send_remind"/>',
        '<bpmn:sequenceFlow id="flow_remind_end" sourceRef="send_remind" targetRef="end_remind"/>',
    ], ["remind", "send_remind", "end_remind"]


def _package(body, refs, *, role="officer", key="mig_probe") -> ProcedurePackage:
    # Start from the shipped manifest so keys the manifest format requires stay filled in.
    from .conftest import _shipped_package

    manifest = copy.deepcopy(_shipped_package().manifest)
    manifest.update(
        key=key,
        process_id="mig_probe",
        bpmn=["p.bpmn"],
        dmn=[],
        lanes={LANE: {"role": role, "level": "commune"}},
        end_states={"end": "recognized"},
        tasks={},
        defaults={},
    )
    if "recognized_states" in manifest:
        manifest["recognized_states"] = ["recognized"]
    xml = _HEAD.format(
        refs="".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs), body="\n".join(body)
    )
    return ProcedurePackage(
        key=key, manifest=manifest, bpmn={"p.bpmn": xml.encode()}, dmn={}, forms={"f": b'{"fields": []}'}
    )


def build(tasks, *, timer=None, role="officer"):
    """start → tasks (user tasks, in order) → end; ``timer`` = (task id, duration expression)."""
    nodes = ["start", *(t[0] for t in tasks), "end"]
    body = ['<bpmn:startEvent id="start"/>', *(_user_task(*t) for t in tasks), '<bpmn:endEvent id="end"/>']
    body += [
        f'<bpmn:sequenceFlow id="flow_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
        for a, b in zip(nodes, nodes[1:], strict=False)
    ]
    refs = list(nodes)
    if timer:
        extra, extra_refs = _timer(*timer)
        body += extra
        refs += extra_refs
    return compile_procedure(_package(body, refs, role=role))


def build_with_subprocess(after=()):
    """start → embedded subprocess (one user task 'inner') → optional user tasks → end."""
    nodes = ["start", "sub", *(t[0] for t in after), "end"]
    body = [
        '<bpmn:startEvent id="start"/>',
        '<bpmn:subProcess id="sub" name="Quy trình con"><bpmn:startEvent id="sub_start"/>',
        _user_task("inner", "Việc bên trong"),
        '<bpmn:endEvent id="sub_end"/>',
        '<bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="inner"/>',
        '<bpmn:sequenceFlow id="s2" sourceRef="inner" targetRef="sub_end"/></bpmn:subProcess>',
        *(_user_task(*t) for t in after),
        '<bpmn:endEvent id="end"/>',
    ]
    body += [
        f'<bpmn:sequenceFlow id="flow_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
        for a, b in zip(nodes, nodes[1:], strict=False)
    ]
    return compile_procedure(_package(body, [*nodes, "inner"]))


V1 = dict(tasks=[("a", "Nộp hồ sơ"), ("b", "Thẩm định")], timer=("b", '"P10D"'))


@pytest.fixture(scope="module")
def v1():
    return build(**V1)


@pytest.fixture(scope="module")
def v2_added(v1):
    """A new step after the open one."""
    return build(tasks=[*V1["tasks"], ("c", "Phê duyệt")], timer=V1["timer"])


def ready(result):
    return [t.bpmn_id for t in result.ready_tasks]


def complete(runtime, proc, result, bpmn_id, data, now=NOW):
    (task,) = [t for t in result.ready_tasks if t.bpmn_id == bpmn_id]
    return runtime.complete_task(proc, result.state, task.id, data, actor="tester", now=now)


@pytest.fixture
def at_b(runtime, v1):
    started = runtime.start(v1, data={"dossier_id": 7}, now=NOW)
    return complete(runtime, v1, started, "a", {"a_form": {"note": "xin công nhận"}})


def ids(steps):
    return [s.bpmn_id for s in steps]


# --------------------------------------------------------------------------- additive change


def test_additive_change_plan_lists_the_new_step(runtime, v1, v2_added, at_b):
    plan = runtime.plan_migration(v1, v2_added, at_b.state, now=NOW)
    assert plan.safe and plan.reasons == []
    assert (plan.from_version, plan.to_version) == (v1.sha256, v2_added.sha256)
    assert ids(plan.added) == ["c"] and plan.added[0].name == "Phê duyệt"
    assert plan.added[0].type == "UserTask"
    assert plan.removed == []
    (move,) = plan.open_tasks
    assert (move.bpmn_id, move.outcome, move.task_id) == ("b", "stays", at_b.ready_tasks[0].id)
    assert move.new_task_id == move.task_id and plan.task_id_changes == {}
    assert (move.role, move.level, move.form_key) == ("officer", "commune", "f")
    # The dry run is JSON for the API's change list.
    as_json = json.loads(json.dumps(plan.as_dict()))
    assert as_json["added"][0]["bpmn_id"] == "c" and as_json["safe"] is True


def test_additive_migration_keeps_data_and_reaches_the_new_step(runtime, v1, v2_added, at_b):
    before = at_b.state
    result = runtime.migrate(v1, v2_added, at_b.state, now=NOW, actor="admin")
    assert at_b.state == before  # the caller's state is never touched
    assert json.loads(result.state)["spec_ref"] == v2_added.sha256
    assert result.serializer_version == SERIALIZER_VERSION == json.loads(result.state)["serializer_version"]
    assert ready(result) == ["b"] and result.ready_tasks[0].id == at_b.ready_tasks[0].id
    assert result.data == at_b.data == {"dossier_id": 7, "a_form": {"note": "xin công nhận"}}
    assert not result.completed and result.completed_task is None
    assert result.migration is not None and result.migration.safe
    # The move is kept in the instance's own history.
    root = next(t for t in json.loads(result.state)["tasks"].values() if t["parent"] is None)
    assert root["internal_data"]["migrations"] == [
        {"from": v1.sha256, "to": v2_added.sha256, "at": NOW.isoformat(), "by": "admin"}
    ]

    at_c = complete(runtime, v2_added, result, "b", {"b_form": {"ok": True}})
    assert ready(at_c) == ["c"]
    done = complete(runtime, v2_added, at_c, "c", {"c_form": {"signed": True}})
    assert done.completed and done.end_state == "recognized"
    assert done.data["a_form"] == {"note": "xin công nhận"} and done.data["c_form"] == {"signed": True}


def test_old_version_state_is_not_usable_with_the_new_version_without_migration(runtime, v2_added, at_b):
    with pytest.raises(WorkflowStepError):
        runtime.fire_due_timers(v2_added, at_b.state, now=NOW)


# --------------------------------------------------------------------------- removed / renamed open task


@pytest.mark.parametrize(
    "tasks",
    [
        [("a", "Nộp hồ sơ"), ("b_moi", "Thẩm định")],  # the open task's id was renamed
        [("a", "Nộp hồ sơ")],  # the open task was removed
    ],
)
def test_removed_open_task_is_refused_and_state_untouched(runtime, v1, at_b, tasks):
    v3 = build(tasks=tasks, timer=("a", '"P10D"'))
    plan = runtime.plan_migration(v1, v3, at_b.state, now=NOW)
    assert not plan.safe
    assert "b" in ids(plan.removed)
    assert any("'Thẩm định' (b)" in r and "không còn" in r for r in plan.reasons)
    (move,) = plan.open_tasks
    assert move.outcome == "refused" and move.new_task_id is None and "(b)" in move.reason

    before = at_b.state
    with pytest.raises(MigrationRefused) as info:
        runtime.migrate(v1, v3, at_b.state, now=NOW, actor="admin")
    assert info.value.reasons == plan.reasons
    assert info.value.plan.safe is False
    assert isinstance(info.value, WorkflowStepError)
    assert at_b.state == before
    # The dossier simply carries on under its old version.
    done = complete(runtime, v1, at_b, "b", {})
    assert done.completed and done.end_state == "recognized"


def test_removed_step_already_done_is_refused(runtime, v1, at_b):
    # "a" is in the dossier's history; its state names the spec, so it could not be read back.
    v4 = build(tasks=[("b", "Thẩm định")], timer=V1["timer"])
    plan = runtime.plan_migration(v1, v4, at_b.state, now=NOW)
    assert not plan.safe
    assert any("Bước đã thực hiện 'Nộp hồ sơ' (a)" in r for r in plan.reasons)


def test_adding_a_timer_to_the_open_task_is_refused(runtime):
    plain = build(tasks=V1["tasks"])
    timed = build(**V1)
    started = runtime.start(plain, data={}, now=NOW)
    at_b = complete(runtime, plain, started, "a", {})
    plan = runtime.plan_migration(plain, timed, at_b.state, now=NOW)
    assert not plan.safe
    assert any("Vị trí của phần tử đang chờ 'Thẩm định' (b)" in r for r in plan.reasons)
    assert {"remind", "send_remind"} <= set(ids(plan.added))


def test_active_subprocess_is_refused(runtime):
    old = build_with_subprocess()
    new = build_with_subprocess(after=[("extra", "Bước thêm")])
    started = runtime.start(old, data={}, now=NOW)
    assert ready(started) == ["inner"]
    plan = runtime.plan_migration(old, new, started.state, now=NOW)
    assert not plan.safe
    assert any("quy trình con 'Quy trình con' (sub)" in r for r in plan.reasons)
    assert plan.open_tasks[0].outcome == "refused"
    with pytest.raises(MigrationRefused):
        runtime.migrate(old, new, started.state, now=NOW, actor="admin")


# --------------------------------------------------------------------------- changed steps and timers


def test_changed_name_and_timer_are_listed(runtime, v1, at_b):
    v5 = build(tasks=[("a", "Nộp hồ sơ"), ("b", "Thẩm định lại")], timer=("b", '"P5D"'))
    plan = runtime.plan_migration(v1, v5, at_b.state, now=NOW)
    assert plan.safe
    changed = {c.bpmn_id: c for c in plan.changed}
    assert "bpmn_name" in changed["b"].attributes and changed["b"].name == "Thẩm định lại"
    assert changed["remind"].attributes == ["event_definition"]
    assert "a" not in changed and plan.added == [] and plan.removed == []
    (move,) = plan.open_tasks
    assert move.outcome == "stays" and move.new_name == "Thẩm định lại" and "bpmn_name" in move.changes
    labels = plan.as_dict()["changed"]
    assert any("tên" in c["attribute_labels"] for c in labels)


def test_role_change_from_the_manifest_is_listed(runtime, v1, at_b):
    v6 = build(**V1, role="commune_chairman")
    plan = runtime.plan_migration(v1, v6, at_b.state, now=NOW)
    assert plan.safe
    changed = {c.bpmn_id: c.attributes for c in plan.changed}
    assert changed["a"] == ["role"] and changed["b"] == ["role"]
    assert plan.open_tasks[0].role == "commune_chairman"
    result = runtime.migrate(v1, v6, at_b.state, now=NOW, actor="admin")
    assert result.ready_tasks[0].role == "commune_chairman"


def test_timer_restarts_from_the_migration_time(runtime, v1, v2_added, at_b):
    assert at_b.next_timer_at == NOW + timedelta(days=10)
    moved_at = NOW + timedelta(days=3)
    plan = runtime.plan_migration(v1, v2_added, at_b.state, now=moved_at)
    (timer,) = plan.timers
    assert (timer.bpmn_id, timer.due_before, timer.due_after) == (
        "remind",
        NOW + timedelta(days=10),
        moved_at + timedelta(days=10),
    )
    assert plan.next_timer_at == moved_at + timedelta(days=10)
    assert any("Nhắc việc" in n for n in plan.notes)

    result = runtime.migrate(v1, v2_added, at_b.state, now=moved_at, actor="admin")
    assert result.next_timer_at == moved_at + timedelta(days=10)
    old_due = runtime.fire_due_timers(v2_added, result.state, now=NOW + timedelta(days=10, minutes=1))
    assert old_due.notices == []
    new_due = runtime.fire_due_timers(v2_added, result.state, now=moved_at + timedelta(days=10, minutes=1))
    assert [n.kind for n in new_due.notices] == ["task_reminder"]


def test_new_timer_expression_failing_on_the_data_makes_the_plan_unsafe(runtime, v1, at_b):
    v7 = build(tasks=[*V1["tasks"], ("c", "Phê duyệt")], timer=("b", '"P" + str(missing_days) + "D"'))
    plan = runtime.plan_migration(v1, v7, at_b.state, now=NOW)
    assert not plan.safe
    assert any("Chạy thử trên phiên bản mới bị lỗi" in r and "remind" in r for r in plan.reasons)
    with pytest.raises(MigrationRefused):
        runtime.migrate(v1, v7, at_b.state, now=NOW, actor="admin")


# --------------------------------------------------------------------------- refusals before the diff


def test_same_version_is_refused(runtime, v1, v2_added, at_b):
    plan = runtime.plan_migration(v1, v1, at_b.state)
    assert not plan.safe and "phiên bản này" in plan.reasons[0]
    moved = runtime.migrate(v1, v2_added, at_b.state, now=NOW, actor="admin")
    # A dossier already on the target (e.g. picked twice by a batch) is refused, not broken.
    again = runtime.plan_migration(v1, v2_added, moved.state, now=NOW)
    assert not again.safe and again.reasons == plan.reasons
    with pytest.raises(MigrationRefused):
        runtime.migrate(v1, v1, at_b.state, now=NOW, actor="admin")


def test_state_of_another_source_version_raises(runtime, v1, v2_added, at_b):
    other = build(tasks=[("x", "Khác")])
    with pytest.raises(WorkflowStepError, match="phiên bản"):
        runtime.plan_migration(other, v2_added, at_b.state, now=NOW)
    with pytest.raises(WorkflowStepError):
        runtime.plan_migration(v1, v2_added, "{not json", now=NOW)


def test_finished_dossier_is_refused(runtime, v1, v2_added, at_b):
    done = complete(runtime, v1, at_b, "b", {})
    plan = runtime.plan_migration(v1, v2_added, done.state, now=NOW)
    assert not plan.safe and any("đã kết thúc" in r for r in plan.reasons)


def test_diff_procedures_needs_no_instance(v1, v2_added):
    diff = diff_procedures(v1, v2_added)
    assert ids(diff.added) == ["c"] and diff.removed == []
    # "b" now flows into "c", "end" is reached from "c": both changed, only in their connections.
    changed = {c.bpmn_id: c.attributes for c in diff.changed}
    assert changed["b"] == ["outputs"] and changed["end"] == ["inputs"]
    json.dumps(diff.as_dict())


# --------------------------------------------------------------------------- the shipped procedure


def _with_city_review(package):
    """The shipped procedure with a new city review step before the recognition decision."""
    source = package.bpmn["process.bpmn"].decode()
    swaps = [
        (
            'sourceRef="district_decision_gateway" targetRef="city_commendation"',
            'sourceRef="district_decision_gateway" targetRef="city_review"',
        ),
        (
            "<bpmn:incoming>flow_district_approve</bpmn:incoming>\n      <bpmn:outgoing>flow_city_gateway",
            "<bpmn:incoming>flow_review_city</bpmn:incoming>\n      <bpmn:outgoing>flow_city_gateway",
        ),
        (
            "<bpmn:flowNodeRef>city_commendation</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>city_commendation</bpmn:flowNodeRef><bpmn:flowNodeRef>city_review</bpmn:flowNodeRef>",
        ),
        (
            '<bpmn:sequenceFlow id="flow_city_gateway"',
            '<bpmn:userTask id="city_review" name="Rà soát cấp thành phố" '
            'camunda:formKey="city_commendation"><bpmn:incoming>flow_district_approve</bpmn:incoming>'
            "<bpmn:outgoing>flow_review_city</bpmn:outgoing></bpmn:userTask>\n"
            '<bpmn:sequenceFlow id="flow_review_city" sourceRef="city_review" '
            'targetRef="city_commendation" />\n'
            '<bpmn:sequenceFlow id="flow_city_gateway"',
        ),
    ]
    for old, new in swaps:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return compile_procedure(dataclasses.replace(package, bpmn={"process.bpmn": source.encode()}))


SELF_REPORT = {"self_report": {"members": 4}, "self_score": 85, "self_score_passed": True}


def _scoring(score, decision="accept"):
    return {"commune_scoring": {"decision": decision}, "score": score, "score_passed": True}


def test_shipped_dossier_after_a_return_loop_moves_and_completes_on_the_new_version(runtime, proc, package):
    new = _with_city_review(package)
    result = runtime.start(proc, data={"dossier_id": 1, "commune_reminder_days": 10}, now=NOW)
    result = complete(runtime, proc, result, "self_report", SELF_REPORT)
    result = complete(runtime, proc, result, "commune_scoring", _scoring(0, "return_to_household"))
    result = complete(runtime, proc, result, "self_report", {**SELF_REPORT, "self_score": 90})
    assert ready(result) == ["commune_scoring"]

    moved_at = NOW + timedelta(days=2)
    plan = runtime.plan_migration(proc, new, result.state, now=moved_at)
    assert plan.safe, plan.reasons
    assert ids(plan.added) == ["city_review"]
    changed = {c.bpmn_id: c.attributes for c in plan.changed}
    assert "outputs" in changed["district_decision_gateway"] and "inputs" in changed["city_commendation"]
    assert [(m.bpmn_id, m.outcome) for m in plan.open_tasks] == [("commune_scoring", "stays")]

    moved = runtime.migrate(proc, new, result.state, now=moved_at, actor="admin")
    assert moved.next_timer_at == moved_at + timedelta(days=10)
    assert moved.data["self_score"] == 90
    moved = complete(runtime, new, moved, "commune_scoring", _scoring(95), now=moved_at)
    moved = complete(
        runtime, new, moved, "district_verification", {"district_verification": {"decision": "approve"}}
    )
    assert ready(moved) == ["city_review"]
    moved = complete(runtime, new, moved, "city_review", {"city_review": {"ok": True}})
    done = complete(
        runtime,
        new,
        moved,
        "city_commendation",
        {"city_commendation": {"decision": "approve", "decision_no": "1"}},
    )
    assert done.completed and done.end_state == "recognized" and done.data["rating"] == "tot"

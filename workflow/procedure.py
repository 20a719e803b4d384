"""Procedure packages: load, validate and compile BPMN/DMN once per version; restore from storage.

A package is a folder with ``procedure.json`` (the manifest), the BPMN/DMN files it lists and
``forms/*.json``. Compilation runs every check that can be done before an instance exists, so that
broken or hostile uploads are refused at deploy time with one list of Vietnamese messages rather than
failing weeks later when an instance reaches the faulty element.
"""

import ast
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from .errors import Problem, ProcedureError
from .sandbox import compile_check
from .serialization import SERIALIZER_VERSION, make_registry
from .xmlsafe import parse_xml

MANIFEST_NAME = "procedure.json"
_REQUIRED_KEYS = ("key", "process_id", "title", "serves", "bpmn", "lanes", "end_states")
_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Same pattern DMNEngine uses to replace "?" outside quotes, so the checked text is what will run.
_DMN_QMARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_SPEC_FORMAT = 1
_BARE_ISO = re.compile(r"(R\d*)?P[0-9TYMWDHS]+")


@dataclass(frozen=True)
class ProcedurePackage:
    key: str
    manifest: dict
    bpmn: dict[str, bytes]
    dmn: dict[str, bytes]
    forms: dict[str, bytes] = field(default_factory=dict)

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()

        def part(label: str, content: bytes) -> None:
            # Length-prefixing keeps ("a", "bc") and ("ab", "c") from hashing alike.
            digest.update(f"{label}\0{len(content)}\0".encode())
            digest.update(content)

        manifest = json.dumps(self.manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        part("manifest", manifest.encode())
        for kind, files in (("bpmn", self.bpmn), ("dmn", self.dmn), ("forms", self.forms)):
            for name in sorted(files):
                part(f"{kind}/{name}", bytes(files[name]))
        return digest.hexdigest()


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str
    role: str
    level: str
    form_key: str
    sla_days: int | None
    label: dict


@dataclass(frozen=True, eq=False)
class CompiledProcedure:
    key: str
    sha256: str
    process_id: str
    manifest: dict
    spec: Any
    subprocess_specs: dict
    serialized_spec: str
    user_tasks: dict[str, UserTaskInfo]
    end_states: dict[str, str]


# --------------------------------------------------------------------------------------------- compile

_PARSE_LOCK = threading.Lock()
_validator: BpmnValidator | None = None
# Only convert()/restore() are used on this registry, never serialize_json, whose _encoder_mode flag is
# shared mutable state; that keeps it safe to share between threads.
_SPEC_REGISTRY = make_registry()
_CACHE: dict[str, CompiledProcedure] = {}
_CACHE_LOCK = threading.Lock()


def _bpmn_validator() -> BpmnValidator:
    # Loading BPMN20.xsd costs ~8 ms; build it once per process (callers hold _PARSE_LOCK).
    global _validator
    if _validator is None:
        _validator = BpmnValidator()
    return _validator


# SpiffWorkflow's parser speaks English; the administrators who read these messages do not. Each known
# message becomes a Vietnamese sentence (groups carry the ids it names); anything else keeps the
# original text after a Vietnamese lead-in, so no problem is ever hidden.
_SPIFF_MESSAGES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), vietnamese)
    for pattern, vietnamese in (
        (
            r'No DMN Diagram available with id "(?P<ref>[^"]*)", Available DMN ids are: (?P<ids>.*)',
            "tác vụ quy tắc nghiệp vụ tham chiếu bảng quyết định DMN id '{ref}' nhưng gói không có"
            " bảng nào mang id đó (các id có: {ids})",
        ),
        (r"Process (?P<id>\S+) is not executable", "quy trình '{id}' không được đánh dấu thực thi được"),
        (r"No start event found", "quy trình không có sự kiện bắt đầu (start event)"),
        (r"Duplicate process ID: (?P<id>.*)", "id quy trình '{id}' bị trùng"),
        (
            r"The process '(?P<id>[^']*)' was not found\..*",
            "không tìm thấy quy trình '{id}' (kiểm tra calledElement của call activity)",
        ),
        (
            r"Non-default exclusive outgoing sequence flow without condition",
            "luồng ra của cổng rẽ nhánh không phải luồng mặc định nhưng thiếu điều kiện",
        ),
        (r"Invalid Script Task\.\s+No Script Provided\..*", "tác vụ script không có nội dung script"),
        (r"Unknown Time Specification", "hẹn giờ không có timeDate, timeDuration hoặc timeCycle"),
        (r"Time Specification Error\. (?P<detail>.*)", "biểu thức hẹn giờ không hợp lệ ({detail})"),
        (r"There is no support implemented for this task type", "loại phần tử này không được hỗ trợ"),
        (r"No decisions found", "tệp DMN không có bảng quyết định nào"),
        (r"Multiple decision tables are not current supported", "mỗi quyết định chỉ được có một bảng"),
        (
            r"Conditional event definition with missing condition",
            "sự kiện điều kiện (conditional event) thiếu điều kiện",
        ),
        (r"A SubWorkflow Must contain an End event", "quy trình con phải có sự kiện kết thúc"),
        (
            r"Exactly one start event is required in a SubWorkflow Task; found (?P<n>\d+)",
            "quy trình con phải có đúng một sự kiện bắt đầu (đang có {n})",
        ),
        (r'No "calledElement" attribute for Call Activity', "call activity thiếu thuộc tính calledElement"),
    )
)


def spiff_message_vi(text: str) -> str:
    """SpiffWorkflow's English validation message as a Vietnamese sentence for administrators."""
    text = text.strip().rstrip(".").rstrip()  # str() of the exception appends ". " to a message's own "."
    for pattern, vietnamese in _SPIFF_MESSAGES:
        match = pattern.fullmatch(text)
        if match:
            return vietnamese.format(**{k: (v or "").strip() for k, v in match.groupdict().items()})
    return f"mô hình không hợp lệ: {text}"


def _source_line(roots: dict, file: str | None, element: str | None) -> tuple[str | None, int | None]:
    """Where the element with id ``element`` is written: its file (the named one first) and line."""
    if not element:
        return file, None
    ordered = ([file] if file in roots else []) + [name for name in roots if name != file]
    for name in ordered:
        found = roots[name].xpath("//*[@id=$id]", id=element)
        if found:
            return name, found[0].sourceline or None
    return file, None


def _describe_validation(exc: ValidationException, filename: str, roots: dict | None = None) -> Problem:
    file, element = exc.file_name or filename, exc.id or None
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number > 0 else None
    if line is None and roots:
        file, line = _source_line(roots, file, element)
    return Problem(spiff_message_vi(str(exc)), file=file, line=line, element=element)


def _manifest_problem(message: str) -> Problem:
    return Problem(message, file=MANIFEST_NAME)


_SNAKE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CODE_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,7}")
SCORE_KINDS = ("self", "official")
# What a decision that completes a task decides: only recognition runs through a workflow step
# (commendation is a separate act over dossiers already recognised, with no step of its own).
DECIDES_KINDS = ("recognition",)


def scoring_tasks(manifest: dict) -> dict[str, str]:
    """ "self"/"official" → the user task whose scores they are, as the manifest declares them."""
    tasks = manifest.get("tasks", {})
    return {entry["scores"]: name for name, entry in tasks.items() if entry.get("scores") in SCORE_KINDS}


def decision_tasks(manifest: dict) -> frozenset[str]:
    """The user tasks the manifest marks ``"decision": true``: under four eyes, one person completes at
    most one of them per dossier."""
    return frozenset(
        name for name, entry in manifest.get("tasks", {}).items() if entry.get("decision") is True
    )


def decides_tasks(manifest: dict) -> dict[str, dict]:
    """The user tasks the manifest marks ``"decides": {"kind", "answers"}``: a decision issued with its
    annexed list completes each listed dossier's task with ``answers``, instead of one click per dossier."""
    return {
        name: entry["decides"]
        for name, entry in manifest.get("tasks", {}).items()
        if isinstance(entry, dict) and isinstance(entry.get("decides"), dict)
    }


def _decides_error(task_id: str, decides) -> str | None:
    if not isinstance(decides, dict) or decides.get("kind") not in DECIDES_KINDS:
        return f"tasks '{task_id}': 'decides.kind' chỉ nhận {', '.join(map(repr, DECIDES_KINDS))}"
    if not isinstance(decides.get("answers"), dict) or not decides["answers"]:
        return (
            f"tasks '{task_id}': 'decides.answers' phải là đối tượng trường → giá trị mà quyết định điền vào"
        )
    return None


def bulk_tasks(manifest: dict) -> frozenset[str]:
    """The user tasks the manifest marks ``"bulk": true``: an official may complete many dossiers' task at
    once with one answer (the same verification result, the same decision number). Whether the task's
    form allows it (no per-dossier scores or evidence) is checked when it is done."""
    return frozenset(name for name, entry in manifest.get("tasks", {}).items() if entry.get("bulk") is True)


def _labelled(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("vi"), str) and bool(value["vi"].strip())


def _check_serves(serves) -> list[str]:
    """The title a procedure serves: what the core would otherwise have to know by name."""
    if not isinstance(serves, dict):
        return ["'serves' phải là đối tượng mô tả danh hiệu mà quy trình phục vụ"]
    errors = []
    if not isinstance(serves.get("title"), str) or not _SNAKE.fullmatch(serves["title"]):
        errors.append("'serves.title' phải là mã danh hiệu dạng snake_case (vd. gia_dinh_hoc_tap)")
    if not _labelled(serves.get("label")):
        errors.append("'serves.label' phải là đối tượng có ít nhất khóa 'vi'")
    if "subject_label" in serves and not _labelled(serves["subject_label"]):
        errors.append("'serves.subject_label' phải là đối tượng có ít nhất khóa 'vi'")
    if "subject_kind" in serves and not (
        isinstance(serves["subject_kind"], str) and _SNAKE.fullmatch(serves["subject_kind"])
    ):
        errors.append("'serves.subject_kind' phải là chuỗi snake_case (vd. household)")
    prefix = serves.get("code_prefix")
    if not isinstance(prefix, str) or not _CODE_PREFIX.fullmatch(prefix):
        errors.append("'serves.code_prefix' phải là 1–8 chữ in hoa hoặc số, bắt đầu bằng chữ (vd. GDHT)")
    return errors


def _check_lanes(lanes) -> list[str]:
    if not isinstance(lanes, dict):
        return ["'lanes' phải là đối tượng lane → vai trò"]
    return [
        f"lane '{lane}' phải có 'role' và 'level' là chuỗi khác rỗng"
        for lane, mapping in lanes.items()
        if not isinstance(mapping, dict)
        or not all(isinstance(mapping.get(k), str) and mapping.get(k) for k in ("role", "level"))
    ]


def _check_tasks(tasks) -> list[str]:
    if not isinstance(tasks, dict):
        return ["'tasks' phải ánh xạ id nhiệm vụ → {'label': {...}}"]
    errors = []
    for task_id, entry in tasks.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("label", {}), dict):
            errors.append(f"tasks '{task_id}' phải có dạng {{'label': {{...}}}}")
        elif entry.get("scores") not in (None, *SCORE_KINDS):
            errors.append(f"tasks '{task_id}': 'scores' chỉ nhận 'self' hoặc 'official'")
        elif not isinstance(entry.get("decision", False), bool):
            errors.append(f"tasks '{task_id}': 'decision' chỉ nhận true hoặc false")
        elif not isinstance(entry.get("bulk", False), bool):
            errors.append(f"tasks '{task_id}': 'bulk' chỉ nhận true hoặc false")
        elif entry.get("bulk") and entry.get("scores"):
            # Scores are judged per dossier: one answer for many would score them all alike.
            errors.append(f"tasks '{task_id}': nhiệm vụ chấm điểm ('scores') không thể khai báo 'bulk'")
        elif "decides" in entry and _decides_error(task_id, entry["decides"]):
            errors.append(_decides_error(task_id, entry["decides"]))
        elif entry.get("decides") and entry.get("scores"):
            # The same reason: one decision's answers cannot stand for each dossier's own scores.
            errors.append(f"tasks '{task_id}': nhiệm vụ chấm điểm ('scores') không thể khai báo 'decides'")
    kinds = [entry.get("scores") for entry in tasks.values() if isinstance(entry, dict)]
    errors.extend(
        f"chỉ một nhiệm vụ được khai báo 'scores': '{kind}'" for kind in SCORE_KINDS if kinds.count(kind) > 1
    )
    return errors


def _check_outcomes(manifest: dict) -> list[str]:
    end_states = manifest["end_states"]
    if not isinstance(end_states, dict) or not all(
        isinstance(v, str) and _SNAKE.fullmatch(v) for v in end_states.values()
    ):
        return ["'end_states' phải ánh xạ id sự kiện kết thúc → tên trạng thái (snake_case)"]
    recognized = manifest.get("recognized_states", [])
    if not isinstance(recognized, list) or not all(v in end_states.values() for v in recognized):
        return [
            "'recognized_states' phải liệt kê những trạng thái kết thúc (trong 'end_states') được công nhận"
        ]
    labels = manifest.get("status_labels", {})
    if not isinstance(labels, dict) or not all(_labelled(v) for v in labels.values()):
        return ["'status_labels' phải ánh xạ trạng thái → {'vi': ..., 'en': ...}"]
    return []


def _check_manifest(manifest: dict) -> list[Problem]:
    missing = [f"thiếu khóa bắt buộc '{key}'" for key in _REQUIRED_KEYS if key not in manifest]
    if missing:
        return [_manifest_problem(m) for m in missing]
    errors = []
    if not isinstance(manifest["key"], str) or not _SNAKE.fullmatch(manifest["key"]):
        errors.append("'key' phải là chuỗi snake_case khác rỗng")
    if not isinstance(manifest["process_id"], str) or not manifest["process_id"]:
        errors.append("'process_id' phải là chuỗi khác rỗng")
    if not _labelled(manifest["title"]):
        errors.append("'title' phải là đối tượng có ít nhất khóa 'vi'")
    if not isinstance(manifest["bpmn"], list) or not manifest["bpmn"]:
        errors.append("'bpmn' phải liệt kê ít nhất một tệp")
    if not isinstance(manifest.get("dmn", []), list):
        errors.append("'dmn' phải là danh sách tên tệp")
    if not isinstance(manifest.get("defaults", {}), dict):
        errors.append("'defaults' phải là đối tượng")
    if not isinstance(manifest.get("four_eyes", True), bool):
        errors.append("'four_eyes' chỉ nhận true hoặc false")
    errors += _check_serves(manifest["serves"])
    errors += _check_lanes(manifest["lanes"])
    errors += _check_tasks(manifest.get("tasks", {}))
    errors += _check_outcomes(manifest)
    return [_manifest_problem(m) for m in errors]


def _code_errors(
    source: str, mode: str, *, file: str | None, element: str | None, what: str
) -> list[Problem]:
    return [
        Problem(f"{what}: {message}", file=file, element=element) for message in compile_check(source, mode)
    ]


def _check_timer(event_definition: TimerEventDefinition, file: str, element: str) -> list[Problem]:
    expression = event_definition.expression or ""
    errors = _code_errors(expression, "eval", file=file, element=element, what="biểu thức hẹn giờ")
    if errors:
        return errors
    if _BARE_ISO.fullmatch(expression.strip()):
        # Valid Python (a variable name) that would only fail with NameError when the timer starts.
        return [
            Problem(
                f'biểu thức hẹn giờ là Python, cần đặt trong ngoặc kép: "{expression.strip()}"',
                file=file,
                element=element,
            )
        ]
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return []  # depends on instance data; it is evaluated (restricted) when the timer starts
    invalid = [
        Problem(
            f"biểu thức hẹn giờ {expression!r} không phải thời điểm/khoảng thời gian ISO 8601 hợp lệ",
            file=file,
            element=element,
        )
    ]
    if not isinstance(value, str):
        return invalid
    try:
        if isinstance(event_definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(event_definition, TimeDateEventDefinition):
            TimerEventDefinition.parse_time_or_duration(value)
        elif isinstance(event_definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # Spiff's ISO parsers raise bare Exception
        return invalid
    return []


def form_key_of(task_spec) -> str:
    """A user task's form: the one its formKey names, else the one generated from its inline fields
    (keyed by the task id, see formdata.py)."""
    return getattr(getattr(task_spec, "form", None), "key", None) or task_spec.bpmn_id


def _check_user_task(task_spec, package: ProcedurePackage, file: str) -> list[Problem]:
    at = {"file": file, "element": task_spec.bpmn_id}
    errors = []
    form_key = form_key_of(task_spec)
    if form_key not in package.forms:
        declared = getattr(getattr(task_spec, "form", None), "key", None)
        message = (
            f"không có biểu mẫu forms/{form_key}.json cho formKey '{form_key}'"
            if declared
            else "nhiệm vụ người dùng chưa có biểu mẫu (camunda:formKey hoặc trường camunda:formData)"
        )
        errors.append(Problem(message, **at))
    if not task_spec.lane:
        errors.append(Problem("nhiệm vụ người dùng phải nằm trong một lane", **at))
    sla = (task_spec.extensions or {}).get("sla_days")
    if sla is not None and not (sla.isascii() and sla.isdigit()):
        errors.append(Problem(f"sla_days phải là số nguyên không âm, không phải {sla!r}", **at))
    return errors


def _check_task_code(task_spec, file: str) -> list[Problem]:
    """Every piece of Python a task carries, compiled under the sandbox."""
    at = {"file": file, "element": task_spec.bpmn_id}
    errors = []
    for attr in ("script", "prescript", "postscript"):
        source = getattr(task_spec, attr, None)
        if source:
            errors.extend(_code_errors(source, "exec", what=attr, **at))
    for condition, target in getattr(task_spec, "cond_task_specs", []):
        if condition is not None:
            errors.extend(_code_errors(condition.args[0], "eval", what=f"điều kiện tới '{target}'", **at))
    event_definition = getattr(task_spec, "event_definition", None)
    for definition in getattr(event_definition, "event_definitions", None) or [event_definition]:
        if isinstance(definition, TimerEventDefinition):
            errors.extend(_check_timer(definition, file, task_spec.bpmn_id))
    for attr in ("cardinality", "condition", "completion_condition"):
        source = getattr(task_spec, attr, None)
        if isinstance(source, str) and source:
            errors.extend(_code_errors(source, "eval", what=attr, **at))
    return errors


def _check_process_spec(proc_spec, package: ProcedurePackage) -> list[Problem]:
    errors: list[Problem] = []
    filename = proc_spec.file or "?"
    for task_spec in proc_spec.task_specs.values():
        if getattr(task_spec, "bpmn_id", None) is None:
            continue  # engine-internal helper tasks
        if isinstance(task_spec, UserTask):
            errors.extend(_check_user_task(task_spec, package, filename))
        elif task_spec.manual:
            errors.append(
                Problem(
                    "chỉ hỗ trợ userTask cho việc của người dùng (task/manualTask sẽ treo hồ sơ)",
                    file=filename,
                    element=task_spec.bpmn_id,
                )
            )
        errors.extend(_check_task_code(task_spec, filename))
    return errors


def _dmn_entry_expressions(input_expression: str, text: str) -> list[str]:
    """The Python that DMNEngine.evaluate will run for one input cell."""
    match = _DMN_QMARK.sub("dmninputexpr", text)
    if "dmninputexpr" in match:
        return [input_expression, match]
    try:
        ast.parse(match)
    except SyntaxError:
        return [input_expression + match]
    return [f"({input_expression}) == ({match})"]


def _check_decision(decision, filename: str) -> list[Problem]:
    errors: list[Problem] = []
    for table in decision.decisionTables:
        for table_input in table.inputs:
            at = {"file": filename, "element": table_input.id}
            if not table_input.expression:
                errors.append(Problem("đầu vào thiếu inputExpression", **at))
            else:
                errors.extend(_code_errors(table_input.expression, "eval", what="đầu vào", **at))
        for rule in table.rules:
            for entry in rule.inputEntries:
                for text in entry.lhs:
                    if text is None or not entry.input.expression:
                        continue
                    for expression in _dmn_entry_expressions(entry.input.expression, text):
                        errors.extend(
                            _code_errors(expression, "eval", file=filename, element=entry.id, what="ô")
                        )
            for entry in rule.outputEntries:
                if entry.text:
                    errors.extend(_code_errors(entry.text, "eval", file=filename, element=entry.id, what="ô"))
    return errors


def _xml_lanes(roots: dict) -> dict[str, tuple[str, str]]:
    """lane name → (file, lane id) for every lane declared in the BPMN files."""
    found = {}
    for filename, root in roots.items():
        for lane in root.iter(f"{{{_BPMN_NS}}}lane"):
            found.setdefault(lane.get("name") or "", (filename, lane.get("id") or "?"))
    return found


def _parse(package: ProcedurePackage, process_id: str):
    errors: list[Problem] = []
    roots = {}
    sources = {}  # every parsed BPMN and DMN tree, to locate what SpiffWorkflow names only by id
    with _PARSE_LOCK:
        parser = CamundaParser(validator=_bpmn_validator())
        for kind, files, add in (
            ("bpmn", package.bpmn, parser.add_bpmn_xml),
            ("dmn", package.dmn, parser.add_dmn_xml),
        ):
            for filename, content in files.items():
                try:
                    root = parse_xml(content, filename=filename)
                    sources[filename] = root
                    add(root, filename=filename)
                except ProcedureError as exc:
                    errors.extend(exc.problems)
                    continue
                except ValidationException as exc:
                    errors.append(_describe_validation(exc, filename, sources))
                    continue
                if kind == "bpmn":
                    roots[filename] = root
        if errors:
            raise ProcedureError(errors)
        for filename, dmn_parser in ((p.filename, p) for p in parser.dmn_parsers.values()):
            try:
                dmn_parser.parse()
            except ValidationException as exc:
                errors.append(_describe_validation(exc, filename, sources))
                continue
            errors.extend(_check_decision(dmn_parser.decision, filename))
        if process_id not in parser.get_process_ids():
            errors.append(
                Problem(f"Không có quy trình thực thi được (isExecutable=\"true\") với id '{process_id}'")
            )
            raise ProcedureError(errors)
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            errors.append(
                _describe_validation(exc, parser.get_process_parser(process_id).filename or "?", sources)
            )
            raise ProcedureError(list(dict.fromkeys(errors))) from exc
    return spec, subprocess_specs, roots, errors


def _check_lane_mapping(lanes: dict, declared: dict) -> list[Problem]:
    errors = [
        Problem(
            f"lane '{name}' chưa được ánh xạ vai trò trong {MANIFEST_NAME}", file=filename, element=lane_id
        )
        for name, (filename, lane_id) in declared.items()
        if name not in lanes
    ]
    errors.extend(
        _manifest_problem(f"lane '{name}' không có trong BPMN") for name in lanes if name not in declared
    )
    return errors


def _check_manifest_ids(manifest: dict, spec, subprocess_specs: dict) -> list[Problem]:
    """Ids the manifest names must exist in the process, with the right kind."""
    end_events = {ts.bpmn_id for ts in spec.task_specs.values() if isinstance(ts, EndEvent)}
    user_task_ids = {
        ts.bpmn_id
        for ps in (spec, *subprocess_specs.values())
        for ts in ps.task_specs.values()
        if isinstance(ts, UserTask)
    }
    errors = [
        _manifest_problem(f"end_states '{end_id}' không phải sự kiện kết thúc của quy trình")
        for end_id in manifest["end_states"]
        if end_id not in end_events
    ]
    errors.extend(
        _manifest_problem(f"tasks '{task_id}' không phải nhiệm vụ người dùng trong BPMN")
        for task_id in manifest.get("tasks", {})
        if task_id not in user_task_ids
    )
    return errors


def compile_procedure(package: ProcedurePackage, *, remember: bool = True) -> CompiledProcedure:
    """Run every deploy-time check and compile; ``remember=False`` for a check whose result is dropped
    (the modeler's "Validate"), so drafts do not pile up in the process-wide cache."""
    manifest = package.manifest
    errors = _check_manifest(manifest)
    if errors:
        raise ProcedureError(errors)
    process_id = manifest["process_id"]
    spec, subprocess_specs, roots, errors = _parse(package, process_id)

    errors.extend(_check_lane_mapping(manifest["lanes"], _xml_lanes(roots)))
    for proc_spec in (spec, *subprocess_specs.values()):
        errors.extend(_check_process_spec(proc_spec, package))
    errors.extend(_check_manifest_ids(manifest, spec, subprocess_specs))
    if errors:
        raise ProcedureError(errors)

    serialized_spec = json.dumps(
        {
            "format": _SPEC_FORMAT,
            "serializer_version": SERIALIZER_VERSION,
            "process_id": process_id,
            "spec": _SPEC_REGISTRY.convert(spec),
            "subprocess_specs": {name: _SPEC_REGISTRY.convert(sp) for name, sp in subprocess_specs.items()},
        },
        ensure_ascii=False,
    )
    # Build from the stored form even here, so a freshly compiled procedure and one restored from the
    # database behave identically (and a spec that does not round-trip is caught at deploy time).
    return restore_procedure(package.sha256, serialized_spec, manifest, remember=remember)


def _user_tasks(spec, subprocess_specs: dict, manifest: dict) -> dict[str, UserTaskInfo]:
    lanes = manifest["lanes"]
    labels = manifest.get("tasks", {})
    result = {}
    for proc_spec in (spec, *subprocess_specs.values()):
        for task_spec in proc_spec.task_specs.values():
            if not isinstance(task_spec, UserTask):
                continue
            mapping = lanes[task_spec.lane]
            sla = (task_spec.extensions or {}).get("sla_days")
            name = task_spec.bpmn_name or task_spec.bpmn_id
            result[task_spec.bpmn_id] = UserTaskInfo(
                bpmn_id=task_spec.bpmn_id,
                name=name,
                lane=task_spec.lane,
                role=mapping["role"],
                level=mapping["level"],
                form_key=form_key_of(task_spec),
                sla_days=int(sla) if sla is not None else None,
                label=dict(labels.get(task_spec.bpmn_id, {}).get("label") or {"vi": name}),
            )
    return result


def cached_procedure(sha256: str) -> CompiledProcedure | None:
    """The compiled procedure of a version this process has already restored, if any."""
    return _CACHE.get(sha256)


def restore_procedure(
    sha256: str, serialized_spec: str, manifest: dict, *, remember: bool = True
) -> CompiledProcedure:
    """Rebuild a compiled procedure from its stored spec JSON; cached per sha256 for the process."""
    cached = _CACHE.get(sha256)
    if cached is not None:
        return cached
    stored = json.loads(serialized_spec)
    if stored.get("format") != _SPEC_FORMAT:
        raise ProcedureError(f"Định dạng spec đã lưu không được hỗ trợ: {stored.get('format')!r}")
    spec = _SPEC_REGISTRY.restore(stored["spec"])
    subprocess_specs = {name: _SPEC_REGISTRY.restore(sp) for name, sp in stored["subprocess_specs"].items()}
    compiled = CompiledProcedure(
        key=manifest["key"],
        sha256=sha256,
        process_id=stored["process_id"],
        manifest=manifest,
        spec=spec,
        subprocess_specs=subprocess_specs,
        serialized_spec=serialized_spec,
        user_tasks=_user_tasks(spec, subprocess_specs, manifest),
        end_states=dict(manifest["end_states"]),
    )
    if not remember:
        return compiled
    with _CACHE_LOCK:
        return _CACHE.setdefault(sha256, compiled)

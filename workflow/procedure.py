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
from pathlib import Path
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

from .errors import ProcedureError
from .sandbox import compile_check
from .serialization import SERIALIZER_VERSION, make_registry
from .xmlsafe import parse_xml

MANIFEST_NAME = "procedure.json"
_REQUIRED_KEYS = ("key", "process_id", "title", "bpmn", "lanes", "end_states")
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


def load_procedure_folder(path) -> ProcedurePackage:
    folder = Path(path)
    manifest_path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        raise ProcedureError(f"{folder}: thiếu tệp {MANIFEST_NAME}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProcedureError(f"{MANIFEST_NAME}: JSON không hợp lệ: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ProcedureError(f"{MANIFEST_NAME}: nội dung phải là một đối tượng JSON")

    errors: list[str] = []
    files: dict[str, dict[str, bytes]] = {}
    for kind in ("bpmn", "dmn"):
        files[kind] = {}
        names = manifest.get(kind, [])
        if not isinstance(names, list):
            errors.append(f"{MANIFEST_NAME}: '{kind}' phải là danh sách tên tệp")
            continue
        for name in names:
            # Listed files must sit in the package folder itself; no paths, no hidden files.
            if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
                errors.append(f"{MANIFEST_NAME}: tên tệp không hợp lệ trong '{kind}': {name!r}")
                continue
            try:
                files[kind][name] = (folder / name).read_bytes()
            except FileNotFoundError:
                errors.append(f"{name}: tệp được khai báo trong {MANIFEST_NAME} nhưng không tồn tại")
    if errors:
        raise ProcedureError(errors)
    forms = {p.stem: p.read_bytes() for p in sorted((folder / "forms").glob("*.json"))}
    key = manifest.get("key") if isinstance(manifest.get("key"), str) else folder.name
    return ProcedurePackage(key=key, manifest=manifest, bpmn=files["bpmn"], dmn=files["dmn"], forms=forms)


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


def _describe_validation(exc: ValidationException, filename: str) -> str:
    where = exc.file_name or filename
    if exc.line_number:
        where += f" (dòng {exc.line_number})"
    if exc.id:
        where += f": phần tử '{exc.id}'"
    return f"{where}: {str(exc).removesuffix('. ')}"


def _check_manifest(manifest: dict) -> list[str]:
    errors = [
        f"{MANIFEST_NAME}: thiếu khoá bắt buộc '{key}'" for key in _REQUIRED_KEYS if key not in manifest
    ]
    if errors:
        return errors
    if not isinstance(manifest["key"], str) or not manifest["key"]:
        errors.append(f"{MANIFEST_NAME}: 'key' phải là chuỗi khác rỗng")
    if not isinstance(manifest["process_id"], str) or not manifest["process_id"]:
        errors.append(f"{MANIFEST_NAME}: 'process_id' phải là chuỗi khác rỗng")
    if not isinstance(manifest["title"], dict) or not manifest["title"].get("vi"):
        errors.append(f"{MANIFEST_NAME}: 'title' phải là đối tượng có ít nhất khoá 'vi'")
    if not isinstance(manifest["bpmn"], list) or not manifest["bpmn"]:
        errors.append(f"{MANIFEST_NAME}: 'bpmn' phải liệt kê ít nhất một tệp")
    if not isinstance(manifest.get("dmn", []), list):
        errors.append(f"{MANIFEST_NAME}: 'dmn' phải là danh sách tên tệp")
    lanes = manifest["lanes"]
    if not isinstance(lanes, dict):
        errors.append(f"{MANIFEST_NAME}: 'lanes' phải là đối tượng lane → vai trò")
    else:
        for lane, mapping in lanes.items():
            if not isinstance(mapping, dict) or not all(
                isinstance(mapping.get(k), str) and mapping.get(k) for k in ("role", "level")
            ):
                errors.append(f"{MANIFEST_NAME}: lane '{lane}' phải có 'role' và 'level' là chuỗi khác rỗng")
    end_states = manifest["end_states"]
    if not isinstance(end_states, dict) or not all(isinstance(v, str) and v for v in end_states.values()):
        errors.append(f"{MANIFEST_NAME}: 'end_states' phải ánh xạ id sự kiện kết thúc → tên trạng thái")
    tasks = manifest.get("tasks", {})
    if not isinstance(tasks, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("label", {}), dict) for v in tasks.values()
    ):
        errors.append(f"{MANIFEST_NAME}: 'tasks' phải ánh xạ id nhiệm vụ → {{'label': {{...}}}}")
    if not isinstance(manifest.get("defaults", {}), dict):
        errors.append(f"{MANIFEST_NAME}: 'defaults' phải là đối tượng")
    return errors


def _code_errors(source: str, mode: str, where: str) -> list[str]:
    return [f"{where}: {message}" for message in compile_check(source, mode)]


def _check_timer(event_definition: TimerEventDefinition, where: str) -> list[str]:
    expression = event_definition.expression or ""
    errors = _code_errors(expression, "eval", f"{where} biểu thức hẹn giờ")
    if errors:
        return errors
    if _BARE_ISO.fullmatch(expression.strip()):
        # Valid Python (a variable name) that would only fail with NameError when the timer starts.
        return [f'{where}: biểu thức hẹn giờ là Python, cần đặt trong ngoặc kép: "{expression.strip()}"']
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        return []  # depends on instance data; it is evaluated (restricted) when the timer starts
    invalid = [
        f"{where}: biểu thức hẹn giờ {expression!r} không phải thời điểm/khoảng thời gian ISO 8601 hợp lệ"
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


def _check_process_spec(proc_spec, package: ProcedurePackage) -> list[str]:
    errors: list[str] = []
    filename = proc_spec.file or "?"
    for task_spec in proc_spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue  # engine-internal helper tasks
        where = f"{filename}: phần tử '{bpmn_id}'"
        if isinstance(task_spec, UserTask):
            form = getattr(task_spec, "form", None)
            form_key = getattr(form, "key", None)
            if not form_key:
                errors.append(f"{where}: nhiệm vụ người dùng thiếu camunda:formKey")
            elif form_key not in package.forms:
                errors.append(f"{where}: không có biểu mẫu forms/{form_key}.json cho formKey '{form_key}'")
            if not task_spec.lane:
                errors.append(f"{where}: nhiệm vụ người dùng phải nằm trong một lane")
            sla = (task_spec.extensions or {}).get("sla_days")
            if sla is not None and not (sla.isascii() and sla.isdigit()):
                errors.append(f"{where}: sla_days phải là số nguyên không âm, không phải {sla!r}")
        elif task_spec.manual:
            errors.append(
                f"{where}: chỉ hỗ trợ userTask cho việc của người dùng (task/manualTask sẽ treo hồ sơ)"
            )
        for attr in ("script", "prescript", "postscript"):
            source = getattr(task_spec, attr, None)
            if source:
                errors.extend(_code_errors(source, "exec", f"{where} ({attr})"))
        for condition, target in getattr(task_spec, "cond_task_specs", []):
            if condition is not None:
                errors.extend(_code_errors(condition.args[0], "eval", f"{where} điều kiện tới '{target}'"))
        event_definition = getattr(task_spec, "event_definition", None)
        for definition in getattr(event_definition, "event_definitions", None) or [event_definition]:
            if isinstance(definition, TimerEventDefinition):
                errors.extend(_check_timer(definition, where))
        for attr in ("cardinality", "condition", "completion_condition"):
            source = getattr(task_spec, attr, None)
            if isinstance(source, str) and source:
                errors.extend(_code_errors(source, "eval", f"{where} ({attr})"))
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


def _check_decision(decision, filename: str) -> list[str]:
    errors: list[str] = []
    for table in decision.decisionTables:
        for table_input in table.inputs:
            if not table_input.expression:
                errors.append(f"{filename}: đầu vào '{table_input.id}' thiếu inputExpression")
            else:
                errors.extend(
                    _code_errors(table_input.expression, "eval", f"{filename}: đầu vào '{table_input.id}'")
                )
        for rule in table.rules:
            for entry in rule.inputEntries:
                for text in entry.lhs:
                    if text is None or not entry.input.expression:
                        continue
                    for expression in _dmn_entry_expressions(entry.input.expression, text):
                        errors.extend(_code_errors(expression, "eval", f"{filename}: ô '{entry.id}'"))
            for entry in rule.outputEntries:
                if entry.text:
                    errors.extend(_code_errors(entry.text, "eval", f"{filename}: ô '{entry.id}'"))
    return errors


def _xml_lanes(roots: dict) -> dict[str, tuple[str, str]]:
    """lane name → (file, lane id) for every lane declared in the BPMN files."""
    found = {}
    for filename, root in roots.items():
        for lane in root.iter(f"{{{_BPMN_NS}}}lane"):
            found.setdefault(lane.get("name") or "", (filename, lane.get("id") or "?"))
    return found


def _parse(package: ProcedurePackage, process_id: str):
    errors: list[str] = []
    roots = {}
    with _PARSE_LOCK:
        parser = CamundaParser(validator=_bpmn_validator())
        for kind, files, add in (
            ("bpmn", package.bpmn, parser.add_bpmn_xml),
            ("dmn", package.dmn, parser.add_dmn_xml),
        ):
            for filename, content in files.items():
                try:
                    root = parse_xml(content, filename=filename)
                    add(root, filename=filename)
                except ProcedureError as exc:
                    errors.extend(exc.errors)
                    continue
                except ValidationException as exc:
                    errors.append(_describe_validation(exc, filename))
                    continue
                if kind == "bpmn":
                    roots[filename] = root
        if errors:
            raise ProcedureError(errors)
        for filename, dmn_parser in ((p.filename, p) for p in parser.dmn_parsers.values()):
            try:
                dmn_parser.parse()
            except ValidationException as exc:
                errors.append(_describe_validation(exc, filename))
                continue
            errors.extend(_check_decision(dmn_parser.decision, filename))
        if process_id not in parser.get_process_ids():
            errors.append(f"Không có quy trình thực thi được (isExecutable=\"true\") với id '{process_id}'")
            raise ProcedureError(errors)
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            errors.append(_describe_validation(exc, parser.get_process_parser(process_id).filename or "?"))
            raise ProcedureError(list(dict.fromkeys(errors))) from exc
    return spec, subprocess_specs, roots, errors


def compile_procedure(package: ProcedurePackage) -> CompiledProcedure:
    manifest = package.manifest
    errors = _check_manifest(manifest)
    if errors:
        raise ProcedureError(errors)
    process_id = manifest["process_id"]
    spec, subprocess_specs, roots, errors = _parse(package, process_id)

    lanes = manifest["lanes"]
    declared = _xml_lanes(roots)
    for name, (filename, lane_id) in declared.items():
        if name not in lanes:
            errors.append(
                f"{filename}: lane '{lane_id}' (tên '{name}') chưa được ánh xạ vai trò trong {MANIFEST_NAME}"
            )
    for name in lanes:
        if name not in declared:
            errors.append(f"{MANIFEST_NAME}: lane '{name}' không có trong BPMN")

    for proc_spec in (spec, *subprocess_specs.values()):
        errors.extend(_check_process_spec(proc_spec, package))

    end_events = {ts.bpmn_id for ts in spec.task_specs.values() if isinstance(ts, EndEvent)}
    for end_id in manifest["end_states"]:
        if end_id not in end_events:
            errors.append(f"{MANIFEST_NAME}: end_states '{end_id}' không phải sự kiện kết thúc của quy trình")
    user_task_ids = {
        ts.bpmn_id
        for ps in (spec, *subprocess_specs.values())
        for ts in ps.task_specs.values()
        if isinstance(ts, UserTask)
    }
    for task_id in manifest.get("tasks", {}):
        if task_id not in user_task_ids:
            errors.append(f"{MANIFEST_NAME}: tasks '{task_id}' không phải nhiệm vụ người dùng trong BPMN")
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
    return restore_procedure(package.sha256, serialized_spec, manifest)


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
                form_key=task_spec.form.key,
                sla_days=int(sla) if sla is not None else None,
                label=dict(labels.get(task_spec.bpmn_id, {}).get("label") or {"vi": name}),
            )
    return result


def restore_procedure(sha256: str, serialized_spec: str, manifest: dict) -> CompiledProcedure:
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
    with _CACHE_LOCK:
        return _CACHE.setdefault(sha256, compiled)

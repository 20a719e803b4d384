"""Forms drawn in the modeler: Camunda 7's generated task forms (``camunda:formData``) as form definitions.

A model made in Camunda Modeler or the properties panel defines a user task's fields inline instead of
pointing at a form by key. Such a task gets a form definition keyed by its BPMN id, written in the
same JSON format as the package's own forms, so everything downstream (validation, rendering, the
form builder) treats both alike. A form file of that key in the package wins: an admin can download
the generated form, improve it (English labels, help texts) and upload it back.

SpiffWorkflow's CamundaParser reads formData only when a formKey is present, so the XML is read here.
"""

import json

from .errors import Problem, ProcedureError
from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_SUPPORTED = "string, long, boolean, date, enum"


def _camunda(tag: str) -> str:
    return f"{{{CAMUNDA_NS}}}{tag}"


def _validation(xml_field) -> dict[str, str | None]:
    return {
        constraint.get("name"): constraint.get("config")
        for constraint in xml_field.iter(_camunda("constraint"))
        if constraint.get("name")
    }


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _text_field(xml_field, rules: dict) -> dict:
    field = {"type": "text"}
    for rule, key in (("minlength", "min_length"), ("maxlength", "max_length")):
        if _integer(rules.get(rule)) is not None:
            field[key] = _integer(rules[rule])
    return field


def _integer_field(xml_field, rules: dict) -> dict:
    field = {"type": "integer"}
    for rule in ("min", "max"):
        if _integer(rules.get(rule)) is not None:
            field[rule] = _integer(rules[rule])
    return field


def _choice_field(xml_field, rules: dict) -> dict:
    choices = [
        {"value": value.get("id"), "label": {"vi": value.get("name") or value.get("id")}}
        for value in xml_field.iter(_camunda("value"))
        if value.get("id")
    ]
    return {"type": "choice", "choices": choices}


_TYPES = {
    "string": _text_field,
    "long": _integer_field,
    "boolean": lambda xml_field, rules: {"type": "yesno"},
    "date": lambda xml_field, rules: {"type": "date"},
    "enum": _choice_field,
}


def _field(xml_field, filename: str, task_id: str) -> tuple[dict | None, Problem | None]:
    kind = xml_field.get("type") or "string"
    name = xml_field.get("id") or ""
    build = _TYPES.get(kind)
    if build is None:
        return None, Problem(
            f"trường '{name}' có kiểu '{kind}' chưa được hỗ trợ (dùng {_SUPPORTED})",
            file=filename,
            element=task_id,
        )
    rules = _validation(xml_field)
    field = {"name": name, "label": {"vi": xml_field.get("label") or name}, **build(xml_field, rules)}
    if "required" in rules:
        field["required"] = True
    return field, None


def form_data_forms(files: dict[str, bytes], bpmn_names: list[str]) -> dict[str, bytes]:
    """Form definitions (JSON bytes by form key) for the user tasks that define fields inline and no
    formKey. Raises ProcedureError with located problems for fields no form type can hold."""
    forms, problems = {}, []
    for filename in bpmn_names:
        try:
            root = parse_xml(files[filename], filename=filename)
        except (KeyError, ProcedureError):
            continue  # missing or unsafe files are reported when the package is compiled
        for task in root.iter(f"{{{BPMN_NS}}}userTask"):
            task_id = task.get("id") or ""
            fields_xml = task.findall(f".//{_camunda('formData')}/{_camunda('formField')}")
            if task.get(_camunda("formKey")) or not fields_xml or not task_id:
                continue
            fields = []
            for xml_field in fields_xml:
                field, problem = _field(xml_field, filename, task_id)
                if problem is not None:
                    problems.append(problem)
                else:
                    fields.append(field)
            definition = {"key": task_id, "title": {"vi": task.get("name") or task_id}, "fields": fields}
            forms[task_id] = (json.dumps(definition, ensure_ascii=False, indent=2) + "\n").encode()
    if problems:
        raise ProcedureError(problems)
    return forms

"""Loading a form definition: structure by the JSON Schema, meaning in code, an immutable model out.

The schema (forms.schema) refuses what is malformed: unknown keys, wrong types, a missing label.
What it cannot express is checked here and by each field type's ``load``: names unique and not
reserved, ``min`` not above ``max``, references to fields and criteria that exist, criteria points
that add up. Every problem is reported, in document order, with its path.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from forms.baseform import RESERVED_NAMES
from forms.expressions import problems as expression_problems
from forms.fields import FIELD_TYPES, FieldContext
from forms.messages import Label
from forms.model import (
    BANDS,
    LEVELS,
    THRESHOLD,
    CriterionDefinition,
    FieldDefinition,
    FormDefinition,
    Grade,
    Knockout,
    RequiredIf,
    ScoringDefinition,
)
from forms.schema import structure_checker
from forms.schema.errors import Path, Problem, Validator
from forms.scoring import NOT_ACHIEVED, NOT_MET

# FIELD_TYPES and the model classes stay importable from here for existing callers.
__all__ = [
    "FIELD_TYPES",
    "CriterionDefinition",
    "FieldDefinition",
    "FormDefinition",
    "FormDefinitionError",
    "Label",
    "RequiredIf",
    "ScoringDefinition",
    "canonical_json",
    "load_form_definition",
    "load_form_file",
]


class FormDefinitionError(ValueError):
    """A form definition is malformed; ``errors`` lists every problem (in Vietnamese, with its path)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("Định nghĩa biểu mẫu không hợp lệ:\n" + "\n".join(f"- {e}" for e in self.errors))


def canonical_json(raw: Mapping[str, Any]) -> str:
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_form_definition(raw: dict | str | bytes) -> FormDefinition:
    """Validate a definition (a dict, or JSON text) and return its immutable model.

    Raises FormDefinitionError listing every problem found.
    """
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormDefinitionError([f"Tệp không phải UTF-8 hợp lệ: {exc}."]) from exc
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FormDefinitionError(
                [f"JSON không hợp lệ (dòng {exc.lineno}, cột {exc.colno}): {exc.msg}."]
            ) from exc
    if not isinstance(raw, dict):
        raise FormDefinitionError(["Định nghĩa biểu mẫu phải là một đối tượng JSON."])
    return _Loader(copy.deepcopy(raw)).load()


def load_form_file(path: str | os.PathLike[str]) -> FormDefinition:
    """Load a definition from a JSON file; problems are prefixed with the file name."""
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        return load_form_definition(content)
    except FormDefinitionError as exc:
        name = os.fspath(path)
        raise FormDefinitionError([f"{name}: {error}" for error in exc.errors]) from exc


def format_path(path: Path) -> str:
    """("fields", 3, "max") → "fields[3].max"."""
    text = ""
    for token in path:
        text += f"[{token}]" if isinstance(token, int) else (f".{token}" if text else token)
    return text


class _Loader:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.checker = structure_checker()
        self.problems: list[Problem] = []
        # Whole-form checks (references between fields, criteria sums) are listed after the rest.
        self.late: list[Problem] = []
        self.field_paths: dict[str, Path] = {}

    def report(self, path: Path, text: str) -> None:
        self.problems.append((path, text))

    def load(self) -> FormDefinition:
        structural = self.checker.problems(self.raw)
        # The checks below read only values the schema accepted.
        doc = _pruned(self.raw, (path for path, _ in structural))
        scoring = self.scoring(doc.get("scoring"))
        criteria = frozenset(c.key for c in scoring.criteria) if scoring else frozenset()
        fields = self.fields(doc.get("fields", ()), criteria)
        self.cross_checks(fields, scoring)
        ordered = sorted(
            structural + self.problems, key=lambda problem: self.checker.rank(problem[0], self.raw)
        )
        errors = [f"{format_path(path)}: {text}" for path, text in ordered + self.late]
        if errors:
            raise FormDefinitionError(errors)
        return FormDefinition(
            key=doc["key"],
            title_text=doc["title"],
            description_text=doc.get("description"),
            fields=tuple(fields),
            scoring=scoring,
            raw=self.raw,
            sha256=hashlib.sha256(canonical_json(self.raw).encode("utf-8")).hexdigest(),
            legal_basis=tuple(dict(document) for document in doc.get("legal_basis", ())),
        )

    # -- scoring ----------------------------------------------------------

    def scoring(self, raw: Mapping[str, Any] | None) -> ScoringDefinition | None:
        if raw is None:
            return None
        given = self.raw["scoring"]
        rule = raw.get("rule")
        if rule is None and "rule" not in given:
            # The flat form of the threshold rule, as every form had it before "rule" existed.
            rule, rule_path = raw, ("scoring",)
            kind = THRESHOLD
            if "pass_total" not in given:
                self.report(("scoring", "pass_total"), "bắt buộc phải có.")
        else:
            rule, rule_path = rule or {}, ("scoring", "rule")
            kind = rule.get("kind")
            for key in ("pass_total", "criterion_floor_ratio"):
                if key in given:
                    self.report(("scoring", key), 'không dùng cùng "rule": đặt trong "rule".')
        criteria = self.criteria(raw.get("criteria", ()), kind)
        max_total = sum(c.max_points for c in criteria)
        pass_total = rule.get("pass_total", 0)
        if criteria and pass_total > max_total:
            self.report(rule_path + ("pass_total",), f"{pass_total} lớn hơn tổng điểm tối đa ({max_total}).")
        grades: tuple[Grade, ...] = ()
        if kind == BANDS:
            grades = self.bands(rule.get("bands", ()), max_total if criteria else None)
            pass_total = self.pass_from(rule.get("pass_from"), grades)
        elif kind == LEVELS:
            grades = self.levels(rule.get("levels", ()))
        outputs = dict(raw.get("outputs", {}))
        if kind == LEVELS and "total" in outputs:
            self.report(("scoring", "outputs", "total"), 'quy tắc "levels" không tính điểm.')
        return ScoringDefinition(
            criteria=criteria,
            pass_total=pass_total,
            criterion_floor_ratio=float(rule.get("criterion_floor_ratio", 0)),
            outputs=outputs,
            kind=kind,
            grades=grades,
            pass_from=rule.get("pass_from"),
            knockouts=tuple(
                Knockout(item["field"], tuple(item["in"]), item["message"])
                for item in raw.get("knockouts", ())
                if isinstance(item, dict) and {"field", "in", "message"} <= item.keys()
            ),
        )

    def criteria(self, items: Iterable[Any], kind: str | None) -> tuple[CriterionDefinition, ...]:
        criteria = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not {"key", "label"} <= item.keys():
                continue
            path = ("scoring", "criteria", index)
            given = self.raw["scoring"]["criteria"][index]
            if item["key"] in seen:
                self.report(path + ("key",), f'tiêu chí "{item["key"]}" bị trùng.')
            seen.add(item["key"])
            if kind == LEVELS:
                for key in ("max_points", "floor"):
                    if key in given:
                        self.report(path + (key,), 'không dùng với quy tắc "levels" (không tính điểm).')
            elif kind is not None and "max_points" not in given:
                self.report(path + ("max_points",), f'bắt buộc với quy tắc "{kind}".')
            max_points = item.get("max_points", 0) if kind != LEVELS else 0
            floor = item.get("floor") if kind != LEVELS else None
            if floor is not None and "max_points" in item and floor > max_points:
                self.report(path + ("floor",), f"floor ({floor}) lớn hơn max_points ({max_points}).")
            criteria.append(
                CriterionDefinition(
                    item["key"],
                    item["label"],
                    max_points,
                    floor=floor,
                    evidence_required=item.get("evidence_required", False),
                    reconstructed=item.get("reconstructed", False),
                )
            )
        return tuple(criteria)

    def bands(self, items: Iterable[Any], max_total: int | None) -> tuple[Grade, ...]:
        bands: list[Grade] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not {"code", "label", "min_total"} <= item.keys():
                continue
            path = ("scoring", "rule", "bands", index)
            if self.grade_code(item["code"], bands, path, NOT_ACHIEVED):
                continue
            min_total = item["min_total"]
            if bands and min_total >= bands[-1].min_total:
                self.report(
                    path + ("min_total",),
                    f"{min_total} phải nhỏ hơn min_total của mức trước ({bands[-1].min_total}): "
                    "các mức xếp từ cao xuống thấp.",
                )
            if max_total is not None and min_total > max_total:
                self.report(path + ("min_total",), f"{min_total} lớn hơn tổng điểm tối đa ({max_total}).")
            bands.append(Grade(item["code"], item["label"], min_total))
        return tuple(bands)

    def pass_from(self, code: str | None, bands: tuple[Grade, ...]) -> int:
        """The points the pass_from band starts at (0 when it names no band, which is reported)."""
        for band in bands:
            if band.code == code:
                return band.min_total
        if code is not None:
            self.report(("scoring", "rule", "pass_from"), f'không có mức "{code}" trong bands.')
        return 0

    def levels(self, items: Iterable[Any]) -> tuple[Grade, ...]:
        levels: list[Grade] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not {"code", "label"} <= item.keys():
                continue
            path = ("scoring", "rule", "levels", index)
            if not self.grade_code(item["code"], levels, path, NOT_MET):
                levels.append(Grade(item["code"], item["label"]))
        return tuple(levels)

    def grade_code(self, code: str, known: list[Grade], path: Path, reserved: str) -> bool:
        """Report a duplicate or reserved band or level code; True when the item is to be skipped."""
        if code == reserved:
            shown = f'"{reserved}" là kết quả khi không đạt mức nào, không dùng làm mã.'
            self.report(path + ("code",), shown)
            return True
        if any(grade.code == code for grade in known):
            self.report(path + ("code",), f'mã "{code}" bị trùng.')
            return True
        return False

    # -- fields -----------------------------------------------------------

    def fields(self, items: Iterable[Any], criteria: frozenset[str]) -> list[FieldDefinition]:
        fields: list[FieldDefinition] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            path = ("fields", index)
            unique = self.claim_name(item.get("name"), path)
            kind = FIELD_TYPES.get(item.get("type"))
            if kind is None:
                continue
            field = kind.load(item, FieldContext(path, criteria, self.report))
            if unique:
                fields.append(field)
        return fields

    def claim_name(self, name: str | None, path: Path) -> bool:
        if name is None:
            return False
        unique = name not in self.field_paths
        if unique:
            self.field_paths[name] = path
        else:
            shown = format_path(self.field_paths[name])
            self.report(path + ("name",), f'tên trường "{name}" bị trùng với {shown}.')
        if name in RESERVED_NAMES:
            self.report(path + ("name",), f'tên "{name}" trùng với tên dành riêng của biểu mẫu.')
        return unique

    # -- whole-form checks ------------------------------------------------

    def cross_checks(self, fields: list[FieldDefinition], scoring: ScoringDefinition | None) -> None:
        by_name = {field.name: field for field in fields}
        scope = {field.name: field.field_type.row_names(field) for field in fields if field.has_value}
        for index, field in enumerate(fields):
            if field.required_if is not None and self.condition(field, by_name):
                # One evaluator: the old form becomes the JsonLogic it means.
                target = by_name[field.required_if.field]
                logic = target.field_type.condition_logic(target, field.required_if.values)
                fields[index] = dataclasses.replace(field, required_when=logic)
            for key, logic in field.field_type.expressions(field).items():
                path = self.field_paths[field.name] + (key,)
                self.late.extend((path, text) for text in expression_problems(logic, scope, field.name))
        if scoring is not None:
            if scoring.kind == LEVELS:
                self.indicators(fields, scoring)
            elif scoring.kind is not None:
                self.criteria_sums(fields, scoring)
            self.evidence(fields, scoring)
            for index, knockout in enumerate(scoring.knockouts):
                self.knockout(index, knockout, by_name)

    def condition(self, field: FieldDefinition, by_name: Mapping[str, FieldDefinition]) -> bool:
        """Check a {"field", "in"} required_if; True when it is sound."""
        reported = len(self.late)
        condition = field.required_if
        path = self.field_paths[field.name] + ("required_if",)
        target = by_name.get(condition.field)
        if condition.field == field.name:
            self.late.append((path + ("field",), "không được trỏ tới chính trường này."))
        elif target is None:
            self.late.append((path + ("field",), f'không có trường "{condition.field}" trong biểu mẫu.'))
        elif not target.field_type.conditional:
            kinds = _either(name for name, kind in FIELD_TYPES.items() if kind.conditional)
            self.late.append((path + ("field",), f'trường "{condition.field}" phải có kiểu {kinds}.'))
        else:
            for value in condition.values:
                if target.choices and value not in target.choice_values:
                    shown = f'giá trị "{value}" không có trong các lựa chọn của trường "{target.name}".'
                    self.late.append((path + ("in",), shown))
        return len(self.late) == reported

    def criteria_sums(self, fields: list[FieldDefinition], scoring: ScoringDefinition) -> None:
        for index, criterion in enumerate(scoring.criteria):
            scores = [f for f in fields if f.field_type.scored and f.criterion == criterion.key]
            path = ("scoring", "criteria", index)
            if not scores:
                self.late.append((path, f'tiêu chí "{criterion.key}" không có trường score nào.'))
                continue
            total = sum(f.max_points or 0 for f in scores)
            if total != criterion.max_points:
                self.late.append(
                    (
                        path + ("max_points",),
                        f"{criterion.max_points} khác tổng max_points của các trường score thuộc "
                        f'tiêu chí "{criterion.key}" ({total}).',
                    )
                )

    def indicators(self, fields: list[FieldDefinition], scoring: ScoringDefinition) -> None:
        """Under "levels" a criterion's sub-items are choice fields offering every level code."""
        codes = [level.code for level in scoring.grades]
        for field in fields:
            path = self.field_paths[field.name]
            if field.field_type.scored:
                self.late.append((path + ("type",), 'trường score không dùng với quy tắc "levels".'))
            elif field.type == "choice" and field.criterion is not None:
                for code in codes:
                    if code not in field.choice_values:
                        self.late.append(
                            (path + ("choices",), f'thiếu mức "{code}" của scoring.rule.levels.')
                        )
        for index, criterion in enumerate(scoring.criteria):
            if not any(_is_indicator(field, criterion.key) for field in fields):
                self.late.append(
                    (
                        ("scoring", "criteria", index),
                        f'tiêu chí "{criterion.key}" không có chỉ tiêu nào (trường choice có '
                        f'"criterion": "{criterion.key}").',
                    )
                )

    def evidence(self, fields: list[FieldDefinition], scoring: ScoringDefinition) -> None:
        for index, criterion in enumerate(scoring.criteria):
            files = [f for f in fields if f.type == "file" and f.criterion == criterion.key]
            if criterion.evidence_required and not files:
                self.late.append(
                    (
                        ("scoring", "criteria", index, "evidence_required"),
                        f'tiêu chí "{criterion.key}" không có trường file nào nhận minh chứng.',
                    )
                )

    def knockout(self, index: int, knockout: Knockout, by_name: Mapping[str, FieldDefinition]) -> None:
        path = ("scoring", "knockouts", index)
        target = by_name.get(knockout.field)
        if target is None:
            self.late.append((path + ("field",), f'không có trường "{knockout.field}" trong biểu mẫu.'))
            return
        schema = target.field_type.value_schema()
        # A knock-out compares one value; a list (several choices, evidence) has no single value.
        if not target.has_value or schema.get("type") == "array":
            shown = f'trường "{target.name}" (kiểu {target.type}) không có một giá trị để so.'
            self.late.append((path + ("field",), shown))
            return
        for position, value in enumerate(knockout.values):
            if not (Validator(schema).is_valid(value) and target.field_type.accepts_default(target, value)):
                shown = json.dumps(value, ensure_ascii=False)
                shown = f'{shown} không phải giá trị hợp lệ của trường "{target.name}".'
                self.late.append((path + ("in", position), shown))


def _is_indicator(field: FieldDefinition, criterion: str) -> bool:
    return field.type == "choice" and field.criterion == criterion


def _either(names: Iterable[str]) -> str:
    """ "a, b hoặc c"."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} hoặc {names[-1]}"


def _pruned(raw: dict[str, Any], paths: Iterable[Path]) -> dict[str, Any]:
    """A copy without the values at ``paths``; a list item becomes None so that indexes keep."""
    doc = copy.deepcopy(raw)
    for path in paths:
        if not path:
            continue
        parent: Any = doc
        for token in path[:-1]:
            parent = _step(parent, token)
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
            parent[path[-1]] = None
    return doc


def _step(container: Any, token: str | int) -> Any:
    if isinstance(container, dict):
        return container.get(token)
    if isinstance(container, list) and isinstance(token, int) and token < len(container):
        return container[token]
    return None

"""Form definitions: loading, validation on load, and the immutable model."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from forms.messages import DEFAULT_LOCALE, MESSAGES, localize

Label = str | Mapping[str, str]

FIELD_TYPES = (
    "text",
    "textarea",
    "integer",
    "decimal",
    "date",
    "choice",
    "multichoice",
    "yesno",
    "file",
    "score",
    "heading",
)
CHOICE_TYPES = frozenset({"choice", "multichoice", "yesno"})
DEFAULT_MAX_FILES = 10

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9_]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_TOP_KEYS = frozenset({"key", "title", "description", "fields", "scoring"})
_BASE_KEYS = frozenset({"name", "type", "label", "help"})
_VALUE_KEYS = frozenset({"required", "default", "prefill", "required_if"})
_TEXT_KEYS = frozenset({"min_length", "max_length", "pattern", "pattern_message"})
_TYPE_KEYS: dict[str, frozenset[str]] = {
    "text": _TEXT_KEYS,
    "textarea": _TEXT_KEYS,
    "integer": frozenset({"min", "max"}),
    "decimal": frozenset({"min", "max"}),
    "date": frozenset({"min", "max"}),
    "choice": frozenset({"choices"}),
    "multichoice": frozenset({"choices", "min_items", "max_items"}),
    "yesno": frozenset(),
    "file": frozenset({"criterion", "max_files"}),
    "score": frozenset({"max_points", "criterion"}),
    "heading": frozenset(),
}
# An evidence list is never pre-set: ids only make sense for one dossier.
_NO_DEFAULT_TYPES = frozenset({"file", "heading"})
_SCORING_KEYS = frozenset({"criteria", "pass_total", "criterion_floor_ratio", "outputs"})
_CRITERION_KEYS = frozenset({"key", "label", "max_points"})
_OUTPUT_KEYS = frozenset({"total", "passed"})


class FormDefinitionError(ValueError):
    """A form definition is malformed; ``errors`` lists every problem (in Vietnamese, with its path)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("Định nghĩa biểu mẫu không hợp lệ:\n" + "\n".join(f"- {e}" for e in self.errors))


@dataclass(frozen=True, eq=False)
class RequiredIf:
    field: str
    values: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "in": list(self.values)}


@dataclass(frozen=True, eq=False)
class FieldDefinition:
    name: str
    type: str
    label_text: Label
    help_text: Label | None = None
    required: bool = False
    min: int | float | date | None = None
    max: int | float | date | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: Label | None = None
    choices: tuple[tuple[str, Label], ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    max_points: int | None = None
    criterion: str | None = None
    max_files: int | None = None
    prefill: tuple[str, ...] = ()
    required_if: RequiredIf | None = None
    default: Any = None

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.label_text, locale)

    def help(self, locale: str = DEFAULT_LOCALE) -> str | None:
        return localize(self.help_text, locale)

    @property
    def has_value(self) -> bool:
        return self.type != "heading"

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def to_api(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label(locale),
            "help": self.help(locale),
            "required": self.required,
            "required_if": self.required_if.as_dict() if self.required_if else None,
            "min": _json_bound(self.min),
            "max": _json_bound(self.max),
            "min_length": self.min_length,
            "max_length": self.max_length,
            "choices": (
                [{"value": value, "label": localize(label, locale)} for value, label in self.choices]
                if self.choices
                else None
            ),
            "min_items": self.min_items,
            "max_items": self.max_items,
            "max_points": self.max_points,
            "criterion": self.criterion,
            "max_files": self.max_files,
        }


@dataclass(frozen=True, eq=False)
class CriterionDefinition:
    key: str
    label_text: Label
    max_points: int

    def label(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.label_text, locale)


@dataclass(frozen=True, eq=False)
class ScoringDefinition:
    criteria: tuple[CriterionDefinition, ...]
    pass_total: int
    criterion_floor_ratio: float = 0.0
    outputs: Mapping[str, str] | None = None

    @property
    def max_total(self) -> int:
        return sum(criterion.max_points for criterion in self.criteria)

    def criterion(self, key: str) -> CriterionDefinition:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)


@dataclass(frozen=True, eq=False)
class FormDefinition:
    key: str
    title_text: Label
    description_text: Label | None
    fields: tuple[FieldDefinition, ...]
    scoring: ScoringDefinition | None
    raw: dict[str, Any]
    sha256: str

    def title(self, locale: str = DEFAULT_LOCALE) -> str:
        return localize(self.title_text, locale)

    def description(self, locale: str = DEFAULT_LOCALE) -> str | None:
        return localize(self.description_text, locale)

    def field(self, name: str) -> FieldDefinition:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    @property
    def value_fields(self) -> tuple[FieldDefinition, ...]:
        return tuple(field for field in self.fields if field.has_value)

    def to_api(self, locale: str = DEFAULT_LOCALE) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title(locale),
            "description": self.description(locale),
            "fields": [field.to_api(locale) for field in self.fields],
        }

    # Two loads of the same document are interchangeable (and share cached form classes).
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FormDefinition):
            return NotImplemented
        return self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)


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
    raw = copy.deepcopy(raw)
    return _Loader(raw).load()


def load_form_file(path: str | os.PathLike[str]) -> FormDefinition:
    """Load a definition from a JSON file; problems are prefixed with the file name."""
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        return load_form_definition(content)
    except FormDefinitionError as exc:
        name = os.fspath(path)
        raise FormDefinitionError([f"{name}: {error}" for error in exc.errors]) from exc


def _json_bound(value: int | float | date | None) -> int | float | str | None:
    return value.isoformat() if isinstance(value, date) else value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _parse_iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _yesno_choices() -> tuple[tuple[str, Label], ...]:
    return tuple(
        (value, {locale: catalog[value] for locale, catalog in MESSAGES.items()}) for value in ("yes", "no")
    )


class _Loader:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.errors: list[str] = []
        self.field_paths: dict[str, str] = {}

    def error(self, path: str, text: str) -> None:
        self.errors.append(f"{path}: {text}")

    def load(self) -> FormDefinition:
        raw = self.raw
        for key in sorted(set(raw) - _TOP_KEYS):
            self.error(key, "khóa không được hỗ trợ.")
        key = raw.get("key")
        if key is None:
            self.error("key", "bắt buộc phải có.")
        else:
            self.check_snake_case(key, "key")
        title = self.label(raw, "title", "", required=True)
        description = self.label(raw, "description", "", required=False)
        scoring = self.scoring(raw.get("scoring")) if "scoring" in raw else None
        criterion_keys = {c.key for c in scoring.criteria} if scoring else set()
        fields = self.fields(raw.get("fields"), criterion_keys)
        self.cross_checks(fields, scoring)
        if self.errors:
            raise FormDefinitionError(self.errors)
        return FormDefinition(
            key=key,
            title_text=title,
            description_text=description,
            fields=tuple(fields),
            scoring=scoring,
            raw=raw,
            sha256=hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest(),
        )

    # -- primitives -------------------------------------------------------

    def check_snake_case(self, value: object, path: str) -> bool:
        if isinstance(value, str) and _SNAKE_CASE.fullmatch(value):
            return True
        self.error(path, "phải ở dạng snake_case (chữ thường, chữ số, dấu gạch dưới; bắt đầu bằng chữ cái).")
        return False

    def label(self, container: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> Label | None:
        path = f"{prefix}{key}"
        if key not in container:
            if required:
                self.error(path, "bắt buộc phải có.")
            return None
        value = container[key]
        if isinstance(value, str) and value.strip():
            return value
        if (
            isinstance(value, dict)
            and isinstance(value.get("vi"), str)
            and value["vi"].strip()
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            return value
        self.error(path, 'phải là chuỗi khác rỗng hoặc đối tượng {"vi": "...", "en": "..."} có khóa "vi".')
        return None

    def boolean(self, container: Mapping[str, Any], key: str, prefix: str) -> bool:
        value = container.get(key, False)
        if isinstance(value, bool):
            return value
        self.error(f"{prefix}{key}", "phải là true hoặc false.")
        return False

    def integer(self, container: Mapping[str, Any], key: str, prefix: str, *, minimum: int = 0) -> int | None:
        if key not in container:
            return None
        value = container[key]
        if _is_int(value) and value >= minimum:
            return value
        wanted = "số nguyên dương" if minimum > 0 else "số nguyên không âm"
        self.error(f"{prefix}{key}", f"phải là {wanted}.")
        return None

    def ordered(self, low: Any, high: Any, prefix: str, low_key: str, high_key: str) -> None:
        if low is not None and high is not None and low > high:
            shown = f"{low_key} ({_json_bound(low)}) lớn hơn {high_key} ({_json_bound(high)})."
            self.error(f"{prefix}{low_key}", shown)

    # -- scoring ----------------------------------------------------------

    def scoring(self, raw: object) -> ScoringDefinition | None:
        if not isinstance(raw, dict):
            self.error("scoring", "phải là một đối tượng.")
            return None
        for key in sorted(set(raw) - _SCORING_KEYS):
            self.error(f"scoring.{key}", "khóa không được hỗ trợ.")
        criteria = []
        raw_criteria = raw.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            self.error("scoring.criteria", "phải là danh sách tiêu chí không rỗng.")
            raw_criteria = []
        seen: set[str] = set()
        for index, item in enumerate(raw_criteria):
            path = f"scoring.criteria[{index}]"
            if not isinstance(item, dict):
                self.error(path, "phải là một đối tượng.")
                continue
            for key in sorted(set(item) - _CRITERION_KEYS):
                self.error(f"{path}.{key}", "khóa không được hỗ trợ.")
            key = item.get("key")
            if key is None:
                self.error(f"{path}.key", "bắt buộc phải có.")
            elif self.check_snake_case(key, f"{path}.key"):
                if key in seen:
                    self.error(f"{path}.key", f'tiêu chí "{key}" bị trùng.')
                seen.add(key)
            label = self.label(item, "label", f"{path}.", required=True)
            max_points = self.integer(item, "max_points", f"{path}.", minimum=1)
            if "max_points" not in item:
                self.error(f"{path}.max_points", "bắt buộc phải có.")
            if key is not None and label is not None and max_points is not None:
                criteria.append(CriterionDefinition(key=key, label_text=label, max_points=max_points))
        max_total = sum(c.max_points for c in criteria)

        pass_total = self.integer(raw, "pass_total", "scoring.")
        if "pass_total" not in raw:
            self.error("scoring.pass_total", "bắt buộc phải có.")
        elif pass_total is not None and criteria and pass_total > max_total:
            self.error("scoring.pass_total", f"{pass_total} lớn hơn tổng điểm tối đa ({max_total}).")

        ratio = raw.get("criterion_floor_ratio", 0)
        if not _is_number(ratio) or not 0 <= ratio <= 1:
            self.error("scoring.criterion_floor_ratio", "phải là số từ 0 đến 1.")
            ratio = 0

        outputs = raw.get("outputs", {})
        if not isinstance(outputs, dict):
            self.error("scoring.outputs", 'phải là đối tượng dạng {"total": "...", "passed": "..."}.')
            outputs = {}
        for key, value in outputs.items():
            if key not in _OUTPUT_KEYS:
                self.error(f"scoring.outputs.{key}", 'khóa không được hỗ trợ (chỉ có "total", "passed").')
            elif not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
                self.error(f"scoring.outputs.{key}", "phải là tên biến hợp lệ (chữ, số, dấu gạch dưới).")
        return ScoringDefinition(
            criteria=tuple(criteria),
            pass_total=pass_total or 0,
            criterion_floor_ratio=float(ratio),
            outputs=dict(outputs),
        )

    # -- fields -----------------------------------------------------------

    def fields(self, raw: object, criterion_keys: set[str]) -> list[FieldDefinition]:
        if not isinstance(raw, list) or not raw:
            self.error("fields", "phải là danh sách trường không rỗng.")
            return []
        from forms.formclass import RESERVED_NAMES

        fields: list[FieldDefinition] = []
        for index, item in enumerate(raw):
            path = f"fields[{index}]"
            if not isinstance(item, dict):
                self.error(path, "phải là một đối tượng.")
                continue
            name = item.get("name")
            unique = False
            if name is None:
                self.error(f"{path}.name", "bắt buộc phải có.")
            elif self.check_snake_case(name, f"{path}.name"):
                if name in self.field_paths:
                    self.error(f"{path}.name", f'tên trường "{name}" bị trùng với {self.field_paths[name]}.')
                else:
                    self.field_paths[name] = path
                    unique = True
                if name in RESERVED_NAMES:
                    self.error(f"{path}.name", f'tên "{name}" trùng với tên dành riêng của biểu mẫu.')
            field = self.field(item, path, criterion_keys)
            if field is not None and unique:
                fields.append(field)
        return fields

    def field(self, item: dict[str, Any], path: str, criterion_keys: set[str]) -> FieldDefinition | None:
        prefix = f"{path}."
        kind = item.get("type")
        if kind not in FIELD_TYPES:
            if kind is None:
                self.error(f"{prefix}type", "bắt buộc phải có.")
            else:
                valid = ", ".join(FIELD_TYPES)
                self.error(f"{prefix}type", f"kiểu trường không hợp lệ {kind!r}; các kiểu hợp lệ: {valid}.")
            return None
        allowed = _BASE_KEYS | _TYPE_KEYS[kind]
        if kind != "heading":
            allowed |= _VALUE_KEYS - {"default"} if kind in _NO_DEFAULT_TYPES else _VALUE_KEYS
        for key in sorted(set(item) - allowed):
            if key == "default" and kind in _NO_DEFAULT_TYPES:
                self.error(f"{prefix}default", f'trường kiểu "{kind}" không có giá trị mặc định.')
            else:
                self.error(f"{prefix}{key}", f'khóa không được hỗ trợ cho trường kiểu "{kind}".')

        attrs: dict[str, Any] = {
            "name": item.get("name"),
            "type": kind,
            "label_text": self.label(item, "label", prefix, required=True),
            "help_text": self.label(item, "help", prefix, required=False),
            "required": self.boolean(item, "required", prefix),
        }
        if kind in ("text", "textarea"):
            attrs.update(self.text_rules(item, prefix))
        elif kind in ("integer", "decimal", "date"):
            attrs.update(self.bounds(item, prefix, kind))
        elif kind in ("choice", "multichoice"):
            attrs.update(self.choices(item, prefix, kind))
        elif kind == "yesno":
            attrs["choices"] = _yesno_choices()
        elif kind == "file":
            attrs["max_files"] = self.integer(item, "max_files", prefix, minimum=1) or DEFAULT_MAX_FILES
            if "criterion" in item:
                attrs["criterion"] = self.criterion(item, prefix, criterion_keys)
        elif kind == "score":
            if "max_points" not in item:
                self.error(f"{prefix}max_points", 'bắt buộc với trường kiểu "score".')
            max_points = self.integer(item, "max_points", prefix, minimum=1)
            attrs.update(max_points=max_points, min=0, max=max_points)
            if "criterion" not in item:
                self.error(f"{prefix}criterion", 'bắt buộc với trường kiểu "score".')
            else:
                attrs["criterion"] = self.criterion(item, prefix, criterion_keys)

        if kind != "heading":
            attrs["prefill"] = self.prefill(item, prefix)
            attrs["required_if"] = self.required_if(item, prefix)
            if attrs["required"] and attrs["required_if"] is not None:
                self.error(f"{prefix}required_if", 'không dùng cùng "required": true.')
        field = FieldDefinition(**attrs)
        if "default" in item and kind not in _NO_DEFAULT_TYPES:
            field = self.default(field, item["default"], prefix)
        return field

    def text_rules(self, item: dict[str, Any], prefix: str) -> dict[str, Any]:
        rules: dict[str, Any] = {
            "min_length": self.integer(item, "min_length", prefix),
            "max_length": self.integer(item, "max_length", prefix, minimum=1),
            "pattern_message": self.label(item, "pattern_message", prefix, required=False),
        }
        self.ordered(rules["min_length"], rules["max_length"], prefix, "min_length", "max_length")
        if "pattern" in item:
            pattern = item["pattern"]
            if not isinstance(pattern, str) or not pattern:
                self.error(f"{prefix}pattern", "phải là biểu thức chính quy (chuỗi khác rỗng).")
            else:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.error(f"{prefix}pattern", f"biểu thức chính quy không hợp lệ: {exc}.")
                else:
                    rules["pattern"] = pattern
        if "pattern_message" in item and "pattern" not in item:
            self.error(f"{prefix}pattern_message", 'chỉ dùng khi có "pattern".')
        return rules

    def bounds(self, item: dict[str, Any], prefix: str, kind: str) -> dict[str, Any]:
        bounds: dict[str, Any] = {}
        for key in ("min", "max"):
            if key not in item:
                continue
            value = item[key]
            if kind == "integer" and not _is_int(value):
                self.error(f"{prefix}{key}", "phải là số nguyên.")
            elif kind == "decimal" and not _is_number(value):
                self.error(f"{prefix}{key}", "phải là số.")
            elif kind == "date":
                parsed = _parse_iso_date(value)
                if parsed is None:
                    self.error(f"{prefix}{key}", "phải là ngày dạng YYYY-MM-DD.")
                else:
                    bounds[key] = parsed
            else:
                bounds[key] = value
        self.ordered(bounds.get("min"), bounds.get("max"), prefix, "min", "max")
        return bounds

    def choices(self, item: dict[str, Any], prefix: str, kind: str) -> dict[str, Any]:
        raw = item.get("choices")
        result: dict[str, Any] = {"choices": ()}
        if raw is None:
            self.error(f"{prefix}choices", f'bắt buộc với trường kiểu "{kind}".')
        elif not isinstance(raw, list) or not raw:
            self.error(f"{prefix}choices", "phải là danh sách lựa chọn không rỗng.")
        else:
            choices = []
            for index, choice in enumerate(raw):
                path = f"{prefix}choices[{index}]"
                if not isinstance(choice, dict):
                    self.error(path, 'phải là đối tượng {"value": ..., "label": ...}.')
                    continue
                for key in sorted(set(choice) - {"value", "label"}):
                    self.error(f"{path}.{key}", "khóa không được hỗ trợ.")
                value = choice.get("value")
                if not isinstance(value, str) or not value.strip() or value != value.strip():
                    self.error(f"{path}.value", "phải là chuỗi khác rỗng, không có khoảng trắng ở hai đầu.")
                    continue
                if value in (v for v, _ in choices):
                    self.error(f"{path}.value", f'giá trị "{value}" bị trùng.')
                    continue
                label = self.label(choice, "label", f"{path}.", required=True)
                if label is not None:
                    choices.append((value, label))
            result["choices"] = tuple(choices)
        if kind == "multichoice":
            result["min_items"] = self.integer(item, "min_items", prefix)
            result["max_items"] = self.integer(item, "max_items", prefix, minimum=1)
            self.ordered(result["min_items"], result["max_items"], prefix, "min_items", "max_items")
            if isinstance(raw, list) and result["min_items"] is not None and result["min_items"] > len(raw):
                self.error(f"{prefix}min_items", f"lớn hơn số lựa chọn hiện có ({len(raw)}).")
        return result

    def criterion(self, item: dict[str, Any], prefix: str, criterion_keys: set[str]) -> str | None:
        value = item["criterion"]
        if not isinstance(value, str) or value not in criterion_keys:
            self.error(f"{prefix}criterion", f"tiêu chí {value!r} chưa được khai báo trong scoring.criteria.")
            return None
        return value

    def prefill(self, item: dict[str, Any], prefix: str) -> tuple[str, ...]:
        if "prefill" not in item:
            return ()
        raw = item["prefill"]
        paths = [raw] if isinstance(raw, str) else raw
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(p, str) and p and all(p.split(".")) for p in paths)
        ):
            self.error(f"{prefix}prefill", 'phải là đường dẫn dạng "a.b.c" hoặc danh sách các đường dẫn.')
            return ()
        return tuple(paths)

    def required_if(self, item: dict[str, Any], prefix: str) -> RequiredIf | None:
        if "required_if" not in item:
            return None
        raw = item["required_if"]
        path = f"{prefix}required_if"
        if (
            not isinstance(raw, dict)
            or set(raw) != {"field", "in"}
            or not isinstance(raw["field"], str)
            or not isinstance(raw["in"], list)
            or not raw["in"]
            or not all(isinstance(v, str) for v in raw["in"])
        ):
            self.error(path, 'phải là đối tượng {"field": "<tên trường>", "in": ["<giá trị>", ...]}.')
            return None
        return RequiredIf(field=raw["field"], values=tuple(raw["in"]))

    def default(self, field: FieldDefinition, value: object, prefix: str) -> FieldDefinition:
        if _default_is_valid(field, value):
            return replace(field, default=value)
        self.error(f"{prefix}default", f'giá trị mặc định không hợp lệ cho trường kiểu "{field.type}".')
        return field

    # -- whole-form checks ------------------------------------------------

    def cross_checks(self, fields: list[FieldDefinition], scoring: ScoringDefinition | None) -> None:
        by_name = {field.name: field for field in fields}
        for field in fields:
            condition = field.required_if
            if condition is None:
                continue
            prefix = self.field_paths[field.name]
            path = f"{prefix}.required_if.field"
            target = by_name.get(condition.field)
            if condition.field == field.name:
                self.error(path, "không được trỏ tới chính trường này.")
            elif target is None:
                self.error(path, f'không có trường "{condition.field}" trong biểu mẫu.')
            elif target.type not in CHOICE_TYPES:
                self.error(path, f'trường "{condition.field}" phải có kiểu choice, multichoice hoặc yesno.')
            else:
                for value in condition.values:
                    if target.choices and value not in target.choice_values:
                        self.error(
                            f"{prefix}.required_if.in",
                            f'giá trị "{value}" không có trong các lựa chọn của trường "{target.name}".',
                        )
        if scoring is None:
            return
        for index, criterion in enumerate(scoring.criteria):
            scores = [f for f in fields if f.type == "score" and f.criterion == criterion.key]
            path = f"scoring.criteria[{index}]"
            if not scores:
                self.error(path, f'tiêu chí "{criterion.key}" không có trường score nào.')
                continue
            total = sum(f.max_points or 0 for f in scores)
            if total != criterion.max_points:
                self.error(
                    f"{path}.max_points",
                    f"{criterion.max_points} khác tổng max_points của các trường score thuộc "
                    f'tiêu chí "{criterion.key}" ({total}).',
                )


def _default_is_valid(field: FieldDefinition, value: object) -> bool:
    kind = field.type
    if kind in ("text", "textarea"):
        return isinstance(value, str) and (field.max_length is None or len(value) <= field.max_length)
    if kind in ("integer", "score"):
        return _is_int(value) and _within(value, field.min, field.max)
    if kind == "decimal":
        return _is_number(value) and _within(value, field.min, field.max)
    if kind == "date":
        parsed = _parse_iso_date(value)
        return parsed is not None and _within(parsed, field.min, field.max)
    if kind == "choice":
        return value in field.choice_values
    if kind == "multichoice":
        return isinstance(value, list) and all(v in field.choice_values for v in value)
    if kind == "yesno":
        return isinstance(value, bool)
    return False


def _within(value: Any, low: Any, high: Any) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)

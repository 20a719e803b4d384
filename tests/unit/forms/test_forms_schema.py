"""The JSON Schema of the definition format: generated from the field types, published, enforced."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import forms
from forms import FormDefinitionError, load_form_definition
from forms.schema import SCHEMA_FILE, schema_text

SHIPPED_DIR = Path(__file__).resolve().parents[3] / "bpmn" / "gia_dinh_hoc_tap" / "forms"


def errors_of(raw):
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(raw)
    return caught.value.errors


def form(*fields, **top):
    return {"key": "sample", "title": "Mẫu", "fields": list(fields), **top}


def test_checked_in_file_is_the_generated_schema():
    # Regenerate with: .venv/bin/python -m forms.schema
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == forms.definition_schema()


def test_is_a_valid_draft_2020_12_schema():
    schema = forms.definition_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_definition_schema_returns_a_copy():
    forms.definition_schema()["properties"].clear()
    assert "fields" in forms.definition_schema()["properties"]


def test_shipped_definitions_pass_the_published_schema_alone():
    """A client with any 2020-12 validator and the file gets the same verdict on structure."""
    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        assert list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))) == [], path


def test_every_type_contributes_its_sub_schema():
    schema = forms.definition_schema()
    assert schema["$defs"]["field_type"]["enum"] == list(forms.FIELD_TYPES)
    for name in forms.FIELD_TYPES:
        sub = schema["$defs"][f"field_{name}"]
        assert sub["properties"]["type"] == {"const": name}
        assert sub["additionalProperties"] is False
    assert "choices" in schema["$defs"]["field_choice"]["required"]
    assert "default" not in schema["$defs"]["field_file"]["properties"]
    assert "required" not in schema["$defs"]["field_heading"]["properties"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"type": "integer", "max": "10"}, "fields[3].max: phải là số nguyên."),
        ({"type": "decimal", "max": float("inf")}, "fields[3].max: phải là số."),
        ({"type": "text", "max_length": 5.0}, "fields[3].max_length: phải là số nguyên dương."),
        ({"type": "choice", "choices": [{"value": "a", "label": ""}]}, "fields[3].choices[0].label: phải là"),
        (
            {"type": "yesno", "required_if": {"field": "x", "in": []}},
            "fields[3].required_if: phải là đối tượng",
        ),
        ({"type": "text", "unknown": 1}, 'fields[3].unknown: khóa không được hỗ trợ cho trường kiểu "text".'),
    ],
)
def test_structure_problems_keep_their_path_and_vietnamese_message(field, expected):
    padding = [{"name": f"p{i}", "type": "text", "label": "P"} for i in range(3)]
    errors = errors_of(form(*padding, {"name": "f", "label": "F", **field}))
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_key_with_a_trailing_newline_is_not_snake_case():
    # Python's $ matches before a final newline; the schema's patterns must not.
    assert errors_of(form({"name": "f", "type": "text", "label": "F"}) | {"key": "sample\n"}) == [
        "key: phải ở dạng snake_case (chữ thường, chữ số, dấu gạch dưới; bắt đầu bằng chữ cái)."
    ]


def test_meaning_is_checked_in_code():
    """Structurally valid (the published schema accepts it), refused for what it means."""
    raw = form(
        {"name": "n", "type": "integer", "label": "N", "min": 5, "max": 1},
        {"name": "s", "type": "score", "label": "S", "max_points": 5, "criterion": "c9"},
        {
            "name": "t",
            "type": "text",
            "label": "T",
            "pattern": "(",
            "required_if": {"field": "n", "in": ["x"]},
        },
        {"name": "n", "type": "yesno", "label": "N2"},
    )
    assert list(Draft202012Validator(forms.definition_schema()).iter_errors(raw)) == []
    assert errors_of(raw) == [
        "fields[0].min: min (5) lớn hơn max (1).",
        "fields[1].criterion: tiêu chí 'c9' chưa được khai báo trong scoring.criteria.",
        "fields[2].pattern: biểu thức chính quy không hợp lệ: "
        "missing ), unterminated subpattern at position 0.",
        'fields[3].name: tên trường "n" bị trùng với fields[0].',
        'fields[2].required_if.field: trường "n" phải có kiểu choice, multichoice hoặc yesno.',
    ]


def test_structure_and_meaning_problems_come_in_document_order():
    raw = form(
        {"name": "a", "type": "date", "label": "A", "min": "2025-02-30", "colour": "red"},
        {"name": "a", "type": "text", "label": ""},
        scoring={"criteria": [], "pass_total": 1},
        extra=True,
    )
    assert errors_of(raw) == [
        "extra: khóa không được hỗ trợ.",
        'fields[0].colour: khóa không được hỗ trợ cho trường kiểu "date".',
        "fields[0].min: phải là ngày dạng YYYY-MM-DD.",
        'fields[1].name: tên trường "a" bị trùng với fields[0].',
        'fields[1].label: phải là chuỗi khác rỗng hoặc đối tượng {"vi": "...", "en": "..."} có khóa "vi".',
        "scoring.criteria: phải là danh sách tiêu chí không rỗng.",
    ]

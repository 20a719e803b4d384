"""Adding a field type is adding one module: the example of docs/forms.md, registered from a test module."""

import importlib
import sys
from pathlib import Path

import pytest

import forms
from forms import (
    FIELD_TYPES,
    FormDefinitionError,
    MultiDict,
    build_form_class,
    formdata_from_json,
    load_form_definition,
    validate_submission,
)
from forms.fields import unregister
from forms.schema import SCHEMA_FILE, schema_text

ROOT = Path(__file__).resolve().parents[3]
MODULE = "tests.unit.forms.percent_type"


@pytest.fixture
def percent():
    """Import the module (its @register adds the type), and take the type away afterwards."""
    module = importlib.import_module(MODULE)
    yield module.PercentType
    unregister("percent")
    del sys.modules[MODULE]


def share(**field):
    return {
        "key": "survey",
        "title": "Khảo sát",
        "fields": [{"name": "share", "type": "percent", "label": "Tỉ lệ", **field}],
    }


def test_the_type_is_unknown_until_its_module_is_imported():
    assert "percent" not in FIELD_TYPES
    with pytest.raises(FormDefinitionError, match="kiểu trường không hợp lệ 'percent'"):
        load_form_definition(share())


def test_it_loads_with_its_own_keys_and_checks(percent):
    definition = load_form_definition(share(max=50, required=True, default=12.5))
    field = definition.field("share")
    assert (field.type, field.min, field.max, field.default) == ("percent", 0, 50, 12.5)
    assert isinstance(field.field_type, percent)
    assert definition.to_api()["fields"][0]["max"] == 50
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(share(min=150, max=20, colour="red"))
    assert caught.value.errors == [
        'fields[0].colour: khóa không được hỗ trợ cho trường kiểu "percent".',
        "fields[0].min: phải là số từ 0 đến 100.",
    ]
    with pytest.raises(FormDefinitionError, match=r"fields\[0\].min: min \(60\) lớn hơn max \(20\)"):
        load_form_definition(share(min=60, max=20))
    with pytest.raises(FormDefinitionError, match='mặc định không hợp lệ cho trường kiểu "percent"'):
        load_form_definition(share(max=20, default=30))


def test_it_validates_submissions(percent):
    definition = load_form_definition(share(required=True))
    for typed, clean in (("12,5", 12.5), ("12.5 %", 12.5), ("100", 100.0)):
        result = validate_submission(definition, MultiDict({"share": typed}))
        assert (result.data, result.errors) == ({"share": clean}, {})
    assert validate_submission(definition, MultiDict({"share": "150"})).errors == {
        "share": ["Giá trị phải từ 0 đến 100."]
    }
    assert validate_submission(definition, MultiDict({"share": "nhiều"}), locale="en").errors == {
        "share": ["Please enter a number (for example 7 or 7.5)."]
    }
    assert validate_submission(definition, MultiDict()).errors == {"share": ["Vui lòng nhập trường này."]}
    assert 'inputmode="decimal"' in build_form_class(definition)(data={"share": 7.5}).share()


def test_it_coerces_json_and_displays_its_values(percent):
    definition = load_form_definition(share())
    formdata, errors = formdata_from_json(definition, {"share": 12.5})
    assert (formdata.lists(), errors) == ([("share", ["12.5"])], {})
    assert formdata_from_json(definition, {"share": True})[1] == {"share": ["Phải là số."]}
    field = definition.field("share")
    assert (field.display(12.5), field.display(12.5, "en")) == ("12,5 %", "12.5 %")
    assert field.macro == "decimal_field"
    # Derived from the value schema: the API takes a clean value (a JSON number), or null.
    assert forms.field_input_schemas()["percent"] == {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 100,
    }


def test_it_has_a_schema(percent):
    schema = forms.definition_schema()
    assert "percent" in schema["$defs"]["field_type"]["enum"]
    assert schema["$defs"]["field_percent"]["properties"]["min"] == {"$ref": "#/$defs/percentage"}
    assert schema["$defs"]["percentage"] == {"type": "number", "minimum": 0, "maximum": 100}


def test_taking_it_away_restores_the_published_schema(percent):
    assert schema_text() != SCHEMA_FILE.read_text(encoding="utf-8")
    unregister("percent")
    try:
        assert schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")
    finally:
        from forms.fields import register

        register(percent)


def test_the_docs_show_this_very_module():
    module = (ROOT / "tests" / "unit" / "forms" / "percent_type.py").read_text(encoding="utf-8")
    assert f"```python\n{module}```" in (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")

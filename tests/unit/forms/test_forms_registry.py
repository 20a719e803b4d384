"""The field-type registry and what each type owns: display, JSON coercion, macro, import layering."""

import ast
import pkgutil
import re
from pathlib import Path

import pytest

import forms
import forms.fields
from forms import FIELD_TYPES, FieldType, MultiDict, register, validate_submission
from forms.fields import JSONTypeError, field_type

ROOT = Path(__file__).resolve().parents[3]
FIELDS_TEMPLATE = ROOT / "app" / "templates" / "forms" / "fields.html"
CHOICES = [
    {"value": "accept", "label": {"vi": "Đồng ý", "en": "Accept"}},
    {"value": "defer", "label": "Hoãn"},
]


def test_built_in_types_in_their_documented_order():
    assert list(FIELD_TYPES) == [
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
        "computed",
        "derived",
        "group",
        "note",
    ]
    assert all(isinstance(kind, FieldType) for kind in FIELD_TYPES.values())
    assert field_type("yesno") is FIELD_TYPES["yesno"]


def test_each_type_is_one_module_of_the_package():
    modules = {m.name for m in pkgutil.iter_modules(forms.fields.__path__)} - {"base", "registry"}
    assert modules == set(FIELD_TYPES)


def test_a_name_cannot_be_taken_twice():
    class OtherText(FieldType):
        """Another text."""

        name = "text"

    with pytest.raises(ValueError, match="already registered"):
        register(OtherText)
    register(type(FIELD_TYPES["text"]))  # the same class again changes nothing
    assert list(FIELD_TYPES).count("text") == 1


def test_every_type_names_a_macro_of_the_fields_template():
    defined = set(re.findall(r"\{% macro (\w+)\(", FIELDS_TEMPLATE.read_text(encoding="utf-8")))
    assert "render_field" in defined
    for name, kind in FIELD_TYPES.items():
        assert kind.macro in defined, name


@pytest.fixture
def everything(make_form):
    return make_form(
        {"name": "part", "type": "heading", "label": "Phần 1"},
        {"name": "name", "type": "text", "label": "Họ tên"},
        {"name": "members", "type": "integer", "label": "Số thành viên"},
        {"name": "income", "type": "decimal", "label": "Thu nhập"},
        {"name": "since", "type": "date", "label": "Từ ngày"},
        {"name": "area", "type": "choice", "label": "Khu vực", "choices": CHOICES},
        {"name": "tags", "type": "multichoice", "label": "Nhãn", "choices": CHOICES},
        {"name": "agree", "type": "yesno", "label": "Đồng ý"},
        {"name": "proof", "type": "file", "label": "Minh chứng"},
        {"name": "points", "type": "score", "label": "Điểm", "max_points": 10, "criterion": "c1"},
        scoring={"criteria": [{"key": "c1", "label": "T", "max_points": 10}], "pass_total": 5},
    )


@pytest.mark.parametrize(
    ("name", "value", "vi", "en"),
    [
        ("name", "Lê Thị B", "Lê Thị B", "Lê Thị B"),
        ("members", 4, "4", "4"),
        ("income", 12.5, "12,5", "12.5"),
        ("since", "2025-03-15", "15/03/2025", "2025-03-15"),
        ("area", "accept", "Đồng ý", "Accept"),
        ("area", "gone", "gone", "gone"),
        ("tags", ["accept", "defer"], "Đồng ý, Hoãn", "Accept, Hoãn"),
        ("agree", True, "Có", "Yes"),
        ("agree", False, "Không", "No"),
        ("proof", [3, 4], "3, 4", "3, 4"),
        ("points", 8, "8", "8"),
        ("part", None, "", ""),
        ("name", None, "", ""),
    ],
)
def test_display_of_a_stored_value(everything, name, value, vi, en):
    field = everything.field(name)
    assert (field.display(value), field.display(value, "en")) == (vi, en)


def test_only_decisions_are_summarised_on_the_dossier_page(everything):
    summarised = [f.name for f in everything.value_fields if f.in_summary]
    assert summarised == ["name", "members", "income", "since", "area", "tags", "agree"]


def test_stored_values_coerce_back_to_the_inputs_that_produce_them(everything):
    """What the dossier page pre-fills (field.formdata of a clean value) validates to that value."""
    clean = {
        "name": "Lê Thị B",
        "members": 4,
        "income": 12.5,
        "since": "2025-03-15",
        "area": "accept",
        "tags": ["accept", "defer"],
        "agree": False,
        "proof": [3, 4],
        "points": 8,
    }
    formdata = MultiDict()
    for field in everything.value_fields:
        formdata.setlist(field.name, field.formdata(clean[field.name]))
    result = validate_submission(everything, formdata, evidence_ids={3, 4})
    assert (result.errors, result.data) == ({}, clean)


def test_coercion_refuses_the_wrong_json_type(everything):
    with pytest.raises(JSONTypeError) as caught:
        everything.field("proof").formdata("3")
    assert caught.value.key == "json_id_list"
    assert isinstance(caught.value, ValueError)


def test_every_value_type_has_an_openapi_fragment():
    schemas = forms.field_input_schemas()
    assert set(schemas) == {name for name, kind in FIELD_TYPES.items() if kind.has_value}
    assert all("null" in schema["type"] for schema in schemas.values())


def _module_imports(path: Path) -> set[str]:
    """forms.* modules that ``path`` imports anywhere (in functions too), except for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("forms"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("forms")}
    return found


def test_the_forms_package_has_no_import_cycle():
    package = ROOT / "forms"
    graph = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = _module_imports(path)

    def visit(name, trail):
        assert name not in trail, " → ".join([*trail, name])
        for imported in graph.get(name, ()):
            visit(imported, [*trail, name])

    for name in graph:
        visit(name, [])
    assert "forms.formclass" not in graph["forms.definition"]
    assert "forms.definition" not in graph["forms.formclass"]

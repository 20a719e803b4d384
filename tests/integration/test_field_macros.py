"""app/templates/forms/fields.html: one macro per field type, reached through render_field by the name the
type declares, drawing the inputs the task page posts back (names, ids, test ids, error classes)."""

import re
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from forms import FIELD_TYPES, load_form_definition

PAGE = (
    '{% from "forms/fields.html" import render_field %}{% for field in form.fields %}'
    "{{ render_field(field, values, errors, locale, self_scores=self_scores, evidence=evidence) }}"
    "{% endfor %}"
)
CHOICES = [
    {"value": "accept", "label": {"vi": "Đồng ý", "en": "Accept"}},
    {"value": "reject", "label": "Từ chối"},
]


@pytest.fixture
def definition():
    return load_form_definition(
        {
            "key": "every_type",
            "title": "T",
            "fields": [
                {"name": "part", "type": "heading", "label": "Phần <script>1</script>", "help": "Ghi chú"},
                {"name": "name", "type": "text", "label": "Họ tên", "required": True, "max_length": 50},
                {"name": "story", "type": "textarea", "label": "Mô tả"},
                {"name": "members", "type": "integer", "label": "Số người"},
                {"name": "income", "type": "decimal", "label": "Thu nhập"},
                {"name": "since", "type": "date", "label": "Từ ngày"},
                {"name": "decision", "type": "choice", "label": "Quyết định", "choices": CHOICES},
                {"name": "tags", "type": "multichoice", "label": "Nhãn", "choices": CHOICES},
                {"name": "agree", "type": "yesno", "label": "Đồng ý?"},
                {"name": "proof", "type": "file", "label": "Minh chứng"},
                {"name": "c1a", "type": "score", "label": "Mục 1", "max_points": 10, "criterion": "c1"},
                {"name": "hint", "type": "note", "label": "Lưu ý", "text": "Văn bản <b>thô</b>"},
                {
                    "name": "double",
                    "type": "computed",
                    "label": "Gấp đôi",
                    "expression": {"*": [{"var": "members"}, 2]},
                    "visible_if": {"!=": [{"var": "name"}, "</div><script>alert('x')</script>{{ 7 }}"]},
                },
                {
                    "name": "share",
                    "type": "derived",
                    "label": "Tỷ lệ hộ đạt Gia đình học tập",
                    "indicator": "households_recognised",
                },
                {
                    "name": "household",
                    "type": "group",
                    "label": "Thành viên",
                    "min_rows": 1,
                    "fields": [{"name": "full_name", "type": "text", "label": "Họ tên"}],
                },
            ],
            "scoring": {"criteria": [{"key": "c1", "label": "T", "max_points": 10}], "pass_total": 5},
        }
    )


def render(app, definition, **state):
    context = {"values": MultiDict(), "errors": {}, "self_scores": None, "evidence": {}} | state
    with app.test_request_context():
        return app.jinja_env.from_string(PAGE).render(form=definition, locale="vi", **context)


def test_every_registered_type_renders_through_its_macro(app, definition):
    assert {field.type for field in definition.fields} == set(FIELD_TYPES)
    html = render(app, definition)
    for field in definition.value_fields:
        assert f'data-field="{field.name}"' in html
        # A computed or derived value is never posted; a group's inputs are its cells.
        assert f'name="{field.name}"' in html or field.type in ("file", "computed", "derived", "group")
    assert 'name="household-0-full_name"' in html and 'name="household-__index__-full_name"' in html
    assert "<script>" not in html and "<b>" not in html and "{{ 7 }}" in html
    assert '<h2 class="h6 mt-4 border-bottom pb-1">Phần &lt;script&gt;1&lt;/script&gt;</h2>' in html
    assert 'maxlength="50"' in html and '<span class="text-danger">*</span>' in html
    assert 'inputmode="decimal"' in html and 'type="date" id="f-since"' in html
    # Whether a choice ends the dossier is the procedure's to say (the task page's preview), not its name's.
    assert 'id="f-decision-reject"' in html and "data-confirm=" not in html
    assert 'type="checkbox" id="f-tags-accept"' in html
    assert re.search(r'id="f-agree-yes"[^>]*value="yes"', html) and ">Có</label>" in html
    assert 'name="upload__proof"' in html
    assert re.search(r'type="number" min="0" max="10" data-score', html)
    assert "tối đa 10 điểm" in html


def test_values_errors_and_the_applicants_own_score(app, definition):
    html = render(
        app,
        definition,
        values=MultiDict([("name", 'Lê "B"'), ("decision", "accept"), ("tags", "reject"), ("proof", "3")]),
        errors={"name": ["Vui lòng nhập trường này."], "agree": ["Lựa chọn không hợp lệ."]},
        self_scores={"c1a": 7},
        evidence={"proof": [SimpleNamespace(id=3, original_name="giay-khen.pdf")]},
    )
    assert 'class="form-control is-invalid" id="f-name" name="name" value="Lê &#34;B&#34;"' in html
    assert re.search(r'id="f-decision-accept" name="decision" value="accept" checked', html)
    assert re.search(r'id="f-tags-reject" name="tags" value="reject" checked', html)
    assert 'class="form-check-input is-invalid" type="radio" id="f-agree-yes"' in html
    assert "Vui lòng nhập trường này." in html
    assert re.search(r'id="f-proof-3" name="proof" value="3" checked', html)
    assert '<span class="small text-muted" data-testid="self-score-hint">Tự chấm: 7</span>' in html

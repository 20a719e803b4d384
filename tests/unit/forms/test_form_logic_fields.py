"""visible_if, required_if as JsonLogic, computed fields, notes and repeating groups (forms/)."""

import pytest

from forms import FormDefinitionError, MultiDict, formdata_from_json, input_values, validate_submission

HAS_KIDS = {"name": "has_kids", "type": "yesno", "label": "Có con?"}
KIDS = {
    "name": "kids",
    "type": "integer",
    "label": "Số con",
    "required": True,
    "min": 1,
    "visible_if": {"==": [{"var": "has_kids"}, True]},
}
MEMBERS = {
    "name": "members",
    "type": "group",
    "label": {"vi": "Thành viên", "en": "Members"},
    "min_rows": 1,
    "max_rows": 3,
    "fields": [
        {"name": "full_name", "type": "text", "label": "Họ tên", "required": True},
        {"name": "birth_year", "type": "integer", "label": "Năm sinh", "min": 1900, "max": 2030},
        {
            "name": "relation",
            "type": "choice",
            "label": "Quan hệ",
            "choices": [{"value": "head", "label": "Chủ hộ"}, {"value": "child", "label": "Con"}],
        },
    ],
}


def errors_of(make_form, *fields):
    with pytest.raises(FormDefinitionError) as caught:
        make_form(*fields)
    return caught.value.errors


class TestVisibility:
    def test_a_hidden_fields_value_is_dropped_and_never_required(self, make_form):
        form = make_form(HAS_KIDS, KIDS)
        result = validate_submission(form, MultiDict({"has_kids": "no", "kids": "0"}))
        assert result.valid, result.errors
        assert result.data == {"has_kids": False, "kids": None}
        assert "kids" in result.form.hidden

    def test_a_visible_field_is_checked(self, make_form):
        form = make_form(HAS_KIDS, KIDS)
        assert validate_submission(form, MultiDict({"has_kids": "yes"})).errors == {
            "kids": ["Vui lòng nhập trường này."]
        }
        assert validate_submission(form, {"has_kids": "yes", "kids": "2"}).data["kids"] == 2

    def test_a_field_hidden_earlier_reads_as_empty_later(self, make_form):
        note = {
            "name": "kids_note",
            "type": "text",
            "label": "Ghi chú",
            "visible_if": {">": [{"var": "kids"}, 2]},
        }
        form = make_form(HAS_KIDS, KIDS, note)
        result = validate_submission(form, {"has_kids": "no", "kids": "5", "kids_note": "x"})
        assert result.data["kids_note"] is None

    def test_hidden_headings_and_notes_load(self, make_form):
        form = make_form(
            HAS_KIDS,
            {"name": "h", "type": "heading", "label": "H", "visible_if": {"var": "has_kids"}},
            {"name": "n", "type": "note", "label": "N", "text": {"vi": "Lưu ý", "en": "Note"}},
        )
        assert form.field("n").to_api("en")["text"] == "Note"
        assert not form.field("n").has_value


class TestRequiredIf:
    def test_jsonlogic_required_if(self, make_form):
        amount = {"name": "amount", "type": "integer", "label": "Số tiền", "required_if": {"var": "has_kids"}}
        form = make_form(HAS_KIDS, amount)
        assert validate_submission(form, {"has_kids": "yes"}).errors == {
            "amount": ["Vui lòng nhập trường này."]
        }
        assert validate_submission(form, {"has_kids": "no"}).valid

    @pytest.mark.parametrize(
        ("target", "values", "logic"),
        [
            ({"type": "yesno"}, ["yes"], {"or": [{"===": [{"var": "t"}, True]}]}),
            (
                {"type": "choice", "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
                ["a"],
                {"in": [{"var": "t"}, ["a"]]},
            ),
            (
                {
                    "type": "multichoice",
                    "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
                },
                ["a", "b"],
                {"or": [{"in": ["a", {"var": "t"}]}, {"in": ["b", {"var": "t"}]}]},
            ),
        ],
    )
    def test_the_old_form_becomes_jsonlogic(self, make_form, target, values, logic):
        form = make_form(
            {"name": "t", "label": "T", **target},
            {"name": "f", "type": "text", "label": "F", "required_if": {"field": "t", "in": values}},
        )
        assert form.field("f").required_when == logic
        assert form.field("f").required_if.as_dict() == {"field": "t", "in": values}


class TestComputed:
    TOTAL = {
        "name": "total",
        "type": "computed",
        "label": "Tổng",
        "expression": {"+": [{"var": "a"}, {"var": "b"}]},
    }

    def test_recomputed_on_the_server_whatever_was_sent(self, make_form):
        form = make_form(
            {"name": "a", "type": "integer", "label": "A"},
            {"name": "b", "type": "decimal", "label": "B"},
            self.TOTAL,
        )
        result = validate_submission(form, {"a": "2", "b": "1,5", "total": "999"})
        assert result.valid and result.data["total"] == 3.5
        formdata, errors = formdata_from_json(form, {"a": 2, "b": 3, "total": 999})
        assert not errors and validate_submission(form, formdata).data["total"] == 5

    def test_a_hidden_computed_field_is_empty(self, make_form):
        hidden = {**self.TOTAL, "visible_if": False}
        form = make_form(
            {"name": "a", "type": "integer", "label": "A"},
            {"name": "b", "type": "integer", "label": "B"},
            hidden,
        )
        assert validate_submission(form, {"a": "1", "b": "1"}).data["total"] is None


class TestGroup:
    def test_rows_are_stored_as_a_list_of_objects(self, make_form):
        form = make_form(MEMBERS)
        posted = {
            "members-0-full_name": "An",
            "members-0-birth_year": "1980",
            "members-0-relation": "head",
            "members-3-full_name": "Bình",
            "members-3-birth_year": "2010",
        }
        result = validate_submission(form, MultiDict(posted))
        assert result.valid, result.errors
        assert result.data["members"] == [
            {"full_name": "An", "birth_year": 1980, "relation": "head"},
            {"full_name": "Bình", "birth_year": 2010, "relation": None},
        ]

    def test_errors_are_addressed_per_row(self, make_form):
        form = make_form(MEMBERS)
        formdata, errors = formdata_from_json(
            form, {"members": [{"full_name": "An"}, {"full_name": "B"}, {"birth_year": 1800}]}
        )
        assert not errors
        result = validate_submission(form, formdata)
        assert result.errors == {
            "members[2].full_name": ["Vui lòng nhập trường này."],
            "members[2].birth_year": ["Giá trị phải từ 1900 đến 2030."],
        }

    def test_row_counts(self, make_form):
        form = make_form(MEMBERS)
        assert validate_submission(form, {}).errors == {"members": ["Cần ít nhất 1 dòng."]}
        formdata, _ = formdata_from_json(form, {"members": [{"full_name": str(n)} for n in range(4)]})
        assert validate_submission(form, formdata).errors == {"members": ["Tối đa 3 dòng."]}

    def test_api_type_errors_and_unknown_cells(self, make_form):
        form = make_form(MEMBERS)
        assert formdata_from_json(form, {"members": "An"})[1] == {
            "members": ["Phải là danh sách các dòng (mỗi dòng là một đối tượng JSON)."]
        }
        assert formdata_from_json(form, {"members": [{"birth_year": [1]}]})[1] == {
            "members[0].birth_year": ["Phải là số."]
        }
        formdata, _ = formdata_from_json(form, {"members": [{"full_name": "An", "email": "x"}]})
        assert validate_submission(form, formdata).errors == {
            "members-0-email": ["Trường không có trong biểu mẫu."]
        }

    def test_conditions_read_rows(self, make_form):
        adults = {
            "name": "adults",
            "type": "computed",
            "label": "Có người lớn",
            "expression": {"some": [{"var": "members"}, {"<": [{"var": "birth_year"}, 2008]}]},
        }
        form = make_form(MEMBERS, adults)
        result = validate_submission(form, {"members-0-full_name": "An", "members-0-birth_year": "1980"})
        assert result.data["adults"] is True

    def test_input_values_and_page_rows(self, make_form):
        form = make_form(MEMBERS)
        values = input_values(form, {"members": [{"full_name": "An", "birth_year": 1980}]})
        assert values.getlist("members-0-birth_year") == ["1980"]
        field = form.field("members")
        rows = field.field_type.rows(field, values, {"members[0].full_name": ["x"]})
        assert [cell.name for cell in rows[0].fields][:1] == ["members-0-full_name"]
        assert rows[0].errors["members-0-full_name"] == ["x"]
        assert field.to_api("vi")["fields"][0]["name"] == "full_name"


class TestRefusals:
    def test_unknown_field_operator_and_malformed_with_their_paths(self, make_form):
        errors = errors_of(
            make_form,
            HAS_KIDS,
            {"name": "a", "type": "text", "label": "A", "visible_if": {"==": [{"var": "ghost"}, 1]}},
            {"name": "b", "type": "text", "label": "B", "required_if": {"eval": "1"}},
            {"name": "c", "type": "computed", "label": "C", "expression": "a + b"},
            {"name": "d", "type": "text", "label": "D", "visible_if": {"==": [1, 1], "!=": [1, 2]}},
            {"name": "e", "type": "computed", "label": "E", "expression": {"+": [{"var": "e"}, 1]}},
        )
        assert errors == [
            "fields[3].expression: phải là biểu thức JsonLogic: một đối tượng có đúng một toán tử, "
            'ví dụ {"==": [{"var": "a"}, 1]}.',
            "fields[4].visible_if: phải là biểu thức JsonLogic: một đối tượng có đúng một toán tử, "
            'ví dụ {"==": [{"var": "a"}, 1]}.',
            'fields[1].visible_if: không có trường "ghost" trong biểu mẫu.',
            'fields[2].required_if: toán tử "eval" không được hỗ trợ; các toán tử hợp lệ: '
            + " ".join(__import__("forms.expressions").expressions.OPERATORS)
            + ".",
            "fields[5].expression: không được trỏ tới chính trường này.",
        ]

    def test_group_rows_are_checked_at_their_paths(self, make_form):
        bad = {
            **MEMBERS,
            "fields": [
                {"name": "x", "type": "file", "label": "X"},
                {"name": "y", "type": "integer", "label": "Y", "min": 5, "max": 1},
                {"name": "z", "type": "text", "label": "Z", "visible_if": True},
            ],
            "min_rows": 4,
        }
        errors = errors_of(make_form, bad)
        assert (
            "fields[0].fields[0].type: kiểu trường không dùng được trong nhóm lặp 'file'; "
            "các kiểu được dùng: text, textarea, integer, decimal, date, choice, yesno." in errors
        )
        assert "fields[0].fields[1].min: min (5) lớn hơn max (1)." in errors
        assert "fields[0].fields[2].visible_if: không dùng cho trường trong nhóm lặp." in errors
        assert "fields[0].min_rows: min_rows (4) lớn hơn max_rows (3)." in errors

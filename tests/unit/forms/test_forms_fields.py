"""Every field type and rule, through validate_submission (Vietnamese by default)."""

import pytest
import wtforms

from forms import MultiDict, build_form_class, validate_submission
from forms.fields.text import DEFAULT_MAX_LENGTH

CHOICES = [
    {"value": "accept", "label": {"vi": "Đồng ý", "en": "Accept"}},
    {"value": "reject", "label": {"vi": "Từ chối", "en": "Reject"}},
    {"value": "defer", "label": "Hoãn"},
]


def check(definition, values, *, locale="vi", evidence_ids=()):
    return validate_submission(
        definition, MultiDict(values), locale=locale, evidence_ids=frozenset(evidence_ids)
    )


def single(make_form, **field):
    return make_form({"name": "f", "label": "Trường", **field})


def outcome(definition, value, **kwargs):
    values = {} if value is None else {"f": value}
    result = check(definition, values, **kwargs)
    return result.data["f"], result.errors.get("f")


class TestText:
    def test_stripped_value(self, make_form):
        assert outcome(single(make_form, type="text"), "  Nguyễn Văn A ") == ("Nguyễn Văn A", None)

    def test_optional_empty_is_none(self, make_form):
        definition = single(make_form, type="text")
        assert outcome(definition, None) == (None, None)
        assert outcome(definition, "   ") == (None, None)

    def test_required(self, make_form):
        definition = single(make_form, type="text", required=True)
        assert outcome(definition, "  ") == (None, ["Vui lòng nhập trường này."])
        assert outcome(definition, None, locale="en") == (None, ["This field is required."])

    def test_lengths(self, make_form):
        definition = single(make_form, type="text", min_length=3, max_length=5)
        assert outcome(definition, "abc") == ("abc", None)
        assert outcome(definition, "ab") == (None, ["Tối thiểu 3 ký tự."])
        assert outcome(definition, "abcdef") == (None, ["Tối đa 5 ký tự (đã nhập 6)."])
        assert outcome(definition, "abcdef", locale="en") == (None, ["At most 5 characters (6 entered)."])

    def test_pattern_full_match(self, make_form):
        definition = single(make_form, type="text", pattern=r"\d{2}/QĐ-UBND")
        assert outcome(definition, "12/QĐ-UBND") == ("12/QĐ-UBND", None)
        assert outcome(definition, "12/QĐ-UBND thêm") == (None, ["Không đúng định dạng yêu cầu."])
        assert outcome(definition, "x", locale="en") == (None, ["Invalid format."])

    def test_pattern_message(self, make_form):
        definition = single(
            make_form,
            type="text",
            pattern=r"0\d{9}",
            pattern_message={"vi": "Số điện thoại gồm 10 chữ số.", "en": "Phone numbers have 10 digits."},
        )
        assert outcome(definition, "0912345678") == ("0912345678", None)
        assert outcome(definition, "12345") == (None, ["Số điện thoại gồm 10 chữ số."])
        assert outcome(definition, "12345", locale="en") == (None, ["Phone numbers have 10 digits."])

    def test_single_value_only(self, make_form):
        definition = single(make_form, type="text")
        result = validate_submission(definition, MultiDict([("f", "a"), ("f", "b")]))
        assert result.errors == {"f": ["Trường này chỉ nhận một giá trị."]}

    def test_textarea_counts_a_line_break_once(self, make_form):
        definition = single(make_form, type="textarea", max_length=2000)
        text = "dòng một\r\n" * 200
        value, errors = outcome(definition, text)
        assert errors is None
        assert value == ("dòng một\n" * 200).strip()
        assert outcome(definition, "x" * 2001) == (None, ["Tối đa 2000 ký tự (đã nhập 2001)."])

    def test_a_text_without_max_length_is_bounded_all_the_same(self, make_form):
        for kind in ("text", "textarea"):
            definition = single(make_form, type=kind)
            assert outcome(definition, "x" * DEFAULT_MAX_LENGTH) == ("x" * DEFAULT_MAX_LENGTH, None)
            assert outcome(definition, "x" * 100_000) == (
                None,
                [f"Tối đa {DEFAULT_MAX_LENGTH} ký tự (đã nhập 100000)."],
            )

    def test_a_textarea_counts_instead_of_cutting_a_paste(self, make_form):
        html = build_form_class(single(make_form, type="textarea", max_length=2000))().f()
        assert 'data-maxlength="2000"' in html and " maxlength=" not in html


class TestNumbers:
    def test_integer(self, make_form):
        definition = single(make_form, type="integer", min=0, max=10)
        assert outcome(definition, "7") == (7, None)
        assert outcome(definition, " 0 ") == (0, None)
        assert outcome(definition, "11") == (None, ["Giá trị phải từ 0 đến 10."])
        assert outcome(definition, "-1", locale="en") == (None, ["Value must be between 0 and 10."])
        assert outcome(definition, "7,5") == (None, ["Vui lòng nhập số nguyên."])
        assert outcome(definition, "bảy") == (None, ["Vui lòng nhập số nguyên."])
        assert outcome(definition, "7.5", locale="en") == (None, ["Please enter a whole number."])

    def test_one_sided_bounds(self, make_form):
        low = single(make_form, type="integer", min=1)
        assert outcome(low, "0") == (None, ["Giá trị phải từ 1 trở lên."])
        assert outcome(low, "100000") == (100000, None)
        high = single(make_form, type="integer", max=5)
        assert outcome(high, "6") == (None, ["Giá trị không được lớn hơn 5."])
        assert outcome(high, "-3") == (-3, None)

    def test_decimal_accepts_decimal_comma(self, make_form):
        definition = single(make_form, type="decimal", min=0, max=10)
        assert outcome(definition, "7,5") == (7.5, None)
        assert outcome(definition, "7.5") == (7.5, None)
        assert outcome(definition, "7") == (7.0, None)
        assert isinstance(outcome(definition, "7")[0], float)

    def test_decimal_rejections(self, make_form):
        definition = single(make_form, type="decimal", min=0.5, max=9.5)
        assert outcome(definition, "9,75") == (None, ["Giá trị phải từ 0,5 đến 9,5."])
        assert outcome(definition, "9,75", locale="en") == (None, ["Value must be between 0.5 and 9.5."])
        assert outcome(definition, "1,2,3") == (None, ["Vui lòng nhập một số (ví dụ 7 hoặc 7,5)."])
        assert outcome(definition, "nan") == (None, ["Vui lòng nhập một số (ví dụ 7 hoặc 7,5)."])

    def test_score(self, make_form):
        definition = make_form(
            {
                "name": "f",
                "type": "score",
                "label": "Mục",
                "max_points": 10,
                "criterion": "c1",
                "required": True,
            },
            scoring={"criteria": [{"key": "c1", "label": "T", "max_points": 10}], "pass_total": 5},
        )
        assert outcome(definition, "10") == (10, None)
        assert outcome(definition, "0") == (0, None)
        assert outcome(definition, "11") == (None, ["Giá trị phải từ 0 đến 10."])
        assert outcome(definition, "7,5") == (None, ["Vui lòng nhập số nguyên."])
        assert outcome(definition, "") == (None, ["Vui lòng nhập trường này."])


class TestDate:
    def test_formats(self, make_form):
        definition = single(make_form, type="date")
        assert outcome(definition, "2025-03-15") == ("2025-03-15", None)
        assert outcome(definition, "15/03/2025") == ("2025-03-15", None)
        assert outcome(definition, "5/3/2025") == ("2025-03-05", None)

    @pytest.mark.parametrize(
        "bad", ["2025-02-30", "31/02/2025", "15.03.2025", "03/15/2025", "hôm nay", "2025-3-5"]
    )
    def test_bad_dates(self, make_form, bad):
        definition = single(make_form, type="date")
        assert outcome(definition, bad) == (None, ["Không đúng định dạng ngày (dd/mm/yyyy hoặc yyyy-mm-dd)."])
        assert outcome(definition, bad, locale="en") == (
            None,
            ["Invalid date format (dd/mm/yyyy or yyyy-mm-dd)."],
        )

    def test_bounds(self, make_form):
        definition = single(make_form, type="date", min="2025-01-01", max="2025-12-31")
        assert outcome(definition, "31/12/2025") == ("2025-12-31", None)
        assert outcome(definition, "2024-12-31") == (None, ["Ngày phải từ 01/01/2025 đến 31/12/2025."])
        assert outcome(definition, "2026-01-01", locale="en") == (
            None,
            ["Date must be between 2025-01-01 and 2025-12-31."],
        )
        assert outcome(single(make_form, type="date", min="2025-01-01"), "2024-12-31") == (
            None,
            ["Ngày không được trước 01/01/2025."],
        )
        assert outcome(single(make_form, type="date", max="2025-01-01"), "2025-01-02") == (
            None,
            ["Ngày không được sau 01/01/2025."],
        )


class TestChoices:
    def test_choice(self, make_form):
        definition = single(make_form, type="choice", choices=CHOICES, required=True)
        assert outcome(definition, " accept ") == ("accept", None)
        assert outcome(definition, "maybe") == (None, ["Lựa chọn không hợp lệ."])
        assert outcome(definition, "maybe", locale="en") == (None, ["Not a valid choice."])
        assert outcome(definition, "") == (None, ["Vui lòng chọn một phương án."])

    def test_multichoice(self, make_form):
        definition = single(make_form, type="multichoice", choices=CHOICES, min_items=1, max_items=2)
        result = check(definition, {"f": ["accept", "defer", "accept"]})
        assert (result.data["f"], result.errors) == (["accept", "defer"], {})
        assert check(definition, {"f": ["accept", "nope"]}).errors == {"f": ["Lựa chọn không hợp lệ."]}
        assert check(definition, {"f": ["accept", "reject", "defer"]}).errors == {
            "f": ["Chỉ được chọn tối đa 2 mục."]
        }
        assert check(definition, {"f": ["accept", "reject", "defer"]}, locale="en").errors == {
            "f": ["Choose at most 2 items."]
        }

    def test_multichoice_min_items_and_empty(self, make_form):
        definition = single(make_form, type="multichoice", choices=CHOICES, min_items=2)
        assert check(definition, {"f": ["accept"]}).errors == {"f": ["Vui lòng chọn ít nhất 2 mục."]}
        result = check(definition, {})
        assert (result.data["f"], result.errors) == (None, {})
        required = single(make_form, type="multichoice", choices=CHOICES, required=True)
        assert check(required, {"f": [""]}).errors == {"f": ["Vui lòng chọn ít nhất một phương án."]}

    def test_yesno(self, make_form):
        definition = single(make_form, type="yesno", required=True)
        assert outcome(definition, "yes") == (True, None)
        assert outcome(definition, "no") == (False, None)
        assert outcome(definition, "có") == (None, ["Lựa chọn không hợp lệ."])
        assert outcome(definition, None) == (None, ["Vui lòng chọn một phương án."])
        assert outcome(definition, None, locale="en") == (None, ["Please choose an option."])


class TestEvidence:
    @pytest.fixture
    def definition(self, make_form):
        return single(make_form, type="file", max_files=3)

    def test_known_ids(self, definition):
        result = check(definition, {"f": ["3", "4,5", "3"]}, evidence_ids={3, 4, 5})
        assert (result.data["f"], result.errors) == ([3, 4, 5], {})

    def test_unknown_id(self, definition):
        result = check(definition, {"f": ["3", "9"]}, evidence_ids={3, 4})
        assert result.errors == {"f": ["Minh chứng không hợp lệ hoặc không thuộc hồ sơ này."]}
        assert check(definition, {"f": "9"}, evidence_ids={3}, locale="en").errors == {
            "f": ["Invalid evidence, or evidence that does not belong to this dossier."]
        }

    def test_no_evidence_set_rejects_every_id(self, definition):
        assert check(definition, {"f": "3"}).errors == {
            "f": ["Minh chứng không hợp lệ hoặc không thuộc hồ sơ này."]
        }

    def test_malformed_id(self, definition):
        assert check(definition, {"f": "abc"}, evidence_ids={3}).errors == {
            "f": ["Minh chứng không hợp lệ hoặc không thuộc hồ sơ này."]
        }

    def test_max_files(self, definition):
        result = check(definition, {"f": "1,2,3,4"}, evidence_ids={1, 2, 3, 4})
        assert result.errors == {"f": ["Tối đa 3 minh chứng."]}

    def test_default_max_files(self, make_form):
        definition = single(make_form, type="file")
        assert definition.field("f").max_files == 10
        ids = set(range(1, 12))
        assert check(definition, {"f": ",".join(map(str, ids))}, evidence_ids=ids).errors == {
            "f": ["Tối đa 10 minh chứng."]
        }

    def test_empty(self, make_form, definition):
        assert outcome(definition, "") == (None, None)
        required = single(make_form, type="file", required=True)
        assert outcome(required, None) == (None, ["Vui lòng tải lên hoặc chọn ít nhất một minh chứng."])


class TestFormClass:
    def test_is_a_plain_wtforms_form(self, shipped):
        form_class = build_form_class(shipped["commune_scoring"])
        assert issubclass(form_class, wtforms.Form)
        assert form_class.__name__ == "CommuneScoringForm"
        form = form_class()
        assert "csrf_token" not in form
        assert [field.name for field in form] == [f.name for f in shipped["commune_scoring"].value_fields]

    def test_fields_carry_their_definition(self, shipped):
        form = build_form_class(shipped["self_report"])()
        assert form.c2a.definition.max_points == 10
        assert form.c2a.definition.criterion == "c2"
        assert form.c2a.label.text.startswith("Mỗi người lớn có kế hoạch học tập")
        assert form.evidence_c1.description.startswith("Ảnh, giấy tờ")
        assert "heading_c1" not in form

    def test_layout_keeps_headings_in_place(self, shipped):
        form = build_form_class(shipped["self_report"], locale="en")()
        layout = [(definition.name, bound is not None) for definition, bound in form.iter_layout()]
        assert layout[:5] == [
            ("heading_c1", False),
            ("c1a", True),
            ("c1b", True),
            ("c1c", True),
            ("evidence_c1", True),
        ]
        heading = next(definition for definition, _ in form.iter_layout())
        assert heading.label("en") == "Criterion 1: Children's learning in the family (30 points)"
        assert form.c1a.label.text.startswith("All school-age children")

    def test_rendering(self, make_form):
        definition = make_form(
            {"name": "choice", "type": "choice", "label": "C", "required": True, "choices": CHOICES},
            {"name": "many", "type": "multichoice", "label": "M", "choices": CHOICES},
            {"name": "amount", "type": "decimal", "label": "A"},
            {"name": "count", "type": "integer", "label": "N", "min": 1, "max": 9},
            {"name": "day", "type": "date", "label": "D", "min": "2025-01-01"},
            {"name": "short", "type": "text", "label": "S", "max_length": 50},
            {"name": "agree", "type": "yesno", "label": "Y"},
        )
        form = build_form_class(definition)(
            data={"choice": "reject", "many": ["defer"], "amount": 7.5, "day": "2025-03-15", "agree": False}
        )
        choice = form.choice()
        assert '<option value="">— Chọn —</option>' in choice
        assert '<option selected value="reject">Từ chối</option>' in choice
        assert "required" in choice
        assert 'checked id="many-2"' in form.many()
        assert 'value="7,5"' in form.amount()
        assert 'inputmode="decimal"' in form.amount()
        assert 'max="9" min="1" name="count" step="1" type="number"' in form.count()
        assert 'min="2025-01-01"' in form.day()
        assert 'value="2025-03-15"' in form.day()
        assert 'maxlength="50"' in form.short()
        assert 'checked id="agree-1" name="agree" type="radio" value="no"' in form.agree()
        assert "Không" in form.agree()

    def test_english_rendering(self, make_form):
        definition = make_form({"name": "choice", "type": "choice", "label": "C", "choices": CHOICES})
        html = build_form_class(definition, locale="en")().choice()
        assert "— Choose —" in html
        assert ">Accept<" in html
        assert ">Hoãn<" in html

    def test_rerender_shows_what_was_typed(self, make_form):
        definition = make_form(
            {"name": "count", "type": "integer", "label": "N"},
            {"name": "day", "type": "date", "label": "D"},
        )
        result = check(definition, {"count": "mười", "day": "32/01/2025"})
        assert not result.valid
        assert 'value="mười"' in result.form.count()
        assert 'value="32/01/2025"' in result.form.day()

    def test_defaults_fill_an_unsubmitted_form(self, make_form):
        definition = make_form(
            {"name": "count", "type": "integer", "label": "N", "default": 3},
            {"name": "pick", "type": "choice", "label": "P", "choices": CHOICES, "default": "defer"},
        )
        form = build_form_class(definition)()
        assert form.count.data == 3
        assert form.pick.data == "defer"
        assert form.json_data() == {"count": 3, "pick": "defer"}

    def test_evidence_ids_on_the_form_class(self, make_form):
        definition = make_form({"name": "proof", "type": "file", "label": "P"})
        form_class = build_form_class(definition)
        assert form_class(MultiDict({"proof": "5"}), evidence_ids=[5]).validate()
        assert not form_class(MultiDict({"proof": "5"})).validate()


def test_only_the_submitted_data_counts(make_form):
    """A submission never falls back to defaults: a missing key is an empty answer."""
    definition = make_form({"name": "count", "type": "integer", "label": "N", "default": 3, "required": True})
    result = validate_submission(definition, MultiDict())
    assert result.errors == {"count": ["Vui lòng nhập trường này."]}
    assert validate_submission(definition, None).errors == result.errors


def test_wtforms_has_no_vietnamese_but_we_do(make_form):
    definition = single(make_form, type="integer", required=True)
    assert outcome(definition, None, locale="vi_VN") == (None, ["Vui lòng nhập trường này."])
    assert outcome(definition, None, locale="en_GB") == (None, ["This field is required."])
    assert outcome(definition, None, locale="fr") == (None, ["Vui lòng nhập trường này."])

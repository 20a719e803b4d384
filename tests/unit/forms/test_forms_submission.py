import json
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict as WerkzeugMultiDict

from forms import MultiDict, formdata_from_json, validate_submission

SCORES = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def everything(make_form):
    return make_form(
        {"name": "part", "type": "heading", "label": "Phần 1"},
        {"name": "name", "type": "text", "label": "Họ tên"},
        {"name": "story", "type": "textarea", "label": "Mô tả"},
        {"name": "members", "type": "integer", "label": "Số thành viên"},
        {"name": "income", "type": "decimal", "label": "Thu nhập"},
        {"name": "since", "type": "date", "label": "Từ ngày"},
        {
            "name": "area",
            "type": "choice",
            "label": "Khu vực",
            "choices": [{"value": "urban", "label": "Thành thị"}],
        },
        {"name": "tags", "type": "multichoice", "label": "Nhãn", "choices": [{"value": "a", "label": "A"}]},
        {"name": "agree", "type": "yesno", "label": "Đồng ý"},
        {"name": "proof", "type": "file", "label": "Minh chứng"},
        {"name": "points", "type": "score", "label": "Điểm", "max_points": 10, "criterion": "c1"},
        scoring={"criteria": [{"key": "c1", "label": "T", "max_points": 10}], "pass_total": 5},
    )


class TestValidateSubmission:
    def test_clean_json_safe_values(self, everything):
        submitted = MultiDict(
            {
                "name": " Lê Thị B ",
                "story": "Gia đình\r\nhiếu học",
                "members": "4",
                "income": "12,5",
                "since": "01/02/2020",
                "area": "urban",
                "tags": ["a"],
                "agree": "yes",
                "proof": ["7", "8"],
                "points": "9",
                "csrf_token": "token",
            }
        )
        result = validate_submission(everything, submitted, evidence_ids={7, 8, 9})
        assert result.valid
        assert result.errors == {}
        assert result.data == {
            "name": "Lê Thị B",
            "story": "Gia đình\nhiếu học",
            "members": 4,
            "income": 12.5,
            "since": "2020-02-01",
            "area": "urban",
            "tags": ["a"],
            "agree": True,
            "proof": [7, 8],
            "points": 9,
        }
        assert json.loads(json.dumps(result.data)) == result.data
        assert result.form.members.data == 4

    def test_empty_values_are_none(self, everything):
        result = validate_submission(everything, MultiDict())
        assert result.valid
        assert result.data == dict.fromkeys(result.data)
        assert list(result.data) == [f.name for f in everything.value_fields]

    def test_invalid_values_are_none_in_data(self, everything):
        result = validate_submission(everything, MultiDict({"members": "x", "name": "ok"}))
        assert not result.valid
        assert result.data["members"] is None
        assert result.data["name"] == "ok"

    def test_unknown_fields(self, everything):
        result = validate_submission(
            everything, MultiDict({"name": "A", "is_admin": "1", "part": "x", "csrf_token": "t"})
        )
        assert result.errors == {
            "is_admin": ["Trường không có trong biểu mẫu."],
            "part": ["Trường không có trong biểu mẫu."],
        }
        assert not result.valid
        english = validate_submission(everything, MultiDict({"is_admin": "1"}), locale="en")
        assert english.errors == {"is_admin": ["This field is not part of the form."]}

    def test_unknown_fields_can_be_allowed_or_ignored(self, everything):
        data = MultiDict({"name": "A", "submit": "Gửi", "csrf_token": "t"})
        assert validate_submission(everything, data, reject_unknown=False).valid
        assert validate_submission(everything, data, ignore=("submit",)).valid
        assert validate_submission(everything, data, ignore=("csrf_token", "submit")).valid
        assert not validate_submission(everything, data).valid

    def test_accepts_werkzeug_multidict_and_plain_mapping(self, everything):
        werkzeug = WerkzeugMultiDict([("tags", "a"), ("members", "2"), ("proof", "3"), ("proof", "4")])
        result = validate_submission(everything, werkzeug, evidence_ids={3, 4})
        assert result.valid, result.errors
        assert (result.data["tags"], result.data["members"], result.data["proof"]) == (["a"], 2, [3, 4])
        mapping = validate_submission(everything, {"members": "2", "proof": ["3", "4"]}, evidence_ids={3, 4})
        assert mapping.data == result.data | {"tags": None}


class TestRequiredIf:
    def test_commune_accept_requires_scores(self, shipped):
        definition = shipped["commune_scoring"]
        result = validate_submission(definition, MultiDict({"decision": "accept", "c1a": "8"}))
        assert set(result.errors) == set(SCORES) - {"c1a"}
        assert result.errors["c4b"] == ["Vui lòng nhập trường này."]
        full = validate_submission(
            definition, MultiDict({"decision": "accept", **dict.fromkeys(SCORES, "8")})
        )
        assert full.valid
        assert full.data["comment"] is None

    def test_commune_return_requires_comment_only(self, shipped):
        definition = shipped["commune_scoring"]
        result = validate_submission(definition, MultiDict({"decision": "return_to_household"}))
        assert result.errors == {"comment": ["Vui lòng nhập trường này."]}
        ok = validate_submission(
            definition, MultiDict({"decision": "return_to_household", "comment": "Thiếu ảnh góc học tập"})
        )
        assert ok.valid
        assert ok.data["c1a"] is None

    def test_values_still_checked_when_not_required(self, shipped):
        definition = shipped["commune_scoring"]
        result = validate_submission(
            definition, MultiDict({"decision": "return_to_household", "comment": "x", "c1a": "12"})
        )
        assert result.errors == {"c1a": ["Giá trị phải từ 0 đến 10."]}

    def test_without_decision(self, shipped):
        result = validate_submission(shipped["commune_scoring"], MultiDict())
        assert result.errors == {"decision": ["Vui lòng chọn một phương án."]}

    def test_district_reason(self, shipped):
        definition = shipped["district_verification"]
        for decision in ("return_to_commune", "reject"):
            errors = validate_submission(definition, MultiDict({"decision": decision}), locale="en").errors
            assert errors == {"reason": ["This field is required."]}
        assert validate_submission(definition, MultiDict({"decision": "approve"})).valid

    def test_yesno_and_multichoice_conditions(self, make_form):
        definition = make_form(
            {"name": "has_debt", "type": "yesno", "label": "Có nợ?"},
            {
                "name": "debt",
                "type": "decimal",
                "label": "Số nợ",
                "required_if": {"field": "has_debt", "in": ["yes"]},
            },
            {
                "name": "kinds",
                "type": "multichoice",
                "label": "Loại",
                "choices": [{"value": "bank", "label": "Ngân hàng"}, {"value": "kin", "label": "Người thân"}],
            },
            {
                "name": "bank",
                "type": "text",
                "label": "Ngân hàng",
                "required_if": {"field": "kinds", "in": ["bank"]},
            },
        )
        assert validate_submission(definition, MultiDict({"has_debt": "yes"})).errors == {
            "debt": ["Vui lòng nhập trường này."]
        }
        assert validate_submission(definition, MultiDict({"has_debt": "no"})).valid
        assert validate_submission(definition, MultiDict({"kinds": ["kin", "bank"]})).errors == {
            "bank": ["Vui lòng nhập trường này."]
        }
        assert validate_submission(definition, MultiDict({"kinds": ["kin"]})).valid


class TestShippedForms:
    def test_self_report(self, shipped):
        definition = shipped["self_report"]
        values = {**dict.fromkeys(SCORES, "9"), "evidence_c1": "11,12", "note": "Gia đình năm người"}
        result = validate_submission(definition, MultiDict(values), evidence_ids={11, 12})
        assert result.valid, result.errors
        assert result.data["evidence_c1"] == [11, 12]
        assert result.data["evidence_c2"] is None
        missing = validate_submission(definition, MultiDict())
        assert set(missing.errors) == set(SCORES)

    def test_city_commendation(self, shipped):
        definition = shipped["city_commendation"]
        good = {
            "decision": "approve",
            "decision_number": "125/QĐ-UBND",
            "decision_date": "20/11/2025",
            "signer": "Trần Văn C",
        }
        result = validate_submission(definition, MultiDict(good))
        assert result.valid
        assert result.data["decision_date"] == "2025-11-20"
        bad = validate_submission(
            definition,
            MultiDict(
                {
                    **good,
                    "decision": "giay_khen",
                    "decision_number": "x" * 51,
                    "decision_date": "20-11-2025",
                }
            ),
        )
        assert bad.errors == {
            "decision": ["Lựa chọn không hợp lệ."],
            "decision_number": ["Tối đa 50 ký tự (đã nhập 51)."],
            "decision_date": ["Không đúng định dạng ngày (dd/mm/yyyy hoặc yyyy-mm-dd)."],
        }


class TestFormdataFromJson:
    def test_converts_json_values(self, everything):
        payload = {
            "name": "A",
            "members": 4,
            "income": 12.5,
            "since": "2020-02-01",
            "tags": ["a"],
            "agree": True,
            "proof": [3, 4],
            "points": 8.0,
            "story": None,
        }
        formdata, errors = formdata_from_json(everything, payload)
        assert errors == {}
        assert formdata.lists() == [
            ("name", ["A"]),
            ("members", ["4"]),
            ("income", ["12.5"]),
            ("since", ["2020-02-01"]),
            ("tags", ["a"]),
            ("agree", ["yes"]),
            ("proof", ["3", "4"]),
            ("points", ["8"]),
        ]
        result = validate_submission(everything, formdata, evidence_ids={3, 4})
        assert result.valid
        assert result.data["agree"] is True
        assert result.data["points"] == 8

    def test_false_means_no(self, everything):
        formdata, _ = formdata_from_json(everything, {"agree": False})
        assert validate_submission(everything, formdata).data["agree"] is False

    @pytest.mark.parametrize(
        ("payload", "expected"),
        [
            ({"members": True}, {"members": ["Phải là số."]}),
            ({"members": {"value": 4}}, {"members": ["Phải là số."]}),
            ({"income": [1.5]}, {"income": ["Phải là số."]}),
            ({"points": False}, {"points": ["Phải là số."]}),
            ({"name": ["A"]}, {"name": ["Phải là chuỗi ký tự."]}),
            ({"name": False}, {"name": ["Phải là chuỗi ký tự."]}),
            ({"area": 1}, {"area": ["Phải là chuỗi ký tự."]}),
            ({"since": 20200201}, {"since": ["Phải là chuỗi ký tự."]}),
            ({"agree": 1}, {"agree": ["Phải là true hoặc false."]}),
            ({"tags": "a"}, {"tags": ["Phải là danh sách các chuỗi ký tự."]}),
            ({"tags": [1]}, {"tags": ["Phải là danh sách các chuỗi ký tự."]}),
            ({"proof": "3,4"}, {"proof": ["Phải là danh sách mã minh chứng (số nguyên)."]}),
            ({"proof": 3}, {"proof": ["Phải là danh sách mã minh chứng (số nguyên)."]}),
            ({"proof": [True]}, {"proof": ["Phải là danh sách mã minh chứng (số nguyên)."]}),
            ({"proof": ["3"]}, {"proof": ["Phải là danh sách mã minh chứng (số nguyên)."]}),
        ],
    )
    def test_type_errors(self, everything, payload, expected):
        formdata, errors = formdata_from_json(everything, payload)
        assert errors == expected
        assert list(formdata) == []

    def test_type_errors_in_english(self, everything):
        _, errors = formdata_from_json(everything, {"members": "4", "proof": "3", "agree": "x"}, locale="en")
        assert errors == {
            "members": ["Must be a number."],
            "proof": ["Must be a list of evidence ids (integers)."],
            "agree": ["Must be true or false."],
        }

    @pytest.mark.parametrize(
        ("payload", "expected"),
        [
            ({"members": "10"}, {"members": ["Phải là số."]}),
            ({"income": "12.5"}, {"income": ["Phải là số."]}),
            ({"points": "8"}, {"points": ["Phải là số."]}),
            ({"agree": "yes"}, {"agree": ["Phải là true hoặc false."]}),
            ({"name": 7}, {"name": ["Phải là chuỗi ký tự."]}),
        ],
    )
    def test_json_types_are_strict(self, everything, payload, expected):
        """What a web form posts as strings, the API takes in the JSON type of the clean value."""
        formdata, errors = formdata_from_json(everything, payload)
        assert (errors, list(formdata)) == (expected, [])

    def test_strings_are_left_to_form_validation(self, everything):
        formdata, errors = formdata_from_json(everything, {"name": "bốn", "since": "mai"})
        assert errors == {}
        assert validate_submission(everything, formdata).errors == {
            "since": ["Không đúng định dạng ngày (dd/mm/yyyy hoặc yyyy-mm-dd)."]
        }

    def test_unknown_keys_pass_through(self, everything):
        formdata, errors = formdata_from_json(everything, {"is_admin": True, "roles": ["admin"], "part": {}})
        assert errors == {}
        assert validate_submission(everything, formdata).errors == {
            "is_admin": ["Trường không có trong biểu mẫu."],
            "roles": ["Trường không có trong biểu mẫu."],
            "part": ["Trường không có trong biểu mẫu."],
        }

    @pytest.mark.parametrize("payload", [[1, 2], "text", None])
    def test_payload_must_be_an_object(self, everything, payload):
        formdata, errors = formdata_from_json(everything, payload)
        assert errors == {"_payload": ["Dữ liệu gửi lên phải là một đối tượng JSON."]}
        assert len(formdata) == 0

    def test_commune_api_round_trip(self, shipped):
        definition = shipped["commune_scoring"]
        payload = {"decision": "accept", **dict.fromkeys(SCORES, 9)}
        formdata, errors = formdata_from_json(definition, payload)
        assert errors == {}
        result = validate_submission(definition, formdata)
        assert result.valid
        assert sum(result.data[name] for name in SCORES) == 90


class TestMultiDict:
    def test_interface(self):
        data = MultiDict([("a", "1"), ("b", 2), ("a", "3")])
        assert data.getlist("a") == ["1", "3"]
        assert data.getlist("missing") == []
        assert data["a"] == "1"
        assert data.get("b") == "2"
        assert data.get("missing", "x") == "x"
        assert "a" in data
        assert list(data) == data.keys() == ["a", "b"]
        assert len(data) == 2
        data.setlist("a", [9])
        data.add("c", "z")
        assert data.lists() == [("a", ["9"]), ("b", ["2"]), ("c", ["z"])]
        assert data == MultiDict({"a": 9, "b": "2", "c": ["z"]})
        with pytest.raises(KeyError):
            data["missing"]
        data.getlist("a").append("mutation")
        assert data.getlist("a") == ["9"]
        assert repr(MultiDict({"k": "v"})) == "MultiDict([('k', ['v'])])"


def test_importing_forms_does_not_import_flask():
    code = (
        "import sys, forms; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'flask_wtf', 'werkzeug'}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert output == "[]"

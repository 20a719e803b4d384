import hashlib
import json

import pytest

from forms import FormDefinition, FormDefinitionError, load_form_definition, load_form_file


def scored(**scoring_overrides):
    """A valid scored definition; tests break one thing at a time."""
    raw = {
        "key": "mini_score",
        "title": {"vi": "Chấm điểm thử", "en": "Trial scoring"},
        "fields": [
            {"name": "intro", "type": "heading", "label": "Tiêu chí 1"},
            {"name": "a1", "type": "score", "label": "Mục 1", "max_points": 10, "criterion": "c1"},
            {"name": "a2", "type": "score", "label": "Mục 2", "max_points": 5, "criterion": "c1"},
        ],
        "scoring": {
            "criteria": [{"key": "c1", "label": "Tiêu chí 1", "max_points": 15}],
            "pass_total": 10,
            "criterion_floor_ratio": 0.5,
            "outputs": {"total": "score", "passed": "score_passed"},
        },
    }
    raw["scoring"].update(scoring_overrides)
    return raw


def errors_of(raw):
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(raw)
    return caught.value.errors


def one_field(**field):
    return {"key": "sample", "title": "Mẫu", "fields": [{"name": "f", "label": "Trường", **field}]}


class TestShippedDefinitions:
    def test_all_four_load(self, shipped):
        assert set(shipped) == {
            "self_report",
            "commune_scoring",
            "district_verification",
            "city_commendation",
        }
        for stem, definition in shipped.items():
            assert definition.key == stem

    def test_scored_forms_share_the_learning_family_criteria(self, shipped):
        for key, outputs in (
            ("self_report", {"total": "self_score", "passed": "self_score_passed"}),
            ("commune_scoring", {"total": "score", "passed": "score_passed"}),
        ):
            scoring = shipped[key].scoring
            assert [(c.key, c.max_points) for c in scoring.criteria] == [
                ("c1", 30),
                ("c2", 30),
                ("c3", 20),
                ("c4", 20),
            ]
            assert scoring.max_total == 100
            assert scoring.pass_total == 80
            assert scoring.criterion_floor_ratio == 0.5
            assert dict(scoring.outputs) == outputs
            assert scoring.criteria[1].label() == "Học tập của người lớn trong gia đình"
            assert scoring.criteria[1].label("en") == "Adults' learning in the family"

    def test_self_report_layout(self, shipped):
        definition = shipped["self_report"]
        assert definition.title() == "Tự đánh giá Gia đình học tập"
        scores = [f for f in definition.fields if f.type == "score"]
        assert [f.name for f in scores] == [
            "c1a",
            "c1b",
            "c1c",
            "c2a",
            "c2b",
            "c2c",
            "c3a",
            "c3b",
            "c4a",
            "c4b",
        ]
        assert all(f.required and f.max_points == 10 for f in scores)
        assert (
            definition.field("c2b").label()
            == "Ít nhất 50% người lớn đạt danh hiệu Công dân học tập trong năm"
        )
        evidence = definition.field("evidence_c3")
        assert (evidence.type, evidence.criterion, evidence.required) == ("file", "c3", False)
        assert evidence.label() == "Minh chứng tiêu chí 3"
        note = definition.fields[-1]
        assert (note.name, note.type, note.max_length, note.required) == ("note", "textarea", 2000, False)
        assert len([f for f in definition.fields if f.type == "heading"]) == 4

    def test_commune_scoring_prefills_and_conditions(self, shipped):
        definition = shipped["commune_scoring"]
        assert definition.fields[0].name == "decision"
        assert definition.fields[0].choice_values == ("accept", "return_to_household")
        c4b = definition.field("c4b")
        assert c4b.prefill == ("self_report.c4b",)
        assert c4b.required_if.as_dict() == {"field": "decision", "in": ["accept"]}
        comment = definition.field("comment")
        assert comment.label() == "Ý kiến / nội dung cần bổ sung"
        assert comment.required_if.values == ("return_to_household",)

    def test_district_and_city(self, shipped):
        district = shipped["district_verification"]
        assert district.field("decision").choice_values == ("approve", "return_to_commune", "reject")
        assert district.field("reason").required_if.values == ("return_to_commune", "reject")
        city = shipped["city_commendation"]
        # The city step is the recognition decision; commendation is a separate decision, not a choice here.
        assert city.field("decision").choice_values == ("approve", "reject")
        assert [(f.name, f.type, f.required) for f in city.value_fields] == [
            ("decision", "choice", True),
            ("decision_number", "text", False),
            ("decision_date", "date", False),
            ("signer", "text", False),
            ("reason", "textarea", False),
            ("note", "textarea", False),
        ]
        assert city.field("decision_number").required_if.values == ("approve",)
        assert city.field("reason").required_if.values == ("reject",)
        assert city.field("decision_number").max_length == 50
        assert city.field("signer").max_length == 120

    def test_every_label_has_english(self, shipped):
        for definition in shipped.values():
            assert definition.title("en") != definition.title("vi")
            for field in definition.fields:
                assert field.label("en") != field.label("vi"), field.name


class TestModel:
    def test_accessors(self):
        definition = load_form_definition(scored())
        assert isinstance(definition, FormDefinition)
        assert definition.title() == "Chấm điểm thử"
        assert definition.title("en") == "Trial scoring"
        assert definition.title("en_US") == "Trial scoring"
        assert definition.title("fr") == "Chấm điểm thử"
        assert [f.name for f in definition.fields] == ["intro", "a1", "a2"]
        assert [f.name for f in definition.value_fields] == ["a1", "a2"]
        assert definition.field("a2").max_points == 5
        assert (definition.field("a1").min, definition.field("a1").max) == (0, 10)
        with pytest.raises(KeyError):
            definition.field("missing")

    def test_immutable(self):
        definition = load_form_definition(scored())
        with pytest.raises(AttributeError):
            definition.key = "other"
        with pytest.raises(AttributeError):
            definition.fields[0].name = "other"

    def test_raw_and_sha256(self):
        raw = scored()
        definition = load_form_definition(raw)
        assert definition.raw == raw
        raw["title"] = "changed afterwards"
        assert definition.raw["title"] != "changed afterwards"
        canonical = json.dumps(scored(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert definition.sha256 == hashlib.sha256(canonical.encode()).hexdigest()

    def test_loads_json_text_and_bytes(self):
        text = json.dumps(scored(), ensure_ascii=False, indent=2)
        from_text = load_form_definition(text)
        from_bytes = load_form_definition(text.encode("utf-8"))
        assert from_text.sha256 == from_bytes.sha256 == load_form_definition(scored()).sha256
        assert from_text == from_bytes
        assert hash(from_text) == hash(from_bytes)

    @pytest.mark.parametrize("bad", ['{"key": ', b"\xff\xfe", "[1, 2]", "null"])
    def test_malformed_json(self, bad):
        with pytest.raises(FormDefinitionError) as caught:
            load_form_definition(bad)
        assert len(caught.value.errors) == 1
        assert isinstance(caught.value, ValueError)

    def test_load_form_file_prefixes_path(self, tmp_path):
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(one_field(type="nonsense")), encoding="utf-8")
        with pytest.raises(FormDefinitionError) as caught:
            load_form_file(path)
        assert caught.value.errors[0].startswith(f"{path}: fields[0].type")

    def test_to_api(self):
        definition = load_form_definition(
            {
                "key": "api",
                "title": {"vi": "Biểu mẫu", "en": "Form"},
                "fields": [
                    {"name": "part", "type": "heading", "label": {"vi": "Phần 1", "en": "Part 1"}},
                    {
                        "name": "decision",
                        "type": "choice",
                        "label": "Quyết định",
                        "required": True,
                        "choices": [{"value": "ok", "label": {"vi": "Đồng ý", "en": "Agree"}}],
                    },
                    {"name": "when", "type": "date", "label": "Ngày", "min": "2024-01-01", "help": "Ngày ký"},
                    {"name": "agree", "type": "yesno", "label": "Đồng ý?"},
                ],
            }
        )
        api = definition.to_api("en")
        json.dumps(api)
        assert api["key"] == "api"
        assert api["title"] == "Form"
        heading, decision, when, agree = api["fields"]
        assert heading["type"] == "heading"
        assert heading["label"] == "Part 1"
        assert decision["choices"] == [{"value": "ok", "label": "Agree"}]
        assert decision["required"] is True
        assert when["min"] == "2024-01-01"
        assert when["max"] is None
        assert when["help"] == "Ngày ký"
        assert when["choices"] is None
        assert agree["choices"] == [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
        for field in api["fields"]:
            assert {
                "name",
                "type",
                "label",
                "required",
                "min",
                "max",
                "choices",
                "max_points",
                "criterion",
                "help",
            } <= set(field)

    def test_score_field_to_api(self, shipped):
        field = shipped["commune_scoring"].to_api()["fields"][2]
        assert field["name"] == "c1a"
        assert (field["min"], field["max"], field["max_points"], field["criterion"]) == (0, 10, 10, "c1")
        assert field["required_if"] == {"field": "decision", "in": ["accept"]}


class TestRejectedDefinitions:
    def test_collects_every_problem(self):
        raw = {
            "key": "Bad Key",
            "title": "",
            "extra": 1,
            "fields": [
                {"name": "a", "type": "text", "label": "A", "colour": "red"},
                {"name": "a", "type": "widget", "label": "A"},
                {"name": "n", "type": "integer", "label": "N", "min": 5, "max": 1},
            ],
        }
        errors = errors_of(raw)
        assert errors == [
            "extra: khóa không được hỗ trợ.",
            "key: phải ở dạng snake_case (chữ thường, chữ số, dấu gạch dưới; bắt đầu bằng chữ cái).",
            'title: phải là chuỗi khác rỗng hoặc đối tượng {"vi": "...", "en": "..."} có khóa "vi".',
            'fields[0].colour: khóa không được hỗ trợ cho trường kiểu "text".',
            'fields[1].name: tên trường "a" bị trùng với fields[0].',
            "fields[1].type: kiểu trường không hợp lệ 'widget'; các kiểu hợp lệ: text, textarea, integer, "
            "decimal, date, choice, multichoice, yesno, file, score, heading, computed, derived, group, "
            "note.",
            "fields[2].min: min (5) lớn hơn max (1).",
        ]
        message = str(FormDefinitionError(errors))
        assert message.startswith("Định nghĩa biểu mẫu không hợp lệ:\n- extra:")

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (
                {"title": "T", "fields": [{"name": "a", "type": "text", "label": "A"}]},
                "key: bắt buộc phải có.",
            ),
            ({"key": "k", "title": "T", "fields": []}, "fields: phải là danh sách trường không rỗng."),
            (
                one_field(type="text", label={"en": "Only English"}),
                "fields[0].label: phải là chuỗi khác rỗng",
            ),
            (
                one_field(type="text", pattern="(unclosed"),
                "fields[0].pattern: biểu thức chính quy không hợp lệ",
            ),
            (
                one_field(type="text", min_length=10, max_length=5),
                "fields[0].min_length: min_length (10) lớn hơn",
            ),
            (one_field(type="text", max_length=0), "fields[0].max_length: phải là số nguyên dương."),
            (
                one_field(type="text", pattern_message="Sai"),
                'fields[0].pattern_message: chỉ dùng khi có "pattern".',
            ),
            (one_field(type="text", required="yes"), "fields[0].required: phải là true hoặc false."),
            (one_field(type="decimal", min=2.5, max=1), "fields[0].min: min (2.5) lớn hơn max (1)."),
            (one_field(type="integer", min=1.5), "fields[0].min: phải là số nguyên."),
            (
                one_field(type="date", min="2025-02-01", max="2025-01-01"),
                "fields[0].min: min (2025-02-01) lớn hơn",
            ),
            (one_field(type="date", max="01/02/2025"), "fields[0].max: phải là ngày dạng YYYY-MM-DD."),
            (one_field(type="choice"), 'fields[0].choices: bắt buộc với trường kiểu "choice".'),
            (
                one_field(type="multichoice", choices=[]),
                "fields[0].choices: phải là danh sách lựa chọn không rỗng.",
            ),
            (
                one_field(
                    type="choice", choices=[{"value": "x", "label": "X"}, {"value": "x", "label": "Y"}]
                ),
                'fields[0].choices[1].value: giá trị "x" bị trùng.',
            ),
            (
                one_field(type="choice", choices=[{"value": "x"}]),
                "fields[0].choices[0].label: bắt buộc phải có.",
            ),
            (
                one_field(type="multichoice", choices=[{"value": "x", "label": "X"}], min_items=2),
                "fields[0].min_items: lớn hơn số lựa chọn hiện có (1).",
            ),
            (
                one_field(type="yesno", choices=[]),
                'fields[0].choices: khóa không được hỗ trợ cho trường kiểu "yesno".',
            ),
            (
                one_field(type="score", criterion="c1"),
                'fields[0].max_points: bắt buộc với trường kiểu "score".',
            ),
            (one_field(type="score", max_points=0), "fields[0].max_points: phải là số nguyên dương."),
            (one_field(type="score", max_points=5), 'fields[0].criterion: bắt buộc với trường kiểu "score".'),
            (
                one_field(type="score", max_points=5, criterion="c9"),
                "fields[0].criterion: tiêu chí 'c9' chưa được khai báo trong scoring.criteria.",
            ),
            (one_field(type="file", criterion="c1"), "fields[0].criterion: tiêu chí 'c1' chưa được khai báo"),
            (one_field(type="file", max_files=0), "fields[0].max_files: phải là số nguyên dương."),
            (
                one_field(type="file", default=[1]),
                'fields[0].default: trường kiểu "file" không có giá trị mặc định.',
            ),
            (
                one_field(type="heading", required=True),
                'fields[0].required: khóa không được hỗ trợ cho trường kiểu "heading"',
            ),
            (
                one_field(type="integer", default="3"),
                'fields[0].default: giá trị mặc định không hợp lệ cho trường kiểu "integer".',
            ),
            (one_field(type="integer", max=5, default=6), "fields[0].default: giá trị mặc định không hợp lệ"),
            (one_field(type="text", prefill=""), 'fields[0].prefill: phải là đường dẫn dạng "a.b.c"'),
            (one_field(type="text", prefill=["a..b"]), 'fields[0].prefill: phải là đường dẫn dạng "a.b.c"'),
            (one_field(type="text", required_if={"field": "f"}), "fields[0].required_if: phải là đối tượng"),
            (
                one_field(type="text", required_if={"field": "ghost", "in": ["x"]}),
                'fields[0].required_if.field: không có trường "ghost" trong biểu mẫu.',
            ),
            (
                one_field(type="text", required_if={"field": "f", "in": ["x"]}),
                "fields[0].required_if.field: không được trỏ tới chính trường này.",
            ),
            (
                one_field(type="text", required=True, required_if={"field": "f", "in": ["x"]}),
                'fields[0].required_if: không dùng cùng "required": true.',
            ),
            (
                {"key": "k", "title": "T", "fields": [{"name": "data", "type": "text", "label": "D"}]},
                'fields[0].name: tên "data" trùng với tên dành riêng của biểu mẫu.',
            ),
            (
                {"key": "k", "title": "T", "fields": [{"name": "csrf_token", "type": "text", "label": "D"}]},
                'fields[0].name: tên "csrf_token" trùng với tên dành riêng của biểu mẫu.',
            ),
            (
                {"key": "k", "title": "T", "fields": [{"type": "text", "label": "D"}]},
                "fields[0].name: bắt buộc phải có.",
            ),
            ({"key": "k", "title": "T", "fields": ["text"]}, "fields[0]: phải là một đối tượng."),
        ],
    )
    def test_single_problem(self, raw, expected):
        errors = errors_of(raw)
        assert any(error.startswith(expected) for error in errors), errors

    def test_required_if_must_point_at_a_choice_field(self):
        raw = {
            "key": "k",
            "title": "T",
            "fields": [
                {"name": "other", "type": "text", "label": "O"},
                {"name": "pick", "type": "choice", "label": "P", "choices": [{"value": "a", "label": "A"}]},
                {"name": "f1", "type": "text", "label": "F", "required_if": {"field": "other", "in": ["x"]}},
                {"name": "f2", "type": "text", "label": "F", "required_if": {"field": "pick", "in": ["b"]}},
            ],
        }
        assert errors_of(raw) == [
            'fields[2].required_if.field: trường "other" phải có kiểu choice, multichoice hoặc yesno.',
            'fields[3].required_if.in: giá trị "b" không có trong các lựa chọn của trường "pick".',
        ]

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({"pass_total": 16}, "scoring.pass_total: 16 lớn hơn tổng điểm tối đa (15)."),
            ({"pass_total": -1}, "scoring.pass_total: phải là số nguyên không âm."),
            ({"criterion_floor_ratio": 1.5}, "scoring.criterion_floor_ratio: phải là số từ 0 đến 1."),
            ({"outputs": {"sum": "x"}}, "scoring.outputs.sum: khóa không được hỗ trợ"),
            ({"outputs": {"total": "not a name"}}, "scoring.outputs.total: phải là tên biến hợp lệ"),
            ({"criteria": []}, "scoring.criteria: phải là danh sách tiêu chí không rỗng."),
            ({"weights": {}}, "scoring.weights: khóa không được hỗ trợ."),
            (
                {"criteria": [{"key": "c1", "label": "T", "max_points": 20}]},
                "scoring.criteria[0].max_points: 20 khác tổng max_points của các trường score thuộc "
                'tiêu chí "c1" (15).',
            ),
            (
                {
                    "criteria": [
                        {"key": "c1", "label": "T", "max_points": 15},
                        {"key": "c2", "label": "Trống", "max_points": 5},
                    ]
                },
                'scoring.criteria[1]: tiêu chí "c2" không có trường score nào.',
            ),
            (
                {
                    "criteria": [
                        {"key": "c1", "label": "T", "max_points": 15},
                        {"key": "c1", "label": "T", "max_points": 1},
                    ]
                },
                'scoring.criteria[1].key: tiêu chí "c1" bị trùng.',
            ),
        ],
    )
    def test_scoring_problems(self, overrides, expected):
        errors = errors_of(scored(**overrides))
        assert any(error.startswith(expected) for error in errors), errors

    def test_scoring_requires_pass_total(self):
        raw = scored()
        del raw["scoring"]["pass_total"]
        assert errors_of(raw) == ["scoring.pass_total: bắt buộc phải có."]

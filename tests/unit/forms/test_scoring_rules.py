"""The scoring rules at their edges (domain.md §5): one point below and at each mark.

* threshold, Công dân học tập (QĐ 324): ≥ 80 of 100 and no indicator below 5;
* threshold, Gia đình học tập: ≥ 80, no criterion below half (or below its own floor), knock-outs;
* bands, Thông tư 22/2020: Tốt 85–100, Khá 70–< 85, Trung bình 50–< 70;
* levels, Thông tư 24/2023 and 25/2023: Mức độ 1 / 2, every indicator met.
"""

import copy

import pytest

from forms import FormDefinitionError, MultiDict, load_form_definition, score_submission, validate_submission


def score_field(name, criterion, max_points=10, **extra):
    return {
        "name": name,
        "type": "score",
        "label": name.upper(),
        "max_points": max_points,
        "criterion": criterion,
        **extra,
    }


def criterion(key, max_points=None, **extra):
    item = {"key": key, "label": {"vi": f"Tiêu chí {key}", "en": f"Criterion {key}"}, **extra}
    if max_points is not None:
        item["max_points"] = max_points
    return item


def form(fields, scoring):
    return {"key": "sample", "title": "Mẫu", "fields": fields, "scoring": scoring}


def spread(names, total, max_points=10):
    """``total`` points over ``names`` (each at most ``max_points``), filled in order."""
    data = {}
    for name in names:
        data[name] = min(max_points, total)
        total -= data[name]
    assert total == 0
    return data


# ------------------------------------------------------------------------- threshold: Công dân học tập

CDHT_ITEMS = [f"i{n}" for n in range(1, 11)]
CDHT = form(
    [
        score_field(name, "c1" if n <= 4 else "c2" if n <= 8 else "c3", floor=5)
        for n, name in enumerate(CDHT_ITEMS, 1)
    ],
    {
        "criteria": [criterion("c1", 40), criterion("c2", 40), criterion("c3", 20, reconstructed=True)],
        "rule": {"kind": "threshold", "pass_total": 80},
        "outputs": {"total": "score", "passed": "score_passed", "rating": "rating"},
    },
)


@pytest.fixture(scope="module")
def cdht():
    return load_form_definition(CDHT)


@pytest.mark.parametrize(("total", "passed"), [(79, False), (80, True)])
def test_threshold_pass_total(cdht, total, passed):
    data = dict.fromkeys(CDHT_ITEMS, 8)
    data["i10"] = total - 72
    result = score_submission(cdht, data)
    assert (result.total, result.passed, result.meets_pass_total, result.floors_met) == (
        total,
        passed,
        passed,
        True,
    )
    assert result.rating == ("dat" if passed else "khong_dat")
    assert result.outputs(cdht) == {"score": total, "score_passed": passed, "rating": result.rating}
    assert result.shortfalls == (
        () if passed else ("Tổng điểm 79/100, thấp hơn mức 80 điểm để được công nhận.",)
    )


@pytest.mark.parametrize(("points", "passed"), [(4, False), (5, True)])
def test_item_floor(cdht, points, passed):
    result = score_submission(cdht, {**dict.fromkeys(CDHT_ITEMS, 10), "i3": points})
    assert result.total == 90 + points
    assert result.meets_pass_total
    assert (result.passed, result.floors_met) == (passed, passed)
    item = next(item for item in result.items if item.name == "i3")
    assert (item.points, item.max_points, item.floor, item.met) == (points, 10, 5, passed)
    if not passed:
        assert result.shortfalls == ("Nội dung “I3” đạt 4/10 điểm, thấp hơn mức tối thiểu 5 điểm.",)
        english = score_submission(cdht, {**dict.fromkeys(CDHT_ITEMS, 10), "i3": points}, locale="en")
        assert english.shortfalls == ("“I3” scored 4/10, below its minimum of 5 points.",)


def test_an_unanswered_item_is_zero_and_below_its_floor(cdht):
    result = score_submission(cdht, {**dict.fromkeys(CDHT_ITEMS, 10), "i10": None})
    assert (result.total, result.passed) == (90, False)


# ------------------------------------------------------------------------- threshold: Gia đình học tập

GDHT = form(
    [
        score_field("c1a", "c1"),
        score_field("c1b", "c1"),
        score_field("c1c", "c1"),
        score_field("c2a", "c2"),
        score_field("c2b", "c2"),
        score_field("c2c", "c2"),
        score_field("c3a", "c3", 20),
        score_field("c4a", "c4", 20),
        {"name": "vi_pham", "type": "yesno", "label": "Có thành viên vi phạm pháp luật"},
        {"name": "c1_files", "type": "file", "label": "Minh chứng tiêu chí 1", "criterion": "c1"},
    ],
    {
        "criteria": [
            criterion("c1", 30, evidence_required=True),
            criterion("c2", 30, floor=20),
            criterion("c3", 20),
            criterion("c4", 20),
        ],
        "pass_total": 80,
        "criterion_floor_ratio": 0.5,
        "knockouts": [
            {
                "field": "c1a",
                "in": [0],
                "message": {
                    "vi": "Gia đình có trẻ em trong độ tuổi đi học không đến trường.",
                    "en": "A school-age child of the family is out of school.",
                },
            },
            {
                "field": "vi_pham",
                "in": [True],
                "message": {
                    "vi": "Gia đình có thành viên vi phạm pháp luật.",
                    "en": "A member of the family broke the law.",
                },
            },
        ],
        "outputs": {"total": "score", "passed": "score_passed"},
    },
)
GDHT_FULL = {
    "c1a": 10,
    "c1b": 10,
    "c1c": 10,
    "c2a": 10,
    "c2b": 10,
    "c2c": 10,
    "c3a": 20,
    "c4a": 20,
    "vi_pham": False,
}


@pytest.fixture(scope="module")
def gdht():
    return load_form_definition(GDHT)


def test_full_marks_without_knockout_pass(gdht):
    result = score_submission(gdht, GDHT_FULL)
    assert (result.total, result.passed, result.rating, result.knockouts, result.shortfalls) == (
        100,
        True,
        "dat",
        (),
        (),
    )


@pytest.mark.parametrize(("points", "passed"), [(14, False), (15, True)])
def test_ratio_floor_missed_by_one_point_and_met_exactly(gdht, points, passed):
    # 14 = 10 + 4 + 0: c1a keeps its points, so the knock-out on it stays out of the way.
    result = score_submission(gdht, {**GDHT_FULL, **spread(["c1a", "c1b", "c1c"], points)})
    assert result.criteria[0].floor == 15
    assert (result.criteria[0].met, result.passed) == (passed, passed)
    assert result.total == 70 + points
    expected = "Tiêu chí 1 (Tiêu chí c1) đạt 14/30 điểm, thấp hơn 50% điểm tối đa."
    assert result.meets_pass_total
    assert result.shortfalls == (() if passed else (expected,))


@pytest.mark.parametrize(("points", "passed"), [(19, False), (20, True)])
def test_absolute_floor_overrides_the_ratio(gdht, points, passed):
    result = score_submission(gdht, {**GDHT_FULL, **spread(["c2a", "c2b", "c2c"], points)})
    assert result.criteria[1].floor == 20
    assert (result.criteria[1].met, result.passed, result.floors_met) == (passed, passed, passed)
    if not passed:
        assert result.shortfalls == (
            "Tiêu chí 2 (Tiêu chí c2) đạt 19/30 điểm, thấp hơn mức tối thiểu 20 điểm.",
        )


def test_knockout_fails_with_100_points(gdht):
    result = score_submission(gdht, {**GDHT_FULL, "vi_pham": True})
    assert (result.total, result.meets_pass_total, result.floors_met) == (100, True, True)
    assert not result.passed
    assert result.rating == "khong_dat"
    assert [(hit.field, hit.value) for hit in result.knockouts] == [("vi_pham", True)]
    assert result.shortfalls == ("Gia đình có thành viên vi phạm pháp luật.",)
    assert result.outputs(gdht) == {"score": 100, "score_passed": False}
    english = score_submission(gdht, {**GDHT_FULL, "vi_pham": True}, locale="en")
    assert english.shortfalls == ("A member of the family broke the law.",)
    assert english.as_dict()["knockouts"] == [
        {"field": "vi_pham", "value": True, "message": "A member of the family broke the law."}
    ]


def test_knockout_on_points_comes_before_the_other_shortfalls(gdht):
    result = score_submission(gdht, {**GDHT_FULL, "c1a": 0})
    assert (result.total, result.meets_pass_total, result.passed) == (90, True, False)
    assert result.shortfalls == ("Gia đình có trẻ em trong độ tuổi đi học không đến trường.",)


def test_knockout_compares_booleans_strictly(gdht):
    # True == 1 in Python; 1 point must not hit a knock-out on "yes", nor "no" one on 0 points.
    result = score_submission(gdht, {**GDHT_FULL, "c1a": 1})
    assert result.knockouts == ()
    assert score_submission(gdht, {**GDHT_FULL, "vi_pham": None}).knockouts == ()


@pytest.mark.parametrize(
    ("c1_points", "files", "valid"),
    [("10", "", False), ("10", "7", True), ("0", "", True)],
)
def test_evidence_required_when_the_criterion_is_scored(gdht, c1_points, files, valid):
    # Points claimed on criterion 1 need evidence; 0 points claim nothing.
    posted = {name: str(value) for name, value in GDHT_FULL.items()}
    posted = {
        **posted,
        "vi_pham": "no",
        "c1a": c1_points,
        "c1b": c1_points,
        "c1c": c1_points,
        "c1_files": files,
    }
    submitted = validate_submission(gdht, MultiDict(posted), evidence_ids={7})
    assert submitted.valid is valid, submitted.errors
    if not valid:
        assert submitted.errors == {
            "c1_files": ["Tiêu chí 1 (Tiêu chí c1) có điểm nên cần ít nhất một minh chứng."]
        }


# ------------------------------------------------------------------------- bands: Thông tư 22/2020

TT22_ITEMS = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"]
TT22 = form(
    [
        *(score_field(name, "k1") for name in TT22_ITEMS[:3]),
        *(score_field(name, "k2") for name in TT22_ITEMS[3:6]),
    ]
    + [score_field("c1", "k3", 25), score_field("c2", "k3", 15)],
    {
        "criteria": [criterion("k1", 30), criterion("k2", 30), criterion("k3", 40)],
        "rule": {
            "kind": "bands",
            "bands": [
                {"code": "tot", "label": {"vi": "Tốt", "en": "Good"}, "min_total": 85},
                {"code": "kha", "label": {"vi": "Khá", "en": "Fair"}, "min_total": 70},
                {"code": "trung_binh", "label": {"vi": "Trung bình", "en": "Average"}, "min_total": 50},
            ],
            "pass_from": "trung_binh",
        },
        "outputs": {"total": "score", "passed": "score_passed", "rating": "rating"},
    },
)


def tt22_points(total):
    """``total`` with criterion 3 filled last, so that low totals leave it empty."""
    first = spread(TT22_ITEMS[:6], min(total, 60))
    rest = total - min(total, 60)
    return {**first, "c1": min(rest, 25), "c2": rest - min(rest, 25)}


@pytest.fixture(scope="module")
def tt22():
    return load_form_definition(TT22)


@pytest.mark.parametrize(
    ("total", "rating", "passed"),
    [
        (100, "tot", True),
        (85, "tot", True),
        (84, "kha", True),
        (70, "kha", True),
        (69, "trung_binh", True),
        (50, "trung_binh", True),
        (49, "khong_dat", False),
        (0, "khong_dat", False),
    ],
)
def test_bands(tt22, total, rating, passed):
    result = score_submission(tt22, tt22_points(total))
    assert (result.total, result.rating, result.passed) == (total, rating, passed)
    assert result.outputs(tt22) == {"score": total, "score_passed": passed, "rating": rating}
    if not passed:
        assert result.shortfalls[0] == f"Tổng điểm {total}/100, thấp hơn mức 50 điểm để được công nhận."


def test_band_labels(tt22):
    assert score_submission(tt22, tt22_points(85)).rating_label == "Tốt"
    assert score_submission(tt22, tt22_points(84), locale="en").rating_label == "Fair"
    assert score_submission(tt22, tt22_points(49)).rating_label == "Không đạt"


def test_bands_pass_from_a_higher_band():
    raw = copy.deepcopy(TT22)
    raw["scoring"]["rule"]["pass_from"] = "kha"
    definition = load_form_definition(raw)
    assert definition.scoring.pass_total == 70
    below = score_submission(definition, tt22_points(69))
    assert (below.rating, below.passed) == ("trung_binh", False)
    assert below.shortfalls == ("Tổng điểm 69/100, thấp hơn mức 70 điểm để được công nhận.",)
    assert score_submission(definition, tt22_points(70)).passed


def test_bands_a_missed_floor_or_a_knockout_is_not_achieved():
    raw = copy.deepcopy(TT22)
    raw["scoring"]["rule"]["criterion_floor_ratio"] = 0.5
    raw["scoring"]["knockouts"] = [{"field": "a1", "in": [0], "message": "Không có kế hoạch học tập."}]
    definition = load_form_definition(raw)
    floor_missed = score_submission(definition, {**tt22_points(100), "c1": 5, "c2": 14})
    assert (floor_missed.total, floor_missed.rating, floor_missed.passed) == (79, "khong_dat", False)
    assert floor_missed.shortfalls == ("Tiêu chí 3 (Tiêu chí k3) đạt 19/40 điểm, thấp hơn 50% điểm tối đa.",)
    knocked_out = score_submission(definition, {**tt22_points(100), "a1": 0})
    assert (knocked_out.total, knocked_out.rating, knocked_out.passed) == (90, "khong_dat", False)
    assert knocked_out.shortfalls == ("Không có kế hoạch học tập.",)


# ------------------------------------------------------------------------- levels: Thông tư 24/2023, 25/2023

LEVEL_CHOICES = [
    {"value": "muc_2", "label": "Đạt mức độ 2"},
    {"value": "muc_1", "label": "Đạt mức độ 1"},
    {"value": "chua_dat", "label": "Chưa đạt"},
]
TT25_INDICATORS = {"t1_1": "t1", "t1_2": "t1", "t2_1": "t2"}
TT25 = form(
    [
        {
            "name": name,
            "type": "choice",
            "label": f"Chỉ tiêu {name}",
            "choices": LEVEL_CHOICES,
            "criterion": key,
        }
        for name, key in TT25_INDICATORS.items()
    ]
    + [{"name": "ghi_chu", "type": "choice", "label": "Ghi chú", "choices": [{"value": "x", "label": "X"}]}],
    {
        "criteria": [criterion("t1"), criterion("t2")],
        "rule": {
            "kind": "levels",
            "levels": [
                {"code": "muc_1", "label": {"vi": "Mức độ 1", "en": "Level 1"}},
                {"code": "muc_2", "label": {"vi": "Mức độ 2", "en": "Level 2"}},
            ],
        },
        "outputs": {"passed": "recognised", "rating": "level"},
    },
)


@pytest.fixture(scope="module")
def tt25():
    return load_form_definition(TT25)


@pytest.mark.parametrize(
    ("answers", "rating", "passed"),
    [
        (["muc_2", "muc_2", "muc_2"], "muc_2", True),
        (["muc_2", "muc_1", "muc_2"], "muc_1", True),
        (["muc_1", "muc_1", "muc_1"], "muc_1", True),
        (["muc_2", "chua_dat", "muc_2"], "chua_dat", False),
        (["muc_2", "muc_2", None], "chua_dat", False),
    ],
)
def test_levels(tt25, answers, rating, passed):
    result = score_submission(tt25, dict(zip(TT25_INDICATORS, answers, strict=True)))
    assert (result.rating, result.passed, result.total, result.max_total) == (rating, passed, 0, 0)
    assert result.outputs(tt25) == {"recognised": passed, "level": rating}
    assert [item.met for item in result.items] == [answer in ("muc_1", "muc_2") for answer in answers]


def test_levels_shortfall_names_the_indicator(tt25):
    result = score_submission(tt25, {"t1_1": "muc_2", "t1_2": "chua_dat", "t2_1": "muc_1"})
    assert [c.met for c in result.criteria] == [False, True]
    assert result.shortfalls == ("Tiêu chí 1 (Tiêu chí t1): chỉ tiêu “Chỉ tiêu t1_2” chưa đạt Mức độ 1.",)
    english = score_submission(tt25, {"t1_1": "muc_2", "t1_2": "chua_dat", "t2_1": "muc_1"}, locale="en")
    assert english.shortfalls == (
        "Criterion 1 (Criterion t1): indicator “Chỉ tiêu t1_2” does not meet Level 1.",
    )
    assert english.rating_label == "Not met"


# ------------------------------------------------------------------------- the flat (old) format


@pytest.mark.parametrize("points", [10, 8, 7, 4, 0])
def test_old_format_scores_as_the_threshold_rule(shipped, points):
    old = shipped["commune_scoring"]
    raw = copy.deepcopy(old.raw)
    scoring = raw["scoring"]
    scoring["rule"] = {
        "kind": "threshold",
        "pass_total": scoring.pop("pass_total"),
        "criterion_floor_ratio": scoring.pop("criterion_floor_ratio"),
    }
    new = load_form_definition(raw)
    data = {field.name: points for field in old.value_fields if field.type == "score"}
    data["c2a"] = 2
    before, after = score_submission(old, data), score_submission(new, data)
    assert before.as_dict() == after.as_dict()
    assert before.outputs(old) == after.outputs(new) == {"score": before.total, "score_passed": before.passed}


def test_old_format_result_keeps_its_keys(shipped):
    result = score_submission(shipped["commune_scoring"], dict.fromkeys(["c1a", "c1b", "c1c"], 10)).as_dict()
    assert {
        "total",
        "max_total",
        "criteria",
        "floors_met",
        "meets_pass_total",
        "passed",
        "shortfalls",
    } <= result.keys()
    assert result["criteria"][0] == {
        "key": "c1",
        "label": "Học tập của trẻ em trong gia đình",
        "points": 30,
        "max_points": 30,
        "floor": 15,
        "met": True,
    }
    assert (result["rating"], result["knockouts"]) == ("khong_dat", [])


# ------------------------------------------------------------------------- refused at load time


def errors_of(raw):
    with pytest.raises(FormDefinitionError) as caught:
        load_form_definition(raw)
    return caught.value.errors


def changed(base, change):
    raw = copy.deepcopy(base)
    change(raw)
    return raw


def set_in(path, value):
    def change(raw):
        node = raw
        for token in path[:-1]:
            node = node[token]
        node[path[-1]] = value

    return change


def delete(path):
    def change(raw):
        node = raw
        for token in path[:-1]:
            node = node[token]
        del node[path[-1]]

    return change


KNOCKOUT = ("scoring", "knockouts", 0)


@pytest.mark.parametrize(
    ("base", "change", "expected"),
    [
        (
            CDHT,
            set_in(("scoring", "criteria", 1, "key"), "c1"),
            'scoring.criteria[1].key: tiêu chí "c1" bị trùng.',
        ),
        (
            CDHT,
            set_in(("scoring", "criteria", 0, "max_points"), 41),
            "scoring.criteria[0].max_points: 41 khác tổng max_points của các trường score thuộc "
            'tiêu chí "c1" (40).',
        ),
        (
            CDHT,
            delete(("scoring", "criteria", 0, "max_points")),
            'scoring.criteria[0].max_points: bắt buộc với quy tắc "threshold".',
        ),
        (
            GDHT,
            set_in(("scoring", "criteria", 1, "floor"), 31),
            "scoring.criteria[1].floor: floor (31) lớn hơn max_points (30).",
        ),
        (CDHT, set_in(("fields", 0, "floor"), 11), "fields[0].floor: floor (11) lớn hơn max_points (10)."),
        (
            CDHT,
            set_in(("scoring", "rule", "pass_total"), 101),
            "scoring.rule.pass_total: 101 lớn hơn tổng điểm tối đa (100).",
        ),
        (
            CDHT,
            set_in(("scoring", "pass_total"), 80),
            'scoring.pass_total: không dùng cùng "rule": đặt trong "rule".',
        ),
        (
            CDHT,
            set_in(("scoring", "rule", "kind"), "median"),
            "scoring.rule.kind: phải là một trong: threshold, bands, levels.",
        ),
        (
            TT22,
            set_in(("scoring", "rule", "bands", 1, "min_total"), 85),
            "scoring.rule.bands[1].min_total: 85 phải nhỏ hơn min_total của mức trước (85): "
            "các mức xếp từ cao xuống thấp.",
        ),
        (
            TT22,
            set_in(("scoring", "rule", "bands", 0, "min_total"), 101),
            "scoring.rule.bands[0].min_total: 101 lớn hơn tổng điểm tối đa (100).",
        ),
        (
            TT22,
            set_in(("scoring", "rule", "bands", 2, "min_total"), -1),
            "scoring.rule.bands[2].min_total: phải là số nguyên không âm.",
        ),
        (
            TT22,
            set_in(("scoring", "rule", "pass_from"), "xuat_sac"),
            'scoring.rule.pass_from: không có mức "xuat_sac" trong bands.',
        ),
        (
            TT22,
            delete(("scoring", "rule", "pass_from")),
            'scoring.rule.pass_from: bắt buộc với quy tắc "bands".',
        ),
        (
            TT22,
            set_in(("scoring", "rule", "bands", 2, "code"), "khong_dat"),
            'scoring.rule.bands[2].code: "khong_dat" là kết quả khi không đạt mức nào, không dùng làm mã.',
        ),
        (
            TT22,
            set_in(("scoring", "rule", "bands", 1, "code"), "tot"),
            'scoring.rule.bands[1].code: mã "tot" bị trùng.',
        ),
        (
            TT22,
            set_in(("scoring", "rule", "levels"), []),
            'scoring.rule.levels: khóa không được hỗ trợ với quy tắc "bands".',
        ),
        (
            TT25,
            set_in(("fields", 1, "choices"), LEVEL_CHOICES[1:]),
            'fields[1].choices: thiếu mức "muc_2" của scoring.rule.levels.',
        ),
        (
            TT25,
            set_in(("scoring", "rule", "levels", 0, "code"), "chua_dat"),
            'scoring.rule.levels[0].code: "chua_dat" là kết quả khi không đạt mức nào, không dùng làm mã.',
        ),
        (
            TT25,
            set_in(("scoring", "criteria", 0, "max_points"), 10),
            'scoring.criteria[0].max_points: không dùng với quy tắc "levels" (không tính điểm).',
        ),
        (
            TT25,
            set_in(("scoring", "outputs", "total"), "score"),
            'scoring.outputs.total: quy tắc "levels" không tính điểm.',
        ),
        (
            TT25,
            set_in(("fields", 2, "criterion"), "t1"),
            'scoring.criteria[1]: tiêu chí "t2" không có chỉ tiêu nào (trường choice có "criterion": "t2").',
        ),
        (
            TT25,
            set_in(("fields", 3), score_field("diem", "t1")),
            'fields[3].type: trường score không dùng với quy tắc "levels".',
        ),
        (
            TT25,
            set_in(("scoring", "rule", "pass_total"), 1),
            'scoring.rule.pass_total: khóa không được hỗ trợ với quy tắc "levels".',
        ),
        (
            GDHT,
            set_in((*KNOCKOUT, "field"), "ghost"),
            'scoring.knockouts[0].field: không có trường "ghost" trong biểu mẫu.',
        ),
        (
            GDHT,
            set_in((*KNOCKOUT, "in"), [0, 11]),
            'scoring.knockouts[0].in[1]: 11 không phải giá trị hợp lệ của trường "c1a".',
        ),
        (
            GDHT,
            set_in((*KNOCKOUT, "in"), [True]),
            'scoring.knockouts[0].in[0]: true không phải giá trị hợp lệ của trường "c1a".',
        ),
        (
            GDHT,
            set_in((*KNOCKOUT, "field"), "c1_files"),
            'scoring.knockouts[0].field: trường "c1_files" (kiểu file) không có một giá trị để so.',
        ),
        (GDHT, delete((*KNOCKOUT, "message")), "scoring.knockouts[0].message: bắt buộc phải có."),
        (
            TT25,
            set_in(("scoring", "knockouts"), [{"field": "t1_1", "in": ["muc_3"], "message": "M"}]),
            'scoring.knockouts[0].in[0]: "muc_3" không phải giá trị hợp lệ của trường "t1_1".',
        ),
        (
            GDHT,
            delete(("fields", 9)),
            'scoring.criteria[0].evidence_required: tiêu chí "c1" không có trường file nào nhận minh chứng.',
        ),
    ],
)
def test_refused_with_its_path(base, change, expected):
    errors = errors_of(changed(base, change))
    assert expected in errors, errors


def test_the_sample_forms_load():
    for raw in (CDHT, GDHT, TT22, TT25):
        load_form_definition(raw)

"""Every field of a score result, as stored with the submission and shown on the dossier page.

The rule tests (test_scoring_rules.py) look at the outcome: total, passed, rating. A result also carries
the per-criterion and per-item breakdown, labels in the reader's language and the knock-outs hit; these
tests compare whole results, so that a label in the wrong language, a level reported for an indicator that
did not reach it or a breakdown that leaks into the stored JSON changes an assertion.
"""

import pytest

from forms import load_form_definition, score_submission

LEVELS = [
    {"code": "muc_1", "label": {"vi": "Mức độ 1", "en": "Level 1"}},
    {"code": "muc_2", "label": {"vi": "Mức độ 2", "en": "Level 2"}},
]
LEVEL_CHOICES = [
    {"value": "muc_2", "label": "Mức 2"},
    {"value": "muc_1", "label": "Mức 1"},
    {"value": "chua_dat", "label": "Chưa đạt"},
]


def bilingual(vi: str, en: str) -> dict:
    return {"vi": vi, "en": en}


# A school self-assessment under the "levels" rule: two criteria, one indicator each, a knock-out.
SCHOOL = load_form_definition(
    {
        "key": "school",
        "title": "Tự đánh giá",
        "fields": [
            {
                "name": "i1",
                "type": "choice",
                "label": bilingual("Chỉ tiêu một", "Indicator one"),
                "choices": LEVEL_CHOICES,
                "criterion": "k1",
            },
            {
                "name": "i2",
                "type": "choice",
                "label": bilingual("Chỉ tiêu hai", "Indicator two"),
                "choices": LEVEL_CHOICES,
                "criterion": "k2",
            },
            {"name": "vi_pham", "type": "yesno", "label": "Vi phạm"},
        ],
        "scoring": {
            "criteria": [
                {"key": "k1", "label": bilingual("Tổ chức", "Organisation")},
                {"key": "k2", "label": bilingual("Cơ sở vật chất", "Facilities")},
            ],
            "rule": {"kind": "levels", "levels": LEVELS},
            "knockouts": [
                {"field": "vi_pham", "in": [True], "message": bilingual("Có vi phạm.", "A breach.")}
            ],
        },
    }
)


def level_item(name: str, label: str, criterion: str, level: str, met: bool) -> dict:
    return {
        "name": name,
        "label": label,
        "criterion": criterion,
        "points": None,
        "max_points": None,
        "floor": None,
        "level": level,
        "met": met,
    }


def level_criterion(key: str, label: str, met: bool) -> dict:
    return {"key": key, "label": label, "points": 0, "max_points": 0, "floor": 0, "met": met}


def test_a_levels_result_reports_the_lowest_level_reached_in_full():
    # muc_1 is the first level: an indicator at it is met and reported at it, not as "chua_dat".
    result = score_submission(SCHOOL, {"i1": "muc_1", "i2": "muc_2", "vi_pham": False}, locale="en")
    assert result.as_dict(items=True) == {
        "total": 0,
        "max_total": 0,
        "criteria": [
            level_criterion("k1", "Organisation", True),
            level_criterion("k2", "Facilities", True),
        ],
        "floors_met": True,
        "meets_pass_total": True,
        "passed": True,
        "shortfalls": [],
        "rating": "muc_1",
        "rating_label": "Level 1",
        "knockouts": [],
        "items": [
            level_item("i1", "Indicator one", "k1", "muc_1", True),
            level_item("i2", "Indicator two", "k2", "muc_2", True),
        ],
    }


def test_a_levels_result_with_an_indicator_below_the_first_level_in_full():
    result = score_submission(SCHOOL, {"i1": "chua_dat", "i2": "muc_2"}, locale="en")
    assert result.as_dict(items=True) == {
        "total": 0,
        "max_total": 0,
        "criteria": [
            level_criterion("k1", "Organisation", False),
            level_criterion("k2", "Facilities", True),
        ],
        "floors_met": False,
        "meets_pass_total": False,
        "passed": False,
        "shortfalls": ["Criterion 1 (Organisation): indicator “Indicator one” does not meet Level 1."],
        "rating": "chua_dat",
        "rating_label": "Not met",
        "knockouts": [],
        "items": [
            level_item("i1", "Indicator one", "k1", "chua_dat", False),
            level_item("i2", "Indicator two", "k2", "muc_2", True),
        ],
    }


def test_an_unanswered_indicator_is_reported_as_not_met():
    result = score_submission(SCHOOL, {"i1": "muc_2", "i2": None})
    assert [(item.name, item.level, item.met) for item in result.items] == [
        ("i1", "muc_2", True),
        ("i2", "chua_dat", False),
    ]


def test_a_knockout_fails_a_levels_form_whose_every_indicator_is_met():
    result = score_submission(SCHOOL, {"i1": "muc_2", "i2": "muc_2", "vi_pham": True}, locale="en")
    assert (result.floors_met, result.meets_pass_total, result.passed) == (True, True, False)
    assert (result.rating, result.rating_label) == ("chua_dat", "Not met")
    assert result.as_dict()["knockouts"] == [{"field": "vi_pham", "value": True, "message": "A breach."}]
    assert result.shortfalls == ("A breach.",)


# A points form with bilingual labels, an item floor and a criterion floor ratio that is not a whole percent.
READING = load_form_definition(
    {
        "key": "reading",
        "title": "Đọc sách",
        "fields": [
            {
                "name": "books",
                "type": "score",
                "label": bilingual("Số sách", "Books"),
                "max_points": 4,
                "criterion": "r",
                "floor": 1,
            },
            {
                "name": "talks",
                "type": "score",
                "label": bilingual("Buổi chia sẻ", "Talks"),
                "max_points": 4,
                "criterion": "r",
            },
        ],
        "scoring": {
            "criteria": [{"key": "r", "label": bilingual("Đọc", "Reading"), "max_points": 8}],
            "rule": {"kind": "threshold", "pass_total": 2, "criterion_floor_ratio": 0.375},
        },
    }
)


def test_a_points_result_with_its_items_in_english():
    result = score_submission(READING, {"books": 0, "talks": 2}, locale="en")
    assert result.as_dict(items=True) == {
        "total": 2,
        "max_total": 8,
        "criteria": [
            {"key": "r", "label": "Reading", "points": 2, "max_points": 8, "floor": 3, "met": False}
        ],
        "floors_met": False,
        "meets_pass_total": True,
        "passed": False,
        "shortfalls": [
            "Criterion 1 (Reading) scored 2/8, below 37.5% of its maximum.",
            "“Books” scored 0/4, below its minimum of 1 points.",
        ],
        "rating": "khong_dat",
        "rating_label": "Not achieved",
        "knockouts": [],
        "items": [
            {
                "name": "books",
                "label": "Books",
                "criterion": "r",
                "points": 0,
                "max_points": 4,
                "floor": 1,
                "level": None,
                "met": False,
            },
            {
                "name": "talks",
                "label": "Talks",
                "criterion": "r",
                "points": 2,
                "max_points": 4,
                "floor": None,
                "level": None,
                "met": True,
            },
        ],
    }


@pytest.mark.parametrize(("locale", "percent", "label"), [("vi", "37,5", "Đạt"), ("en", "37.5", "Achieved")])
def test_ratings_and_percentages_follow_the_readers_language(locale, percent, label):
    assert score_submission(READING, {"books": 1, "talks": 3}, locale=locale).rating_label == label
    shortfall = score_submission(READING, {"books": 1, "talks": 1}, locale=locale).shortfalls[0]
    assert f"{percent}%" in shortfall


def test_the_stored_result_leaves_the_item_breakdown_out():
    # Stored with every scored submission: the items are derivable from the data and tripled its size.
    stored = score_submission(READING, {"books": 4, "talks": 4}).as_dict()
    assert "items" not in stored
    assert stored["criteria"] == [
        {"key": "r", "label": "Đọc", "points": 8, "max_points": 8, "floor": 3, "met": True}
    ]

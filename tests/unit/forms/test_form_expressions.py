"""forms.expressions: the JsonLogic subset, its JavaScript coercions, and the load-time refusals."""

import pytest

from forms import expressions
from forms.expressions import evaluate, problems, references
from tests.form_logic_cases import CASES

# What json-logic-js 2.0.5 answers (the browser test checks every case of the table against it).
KNOWN = [
    ({"==": ["1", 1]}, {}, True),
    ({"==": ["", 0]}, {}, True),
    ({"==": [None, ""]}, {}, False),
    ({"==": [None, 0]}, {}, False),
    ({"==": [2, True]}, {}, False),
    ({"===": [1, True]}, {}, False),
    ({"<": [None, 1]}, {}, True),
    ({"<": ["", 1]}, {}, True),
    ({">": ["10", "9"]}, {}, False),
    ({"+": [1, None]}, {}, None),  # NaN reads as null
    ({"-": [None, 1]}, {}, -1),
    ({"/": [1, 0]}, {}, None),  # Infinity reads as null
    ({"%": [-7, 3]}, {}, -1),
    ({"*": [2, 3]}, {}, 6),
    ({"+": [0.1, 0.2]}, {}, 0.30000000000000004),
    ({"var": ["x", 7]}, {"x": None}, None),
    ({"var": ["x", 7]}, {}, 7),
    ({"missing": ["a", "b"]}, {"a": 1}, ["b"]),
    ({"in": ["", ""]}, {}, False),
    ({"all": [{"var": "m"}, {">": [{"var": "y"}, 2000]}]}, {"m": []}, False),
    ({"some": [{"var": "m"}, {">": [{"var": "y"}, 2000]}]}, {"m": [{"y": 1990}, {"y": 2005}]}, True),
]


@pytest.mark.parametrize(("logic", "data", "expected"), KNOWN)
def test_javascript_coercions(logic, data, expected):
    result = evaluate(logic, data)
    assert result == expected and type(result) is type(expected)


def test_every_shared_case_evaluates_without_error():
    for logic, data in CASES:
        evaluate(logic, data)


def test_a_whole_number_is_an_int():
    assert evaluate({"*": [2, 1.5]}, {}) == 3 and isinstance(evaluate({"*": [2, 1.5]}, {}), int)


SCOPE = {"age": None, "decision": None, "members": frozenset({"name", "birth_year"})}


@pytest.mark.parametrize(
    ("logic", "message"),
    [
        ({"eval": ["1"]}, 'toán tử "eval" không được hỗ trợ'),
        ({"reduce": [{"var": "members"}, 1, 0]}, 'toán tử "reduce" không được hỗ trợ'),
        ({"==": [1]}, 'toán tử "==" cần 2 tham số.'),
        ({"==": [1, 2], "!=": [1, 2]}, "mỗi phép toán là một đối tượng có đúng một khóa"),
        ({"var": "ghost"}, 'không có trường "ghost" trong biểu mẫu.'),
        ({"missing": ["ghost"]}, 'không có trường "ghost" trong biểu mẫu.'),
        ({"var": {"cat": ["a", "ge"]}}, '"var" phải nêu tên trường bằng một chuỗi khác rỗng.'),
        ({"var": "age.x"}, 'trường "age" không có thành phần "x".'),
        ({"var": "members.0.email"}, 'nhóm "members" không có trường "email".'),
        ({"some": [{"var": "age"}, True]}, '"some" chỉ duyệt các dòng của một nhóm lặp'),
        ({"some": [{"var": "members"}, {"var": "age"}]}, 'không có trường "age" trong biểu mẫu.'),
        ({"var": "self"}, "không được trỏ tới chính trường này."),
    ],
)
def test_refusals(logic, message):
    found = problems(logic, {**SCOPE, "self": None}, "self")
    assert any(text.startswith(message) for text in found), found


def test_valid_expressions_and_their_references():
    logic = {
        "and": [
            {">=": [{"var": "age"}, 18]},
            {"some": [{"var": "members"}, {"<": [{"var": "birth_year"}, 2000]}]},
            {"==": [{"var": "members.0.name"}, "An"]},
        ]
    }
    assert problems(logic, SCOPE) == []
    assert references(logic) == {"age", "members"}


def test_holds_treats_no_condition_as_true():
    assert expressions.holds(None, {}) is True
    assert expressions.holds({"!!": [[]]}, {}) is False

"""Each size limit of the script sandbox at its edge, and the words of its refusal.

test_script_budget.py shows that huge values are refused at all. Here every guard of workflow/sandbox.py is
met at the largest value it lets a script build and the smallest it refuses, so that a limit moved by one,
a ``>`` turned into ``>=``, a sum turned into a difference or an operand dropped changes an outcome. The
refusal names the operation: that is what an administrator reads next to the failed step. Values just
inside a limit (1,000,000 items or characters, integers of 14,284 bits) are built in milliseconds.
"""

import re
from types import SimpleNamespace

import pytest

from workflow import compile_check, make_script_engine
from workflow.sandbox import MAX_INT_DIGITS, MAX_ITEMS, ScriptBudgetExceeded, engine_step, notify

# int(4300 * log2(10)): the bits of the largest integer Python itself still prints.
INT_BITS = 14_284
# The largest integer task data can carry (Python refuses to read longer decimal strings).
LARGEST_DATA_INT = 10**MAX_INT_DIGITS - 1


def too_big(op: str) -> str:
    return "^" + re.escape(f"Phép {op} tạo kết quả quá lớn (tối đa 1.000.000 phần tử hoặc ký tự)") + "$"


def int_too_big(op: str) -> str:
    return "^" + re.escape(f"Phép {op} tạo số nguyên quá lớn (tối đa 4.300 chữ số)") + "$"


@pytest.fixture
def environment():
    # One per test, not per module: mutmut runs a mutant of the environment's set-up only with the tests
    # that called it, which with a shared environment would be the first test of the module alone.
    return make_script_engine().environment


def test_the_limits_are_what_the_messages_say():
    assert (MAX_ITEMS, MAX_INT_DIGITS) == (1_000_000, 4300)
    assert LARGEST_DATA_INT.bit_length() == INT_BITS + 1


# ----------------------------------------------------------------------------------------- concatenation


def test_concatenation_up_to_the_limit_is_built(environment):
    assert environment.evaluate("len(s + t)", {"s": HALF, "t": HALF}) == MAX_ITEMS
    assert environment.evaluate("[1] + [2]", {}) == [1, 2]


def test_concatenation_past_the_limit_is_refused(environment):
    with pytest.raises(ScriptBudgetExceeded, match=too_big("+")):
        environment.evaluate("s + t", {"s": HALF, "t": HALF + "x"})


# --------------------------------------------------------------------------------------- multiplication

HALF = "x" * (MAX_ITEMS // 2)
OVERSIZED = "x" * (MAX_ITEMS + 1)  # only task data can hold one: scripts cannot build it


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("len(2 * s)", {"s": HALF}, MAX_ITEMS),
        ("len(s * 2)", {"s": HALF}, MAX_ITEMS),
        ("3 * 'ab'", {}, "ababab"),
        ("0 * s", {"s": OVERSIZED}, ""),
        ("(x * 1).bit_length()", {"x": 1 << (INT_BITS - 2)}, INT_BITS - 1),
        ("3 * 0.5", {}, 1.5),
    ],
)
def test_products_up_to_the_limit_are_built(environment, expression, data, expected):
    assert environment.evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data", "message"),
    [
        ("2 * s", {"s": HALF + "x"}, too_big("*")),
        ("s * 2", {"s": HALF + "x"}, too_big("*")),
        ("1 * s", {"s": OVERSIZED}, too_big("*")),
        ("s * 1", {"s": OVERSIZED}, too_big("*")),
        ("x * 1", {"x": 1 << (INT_BITS - 1)}, int_too_big("*")),
    ],
)
def test_products_past_the_limit_are_refused(environment, expression, data, message):
    with pytest.raises(ScriptBudgetExceeded, match=message):
        environment.evaluate(expression, data)


def test_a_product_python_cannot_form_is_pythons_error_not_a_size_refusal(environment):
    with pytest.raises(TypeError):
        environment.evaluate("2000000 * d", {"d": {1: 1}})


# --------------------------------------------------------------------------------------------- powers


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("(2 ** 14284).bit_length()", {}, INT_BITS + 1),
        ("1 ** 1000000", {}, 1),
        ("0 ** 1000000", {}, 0),
        ("(-1) ** 1000000", {}, 1),
        ("x ** 1 == x", {"x": LARGEST_DATA_INT}, True),
    ],
)
def test_powers_up_to_the_limit_are_computed(environment, expression, data, expected):
    assert environment.evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ("2 ** 14285", {}),
        ("3 ** 10000", {}),
        ("(-2) ** 20000", {}),
        ("x ** 2", {"x": 1 << 7200}),
        ("2 ** 1000000000", {}),
    ],
)
def test_powers_past_the_limit_are_refused(environment, expression, data):
    with pytest.raises(ScriptBudgetExceeded, match=int_too_big("**")):
        environment.evaluate(expression, data)


def test_a_float_power_overflows_as_in_python(environment):
    with pytest.raises(OverflowError):
        environment.evaluate("2 ** 20000.0", {})


# ----------------------------------------------------------------------------------------------- shifts


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("(1 << 14283).bit_length()", {}, INT_BITS),
        ("x << 0 == x", {"x": LARGEST_DATA_INT}, True),
        ("0 << 1000000", {}, 0),
    ],
)
def test_shifts_up_to_the_limit_are_computed(environment, expression, data, expected):
    assert environment.evaluate(expression, data) == expected


@pytest.mark.parametrize(("expression", "data"), [("1 << 14284", {}), ("x << 1", {"x": 1 << (INT_BITS - 1)})])
def test_shifts_past_the_limit_are_refused(environment, expression, data):
    with pytest.raises(ScriptBudgetExceeded, match=int_too_big("<<")):
        environment.evaluate(expression, data)


# ----------------------------------------------------------------------------------- "%" and f-strings


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ("'%d' % 2000000", {}, "2000000"),
        ("b'%d' % 5", {}, b"5"),
        ("'%*d' % (5, 1)", {}, "    1"),
        ("len('%*d' % (1000000, 1))", {}, MAX_ITEMS),
        ("len('%1000000d' % 1)", {}, MAX_ITEMS),
        ("len(f'{1:>1000000}')", {}, MAX_ITEMS),
        ("17 % 5", {}, 2),
    ],
)
def test_formatting_up_to_the_limit_works(environment, expression, data, expected):
    assert environment.evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ("'%*d' % (1000001, 1)", {}),
        ("'%*d' % 2000000", {}),
        ("b'%*d' % (2000000, 1)", {}),
        ("'%1000001d' % 1", {}),
        ("b'%1000001d' % 1", {}),
        # A width of 5,000 digits is refused on its length, before Python would refuse to read it.
        ("f % 1", {"f": "%" + "9" * 5000 + "d"}),
    ],
)
def test_formatting_past_the_limit_is_refused(environment, expression, data):
    with pytest.raises(ScriptBudgetExceeded, match=too_big("%")):
        environment.evaluate(expression, data)


@pytest.mark.parametrize("expression", ["f'{1:>1000001}'", "f'{1:>{w}}'"])
def test_fstring_widths_past_the_limit_are_refused(environment, expression):
    with pytest.raises(ScriptBudgetExceeded, match=too_big("định dạng chuỗi")):
        environment.evaluate(expression, {"w": "9" * 5000})


# ------------------------------------------------------------------------------------- string methods


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        # join: the items and one separator between each two.
        ("len('-'.join(xs))", {"xs": ["x" * 333_333, "x" * 333_333, "x" * 333_332]}, MAX_ITEMS),
        ("len('-'.join(xs))", {"xs": ["x" * MAX_ITEMS]}, MAX_ITEMS),
        ("'-'.join([])", {}, ""),
        # replace: each occurrence grows the text by len(new) - len(old); "" occurs len(text) + 1 times.
        ("len(s.replace('a', 'bb'))", {"s": "a" * 500_000}, MAX_ITEMS),
        ("len(t.replace('', n))", {"t": "x" * 100, "n": "y" * 9_900}, MAX_ITEMS),
        ("s.replace('a', 'bbb', 0) == s", {"s": "a" * 500_000}, True),
        ("'aaa'.replace('a', 'b', 1)", {}, "baa"),
        ("len(s.replace('a', ''))", {"s": "a" * MAX_ITEMS}, 0),
        # center, ljust, rjust, zfill: the width is the length.
        ("len('a'.rjust(1000000))", {}, MAX_ITEMS),
        ("'a'.center(5, '*')", {}, "**a**"),
        # expandtabs: at most tabsize characters per tab.
        ("'a\\tb'.expandtabs()", {}, "a       b"),
        ("b'a\\tb'.expandtabs(4)", {}, b"a   b"),
        ("len(t.expandtabs(999))", {"t": "\t" * 1000}, 999_000),
        ("len(t.expandtabs(-1))", {"t": "\t" * 600_000}, 0),
        # translate: each character becomes at most the longest replacement.
        ("'abc'.translate({97: 'xyz'})", {}, "xyzbc"),
        ("'abc'.translate({97: None, 98: 120})", {}, "xc"),
        ("len(s.translate({97: 98}))", {"s": "a" * 600_000}, 600_000),
        ("len(s.translate({97: r}))", {"s": "a" * 100_000, "r": "x" * 10}, MAX_ITEMS),
        # to_bytes: the length is the size.
        ("(5).to_bytes()", {}, b"\x05"),
        ("len((0).to_bytes(1000000))", {}, MAX_ITEMS),
        ("(1).to_bytes(2, 'little')", {}, b"\x01\x00"),
        ("(1).to_bytes(2, byteorder='little')", {}, b"\x01\x00"),
        ("int.to_bytes(1, 2, byteorder='little')", {}, b"\x01\x00"),
        # The same methods reached through their type are guarded alike.
        ("len(str.rjust('a', 1000000))", {}, MAX_ITEMS),
    ],
)
def test_methods_up_to_the_limit_work(environment, expression, data, expected):
    assert environment.evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "data", "operation"),
    [
        ("'-'.join(xs)", {"xs": ["x" * 333_333] * 3}, "join()"),
        ("s.replace('a', 'bb')", {"s": "a" * 500_001}, "replace()"),
        ("t.replace('', n)", {"t": "x" * 100, "n": "y" * 9_901}, "replace()"),
        ("s.replace('a', 'bbb', 400000)", {"s": "a" * 500_000}, "replace()"),
        ("'a'.rjust(1000001)", {}, "rjust()"),
        ("'a'.zfill(1000001)", {}, "zfill()"),
        ("t.expandtabs(1000)", {"t": "\t" * 1000}, "expandtabs()"),
        ("t.expandtabs(1000)", {"t": b"\t" * 1000}, "expandtabs()"),
        ("s.translate({97: r})", {"s": "a" * 100_000, "r": "x" * 11}, "translate()"),
        ("(0).to_bytes(1000001)", {}, "to_bytes()"),
        ("str.rjust('a', 1000001)", {}, "rjust()"),
        ("str.join('-', xs)", {"xs": ["x" * 333_333] * 3}, "join()"),
        # bool.to_bytes is int.to_bytes: reached through the subclass on a plain int, still guarded.
        ("bool.to_bytes(0, 1000001)", {}, "to_bytes()"),
        ("bool.to_bytes(True, 1000001)", {}, "to_bytes()"),
    ],
)
def test_methods_past_the_limit_are_refused(environment, expression, data, operation):
    with pytest.raises(ScriptBudgetExceeded, match=too_big(operation)):
        environment.evaluate(expression, data)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("'-'.join([1, 2])", "expected str instance"),
        ("'abc'.replace(1, 'x')", "argument 1 must be str"),
        # Through the type, on an object of another type: Python's own complaint, about that object.
        ("str.rjust(5, 'x')", "doesn't apply to a 'int' object"),
        ("str.join(b'-', ['a'])", "doesn't apply to a 'bytes' object"),
    ],
)
def test_bad_arguments_get_pythons_own_error(environment, expression, message):
    with pytest.raises(TypeError, match=message):
        environment.evaluate(expression, {})


# ------------------------------------------------------------------------------------------------ lists


def run(environment, script: str, **data) -> dict:
    context = dict(data)
    environment.execute(script, context)
    return context


def test_extending_a_list_up_to_the_limit_works(environment):
    context = run(environment, "xs.extend(ys)\nn = len(xs)", xs=[0] * 500_000, ys=[0] * 500_000)
    assert context["n"] == MAX_ITEMS
    # A generator has no length: what it yields is produced under the step's time budget.
    assert run(environment, "xs.extend(i for i in range(3))", xs=[9])["xs"] == [9, 0, 1, 2]
    assert len(run(environment, "xs.extend(i for i in [])", xs=[0] * MAX_ITEMS)["xs"]) == MAX_ITEMS


def test_extending_a_list_past_the_limit_is_refused(environment):
    with pytest.raises(ScriptBudgetExceeded, match=too_big("extend()")):
        run(environment, "xs.extend(ys)", xs=[0] * 500_000, ys=[0] * 500_001)


def test_summing_lists_is_refused_past_the_limit(environment):
    assert run(environment, "n = len(sum([xs, xs], []))", xs=[0] * 500_000)["n"] == MAX_ITEMS
    with pytest.raises(ScriptBudgetExceeded, match=too_big("sum()")):
        run(environment, "n = len(sum([xs, xs], []))", xs=[0] * 500_001)


def test_sum_of_numbers_keeps_its_start(environment):
    assert environment.evaluate("sum([1, 2], 10)", {}) == 13


def test_round_accepts_digits_up_to_the_limit(environment):
    assert environment.evaluate("round(5, 4300)", {}) == 5
    with pytest.raises(ScriptBudgetExceeded, match=int_too_big("round()")):
        environment.evaluate("round(5, -4301)", {})


# ---------------------------------------------------------------------------------- augmented assignment


@pytest.mark.parametrize(
    ("script", "data", "message"),
    [
        ("x *= 2", {"x": HALF + "x"}, too_big("*=")),
        ("x += x", {"x": "a" * 600_000}, too_big("+=")),
        ("x **= 20000", {"x": 3}, int_too_big("**=")),
    ],
)
def test_augmented_assignment_is_refused_in_its_own_words(environment, script, data, message):
    with pytest.raises(ScriptBudgetExceeded, match=message):
        run(environment, script, **data)


def test_an_unsupported_augmented_assignment_is_named(environment):
    with pytest.raises(ValueError, match="^phép gán <<= không được hỗ trợ$"):
        run(environment, "x <<= 1", x=1)


# ------------------------------------------------------------------------------------- calls and helpers


def test_star_arguments_reach_the_function(environment):
    assert environment.evaluate("max(*xs)", {"xs": [1, 3, 2]}) == 3
    assert environment.evaluate("dict(**d)", {"d": {"a": 1}}) == {"a": 1}


def test_notify_says_why_it_refuses():
    with pytest.raises(RuntimeError, match="^notify\\(\\) chỉ dùng được khi quy trình đang chạy một bước$"):
        notify("task_reminder")
    with (
        engine_step(),
        pytest.raises(ValueError, match="^notify\\(\\): loại thông báo phải là chuỗi khác rỗng$"),
    ):
        notify("")


def test_external_context_is_usable_and_not_left_in_the_task_data():
    engine = make_script_engine()
    context = {"x": 1}
    engine.environment.execute("y = x + ext", context, {"ext": 2})
    assert context == {"x": 1, "y": 3}
    task = SimpleNamespace(task_spec=SimpleNamespace(bpmn_id="tinh_diem", name="tinh_diem"), data={"x": 1})
    engine.execute(task, "y = x * ext", {"ext": 5})
    assert task.data == {"x": 1, "y": 5}


def test_engine_evaluate_passes_the_external_context():
    engine = make_script_engine()
    task = SimpleNamespace(task_spec=SimpleNamespace(bpmn_id="dieu_kien", name="dieu_kien"), data={"x": 1})
    assert engine.evaluate(task, "x + ext", {"ext": 2}) == 3


# ------------------------------------------------------------------------------------- refused code


def test_refused_code_lists_every_reason_with_its_line(environment):
    reason = "import không được phép trong script của quy trình"
    with pytest.raises(ValueError) as refused:
        run(environment, "import os\nfrom os import path")
    assert str(refused.value) == f"Mã bị từ chối: Line 1: {reason}; Line 2: {reason}"
    with pytest.raises(ValueError) as refused:
        run(environment, "x = 1\ny = open")
    assert str(refused.value) == 'Mã bị từ chối: Line 2: "open" không được phép trong script của quy trình'


def test_the_static_check_says_what_it_cannot_read():
    assert compile_check(None, "eval") == ["biểu thức phải là chuỗi"]
    with pytest.raises(ValueError, match="^mode must be 'exec' or 'eval', not 'single'$"):
        compile_check("x = 1", "single")


# ------------------------------------------------------------------------------------- budget checks


def test_every_comprehension_item_passes_a_budget_check_before_the_condition():
    # Checked first, so that a condition that is never true cannot skip the check.
    environment = make_script_engine().environment
    checks = []
    environment.globals["_budget_"] = lambda: checks.append(1) or True
    assert environment.evaluate("[x for x in range(50) if x < 0]", {}) == []
    assert len(checks) == 50


def test_code_a_script_returns_still_runs_outside_any_step(environment):
    # A function evaluated in a step and called after it: its budget checks find no budget and pass.
    square_all = environment.evaluate("lambda n: [i * i for i in range(n)]", {})
    assert square_all(4) == [0, 1, 4, 9]

"""Properties of the Simple language (routes.simple) over generated texts and values."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from functools import reduce
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from endpoints.exchange import Exchange
from routes.expressions import ExpressionError
from routes.simple import predicate_value, simple
from routes.simple.source import JAVA_BLANKS

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ", min_size=1, max_size=8)
DECIMALS = st.decimals(min_value=-(10**6), max_value=10**6, places=3)
INTEGERS = st.integers(min_value=-(10**12), max_value=10**12)
SIMPLE_PIECES = st.sampled_from(
    [
        *("${body}", "${header.a}", "${body.a[0]}", "${body.a[last].length()}", "${header.b}"),
        *("${exchangeProperty[p]}", "${date:now:yyyy}", "${random(3)}", "${null}", "${body?.b}"),
        *(" ", " == ", " != ", " > ", " contains ", " in ", " regex ", " is ", " range ", "&&"),
        *(" && ", " || ", "'x'", '"y"', "1", "-2", "1.5", "1..3", "true", "null", "${", "}", "'"),
        *("\\n", "\\}", "(", "$simple{body}", "abc", "=~", "!in", "?.", "[", "]", ".", ","),
    ]
)
SAMPLE = {"a": [1, "x"], "b": None}


def on(headers: dict[str, Any] | None = None) -> Exchange:
    made = Exchange.of(dict(SAMPLE), {"a": "1", "b": 2, **(headers or {})})
    made.properties["p"] = Decimal("2.5")
    return made


def literal(number: int | Decimal) -> str:
    return format(number, "f") if isinstance(number, Decimal) else str(number)


def parse_and_evaluate(text: str) -> None:
    """Build, evaluate and match ``text``; anything but an ExpressionError escapes."""
    try:
        expression = simple(text)
        expression(on())
        expression.matches(on())
    except ExpressionError:
        pass


@FAST
@given(st.text())
def test_parsing_and_evaluating_any_text_raises_only_expression_errors(text: str) -> None:
    parse_and_evaluate(text)


@FAST
@given(st.lists(SIMPLE_PIECES, max_size=8).map("".join))
def test_parsing_and_evaluating_simple_like_text_raises_only_expression_errors(text: str) -> None:
    parse_and_evaluate(text)


@FAST
@given(
    st.text(alphabet=st.characters(exclude_characters="$\\", codec="utf-8"), min_size=1).filter(
        lambda text: not any(char <= " " or char.isspace() for char in text)
    )
)
def test_text_without_functions_escapes_or_spaces_is_itself(text: str) -> None:
    """No operator can stand without spaces: such a text is a template of itself."""
    expression = simple(text)
    assert expression(on()) == text
    assert expression.matches(on()) is predicate_value(text)


@FAST
@given(st.text(alphabet=st.characters(exclude_characters="$\\")))
def test_a_template_starting_with_a_word_is_its_trimmed_text(text: str) -> None:
    """A text opening with a word is no predicate; Camel's DSL trims it by default."""
    template = "word " + text
    assert simple(template)(on()) == template.rstrip(JAVA_BLANKS)


@FAST
@given(
    st.one_of(INTEGERS, DECIMALS),
    st.sampled_from(sorted(COMPARISONS)),
    st.one_of(INTEGERS, DECIMALS),
)
def test_number_literals_compare_as_python_numbers(left: Any, op: str, right: Any) -> None:
    expected = COMPARISONS[op](left, right)
    assert simple(f"{literal(left)} {op} {literal(right)}")(on()) is expected


WRITTEN_AS: list[Callable[[int], Any]] = [int, Decimal, float, str]


@FAST
@given(
    INTEGERS,
    st.sampled_from(WRITTEN_AS),
    st.sampled_from(sorted(COMPARISONS)),
    INTEGERS,
    st.sampled_from(WRITTEN_AS),
)
def test_numbers_compare_whatever_their_python_type(
    left: int, left_as: Callable[[int], Any], op: str, right: int, right_as: Callable[[int], Any]
) -> None:
    headers = {"left": left_as(left), "right": right_as(right)}
    result = simple(f"${{header.left}} {op} ${{header.right}}")(on(headers))
    assert result is COMPARISONS[op](left, right)


@FAST
@given(DECIMALS, st.sampled_from(sorted(COMPARISONS)), st.one_of(DECIMALS, INTEGERS), st.booleans())
def test_decimals_compare_with_numbers_and_numeric_text(
    left: Decimal, op: str, right: Decimal | int, as_text: bool
) -> None:
    headers = {"left": left, "right": literal(right) if as_text else right}
    result = simple(f"${{header.left}} {op} ${{header.right}}")(on(headers))
    assert result is COMPARISONS[op](left, right)


@FAST
@given(st.text(alphabet=st.characters(exclude_characters="'$")))
def test_quoted_literals_round_trip(value: str) -> None:
    exchange = on({"v": value})
    assert simple(f"${{header.v}} == '{value}'")(exchange) is True
    assert simple(f"'{value}' == ${{header.v}}")(exchange) is True
    assert simple(f"${{header.v}} != '{value}'")(exchange) is False


JSON = st.recursive(
    st.none() | st.booleans() | INTEGERS | DECIMALS | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)


@FAST
@given(JSON)
def test_one_function_gives_the_value_itself(value: Any) -> None:
    assert simple("${header.v}")(on({"v": value})) is value
    assert simple("${header.v}").matches(on({"v": value})) is predicate_value(value)


@FAST
@given(st.booleans(), st.lists(st.tuples(st.sampled_from(["&&", "||"]), st.booleans()), max_size=6))
def test_and_or_fold_from_the_left(first: bool, rest: list[tuple[str, bool]]) -> None:
    text = " ".join([str(first).lower(), *(f"{op} {str(value).lower()}" for op, value in rest)])

    def step(left: bool, item: tuple[str, bool]) -> bool:
        return (left and item[1]) if item[0] == "&&" else (left or item[1])

    assert simple(text).matches(on()) is reduce(step, rest, first)


@FAST
@given(LETTERS, st.lists(LETTERS, min_size=1, max_size=5))
def test_in_is_membership_in_the_comma_separated_list(value: str, items: list[str]) -> None:
    exchange = on({"v": value})
    assert simple(f"${{header.v}} in '{','.join(items)}'")(exchange) is (value in items)
    assert simple(f"${{header.v}} !in '{','.join(items)}'")(exchange) is (value not in items)


@FAST
@given(st.lists(st.one_of(LETTERS, st.sampled_from(["\\n", "\\t", "\\r", "\\}"])), min_size=1))
def test_escapes_stand_for_their_characters(pieces: list[str]) -> None:
    """The text is trimmed as written, before its escapes become characters."""
    escapes = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\}": "}"}
    expected = "".join(escapes.get(piece, piece) for piece in pieces)
    assert simple("".join(pieces))(on()) == expected


@FAST
@given(st.lists(SIMPLE_PIECES, max_size=6).map("".join))
def test_equal_texts_build_equal_expressions(text: str) -> None:
    try:
        first, second = simple(text), simple(text)
    except ExpressionError:
        return
    assert first == second
    assert hash(first) == hash(second)

"""The Simple language subset (routes.simple), held to Camel's documented behaviour.

Each case names, in its id, the Camel page it follows and the example it takes from it:
``simple-language.adoc`` (its OGNL, operator and examples sections) and the newer pages
``simple-operators.adoc``, ``simple-functions.adoc``, ``simple-ognl.adoc`` of
apache/camel ``core/camel-core-languages/src/main/docs/modules/languages/pages``; the
coercion cases follow ``ObjectHelper`` and ``PredicateBuilder`` in camel-support. Cases
without a page test this package's own promises (refusals, result types, equality).
"""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from endpoints.exchange import Exchange
from endpoints.headers import EXCEPTION_CAUGHT
from routes.expressions import ExpressionError
from routes.simple import Simple, predicate_value, simple

CLOCK = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)  # a Monday


def at_clock() -> datetime:
    return CLOCK


def exchange(
    body: Any = None,
    headers: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    exception: BaseException | None = None,
) -> Exchange:
    made = Exchange.of(body, headers)
    made.properties.update(properties or {})
    made.exception = exception
    return made


def evaluate(text: str, on: Exchange | None = None, result_type: type | None = None) -> Any:
    return simple(text, result_type, clock=at_clock, rng=random.Random(7))(on or exchange())


def matches(text: str, on: Exchange) -> bool:
    return simple(text, clock=at_clock).matches(on)


def refusal(text: str) -> str:
    with pytest.raises(ExpressionError) as caught:
        simple(text)
    return str(caught.value)


class Address(BaseModel):
    street: str
    zip: int
    lines: list[str]


class Customer(BaseModel):
    address: Address | None = None

    def doSomething(self) -> str:  # a Java-style method, as in Camel's example
        return "done"


class Payment(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    order_id: str = Field(alias="orderId")
    payment_method: str


class Broken:
    @property
    def broken(self) -> str:
        raise ValueError("no")


class Status(StrEnum):
    PAID = "paid"


HOME = Address(street="Main Street", zip=2100, lines=["foo", "bar", "cat"])
CUSTOMER = Customer(address=HOME)


# -- simple-language.adoc / simple-ognl.adoc: OGNL expression support -----------------------


@pytest.mark.parametrize(
    ("text", "body", "expected"),
    [
        pytest.param(
            "${body.address}", CUSTOMER, HOME, id="simple-language.adoc OGNL: ${body.address}"
        ),
        pytest.param(
            "${body.address.street}",
            CUSTOMER,
            "Main Street",
            id="simple-language.adoc OGNL: ${body.address.street}",
        ),
        pytest.param(
            "${body.address.zip}",
            CUSTOMER,
            2100,
            id="simple-language.adoc OGNL: ${body.address.zip}",
        ),
        pytest.param(
            "${body.getAddress.getStreet}",
            CUSTOMER,
            "Main Street",
            id="simple-language.adoc OGNL: ${body.getAddress.getStreet}",
        ),
        pytest.param(
            "${body.address.getZip}",
            CUSTOMER,
            2100,
            id="simple-language.adoc OGNL: ${body.address.getZip}",
        ),
        pytest.param(
            "${body.getAddress().getStreet()}",
            CUSTOMER,
            "Main Street",
            id="simple-ognl.adoc: ${body.getAddress().getStreet()}",
        ),
        pytest.param(
            "${body?.address?.street}",
            Customer(),
            None,
            id="simple-language.adoc OGNL: ${body?.address?.street}",
        ),
        pytest.param(
            "${body?.address?.street}",
            None,
            None,
            id="simple-language.adoc OGNL: ${body?.address?.street}, null body",
        ),
        pytest.param(
            "${body[foo].name}",
            {"foo": {"name": "Ann"}},
            "Ann",
            id="simple-language.adoc OGNL: ${body[foo].name}",
        ),
        pytest.param(
            "${body['foo bar'].name}",
            {"foo bar": {"name": "Bo"}},
            "Bo",
            id="simple-language.adoc OGNL: ${body['foo bar'].name}",
        ),
        pytest.param("${body[foo]}", {"foo": 1}, 1, id="simple-language.adoc OGNL: ${body[foo]}"),
        pytest.param(
            "${body[this.is.foo]}",
            {"this.is.foo": 2},
            2,
            id="simple-language.adoc OGNL: ${body[this.is.foo]}",
        ),
        pytest.param(
            "${body[foo]?.name}", {}, None, id="simple-language.adoc OGNL: ${body[foo]?.name}"
        ),
        pytest.param(
            "${body.address.lines[0]}",
            CUSTOMER,
            "foo",
            id="simple-language.adoc OGNL: ${body.address.lines[0]}",
        ),
        pytest.param(
            "${body.address.lines[1]}",
            CUSTOMER,
            "bar",
            id="simple-language.adoc OGNL: ${body.address.lines[1]}",
        ),
        pytest.param(
            "${body.address.lines[2]}",
            CUSTOMER,
            "cat",
            id="simple-language.adoc OGNL: ${body.address.lines[2]}",
        ),
        pytest.param(
            "${body.address.lines[last]}",
            CUSTOMER,
            "cat",
            id="simple-language.adoc OGNL: ${body.address.lines[last]}",
        ),
        pytest.param(
            "${body.address.lines[last-1]}",
            CUSTOMER,
            "bar",
            id="simple-language.adoc OGNL: ${body.address.lines[last-1]}",
        ),
        pytest.param(
            "${body.address.lines[last-2]}",
            CUSTOMER,
            "foo",
            id="simple-language.adoc OGNL: ${body.address.lines[last-2]}",
        ),
        pytest.param(
            "${body.address.lines.size}",
            CUSTOMER,
            3,
            id="simple-language.adoc OGNL: ${body.address.lines.size}",
        ),
        pytest.param(
            "There are ${body.length} lines",
            ["foo", "bar", "cat"],
            "There are 3 lines",
            id="simple-language.adoc OGNL: There are ${body.length} lines",
        ),
        pytest.param(
            "${body.address.zip} > 1000",
            CUSTOMER,
            True,
            id="simple-language.adoc OGNL: ${body.address.zip} > 1000",
        ),
        pytest.param("${in.body.address.zip}", CUSTOMER, 2100, id="simple-functions.adoc: in.body"),
        pytest.param("${body.foo}", {"foo": "x"}, "x", id="dict key by property"),
        pytest.param("${body.missing}", {"foo": "x"}, None, id="missing dict key is null"),
        pytest.param("${body[0]}", {0: "zero"}, "zero", id="dict with int key"),
        pytest.param(
            "${body.orderId}",
            Payment(orderId="o-1", payment_method="card"),
            "o-1",
            id="pydantic field alias",
        ),
        pytest.param(
            "${body.paymentMethod}",
            Payment(orderId="o-1", payment_method="card"),
            "card",
            id="pydantic camelCase of a snake_case field",
        ),
        pytest.param(
            "${body.order_id}",
            Payment(orderId="o-1", payment_method="card"),
            "o-1",
            id="pydantic field name",
        ),
    ],
)
def test_ognl_paths(text: str, body: Any, expected: Any) -> None:
    assert evaluate(text, exchange(body)) == expected


def test_ognl_null_half_way_is_an_error_unless_null_safe() -> None:
    """simple-language.adoc: the null-safe operator ``?.`` avoids the NPE Camel throws."""
    with pytest.raises(ExpressionError, match=r"\.street is applied to null.*\?\."):
        evaluate("${body.address.street}", exchange(Customer()))


@pytest.mark.parametrize(
    ("text", "body", "message"),
    [
        pytest.param(
            "${body.doSomething}",
            CUSTOMER,
            "is a method",
            id="simple-language.adoc OGNL: ${body.doSomething}",
        ),
        pytest.param("${body.nothing}", CUSTOMER, "has no property 'nothing'", id="no attribute"),
        pytest.param("${body._private}", CUSTOMER, "private", id="no private attribute"),
        pytest.param("${body.address.lines[3]}", CUSTOMER, "out of bounds", id="index too big"),
        pytest.param("${body[foo]}", ["a"], "indexed by a number", id="list by a name"),
        pytest.param("${body.foo}", "text", "String has no property", id="property of text"),
        pytest.param("${body.broken}", Broken(), "reading 'broken'.*failed", id="property fails"),
    ],
)
def test_ognl_refusals_when_evaluated(text: str, body: Any, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, exchange(body))


# -- simple-language.adoc / simple-operators.adoc: operator support --------------------------


OPERATOR_EXAMPLES = [
    ("${header.foo} == 'foo'", {"foo": "foo"}, True, "== 'foo'"),
    ("${header.foo} == 'foo'", {"foo": "FOO"}, False, "== 'foo' is case-sensitive"),
    ("${header.foo} =~ 'foo'", {"foo": "FOO"}, True, "=~ 'foo' with FOO"),
    ("${header.bar} == '100'", {"bar": 100}, True, "== '100' with an Integer"),
    ("${header.bar} == 100", {"bar": 100}, True, "== 100"),
    ("${header.bar} == 100", {"bar": "100"}, True, "== 100 with a String"),
    ("${header.bar} > 100", {"bar": 101}, True, "> 100"),
    ("${header.bar} > 100", {"bar": 100}, False, "> 100 with 100"),
    ("100 < ${header.bar}", {"bar": "150"}, True, "100 < ${header.bar} (flipped)"),
    ("${header.baz} == null", {}, True, "== null"),
    ("${header.baz} != null", {"baz": "x"}, True, "!= null"),
    ("${header.date} == ${date:now:yyyyMMdd}", {"date": "20240506"}, True, "== ${date:now:..}"),
    ("${header.title} contains 'Camel'", {"title": "Apache Camel"}, True, "contains 'Camel'"),
    ("${header.number} regex '\\d{4}'", {"number": "1234"}, True, "regex '\\d{4}'"),
    ("${header.number} regex '\\d{4}'", {"number": "123"}, False, "regex needs a full match"),
    ("${header.type} in 'gold,silver'", {"type": "gold"}, True, "in 'gold,silver'"),
    ("${header.type} in 'gold,silver'", {"type": "bronze"}, False, "in, not there"),
    ("${header.type} !in 'gold,silver'", {"type": "bronze"}, True, "!in 'gold,silver'"),
    ("${header.type} is 'java.lang.String'", {"type": "x"}, True, "is 'java.lang.String'"),
    ("${header.type} is 'String'", {"type": "x"}, True, "is 'String'"),
    ("${header.type} is 'String'", {"type": 5}, False, "is 'String' with a number"),
    ("${header.number} range 100..199", {"number": 150}, True, "range 100..199"),
    ("${header.number} range 100..199", {"number": 200}, False, "range, above"),
    ("${header.number} range '100..199'", {"number": "199"}, True, "range '100..199'"),
    ("${header.type} == 'widget'", {"type": "widget"}, True, "filter == 'widget'"),
    ("${header.medal} in ',,bronze,silver,gold'", {"medal": ""}, True, "in with an empty value"),
    (
        "${header.Account1} == ${header.Account2}",
        {"Account1": "0001", "Account2": "001"},
        True,
        "0001 == 001 compares as numbers",
    ),
    (
        "${header.Account1} equals ${header.Account2}",
        {"Account1": "0001", "Account2": "001"},
        False,
        "equals compares as text",
    ),
]


@pytest.mark.parametrize(
    ("text", "headers", "expected"),
    [
        pytest.param(t, h, e, id=f"simple-operators.adoc: {t} ({name})")
        for t, h, e, name in OPERATOR_EXAMPLES
    ],
)
def test_operator_examples(text: str, headers: dict[str, Any], expected: bool) -> None:
    assert evaluate(text, exchange(headers=headers)) is expected
    assert matches(text, exchange(headers=headers)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "${header.title} contains 'Camel' && ${header.type} == 'gold'",
            False,
            id="simple-operators.adoc: contains 'Camel' && == 'gold'",
        ),
        pytest.param(
            "${header.title} contains 'Camel' || ${header.type} == 'gold'",
            True,
            id="simple-operators.adoc: contains 'Camel' || == 'gold'",
        ),
    ],
)
def test_and_or_examples(text: str, expected: bool) -> None:
    assert evaluate(text, exchange(headers={"title": "Apache Camel", "type": "silver"})) is expected


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        pytest.param(*case, id=f"simple-operators.adoc table: {case[0]} {case[1]} {case[2]}")
        for case in [
            ("'Camel'", "!=~", "'camel'", False),
            ("'Camel'", "!contains", "'x'", True),
            ("'Apache Camel'", "~~", "'CAMEL'", True),
            ("'Apache Camel'", "!~~", "'camel'", False),
            ("'abc'", "!regex", "'a.c'", False),
            ("'abc'", "!is", "'Integer'", True),
            ("5", "!range", "'1..3'", True),
            ("'Camel'", "startsWith", "'Ca'", True),
            ("'Camel'", "starts with", "'Ca'", True),
            ("'Camel'", "!startsWith", "'Ca'", False),
            ("'Camel'", "endsWith", "'el'", True),
            ("'Camel'", "ends with", "'el'", True),
            ("'Camel'", "!endsWith", "'el'", False),
            ("'a'", "!equals", "'b'", True),
            ("5", ">=", "5", True),
            ("5", "<", "'10'", True),
            ("5", "<=", "4", False),
            ("${null}", "!contains", "'x'", True),
        ]
    ],
)
def test_every_operator(left: str, operator: str, right: str, expected: bool) -> None:
    """simple-operators.adoc: the comparison operator table, one case each."""
    assert evaluate(f"{left} {operator} {right}") is expected


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        pytest.param(None, "==", None, True, id="two nulls are equal"),
        pytest.param(None, "!=", None, False, id="two nulls are not unequal"),
        pytest.param(None, "<=", None, True, id="PredicateBuilder: two nulls are <="),
        pytest.param(None, "<", None, True, id="PredicateBuilder: two nulls are <"),
        pytest.param(None, ">", None, False, id="PredicateBuilder: two nulls are not >"),
        pytest.param(None, ">", 1, False, id="null is not > a value"),
        pytest.param(None, "!=", 1, True, id="null != a value"),
        pytest.param(None, "contains", None, True, id="null contains null"),
        pytest.param("10", ">", 9, True, id="ObjectHelper: numeric text vs number"),
        pytest.param("10", ">", "9", True, id="ObjectHelper: two digit strings as numbers"),
        pytest.param("10.5", ">", "9", False, id="ObjectHelper: decimal strings compare as text"),
        pytest.param("abc", ">", 5, True, id="ObjectHelper: text vs number as text"),
        pytest.param("true", "==", True, True, id="ObjectHelper: 'true' == true"),
        pytest.param("TRUE", "==", True, True, id="Boolean.valueOf ignores case"),
        pytest.param("yes", "==", False, True, id="Boolean.valueOf('yes') is false"),
        pytest.param(True, "==", 1, False, id="a Boolean never equals a number"),
        pytest.param(Decimal("10.50"), "==", 10.5, True, id="Decimal == float numerically"),
        pytest.param(Decimal("10.50"), ">", 10, True, id="Decimal > int"),
        pytest.param(10, "==", Decimal("10.0"), True, id="int == Decimal"),
        pytest.param(Decimal("0.1"), "<", "0.2", True, id="Decimal vs numeric text"),
        pytest.param({"a": 1}, ">", 5, False, id="what cannot compare is false"),
        pytest.param(2, "in", "1,2,3", True, id="in coerces each element"),
        pytest.param(["vip", "new"], "contains", "vip", True, id="a list contains an element"),
        pytest.param(["VIP card"], "~~", "vip", True, id="~~ on a list, by element text"),
        pytest.param({"k": 1}, "contains", "k", True, id="a dict contains a key"),
        pytest.param(5, "contains", "5", True, id="a value contains what equals it"),
        pytest.param(CLOCK, "<", CLOCK + timedelta(1), True, id="datetimes order naturally"),
    ],
)
def test_coercion(left: Any, operator: str, right: Any, expected: bool) -> None:
    on = exchange(headers={"left": left, "right": right})
    assert evaluate(f"${{header.left}} {operator} ${{header.right}}", on) is expected


def test_and_or_apply_left_to_right_with_equal_precedence() -> None:
    """SimplePredicateParser links logical operators left to right: (true || false) && false."""
    assert evaluate("true || false && false") is False
    assert evaluate("false && true || true") is True


def test_and_or_short_circuit() -> None:
    """PredicateBuilder.and/or: the right side is not evaluated when the left decides."""
    broken = "${body.a.b} == 1"  # raises: .b is applied to null
    on = exchange({"a": None})
    assert evaluate(f"false && {broken}", on) is False
    assert evaluate(f"true || {broken}", on) is True
    with pytest.raises(ExpressionError):
        evaluate(f"true && {broken}", on)


def test_an_operand_alone_in_a_logical_chain_is_read_as_a_predicate() -> None:
    on = exchange(headers={"a": "true", "b": "x"})
    assert evaluate("${header.a} && ${header.b} == 'x'", on) is True


def test_negative_numbers_and_text_numbers_on_the_right() -> None:
    assert evaluate("${header.n} > -5", exchange(headers={"n": -1})) is True
    assert evaluate("${header.n} in 1,2,3", exchange(headers={"n": 3})) is True


def test_regex_is_python_regex_full_match() -> None:
    on = exchange(headers={"id": "PAY-0042"})
    assert evaluate("${header.id} regex 'PAY-\\d+'", on) is True
    assert evaluate("${header.id} regex 'PAY'", on) is False
    assert evaluate("${header.missing} regex '.*'", on) is False


def test_right_side_functions_are_checked_when_evaluated() -> None:
    on = exchange(headers={"x": "abc", "pattern": "a.c", "type": "Nope", "range": "1..5"})
    assert evaluate("${header.x} regex ${header.pattern}", on) is True
    assert evaluate("3 range ${header.range}", on) is True
    with pytest.raises(ExpressionError, match="unknown type 'Nope'"):
        evaluate("${header.x} is ${header.type}", on)


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("Integer", 5, True),
        ("Integer", True, False),
        ("Long", 5, True),
        ("Double", 1.5, True),
        ("Float", 1.5, True),
        ("Boolean", False, True),
        ("Map", {}, True),
        ("java.util.Map", {}, True),
        ("List", ["a"], True),
        ("java.util.List", (1,), True),
        ("java.math.BigDecimal", Decimal(1), True),
        ("Number", Decimal(1), True),
        ("java.lang.Number", "1", False),
        ("Object", None, False),
        ("byte[]", b"x", True),
    ],
)
def test_is_maps_java_types_onto_python_types(type_name: str, value: Any, expected: bool) -> None:
    assert evaluate(f"${{header.v}} is '{type_name}'", exchange(headers={"v": value})) is expected


# -- simple-language.adoc: examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"foo": "abc"}, True), ({}, False), ({"foo": "false"}, False)],
)
def test_filter_on_a_header(headers: dict[str, Any], expected: bool) -> None:
    """simple-language.adoc: ``<filter><simple>${header.foo}</simple>``."""
    assert matches("${header.foo}", exchange(headers=headers)) is expected


@pytest.mark.parametrize(
    ("text", "on", "expected"),
    [
        pytest.param(
            "Hello ${header.user} how are you?",
            exchange(headers={"user": "Ann"}),
            "Hello Ann how are you?",
            id="simple-language.adoc: Hello ${header.user}",
        ),
        pytest.param(
            "The today is ${date:now:yyyyMMdd} and it is a great day.",
            exchange(),
            "The today is 20240506 and it is a great day.",
            id="simple-language.adoc: The today is ${date:now:yyyyMMdd}",
        ),
        pytest.param(
            "Hello ${bodyAs(String)} how are you?",
            exchange(42),
            "Hello 42 how are you?",
            id="simple-language.adoc: Hello ${bodyAs(String)}",
        ),
        pytest.param(
            "The gold value is ${header.type[gold]}",
            exchange(headers={"type": {"gold": "123"}}),
            "The gold value is 123",
            id="simple-language.adoc: ${header.type[gold]}",
        ),
        pytest.param(
            "The following text\\nis on a new line",
            exchange(),
            "The following text\nis on a new line",
            id="simple-language.adoc: \\n",
        ),
        pytest.param(
            "You get some trailing whitespace characters.     ",
            exchange(),
            "You get some trailing whitespace characters.",
            id="simple-language.adoc: trim is the default",
        ),
        pytest.param("${bodyAs(String)}", exchange(42), "42", id="simple-functions.adoc: bodyAs"),
        pytest.param("${bodyAs(Integer)}", exchange("42"), 42, id="bodyAs(Integer)"),
        pytest.param(
            "${bodyAs(java.math.BigDecimal)}",
            exchange("1.50"),
            Decimal("1.50"),
            id="bodyAs(java.math.BigDecimal)",
        ),
        pytest.param("${bodyAs(String).length()}", exchange(12345), 5, id="bodyAs(String).OGNL"),
    ],
)
def test_examples(text: str, on: Exchange, expected: Any) -> None:
    assert evaluate(text, on) == expected


def test_result_type_boolean_is_a_predicate() -> None:
    """simple-language.adoc: ``simple("true", Boolean.class)``; Camel reads a Boolean result
    type as a predicate, so other text is true and null is false."""
    assert evaluate("true", result_type=bool) is True
    assert evaluate("${header.x}", exchange(headers={"x": "yes"}), bool) is True
    assert evaluate("${header.x}", exchange(), bool) is False
    assert evaluate("${header.x}", exchange(headers={"x": "FALSE"}), bool) is False


# -- simple-functions.adoc -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["${exchangeProperty.color}", "${exchangeProperty:color}", "${exchangeProperty[color]}"],
)
def test_exchange_property_spellings(text: str) -> None:
    """simple-functions.adoc: dot, colon and bracket notation return the same value."""
    assert evaluate(text, exchange(properties={"color": "red"})) == "red"


def test_exchange_properties_are_case_sensitive_and_may_hold_dots_in_brackets() -> None:
    on = exchange(properties={"color": "red", "a.b": 1, "a": {"b": 2}})
    assert evaluate("${exchangeProperty.Color}", on) is None
    assert evaluate("${exchangeProperty[a.b]}", on) == 1
    assert evaluate("${exchangeProperty.a.b}", on) == 1  # Camel tries the full name first
    assert evaluate("${exchangeProperty.a.b}", exchange(properties={"a": {"b": 2}})) == 2


@pytest.mark.parametrize(
    "text",
    [
        "${header.content-type}",
        "${header[content-type]}",
        "${header['content-type']}",
        "${headers.Content-Type}",
        "${headers:CONTENT-TYPE}",
        "${headers[content-type]}",
        "${in.header.content-type}",
        "${in.headers.content-type}",
    ],
)
def test_header_spellings_and_case_insensitive_names(text: str) -> None:
    """simple-language.adoc header functions; Camel's headers ignore the name's case."""
    assert evaluate(text, exchange(headers={"Content-Type": "application/json"})) == (
        "application/json"
    )


def test_header_exact_name_first_then_full_dotted_name_then_path() -> None:
    assert evaluate("${header.FOO}", exchange(headers={"foo": 1, "FOO": 2})) == 2
    assert evaluate("${header.kafka.KEY}", exchange(headers={"kafka.KEY": "k"})) == "k"
    assert evaluate("${header.a.b}", exchange(headers={"a": {"b": 3}})) == 3
    assert evaluate("${header.a.toUpperCase()}", exchange(headers={"a": "x"})) == "X"


def test_body_functions() -> None:
    """simple-functions.adoc: ``body`` is the message body as-is (``in.body`` too)."""
    payload = {"amount": Decimal("10.00")}
    assert evaluate("${body}", exchange(payload)) is payload
    assert evaluate("${in.body}", exchange(payload)) is payload


def test_headers_map_and_size() -> None:
    """simple-functions.adoc: ``headers`` is the map, ``${headers.size}`` its size."""
    on = exchange(headers={"a": 1, "b": 2})
    assert evaluate("${headers}", on) is on.headers
    assert evaluate("${in.headers}", on) is on.headers
    assert evaluate("${headers.size}", on) == 2
    assert evaluate("${headers.size()}", on) == 2


def test_ids_and_route() -> None:
    on = exchange()
    on.route_id = "payments"
    assert evaluate("${exchangeId}", on) == on.id
    assert evaluate("${id}", on) == on.id
    assert evaluate("${routeId}", on) == "payments"
    assert evaluate("${null}", on) is None


def test_exception_functions() -> None:
    """simple-functions.adoc: IllegalStateException("boom") gives ${exception.message} boom."""
    error = RuntimeError("boom")
    failed = exchange(exception=error)
    assert evaluate("${exception}", failed) is error
    assert evaluate("${exception.message}", failed) == "boom"
    assert evaluate("Failed: ${exception.message}", failed) == "Failed: boom"
    assert evaluate("${exception.message.toUpperCase()}", failed) == "BOOM"
    assert "RuntimeError: boom" in evaluate("${exception.stacktrace}", failed)
    assert evaluate("${exception.message}", exchange()) is None
    assert evaluate("${exception.message}", exchange(exception=RuntimeError())) is None


def test_exception_falls_back_to_the_caught_one() -> None:
    """simple-language.adoc: exception falls back to Exchange.EXCEPTION_CAUGHT."""
    on = exchange(properties={EXCEPTION_CAUGHT: ValueError("handled")})
    assert evaluate("${exception.message}", on) == "handled"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "${date:now:hh:mm:ss}", "07:08:09", id="simple-functions.adoc: date:now:hh:mm:ss"
        ),
        pytest.param("${date:now+8h:hh:mm:ss}", "03:08:09", id="simple-functions.adoc: now+8h"),
        pytest.param("${date:now-24h:yyyyMMdd}", "20240505", id="simple-language.adoc: now-24h"),
        pytest.param(
            "${date:now+1h30m-100:HH:mm:ss.SSS}",
            "08:38:09.023",
            id="simple-language.adoc: now+1h30m-100",
        ),
        pytest.param(
            "${date:header.birthday+24h:yyyyMMdd}",
            "19800102",
            id="simple-functions.adoc: date:header.birthday+24h",
        ),
        pytest.param(
            "${date:header.birthday-10s:yyyy-MM-dd'T'HH:mm:ss:SSS}",
            "1979-12-31T23:59:50:000",
            id="simple-functions.adoc: date:header.birthday-10s",
        ),
        pytest.param(
            "${date:exchangeProperty.birthday:yyyyMMdd}",
            "19800101",
            id="simple-functions.adoc: date:exchangeProperty.birthday",
        ),
        pytest.param("${date:header.millis:yyyy}", "1970", id="date from epoch millis"),
        pytest.param("${date:millis}", 1714979289123, id="simple-functions.adoc: date:millis"),
        pytest.param("${date:now}", CLOCK, id="simple-language.adoc: date:now is a date"),
        pytest.param(
            "${date:now:yy-M-d H:m EEE EEEE MMM MMMM a}",
            "24-5-6 7:8 Mon Monday May May AM",
            id="SimpleDateFormat letters",
        ),
        pytest.param(
            "${date:now:Z X XX XXX z ''}", "+0000 Z Z Z UTC '", id="SimpleDateFormat zones"
        ),
        pytest.param(
            "now: ${date:now}",
            "now: Mon May 06 07:08:09 UTC 2024",
            id="a date in a template prints as java.util.Date",
        ),
    ],
)
def test_dates(text: str, expected: Any) -> None:
    birthday = datetime(1980, 1, 1, tzinfo=UTC)
    on = exchange(headers={"birthday": birthday, "millis": 0}, properties={"birthday": birthday})
    assert evaluate(text, on) == expected


def test_date_exchange_created_and_offsets_keep_the_zone() -> None:
    """simple-functions.adoc: ``${date:exchangeCreated:hh:mm:ss a}``."""
    on = exchange()
    on.created_at = datetime(2024, 1, 2, 15, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert evaluate("${date:exchangeCreated:hh:mm:ss a}", on) == "03:04:05 PM"
    assert evaluate("${date:exchangeCreated:XXX Z X z}", on) == "+02:00 +0200 +02 GMT+02:00"


def test_date_from_a_header_that_is_no_date_is_an_error() -> None:
    with pytest.raises(ExpressionError, match=r"header\.when"):
        evaluate("${date:header.when:yyyy}", exchange(headers={"when": "2024"}))


def test_random_bounds_are_min_included_max_excluded() -> None:
    """simple-functions.adoc: random(10) is 0..9, random(18,50) is 18..49."""
    calls: list[tuple[int, int]] = []

    class Recording(random.Random):
        def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
            assert stop is not None
            calls.append((start, stop))
            return stop - 1

    on = exchange(headers={"max": "50"})
    assert simple("${random(10)}", rng=Recording())(on) == 9
    assert simple("${random(18, ${header.max})}", rng=Recording())(on) == 49
    assert calls == [(0, 10), (18, 50)]


def test_random_is_deterministic_with_an_injected_rng() -> None:
    expected = random.Random(3).randrange(18, 50)
    assert simple("${random(18,50)}", rng=random.Random(3))(exchange()) == expected


def test_random_with_bad_bounds_from_a_header_fails_when_evaluated() -> None:
    with pytest.raises(ExpressionError, match="min < max"):
        evaluate("${random(${header.max})}", exchange(headers={"max": 0}))


# -- methods on values (Java's meaning) ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "body", "expected"),
    [
        ("${body.size()}", ["a", "b"], 2),
        ("${body.size()}", {"a": 1}, 1),
        ("${body.size}", {"size": "L"}, "L"),
        ("${body.length()}", "héllo", 5),
        ("${body.length()}", b"abc", 3),
        ("${body.isEmpty()}", "", True),
        ("${body.isEmpty()}", {}, True),
        ("${body.startsWith('PAY')}", "PAY-1", True),
        ('${body.endsWith("-1")}', "PAY-1", True),
        ("${body.contains('Y-')}", "PAY-1", True),
        ("${body.contains('b')}", ["a", "b"], True),
        ("${body.contains(1)}", [True], False),
        ("${body.toUpperCase()}", "card", "CARD"),
        ("${body.toLowerCase()}", "CARD", "card"),
        ("${body.trim()}", "\t card \n", "card"),
        ("${body.trim()}", "\u00a0card ", "\u00a0card"),
        ("${body.substring(2)}", "PAY-1", "Y-1"),
        ("${body.substring(0, 3)}", "PAY-1", "PAY"),
        ("${body.trim().toUpperCase()}", " card ", "CARD"),
        ("${body.trim().substring(1).length()}", " card ", 3),
        ("${body.kind.toUpperCase()}", {"kind": "card"}, "CARD"),
    ],
)
def test_methods(text: str, body: Any, expected: Any) -> None:
    assert evaluate(text, exchange(body)) == expected


def test_methods_on_headers_properties_and_with_function_arguments() -> None:
    on = exchange("PAY-1", headers={"x": " a "}, properties={"p": "abc"})
    assert evaluate("${header.x.trim()}", on) == "a"
    assert evaluate("${exchangeProperty.p.substring(1, 2)}", on) == "b"
    assert evaluate("${body.startsWith(${exchangeProperty.p.substring(0, 0)})}", on) is True


@pytest.mark.parametrize(
    ("text", "body", "message"),
    [
        ("${body.size()}", "text", "String has no method size"),
        ("${body.toUpperCase()}", 5, "Integer has no method toUpperCase"),
        ("${body.substring(3, 9)}", "PAY-1", "out of range"),
        ("${body.substring(3, 2)}", "PAY-1", "out of range"),
        ("${body.startsWith(null)}", "PAY-1", "null"),
    ],
)
def test_method_refusals_when_evaluated(text: str, body: Any, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(text, exchange(body))


# -- templates, escapes and rendering --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "headers", "expected"),
    [
        pytest.param("flag=${header.v}", {"v": True}, "flag=true", id="booleans as true/false"),
        pytest.param("x=${header.v}.", {}, "x=.", id="null prints nothing (concatExpression)"),
        pytest.param("${header.v}!", {"v": Decimal("1E+2")}, "100!", id="Decimal plain"),
        pytest.param("${header.v}!", {"v": Decimal("10.50")}, "10.50!", id="Decimal scale kept"),
        pytest.param("${header.v}!", {"v": 1e10}, "1.0E10!", id="double as Java prints it"),
        pytest.param("${header.v}!", {"v": 1.5}, "1.5!", id="double, plain"),
        pytest.param("${header.v}!", {"v": ["a", None]}, "[a, null]!", id="list as Java"),
        pytest.param("${header.v}!", {"v": {"a": 1}}, "{a=1}!", id="map as Java"),
        pytest.param("${header.v}!", {"v": b"caf\xc3\xa9"}, "café!", id="bytes as UTF-8"),
        pytest.param("${header.v}!", {"v": Status.PAID}, "paid!", id="an enum as its value"),
        pytest.param("a\\tb\\rc\\}", {}, "a\tb\rc}", id="simple-functions.adoc: built-in symbols"),
        pytest.param('{"id": "${header.v}"}', {"v": 7}, '{"id": "7"}', id="} as text in JSON"),
        pytest.param("cost: 5$ ${header.v}", {"v": 7}, "cost: 5$ 7", id="$ alone is text"),
        pytest.param("a\\b", {}, "a\\b", id="other backslashes are text"),
        pytest.param(
            "$simple{header.v}", {"v": 7}, 7, id="simple-language.adoc: $simple{ } syntax"
        ),
        pytest.param("${header.v}", {"v": 7}, 7, id="one function gives its value itself"),
        pytest.param("", {}, "", id="empty text is empty"),
        pytest.param("true", {}, "true", id="no function: the text itself"),
        pytest.param(
            "Payment ${header.v} is late",
            {"v": 7},
            "Payment 7 is late",
            id="an operator word inside a template is text",
        ),
        pytest.param(
            "${header.v}==7",
            {"v": 7},
            "7==7",
            id="simple-operators.adoc: without spaces around it, == is text",
        ),
        pytest.param("Hello ${header.v}!", {"v": 7}, "Hello 7!", id="text glued to a function"),
    ],
)
def test_templates(text: str, headers: dict[str, Any], expected: Any) -> None:
    assert evaluate(text, exchange(headers=headers)) == expected


def test_quoted_text_in_a_predicate_may_hold_functions() -> None:
    on = exchange(headers={"a": "x-1", "b": "x", "n": 1})
    assert evaluate("${header.a} == '${header.b}-${header.n}'", on) is True
    assert evaluate("${header.n} == '${header.n}'", on) is True  # one function: its value


# -- predicate_value and result types --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        (" false ", False),
        ("", False),
        ("  ", False),
        ("abc", True),
        (None, False),
        ([], False),
        ([0], True),
        ((), False),
        ({}, True),
        (0, True),
        (b"", True),
    ],
)
def test_predicate_value_follows_evaluate_value_predicate(value: Any, expected: bool) -> None:
    """ObjectHelper.evaluateValuePredicate: Boolean as is, text true/false, blank text false,
    a Collection true when not empty, null false, anything else (a Map, 0) true."""
    assert predicate_value(value) is expected


@pytest.mark.parametrize(
    ("value", "result_type", "expected"),
    [
        ("42", int, 42),
        (Decimal("4.9"), int, 4),
        (4.9, int, 4),
        (True, str, "true"),
        (42, str, "42"),
        ("10.50", Decimal, Decimal("10.50")),
        (1.5, Decimal, Decimal("1.5")),
        ("1e3", float, 1000.0),
        (7, float, 7.0),
        (None, int, None),
    ],
)
def test_result_types(value: Any, result_type: type, expected: Any) -> None:
    """Camel's converters: Number.intValue truncates; text must be a number in Java's syntax."""
    converted = evaluate("${header.v}", exchange(headers={"v": value}), result_type)
    assert converted == expected
    assert type(converted) is type(expected)


@pytest.mark.parametrize(
    ("value", "result_type"),
    [("4.2", int), ("abc", Decimal), (True, int), (" 5", int), (float("nan"), int)],
)
def test_result_type_conversion_failures(value: Any, result_type: type) -> None:
    with pytest.raises(ExpressionError, match="cannot convert"):
        evaluate("${header.v}", exchange(headers={"v": value}), result_type)


def test_predicates_give_a_bool_and_matches() -> None:
    predicate = simple("${header.a} == 1")
    assert simple("${header.a}")(exchange(headers={"a": "1"})) == "1"
    assert predicate(exchange(headers={"a": "1"})) is True
    assert predicate.matches(exchange(headers={"a": "2"})) is False
    assert simple("${header.a} == 1", str)(exchange(headers={"a": 1})) == "true"


# -- the Simple object -----------------------------------------------------------------------


def test_equality_and_hash_by_text_and_result_type_only() -> None:
    first = simple("${header.a}", int, clock=at_clock, rng=random.Random(1))
    second = Simple("${header.a}", int)
    with pytest.raises(FrozenInstanceError):
        first.text = "${body}"  # type: ignore[misc]
    assert first == second
    assert hash(first) == hash(second)
    assert first != simple("${header.a}")
    assert {first: "x"}[second] == "x"


@pytest.mark.parametrize(
    "result_type", [list, dict, bytes, type(None)], ids=lambda kind: kind.__name__
)
def test_unsupported_result_types_are_refused(result_type: type) -> None:
    with pytest.raises(ExpressionError, match="unsupported result type"):
        simple("${body}", result_type)


# -- refusals when built ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named", "column"),
    [
        pytest.param("${bodyy}", "'bodyy'", "column 3", id="unknown function"),
        pytest.param("${header}", "header needs a name", "column 3", id="header without name"),
        pytest.param("${exchangeProperty}", "needs a name", "column 3", id="property no name"),
        pytest.param("${header.}", "needs a fixed name", "column 10", id="header, empty name"),
        pytest.param("${header[]}", "needs a fixed name", "column 10", id="header, empty key"),
        pytest.param("${foo()}", "'foo()'", "column 3", id="unknown function with ()"),
        pytest.param("${}", "unknown function ''", "column 3", id="empty function"),
        pytest.param("x ${body.foo()}", "'foo()'", "column 10", id="unknown method"),
        pytest.param("${body?.foo()}", "'foo()'", "column 9", id="unknown method, null safe"),
        pytest.param("${body.size(1)}", "size() takes 0", "column 8", id="wrong arity"),
        pytest.param("${body.substring(a)}", "'a'", "column 18", id="unquoted argument"),
        pytest.param("${date:now:yyyy-QQ}", "'QQ'", "column 17", id="bad date pattern letter"),
        pytest.param("${date:now:XXXX}", "'XXXX'", "column 12", id="bad zone pattern"),
        pytest.param("${date:now:'T}", "unterminated quote", "column 12", id="date pattern quote"),
        pytest.param("${date:file}", "'file'", "column 8", id="unsupported date command"),
        pytest.param("${date:now+1x}", "'+1x'", "column 11", id="bad date offset"),
        pytest.param("${header.a} === 'x'", "'==='", "column 13", id="unknown operator"),
        pytest.param("${header.a} <> 'x'", "'<>'", "column 13", id="unknown operator <>"),
        pytest.param("${header.a} ==", "'=='", "column 13", id="operator without operand"),
        pytest.param(
            "${header.a} == 1 && (${header.b} == 2)",
            "'('",
            "column 21",
            id="no parentheses in Simple",
        ),
        pytest.param("(${header.a} == 1)", "'('", "column 1", id="no leading parenthesis"),
        pytest.param(
            "${header.a} ?: 'Guest'",
            "'?:'",
            "column 13",
            id="simple-operators.adoc: elvis ${header.username} ?: 'Guest'",
        ),
        pytest.param(
            "${header.a} ~> ${header.b}", "'~>'", "column 13", id="simple-operators.adoc: chain ~>"
        ),
        pytest.param(
            "${header.foo > 0 ? 'a' : 'b'}",
            "' '",
            "column 13",
            id="simple-operators.adoc: ternary inside a function",
        ),
        pytest.param(
            "${header.bar}++", "++", "column 14", id="simple-operators.adoc: unary ${header.bar}++"
        ),
        pytest.param(
            "${header.myNumber}++ > 10",
            "++",
            "column 19",
            id="simple-operators.adoc: ${header.myNumber}++ > 10",
        ),
        pytest.param(
            "${bean:orderService?method=getOrderType}",
            "'bean:",
            "column 3",
            id="simple-language.adoc: ${bean:...} is not supported",
        ),
        pytest.param(
            "OrderId: ${bean:orderIdGenerator}",
            "'bean:orderIdGenerator'",
            "column 12",
            id="simple-language.adoc: OrderId: ${bean:orderIdGenerator} is not supported",
        ),
        pytest.param(
            "resource:classpath:mysimple.txt",
            "resource",
            "column 1",
            id="simple-language.adoc: loading from resource:classpath:mysimple.txt",
        ),
        pytest.param(
            "${properties:${header.someKey}}",
            "'properties:",
            "column 3",
            id="simple-language.adoc: ${properties:...} is not supported",
        ),
        pytest.param(
            "${replace(&quot; , &apos;)}",
            "'replace(",
            "column 3",
            id="simple-language.adoc: ${replace(...)} is not supported",
        ),
        pytest.param(
            "${uppercase()}",
            "body.toUpperCase()",
            "column 3",
            id="simple-functions.adoc: uppercase(), with its alternative",
        ),
        pytest.param(
            "${date-with-timezone:now:GMT+8:HH}",
            "'date-with-timezone",
            "column 3",
            id="simple-language.adoc: date-with-timezone is not supported",
        ),
        pytest.param("${body", "'${'", "column 1", id="unterminated function"),
        pytest.param("${random(5,5)}", "min < max", "column 10", id="random(5,5)"),
        pytest.param("${random(1,2,3)}", "1 or 2 arguments", "column 10", id="random arity"),
        pytest.param("${bodyAs(Foo)}", "'Foo'", "column 10", id="bodyAs unknown type"),
        pytest.param("${body[${header.k}]}", "[${header.k}]", "column 8", id="dynamic key"),
        pytest.param("${body.}", "expected a name", "column 8", id="path ends with a dot"),
        pytest.param("line one\n  ${bodyy}", "'bodyy'", "line 2, column 5", id="second line"),
    ],
)
def test_refusals_name_the_token_and_its_column(text: str, named: str, column: str) -> None:
    message = refusal(text)
    assert named in message
    assert f"at {column} " in message


@pytest.mark.parametrize(
    ("text", "template", "named", "column"),
    [
        pytest.param(
            "${body[name]} is ${body[age]} years old",
            "Camel is 3 years old",
            "'years'",
            "column 31",
            id="a setBody template with 'is' (camel_docs/unmarshal-eip.yaml)",
        ),
        pytest.param(
            "${header.a} == widget", "A == widget", "'widget'", "column 16", id="unquoted text"
        ),
        pytest.param(
            "${header.a} not in 'x'", "A not in 'x'", "'not'", "column 13", id="not in: write !in"
        ),
        pytest.param(
            "${header.a} == 1 ${header.a}",
            "A == 1 A",
            "'${header.a}'",
            "column 18",
            id="two operands without an operator",
        ),
        pytest.param(
            "${header.a} == 'abc", "A == 'abc", "quote '", "column 16", id="unterminated quote"
        ),
        pytest.param(
            "${header.a} regex '['",
            "A regex '['",
            "invalid regular expression",
            "column 19",
            id="bad regex",
        ),
        pytest.param(
            "${header.a} regex 5",
            "A regex 5",
            "quoted text or a function",
            "column 19",
            id="regex needs text",
        ),
        pytest.param(
            "${header.a} is 'Foo'",
            "A is 'Foo'",
            "unknown type 'Foo'",
            "column 16",
            id="unknown type name",
        ),
        pytest.param(
            "${header.a} range '1-5'", "A range '1-5'", "invalid range", "column 19", id="bad range"
        ),
    ],
)
def test_texts_camel_reads_as_templates_but_refuses_as_predicates(
    text: str, template: str, named: str, column: str
) -> None:
    """Camel's expression parser prints these, its predicate parser refuses them: so
    calling gives the text, and ``matches`` refuses, naming the token and its column."""
    expression = simple(text)
    on = exchange({"name": "Camel", "age": 3}, headers={"a": "A"})
    assert expression(on) == template
    with pytest.raises(ExpressionError) as caught:
        expression.matches(on)
    assert named in str(caught.value)
    assert f"at {column} " in str(caught.value)


def test_a_template_read_as_a_predicate_is_the_predicate_value_of_its_text() -> None:
    assert matches("Hello ${header.a}", exchange(headers={"a": "x"})) is True
    assert matches("${header.a}", exchange(headers={"a": " false "})) is False


def test_a_refused_typo_suggests_the_function_meant() -> None:
    assert "did you mean 'body'" in refusal("${bodyy}")
    assert "did you mean 'header'" in refusal("${headr.x}")


def test_text_must_be_text() -> None:
    with pytest.raises(ExpressionError, match="text"):
        simple(5)  # type: ignore[arg-type]

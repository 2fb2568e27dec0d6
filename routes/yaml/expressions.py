"""Camel's expression forms in a route file. An expression is given inline, beside the
step's other keys (``filter: {simple: "${header.x} == 1", steps: [...]}``), or under
``expression`` (``filter: {expression: {simple: ...}}``); a language's value is its
text, or ``{expression: text, resultType: ...}``. Languages: ``simple``, ``constant``,
``header``, ``exchangeProperty``, ``method`` (a bound bean, called with the exchange),
``tokenize`` and ``ref``. Any other of Camel's languages is refused by name."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from routes.eips.conversions import convert, type_named
from routes.expressions import (
    Constant,
    Expression,
    constant,
    exchange_property,
    header,
    method,
    ref,
    tokenize,
)
from routes.predicates import predicate_value
from routes.simple import simple
from routes.yaml.spec import Node, Spec

LANGUAGES = ("simple", "constant", "header", "exchangeProperty", "method", "tokenize", "ref")
# Camel's languages this engine does not have: refused with their name.
_FOREIGN = frozenset(
    {
        "jsonpath", "jq", "xpath", "xquery", "xtokenize", "groovy", "js", "javaScript",
        "python", "mvel", "ognl", "spel", "datasonnet", "joor", "java", "csimple",
        "hl7terser", "wasm", "variable", "language",
    }
)  # fmt: skip


class LanguageSpec(Spec):
    """``{expression: text, resultType: java.lang.Integer}``: a language's long form."""

    expression: Any
    result_type: str | None = None
    trim: bool = True


class MethodSpec(Spec):
    ref: str
    method: str | None = None


class TokenizeSpec(Spec):
    token: str
    regex: bool = False
    skip_first: bool = False


class Inline(Spec):
    """An expression given by one of Camel's languages, inline or under ``expression``."""

    simple: str | LanguageSpec | None = None
    constant: Any = None
    header: str | LanguageSpec | None = None
    exchange_property: str | LanguageSpec | None = None
    method: MethodSpec | None = None
    tokenize: TokenizeSpec | None = None
    ref: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_foreign_language(cls, data: Any) -> Any:
        if isinstance(data, dict):
            foreign = sorted(_FOREIGN & data.keys())
            if foreign:
                raise ValueError(
                    f"the {foreign[0]} language is not supported here: write it in simple "
                    f"(languages: {', '.join(LANGUAGES)})"
                )
        return data

    def given(self) -> list[str]:
        return [name for name in LANGUAGES if name in self._set_aliases()]

    def _set_aliases(self) -> set[str]:
        fields = type(self).model_fields
        return {fields[name].alias or name for name in self.model_fields_set}

    def build(self) -> Expression:
        """The expression; ValueError unless exactly one language is given."""
        given = self.given()
        if len(given) != 1:
            raise ValueError(
                f"needs exactly one expression ({', '.join(LANGUAGES)}), given {len(given)}"
            )
        return _build(given[0], self)


class ExpressionAware(Node, Inline):
    """A step whose expression is inline or under ``expression``."""

    expression: Inline | None = Field(default=None)

    def build_expression(self) -> Expression:
        inline = self.given()
        if self.expression is not None and not inline:
            return self.expression.build()
        if self.expression is not None:
            raise ValueError("the expression is given both inline and under 'expression'")
        return self.build()


def _build(language: str, spec: Inline) -> Expression:
    value = getattr(spec, _field(language))
    if isinstance(value, LanguageSpec):
        text, result_type, trim = value.expression, value.result_type, value.trim
    else:
        text, result_type, trim = value, None, True
    match language:
        case "simple":
            return simple(str(text), type_named(result_type) if result_type else None, trim=trim)
        case "constant":
            return constant(convert(text, type_named(result_type)) if result_type else text)
        case "header":
            return header(str(text))
        case "exchangeProperty":
            return exchange_property(str(text))
        case "ref":
            return ref(str(text))
        case "method":
            assert isinstance(value, MethodSpec)
            return method(value.ref, value.method)
    assert isinstance(value, TokenizeSpec)
    return tokenize(value.token, regex=value.regex, skip_first=value.skip_first)


def _field(language: str) -> str:
    return "exchange_property" if language == "exchangeProperty" else language


def predicate_flag(value: bool | Inline) -> bool | Expression:
    """``handled: true`` or ``handled: {constant: true}`` as a bool; a predicate as is."""
    if isinstance(value, bool):
        return value
    built = value.build()
    if isinstance(built, Constant):
        return predicate_value(built.value)
    return built

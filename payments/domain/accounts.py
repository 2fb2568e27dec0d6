"""Account identifiers: one grammar wherever an account enters (the create-order request,
the execution command a processor reads) and one spelling wherever it is kept or sent.

An account is 1 to 34 ASCII letters and digits — ISO 20022 allows 34 characters for an
account id, and IBANs (ISO 13616) and the BBANs inside them are letters and digits —
optionally written in groups separated by single spaces, as an IBAN's print form is. It
is kept upper-case without the spaces (the electronic form), so two spellings of one
account are one account. Anything else is refused, never cleaned up: a control or format
character (NUL, a right-to-left override) hides part of the account from whoever reads
it, and a look-alike from another script (a fullwidth D, U+FF24; a Cyrillic A, U+0410)
or a letter that upper-cases into ASCII (sharp s, U+00DF, into SS; a dotless i, U+0131,
into I) is a second spelling a bank may read differently.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

ACCOUNT_MAX_LENGTH = 34  # ISO 20022 Max34Text; an IBAN has at most 34 characters too
ACCOUNT_RULE = (
    f"1 to {ACCOUNT_MAX_LENGTH} ASCII letters and digits, "
    "optionally in groups separated by single spaces"
)
# The grammar as sent, in the dialect JSON Schema uses (ECMA-262); matched whole.
ACCOUNT_PATTERN = rf"^[A-Za-z0-9](?: ?[A-Za-z0-9]){{0,{ACCOUNT_MAX_LENGTH - 1}}}$"
_ACCOUNT = re.compile(ACCOUNT_PATTERN)
_ALLOWED = frozenset(string.ascii_letters + string.digits + " ")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
# How a refusal names a character unicodedata has no name for, by its category.
_UNNAMED = {
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}


def normalize_account(text: str) -> str:
    """The electronic form (no spaces, upper case) of an account as sent; a ValueError
    says what is allowed, and what in ``text`` is not."""
    if not _ACCOUNT.fullmatch(text):
        raise ValueError(f"must be {ACCOUNT_RULE}; {_why_refused(text)}")
    return text.replace(" ", "").upper()


def _why_refused(text: str) -> str:
    for char in text:
        if char not in _ALLOWED:
            return f"{_describe(char)} is not allowed"
    compact = text.replace(" ", "")
    if not compact:
        return "it has none"
    if len(compact) > ACCOUNT_MAX_LENGTH:
        return f"it has {len(compact)}"
    return "a space may only stand between two of them"


def _describe(char: str) -> str:
    """A character by code point and name: never the character itself, which may be
    invisible or reorder the text around it."""
    name = unicodedata.name(char, "") or _UNNAMED.get(unicodedata.category(char), "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


Account = Annotated[
    str,
    AfterValidator(normalize_account),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ACCOUNT_PATTERN,
            "minLength": 1,
            "maxLength": 2 * ACCOUNT_MAX_LENGTH - 1,
            "description": (
                f"an account id (an IBAN, or a domestic account number): {ACCOUNT_RULE}; "
                "kept and sent upper-case without the spaces"
            ),
            "examples": ["DE89370400440532013000"],
        }
    ),
]
"""An account id in any spelling the grammar allows, validated to its electronic form."""


def looks_like_iban(account: str) -> bool:
    return bool(_IBAN_SHAPE.match(account.replace(" ", "")))


def iban_checksum_ok(account: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97."""
    compact = account.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1

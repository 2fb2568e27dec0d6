"""Masking account numbers (and the credentials in URIs) in log lines: a log is read by
more people than an order.

Three shapes are caught wherever they appear in a line: an IBAN (``DE89 3704 …``
too), a long run of digits (a domestic account number), and any value written
after a name containing "account" (``debtorAccount``, ``debtor_account=``…), so an
account of no known shape is masked when it comes with its name. A masked value
keeps what helps to tell accounts apart and nothing more: an IBAN's country code
and the last four characters (``DE******************3000``).
"""

from __future__ import annotations

import re

from endpoints.uri import mask_credentials

# compact, or printed in groups of four
_IBAN = re.compile(
    r"\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b"
)
# not next to a letter, digit or dash: not part of an id such as a UUID
_DIGITS = re.compile(r"(?<![\w-])[0-9]{10,34}(?![\w-])")
# name, optional closing quote, separator, optional opening quote, then the value
_NAMED = re.compile(
    r"""(?i)(\w*account\w*['"]?\s*[:=]\s*['"]?)([^'",\s)}\]]+)""",
)


def mask_value(value: str) -> str:
    """The value with all but its last four characters (and an IBAN's country code)
    replaced by ``*``."""
    compact = value.replace(" ", "")
    if len(compact) <= 4:
        return "*" * len(compact)
    keep_head = 2 if _IBAN.fullmatch(value) else 0  # the country code
    return compact[:keep_head] + "*" * (len(compact) - keep_head - 4) + compact[-4:]


def mask(text: str) -> str:
    """What a log line may show: account numbers and the credentials of URIs masked."""
    return mask_accounts(mask_credentials(text))


def mask_accounts(text: str) -> str:
    text = _IBAN.sub(lambda m: mask_value(m.group(0)), text)
    text = _DIGITS.sub(lambda m: mask_value(m.group(0)), text)
    return _NAMED.sub(_mask_named, text)


def _mask_named(match: re.Match[str]) -> str:
    value = match.group(2)
    return match.group(0) if "*" in value else match.group(1) + mask_value(value)

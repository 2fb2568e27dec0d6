"""pain.001 files as a company's ERP sends them, written by ``sepaxml`` (a well-kept SEPA
client library): for ``python -m bench.files`` and for the tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sepaxml import SepaTransfer

DEBTOR = "DE89370400440532013000"
CREDITOR = "FR1420041010050500013M02606"
DAY = date(2026, 12, 8)


def sepa_file(
    folder: Path, message: str, transfers: int, *, day: date = DAY, name: str = "file.xml"
) -> Path:
    """A pain.001 of one payment information block of ``transfers`` credit transfers
    from DEBTOR to CREDITOR, the n-th of 1.00 + n cents EUR, end-to-end id E2E-<n>."""
    config = {
        "name": "Shop A GmbH",
        "IBAN": DEBTOR,
        "BIC": "COBADEFFXXX",
        "batch": True,
        "currency": "EUR",
    }
    sepa = SepaTransfer(config, schema=message, clean=True)
    for n in range(transfers):
        sepa.add_payment(
            {
                "name": f"Creditor {n}",
                "IBAN": CREDITOR,
                "BIC": "BNPAFRPPXXX",
                "amount": 100 + n,  # in cents
                "execution_date": day,
                "description": f"invoice {n}",
                "endtoend_id": f"E2E-{n}",
            }
        )
    path = folder / name
    path.write_bytes(sepa.export(validate=True, pretty_print=True))
    return path


def amount_of(n: int) -> Decimal:
    """The amount ``sepa_file`` gives its n-th transfer."""
    return Decimal(100 + n) / 100

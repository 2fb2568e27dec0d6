"""pain.001 files for the tests: written by ``sepaxml`` (``bench.pain001``), and edited
by hand for the edge cases."""

from __future__ import annotations

from pathlib import Path

from bench.pain001 import CREDITOR, DAY, DEBTOR, amount_of, sepa_file

__all__ = ["CREDITOR", "DAY", "DEBTOR", "amount_of", "edited", "sepa_file"]


def edited(path: Path, old: str, new: str, count: int = 1) -> Path:
    """The file with ``old`` replaced by ``new`` (which must be there ``count`` times)."""
    text = path.read_text()
    assert text.count(old) == count, f"{old!r} is {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))
    return path

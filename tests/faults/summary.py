"""One line per fault scenario — orders, faults injected, lost, duplicated, time to
recover — printed by the test and repeated at the end of the pytest run, so the
figures of a run are seen without ``-s``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

REPORTS: list[FaultReport] = []


@dataclass(frozen=True)
class FaultReport:
    scenario: str
    orders: int
    faults: str  # what was injected, e.g. "1 SIGKILL"
    lost: int  # accepted orders not terminal, or with no ledger entry
    duplicated: int  # orders with more than one ledger entry
    # Seconds from the end of the fault (worker replaced, server answering again, last
    # poison record sent; for a flood, its start) until everything settled.
    recovered_in: float
    note: str = ""  # further figures of the scenario

    def line(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return (
            f"fault scenario={self.scenario} orders={self.orders} faults=[{self.faults}] "
            f"lost={self.lost} duplicated={self.duplicated} "
            f"recovered_in={self.recovered_in:.1f}s{note}"
        )


def report(result: FaultReport) -> FaultReport:
    REPORTS.append(result)
    print(result.line())
    return result


@dataclass(frozen=True)
class LedgerCheck:
    missing: frozenset[str]  # orders without a ledger entry
    doubled: frozenset[str]  # orders with more than one
    unknown: frozenset[str]  # entries for no order of the scenario


def check_ledger(order_ids: Iterable[str], ledger_keys: Iterable[str]) -> LedgerCheck:
    """Compare the orders with the bank's ledger, whose idempotency key is the order id."""
    expected = set(order_ids)
    counts = Counter(ledger_keys)
    return LedgerCheck(
        missing=frozenset(expected - set(counts)),
        doubled=frozenset(key for key, count in counts.items() if count > 1),
        unknown=frozenset(set(counts) - expected),
    )

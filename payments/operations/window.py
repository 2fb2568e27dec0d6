"""The time window an operator's command is bounded by: ``--since`` and ``--until``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Window:
    """[since, until): from ``since`` on, before ``until``; either may be open."""

    since: datetime | None = None
    until: datetime | None = None

    def __contains__(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, what: str) -> None:
        """``--since``/``--until`` on ``parser``; ``what`` says what they bound."""
        parser.add_argument("--since", type=instant, help=f"{what} at or after this time")
        parser.add_argument("--until", type=instant, help=f"{what} before this time")

    @classmethod
    def of(cls, args: argparse.Namespace) -> Window:
        return cls(args.since, args.until)


ALWAYS = Window()  # open on both sides


def instant(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-01``, ``2026-12-01T09:30:00+01:00``); one without an
    offset is UTC. The name is argparse's: "invalid instant value: '…'"."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

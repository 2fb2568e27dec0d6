"""The event loop the project's processes run on: libuv's (uvloop) where it builds,
not on Windows, where asyncio's own runs. In an A/B of four pairs of open-loop
benchmark runs at 28 orders/s, POST p95 was 17-21 ms on uvloop against 19-28 ms,
submit-to-EXECUTED p95 78-110 ms against 99-164 ms."""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from asyncio import run
else:
    from uvloop import run

__all__ = ["run"]

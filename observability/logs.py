"""Structured logs: one JSON object per line (or plain text), each naming the route,
the exchange and the correlation id it was written for, and the trace it belongs
to, with account numbers and credentials masked.

The names come from what is running (``routes.context``, the current span), so a
processor only logs what it knows itself, e.g. ``extra={"order_id": ...}``; every
``extra`` field becomes a field of the JSON object.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from opentelemetry import trace

from observability.masking import mask
from routes.context import current_routing

LogFormat = Literal["json", "text"]

# What every LogRecord has; anything else on a record came with ``extra``.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_TEXT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


class ContextFilter(logging.Filter):
    """Adds ``route_id``, ``exchange_id``, ``correlation_id``, ``trace_id`` and
    ``span_id`` of what is running, unless the record has them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields: dict[str, Any] = {}
        routing = current_routing()
        if routing is not None:
            fields.update(
                route_id=routing.route_id,
                exchange_id=routing.exchange.id,
                correlation_id=routing.correlation_id,
            )
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            fields.update(trace_id=f"{span.trace_id:032x}", span_id=f"{span.span_id:016x}")
        for name, value in fields.items():
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(
            (name, value) for name, value in vars(record).items() if name not in _RECORD_FIELDS
        )
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        return mask(json.dumps(document, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(_TEXT, defaults={"correlation_id": "-"})

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def log_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Make the root logger write ``log_format`` lines at ``level`` to stderr."""
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.addHandler(log_handler(log_format))
    root.setLevel(level)

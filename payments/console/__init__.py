"""The operators' console of the ingestion service: one page drawn in the browser."""

from payments.console.api import CONSOLE_PATH, add_console

__all__ = ["CONSOLE_PATH", "add_console"]

"""Why a service does not start: a setting that cannot work, or a server that does not
answer; ``app.py`` says either in one line and exits 2 or 1."""

from __future__ import annotations


class ConfigurationError(ValueError):
    pass


class ServerUnreachable(RuntimeError):
    """A server the settings name did not answer at start: the message says which
    setting, which server and what happened, in one line."""

    def __init__(self, setting: str, server: str, reason: str) -> None:
        super().__init__(f"{setting}={server}: {reason}")

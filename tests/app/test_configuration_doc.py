"""docs/configuration.md lists every setting as the settings model has it."""

from __future__ import annotations

from config.reference import DOC, rendered
from config.settings import Settings


def test_every_setting_has_a_description() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_the_documented_table_is_what_the_settings_model_generates() -> None:
    document = DOC.read_text(encoding="utf-8")
    stale = f"{DOC} does not match config/settings.py: run `python -m config.reference`"
    assert rendered(document) == document, stale

"""The broker's storage formats whatever random cluster id it draws (the real tool)."""

from __future__ import annotations

from pathlib import Path

import pytest

import infra.kafka
from infra import cache_dir
from infra.kafka import Kafka


def test_storage_formats_with_a_cluster_id_that_begins_with_a_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = "-" + infra.kafka.new_cluster_id()[1:]
    monkeypatch.setattr(infra.kafka, "new_cluster_id", lambda: drawn)
    kafka = Kafka(cache_dir(), tmp_path)
    if not kafka.installed():
        kafka.install()

    kafka.prepare()

    assert f"cluster.id={drawn}" in (kafka.data_dir / "meta.properties").read_text()

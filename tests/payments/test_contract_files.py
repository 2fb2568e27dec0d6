"""The committed contracts (``schemas/``) are what the models generate, and the AsyncAPI
document is valid AsyncAPI 3.0 whose every reference resolves and whose channels are
the topics the services use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import pytest
from jsonschema import Draft202012Validator

from payments.contracts.files import REGENERATE, SCHEMAS_DIR, render, write
from payments.domain.topics import TopicNames
from tests.payments.wire import asyncapi_document, schema_at, validate_asyncapi

RENDERED = render()


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_the_committed_file_is_what_the_models_generate(name: str) -> None:
    committed = SCHEMAS_DIR / name
    stale = f"schemas/{name} does not match the models: run `{REGENERATE}` and commit it"
    assert committed.exists(), stale
    assert committed.read_text(encoding="utf-8") == RENDERED[name], stale


def test_schemas_holds_no_file_the_models_do_not_generate() -> None:
    # Its files; schemas/routes/ is the route files' schema, routes.yaml.schema's own.
    committed = {path.name for path in SCHEMAS_DIR.iterdir() if path.is_file()}
    assert committed - set(RENDERED) == set(), f"run `{REGENERATE}` to remove them"


def test_the_generator_writes_every_file_once_and_removes_strays(tmp_path: Path) -> None:
    (tmp_path / "renamed-message.v1.json").write_text("{}")

    first = write(tmp_path)

    assert sorted(first) == sorted([*RENDERED, "renamed-message.v1.json"])
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == RENDERED
    assert write(tmp_path) == []  # nothing changes when nothing changed


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    document = asyncapi_document()

    assert document["asyncapi"] == "3.0.0"
    validate_asyncapi(document)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _pointer(document: Any, fragment: str) -> Any:
    """The node a JSON pointer (RFC 6901) names, or None."""
    node = document
    for part in fragment.removeprefix("/").split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[key] if isinstance(node, dict) else node[int(key)]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node


def test_every_reference_of_the_asyncapi_document_resolves() -> None:
    document = asyncapi_document()
    refs = sorted(set(_refs(document)))

    for ref in refs:
        path, fragment = urldefrag(ref)
        if not path:
            assert _pointer(document, fragment) is not None, ref
        else:
            schema = schema_at(path)  # a committed file beside the document
            Draft202012Validator.check_schema(schema)
            assert not fragment or _pointer(schema, fragment) is not None, ref
    assert any(not ref.startswith("#") for ref in refs), "no message names its schema file"


def test_the_channels_are_the_topics_the_services_use() -> None:
    topics = TopicNames()
    addresses = {channel["address"] for channel in asyncapi_document()["channels"].values()}

    assert addresses == {
        topics.execute,
        topics.dead_letter,
        topics.executed,
        topics.failed,
        topics.cancelled,
    }


def test_every_operation_sends_or_receives_a_message_of_its_own_channel() -> None:
    operations = asyncapi_document()["operations"]

    for operation_id, operation in operations.items():
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel}/messages/"), operation_id
    assert {operation["action"] for operation in operations.values()} == {"send", "receive"}

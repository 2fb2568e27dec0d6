"""Endpoint URIs, and the one mask for the credentials in them."""

from __future__ import annotations

import pytest

from endpoints.uri import mask_credentials


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "gateway:bank?url=http://ann:pw@bank.test/pay&timeout=5",
            "gateway:bank?url=http://***@bank.test/pay&timeout=5",
        ),
        (
            "kafka:t?saslPassword=s3cret&groupId=g&apiToken=x",
            "kafka:t?saslPassword=***&groupId=g&apiToken=***",
        ),
        ("seda:work?size=10", "seda:work?size=10"),
        # Inside a sentence, as an error message or a log line has it.
        (
            "http://user:secret@127.0.0.1:9000/payments: answered 503: bank down",
            "http://***@127.0.0.1:9000/payments: answered 503: bank down",
        ),
        (
            "calling mongodb://app:s3cret@db:27017/?authSource=admin failed, then "
            "http://bank.test/pay?token=abc done",
            "calling mongodb://***@db:27017/?authSource=admin failed, then "
            "http://bank.test/pay?token=*** done",
        ),
        ("no address here: 503 // nothing@all", "no address here: 503 // nothing@all"),
    ],
)
def test_credentials_are_masked_wherever_a_uri_stands(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked

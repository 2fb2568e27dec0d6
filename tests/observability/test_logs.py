"""Log lines: JSON with the routing context, and never an account number in clear."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from endpoints.exchange import Exchange
from endpoints.headers import CORRELATION_ID
from observability.logs import LogFormat, log_handler
from observability.masking import mask_accounts
from payments.domain.model import OrderStatus, PaymentOrder
from routes.context import routing

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
ORDER = PaymentOrder(
    id="9b2f6c1e-5d4a-4c7e-9a61-123456789012",
    debtor_account="DE89370400440532013000",
    creditor_account="GB82 WEST 1234 5698 7654 32",
    amount=Decimal("125.50"),
    currency="EUR",
    status=OrderStatus.PENDING,
    created_at=NOW,
    updated_at=NOW,
)


def capture(log_format: LogFormat) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    logger = logging.getLogger(f"test.logs.{log_format}")
    logger.handlers[:] = [log_handler(log_format, out)]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, out


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("to DE89370400440532013000.", "to DE****************3000."),
        ("to GB82 WEST 1234 5698 7654 32 now", "to GB****************5432 now"),
        ("account no 0532013000 here", "account no ******3000 here"),
        ("debtor_account='ACC-77-XY'", "debtor_account='*****7-XY'"),
        ('{"creditorAccount": "12-34"}', '{"creditorAccount": "*2-34"}'),
        # ids, offsets and times stay readable
        (f"order {ORDER.id}", f"order {ORDER.id}"),
        ("offset 1234567 at 2025-01-02T03:04:05", "offset 1234567 at 2025-01-02T03:04:05"),
    ],
)
def test_account_numbers_are_masked_wherever_they_appear(line: str, masked: str) -> None:
    assert mask_accounts(line) == masked


def test_a_json_line_about_an_order_names_the_routing_and_masks_the_accounts() -> None:
    logger, out = capture("json")
    exchange = Exchange.of(ORDER, {CORRELATION_ID: "corr-42"})
    with routing("create-payment-order", exchange):
        logger.info("stored %r", ORDER, extra={"order": ORDER.model_dump(by_alias=True)})
    line = out.getvalue()
    assert "0532013000" not in line
    assert "5698" not in line
    event = json.loads(line)
    assert event["level"] == "INFO"
    assert event["route_id"] == "create-payment-order"
    assert event["exchange_id"] == exchange.id
    assert event["correlation_id"] == "corr-42"
    assert "debtor_account='DE****************3000'" in event["message"]
    assert event["order"]["debtorAccount"] == "DE****************3000"
    assert event["order"]["creditorAccount"] == "GB****************5432"
    assert event["order"]["id"] == ORDER.id
    assert event["order"]["amount"] == "125.50"


def test_a_text_line_is_masked_too_and_names_the_correlation_id() -> None:
    logger, out = capture("text")
    with routing("r", Exchange.of(None, {CORRELATION_ID: "corr-7"})):
        logger.warning("paying from %s", ORDER.debtor_account)
    logger.warning("outside any route")
    inside, outside = out.getvalue().splitlines()
    assert inside.endswith("WARNING test.logs.text [corr-7] paying from DE****************3000")
    assert outside.endswith("[-] outside any route")


def test_an_exception_is_one_json_field() -> None:
    logger, out = capture("json")
    try:
        raise ValueError(f"bad account {ORDER.debtor_account}")
    except ValueError:
        logger.exception("failed")
    event = json.loads(out.getvalue())
    assert "ValueError: bad account DE****************3000" in event["exception"]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_credentials_of_a_uri_are_masked_in_message_and_exception(
    log_format: LogFormat,
) -> None:
    logger, out = capture(log_format)
    bank = "http://user:secret@127.0.0.1:9000/payments"
    try:
        raise ConnectionError(f"{bank}: no answer")
    except ConnectionError:
        logger.exception("paying through %s failed", bank)
    line = out.getvalue()
    assert "secret" not in line
    assert line.count("http://***@127.0.0.1:9000/payments") == 2

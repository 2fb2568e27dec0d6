"""What the payment routes keep on an exchange, and what an execution command leads to
next (``Next``), the one property the execute route branches on.

Headers are what a request says; properties are what the lifecycle writes, and never
travel with a message, so no request or record can set them.
"""

from __future__ import annotations

from enum import StrEnum

# Headers the payment routes read: what the request says.
CLIENT_ID = "payment.clientId"  # whose order it is: set by the route from who asked
IDEMPOTENCY_KEY = "idempotency-key"  # the client's key for the request, if it gave one

# The principal of an operator who acts on a client's order (client ids hold no colon).
OPERATOR_PREFIX = "operator:"
# The path a cancel is asked at, after the order's.
CANCEL_SUFFIX = "/cancel"

# Properties the lifecycle writes.
ORDER_CREATED = "paymentCreated"  # True: a new order; False: the key's earlier order
ORDER_ID = "paymentOrderId"
PAYMENT_ORDER = "paymentOrder"  # the order a cancel answers with
ORDER_REF = "paymentOrderRef"  # the OrderRef a worker ends the order from
NEXT = "paymentNext"  # a Next: what the execution does next with this command


class Next(StrEnum):
    """What an execution command leads to next. ``claim`` and ``read`` are steps on the
    way; ``pay``, ``publishExecuted``, ``publishFailed`` and ``done`` are the outcomes
    the execute route branches on."""

    CLAIM = "claim"  # the command carries its order: claim the order's payment
    READ = "read"  # read the order first (an earlier producer's command, a claim refused)
    PAY = "pay"  # the order is EXECUTING and this command pays it
    PUBLISH_EXECUTED = "publishExecuted"  # the body is the order's payment.executed event
    PUBLISH_FAILED = "publishFailed"  # the body is the order's payment.failed event
    DONE = "done"  # nothing is owed: the order ended and its event is out (a duplicate)

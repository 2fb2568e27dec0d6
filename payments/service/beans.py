"""The processors the shipped payment routes (``config/routes/``) name, bound on the
engine under those names: a route file says ``process: {ref: receiveOrder}`` or
``batch: {process: createOrders}`` and the engine calls the lifecycle's method.

A ``…Orders`` / ``…Payments`` name is a batch processor (a list of exchanges in one
call, for a ``batch`` step); the others take one exchange (a ``process`` step). Which
of them a flow must call, and in which order, is ``payments.service.safety``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from endpoints.exchange import Exchange
from payments.api import answers, files
from payments.api.files import FileQueries
from payments.api.queries import OrderQueries
from payments.domain.store import OrderStore
from payments.files.intake import FileIntake
from payments.lifecycle.cancellation import Cancellation
from payments.lifecycle.execution import Execution
from payments.lifecycle.ingestion import Ingestion
from payments.operations.reconciliation import Reconciler


def ingestion_beans(lifecycle: Ingestion, recovery_after: float) -> dict[str, Any]:
    """The API's and the lifecycle's, up to the execution command, and cancelling."""
    queries = OrderQueries(lifecycle.store)
    cancellation = Cancellation(lifecycle.store, lifecycle.clock)
    return {
        "cancelOrder": cancellation.cancel,
        "cancelledEvent": cancellation.event,
        "markCancellationsPublished": cancellation.published,
        "receiveOrder": lifecycle.receive,
        "createOrders": lifecycle.create_all,
        "answerPlaced": answers.placed,
        "answerRefused": answers.refused,
        "answerStoreUnavailable": answers.store_unavailable,
        "getOrder": queries.get,
        "getOrderHistory": queries.history,
        "listOrders": queries.list_orders,
        "advanceOrders": lifecycle.advance_all,
        "settleSentCommands": lifecycle.settle_all,
        "releaseDueOrders": lifecycle.release_due,
        "unfinishedOrders": partial(
            lifecycle.unfinished, older_than=timedelta(seconds=recovery_after)
        ),
        "summariseOrders": _summarise(lifecycle.store),
    }


def file_beans(intake: FileIntake, queries: FileQueries) -> dict[str, Any]:
    """The file routes': a pain.001 split into orders, its summary and status report."""
    return {
        "receivePaymentFile": intake.receive,
        "paymentFileTransfers": intake.transfers,
        "transferAsOrder": intake.as_order,
        "transferPlaced": intake.placed,
        "transferRefused": intake.refused,
        "recordTransfers": intake.record_all,
        "paymentFileSplit": intake.split_done,
        "paymentFileLeft": intake.split_left,
        "unsplitPaymentFiles": intake.unsplit,
        "answerFileReceived": files.received,
        "answerFileRefused": files.refused,
        "getPaymentFile": queries.get,
        "getPaymentFileStatusReport": queries.status_report,
        "listPaymentFiles": queries.list_files,
    }


def execution_beans(execution: Execution) -> dict[str, Any]:
    """The processor service's: an execution command paid once, its event owed."""
    return {
        "readCommand": execution.begin,
        "claimPayments": execution.claim_all,
        "decidePayment": execution.decide,
        "completePayments": execution.complete_all,
        "markEventsPublished": execution.events_published_all,
        "failOrder": execution.fail,
        "settleEndedCommands": execution.settle_all,
    }


def reconciliation_beans(reconciler: Reconciler) -> dict[str, Any]:
    return {"reconcileOrders": reconciler}


def _summarise(store: OrderStore) -> Callable[[Exchange], Any]:
    async def summarise(exchange: Exchange) -> None:
        """Fold the store's recent writes into what its listings and counts read."""
        await store.summarise()

    return summarise

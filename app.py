"""Entry point: ``python app.py [all|ingest|process|gateway|screening]``, or
``python app.py create-client <id> [--operator]`` to make an API key, or
``python app.py dead-letters list|show|redrive …`` (``payments.operations.dead_letters``), or
``python app.py reconcile …`` (``payments.operations.reconciliation``).

``all`` (the default) runs the API and the processor in one process, on the embedded
defaults unless ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGO_URI`` point at real servers.
``ingest`` and ``process`` run the two services apart; ``gateway`` runs the simulated
bank, ``screening`` the simulated sanctions screening (``payments.screening``). SIGTERM
or Ctrl-C stops gracefully: in-flight orders finish first; SIGHUP reads
``API_CLIENTS_FILE`` again (new and revoked keys, without a restart).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Callable
from typing import get_args

from aiohttp import web

from config import event_loop
from config.settings import InvalidSettings, Settings, load_settings
from observability.logs import configure_logging
from observability.tracing import configure_tracing
from payments.api.clients import print_new_client
from payments.bank import create_bank_app, load_bank_settings
from payments.operations import dead_letters, reconciliation
from payments.screening import create_screening_app, load_screening_settings
from payments.service.build import Mode, build_service
from payments.service.errors import ConfigurationError, ServerUnreachable
from routes.yaml import RouteConfigError

# The simulated services, each an app of its own on HTTP_HOST:HTTP_PORT, by mode.
SIMULATED: dict[str, Callable[[], web.Application]] = {
    "gateway": lambda: create_bank_app(load_bank_settings().bank()),
    "screening": lambda: create_screening_app(load_screening_settings()),
}
MODES = (*get_args(Mode), *SIMULATED)
# Commands an operator runs beside the services: each takes the settings and its arguments.
OPERATOR_TOOLS = {"dead-letters": dead_letters.run, "reconcile": reconciliation.run}


async def serve(mode: str, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if mode in SIMULATED:
        runner = web.AppRunner(SIMULATED[mode]())
        await runner.setup()
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        _settle()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
        return
    service = build_service(settings, mode)  # type: ignore[arg-type]
    loop.add_signal_handler(signal.SIGHUP, service.reload_clients)
    await service.start()
    _settle()
    try:
        await stop.wait()
    finally:
        await service.stop()


def _settle() -> None:
    """Keep what starting made (modules, routes, clients: it lives as long as the
    process) out of the collector's full passes, which otherwise walk all of it each
    time, pausing every request in flight (265 ms in the benchmark's ingestion)."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tool = OPERATOR_TOOLS.get(argv[0]) if argv else None
    if tool is not None:
        try:
            settings = load_settings()
        except InvalidSettings as error:
            print(f"app.py: invalid settings:\n{error}", file=sys.stderr)
            return 2
        return event_loop.run(tool(settings, argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__)
    commands = (*MODES, "create-client", *OPERATOR_TOOLS)
    parser.add_argument("mode", nargs="?", default="all", choices=commands)
    parser.add_argument("client_id", nargs="?", help="create-client: the new client's id")
    parser.add_argument("--operator", action="store_true", help="create-client: an operator")
    args = parser.parse_args(argv)
    if args.mode == "create-client":
        if args.client_id is None:
            parser.error("create-client needs the new client's id")
        return print_new_client(args.client_id, operator=args.operator)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        tracing = configure_tracing(f"payorch-{args.mode}")
        try:
            event_loop.run(serve(args.mode, settings))
        finally:
            if tracing is not None:
                tracing.shutdown()  # exports the spans still buffered
    except InvalidSettings as error:
        print(f"app.py: invalid settings:\n{error}", file=sys.stderr)
        return 2
    except (ConfigurationError, RouteConfigError) as error:
        print(f"app.py: {error}", file=sys.stderr)
        return 2
    except ServerUnreachable as error:
        print(f"app.py: cannot start: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

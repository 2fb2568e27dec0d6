"""Command line: ``python -m infra install|install-k8s|up|down|status|logs|env``.

``install-k8s`` installs the tools that check the Kubernetes manifests
(``infra.kubernetes``); the rest act on the Kafka and FerretDB stack.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Protocol

from infra import InfraError, Stack, cache_dir
from infra.kubernetes import KubernetesTools
from infra.server import tail


class _Installable(Protocol):
    def installed(self) -> bool: ...
    def install(self) -> None: ...
    def version(self) -> str: ...


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="infra", description=__doc__)
    parser.add_argument(
        "action", choices=["install", "install-k8s", "up", "down", "status", "logs", "env"]
    )
    args = parser.parse_args(argv)
    stack = Stack()
    try:
        if args.action == "install":
            for server in stack.servers:
                _install(server)
        elif args.action == "install-k8s":
            _install(KubernetesTools(cache_dir()))
        elif args.action == "up":
            for server in stack.servers:
                started = time.monotonic()
                server.start()
                print(
                    f"{server.version()} answering on {server.env()} "
                    f"({time.monotonic() - started:.1f}s)",
                    file=sys.stderr,
                )
            _print_env(stack)
        elif args.action == "down":
            stack.down()
        elif args.action == "status":
            for server in stack.servers:
                state = "answering" if server.pid() and server.answering() else "down"
                print(
                    f"{server.name}: {state} pid={server.pid()} {server.env()} "
                    f"log={server.log_path}"
                )
        elif args.action == "logs":
            for server in stack.servers:
                print(f"==> {server.log_path} <==\n{tail(server.log_path)}")
        else:
            _print_env(stack)
    except InfraError as error:
        print(f"infra: {error}", file=sys.stderr)
        return 1
    return 0


def _install(item: _Installable) -> None:
    started = time.monotonic()
    if item.installed():
        print(f"{item.version()}: cached", file=sys.stderr)
        return
    print(f"installing {item.version()} …", file=sys.stderr, flush=True)
    item.install()
    print(f"  done in {time.monotonic() - started:.1f}s", file=sys.stderr)


def _print_env(stack: Stack) -> None:
    for key, value in stack.env().items():
        print(f"export {key}={value}")


if __name__ == "__main__":
    sys.exit(main())

"""Entry point: ``python app.py [all|ingest|process|gateway]``.

``all`` (the default) runs every service in one process on the embedded defaults
unless ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGO_URI`` point at real servers.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from config.settings import Settings

MODES = ("all",)


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "UP"})


def build_app(settings: Settings) -> web.Application:
    app = web.Application()
    app["settings"] = settings
    app.router.add_get("/health", health)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", default="all", choices=MODES)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    web.run_app(build_app(settings), host=settings.http_host, port=settings.http_port)


if __name__ == "__main__":
    main()

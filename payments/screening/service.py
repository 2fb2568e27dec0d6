"""A simulated sanctions-screening service of its own (``python app.py screening``): it
stands in for a real screening provider in the tests and a local stack.

``POST /screenings`` takes an execution command as the orchestrator sends it (the
``ExecutePaymentCommand`` JSON, camelCase; fields it does not read are ignored) and
answers 200 ``{"result": "clear"}``, or 200 ``{"result": "hit", "reason": "..."}``
when the debtor or the creditor account is listed (the debtor's reason when both are).
A body that is no such command is a 400 problem (415 when it is not sent as JSON).
``GET /health`` answers 200 ``{"status": "UP"}``.

The list is ``SCREENING_LISTED``: entries separated by ``;``, each an account, ``=``,
and the reason a hit gives for it::

    SCREENING_LISTED="DE89370400440532013000=EU consolidated list;gb82 west 1234=OFAC SDN"

An account follows the orders' grammar (``payments.domain.accounts``: written with or
without the spaces of its print form, in either case) and is matched in its electronic
form. A reason is printable text of at most 200 characters (what a client reads of it),
without ``;`` (it may hold ``=``). Blanks around an entry and its parts are ignored, and
so is an empty entry (a trailing ``;``). Anything else stops the start, naming the entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any

from aiohttp import web
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from components.http.bodies import check_media_type, repeated_member_problem
from components.http.codec import JSON
from components.http.problem import ProblemError, problem_middleware, validation_problem
from components.http.server import plain_answers, single_query_middleware
from config.settings import load_prefixed
from endpoints.json_codec import RepeatedMember, decode_json, encode_json
from payments.domain.accounts import normalize_account
from payments.domain.failures import REASON_SHOWN
from payments.domain.messages import ExecutePaymentCommand
from payments.screening.verdict import SCREENINGS_PATH, Clear, Hit

logger = logging.getLogger(__name__)

_PREFIX = "SCREENING_"
_ENTRY_SHOWN = 40  # characters of a bad entry quoted in the settings error
LISTED = web.AppKey[Mapping[str, str]]("listed")


def _bad_entry(number: int, entry: str, why: str) -> PydanticCustomError:
    quoted = repr(entry if len(entry) <= _ENTRY_SHOWN else entry[:_ENTRY_SHOWN] + "…")
    return PydanticCustomError(
        "listed_entry",
        "entry {number} ({entry}): {why}",
        {"number": number, "entry": quoted, "why": why},
    )


def parse_listed(value: object) -> dict[str, str]:
    """``ACCOUNT=reason;ACCOUNT2=reason2`` (see the module) as reasons by account in its
    electronic form; a mapping of accounts to reasons is checked the same way."""
    if isinstance(value, Mapping):
        entries = [f"{account}={reason}" for account, reason in value.items()]
    elif isinstance(value, str):
        entries = value.split(";")
    else:
        raise PydanticCustomError("listed_type", "must be ACCOUNT=reason entries separated by ;")
    listed: dict[str, str] = {}
    for number, raw in enumerate(entries, 1):
        entry = raw.strip()
        if not entry:
            continue
        written, equals, reason = (part.strip() for part in entry.partition("="))
        if not equals:
            raise _bad_entry(number, entry, "no '=' between the account and its reason")
        try:
            account = normalize_account(written)
        except ValueError as error:
            raise _bad_entry(number, entry, f"the account {error}") from None
        if not reason:
            raise _bad_entry(number, entry, "no reason after '='")
        if not reason.isprintable():
            raise _bad_entry(number, entry, "the reason has a control or format character")
        if len(reason) > REASON_SHOWN:
            raise _bad_entry(number, entry, f"the reason is longer than {REASON_SHOWN} characters")
        if account in listed:
            raise _bad_entry(number, entry, f"{account} is listed already")
        listed[account] = reason
    return listed


class ScreeningSettings(BaseSettings):
    """``SCREENING_*`` environment variables (``load_screening_settings`` checks them
    all). Where it listens is the services' ``HTTP_HOST`` and ``HTTP_PORT``."""

    model_config = SettingsConfigDict(env_prefix=_PREFIX, extra="forbid")

    listed: Annotated[dict[str, str], NoDecode, BeforeValidator(parse_listed)] = Field(
        default_factory=dict
    )
    """Reasons by listed account (electronic form), from ``ACCOUNT=reason;…``."""


def load_screening_settings() -> ScreeningSettings:
    """The screening service's settings; InvalidSettings names every ``SCREENING_*``
    variable that is wrong or that it does not read."""
    return load_prefixed(ScreeningSettings, _PREFIX)


def create_screening_app(settings: ScreeningSettings) -> web.Application:
    app = web.Application(middlewares=[problem_middleware, single_query_middleware])
    plain_answers(app)
    app[LISTED] = dict(settings.listed)
    app.router.add_post(SCREENINGS_PATH, screen)
    app.router.add_get("/health", health)
    return app


def _json(document: Any, status: int = HTTPStatus.OK) -> web.Response:
    return web.Response(status=status, body=encode_json(document), content_type=JSON)


async def screen(request: web.Request) -> web.Response:
    command = _command(await request.read(), request)
    listed = request.app[LISTED]
    parties = {"debtor": command.debtor_account, "creditor": command.creditor_account}
    for party, account in parties.items():
        reason = listed.get(account)
        if reason is not None:
            logger.info("order %s: hit on its %s account", command.order_id, party)
            return _json(Hit(reason=reason))
    return _json(Clear())


def _command(body: bytes, request: web.Request) -> ExecutePaymentCommand:
    """The body as a command, or a 400 saying why it is none (415 for another type)."""
    check_media_type(request, "json")
    try:
        document = decode_json(body)
    except RepeatedMember as error:
        raise repeated_member_problem(error) from None
    except ValueError as error:
        raise ProblemError(HTTPStatus.BAD_REQUEST, f"malformed JSON body: {error}") from None
    try:
        return ExecutePaymentCommand.model_validate(document)
    except ValidationError as error:
        problem = validation_problem(error)
        raise ProblemError(
            HTTPStatus.BAD_REQUEST,
            f"the body is no execute-payment command: {problem.detail}",
            errors=problem.errors,
        ) from None


async def health(_: web.Request) -> web.Response:
    return _json({"status": "UP"})

"""``X-Correlation-ID``: one id per client request, answered back in the response
(problem details included) and kept by the exchange the request becomes, so every
log line and message the request leads to can be found by it.

A request without the header, or with one that is not a short token, gets a new id:
a client's value is written into logs, so it must not carry anything else.
"""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

CORRELATION_HEADER = "X-Correlation-ID"
CORRELATION_ID = web.RequestKey("correlation_id", str)

_TOKEN = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


def correlation_id_of(request: web.Request) -> str:
    """The request's correlation id (the middleware has chosen it)."""
    return request.get(CORRELATION_ID) or uuid.uuid4().hex


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every answer, even one for an error, names the correlation id."""
    given = request.headers.get(CORRELATION_HEADER, "")
    correlation = given if _TOKEN.fullmatch(given) else uuid.uuid4().hex
    request[CORRELATION_ID] = correlation
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # a non-error status raised past the problem one
        answer.headers[CORRELATION_HEADER] = correlation
        raise
    response.headers[CORRELATION_HEADER] = correlation
    return response

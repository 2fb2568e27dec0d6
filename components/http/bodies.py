"""How a served route reads its request body: in UTF-8 and as the media type it
expects (a 415 naming what is accepted otherwise), within its size (a 413), and either
whole in memory or spooled to a temporary file as it arrives (``bodyFormat=file``)."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path

from aiohttp import hdrs, web

from components.http.codec import is_json
from components.http.options import BodyFormat
from components.http.problem import FieldError, ProblemError
from endpoints.json_codec import RepeatedMember

MAX_LISTED = 20  # repeated members a problem lists one by one
_ACCEPTED = {
    "json": "application/json (or application/*+json)",
    "text": "text/* (text/plain …)",
}


def check_media_type(request: web.Request, body_format: BodyFormat) -> None:
    """A 415 unless the body's media type is one ``body_format`` reads, in UTF-8."""
    given = request.content_type if hdrs.CONTENT_TYPE in request.headers else None
    kind = is_json(given) if body_format == "json" else bool(given and given.startswith("text/"))
    if not (kind and is_utf8(request.charset)):
        raise _unsupported(request, _ACCEPTED[body_format])


def _unsupported(request: web.Request, accepted: str) -> ProblemError:
    """The 415 naming what the body came as and what is ``accepted``."""
    sent = request.headers.get(hdrs.CONTENT_TYPE, "no Content-Type")
    return ProblemError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"the request body must be {accepted} in UTF-8, not {sent}",
        errors=[FieldError("Content-Type", f"must be {accepted} in UTF-8")],
    )


def is_utf8(charset: str | None) -> bool:
    """No charset (UTF-8 is JSON's and this service's), or a name of UTF-8."""
    if charset is None:
        return True
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def repeated_member_problem(error: RepeatedMember) -> ProblemError:
    """A 400 naming each repeated member (the first ``MAX_LISTED``), as a field error."""
    return ProblemError(
        HTTPStatus.BAD_REQUEST,
        f"ambiguous json body: {error}",
        errors=[
            FieldError(
                ".".join(map(str, path)),
                "appears more than once in its object; send it once",
                path,
            )
            for path in error.paths[:MAX_LISTED]
        ],
    )


def check_consumes(request: web.Request, consumes: str) -> None:
    """A 415 unless the body comes as one of the media types ``consumes`` lists
    (``application/*+xml``: any of that suffix), with no charset but UTF-8."""
    given = request.content_type if hdrs.CONTENT_TYPE in request.headers else None
    accepted = [media.strip() for media in consumes.split(",") if media.strip()]
    if not (given and is_utf8(request.charset) and any(_is(given, m) for m in accepted)):
        raise _unsupported(request, " or ".join(accepted))


def _is(given: str, media: str) -> bool:
    """Whether the media type ``given`` is ``media`` (``application/*+xml``: any of
    that structured syntax suffix)."""
    if media.startswith("application/*+"):
        return given.startswith("application/") and given.endswith(media[len("application/*") :])
    return given == media


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request body exceeds {limit} bytes"
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


@contextlib.asynccontextmanager
async def spooled(request: web.Request, limit: int) -> AsyncIterator[Path]:
    """The request body written to a temporary file as it arrives (never whole in
    memory), removed when the block ends; a 413 once it exceeds ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    descriptor, name = tempfile.mkstemp(prefix="http-body-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as spool:
            size = 0
            async for chunk in request.content.iter_chunked(_SPOOL_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                await asyncio.to_thread(spool.write, chunk)
        yield path
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


_SPOOL_CHUNK = 256 * 1024

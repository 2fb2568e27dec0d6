"""``http://host:port/path?method=POST&timeout=10``: call another service.

The body goes out encoded by its type (JSON for dicts, lists and models), headers
from ``http.request.*``. A 2xx/3xx answer replaces the body (JSON decoded with
``Decimal``, text as str, else bytes) and sets ``http.status`` and
``http.content-type``; a 4xx/5xx or no answer raises (see ``errors``) and leaves the
exchange as it was, so a redelivery sends the same request again. Redirects are
not followed: a payment POST must not turn into something else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp

from components.http.codec import encode_body, is_json
from components.http.errors import HttpNoResponse, HttpOperationFailed, HttpTimeout
from components.http.headers import REQUEST_HEADER_PREFIX, with_prefix
from components.http.options import HttpOptions
from endpoints import headers
from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.exchange import Exchange
from endpoints.json_codec import decode_json

SessionSource = Callable[[], aiohttp.ClientSession]


class HttpClientEndpoint(Endpoint):
    def __init__(self, uri: str, url: str, options: HttpOptions, session: SessionSource) -> None:
        super().__init__(uri)
        self.url = url
        self.options = options
        self.session = session

    def create_producer(self) -> Producer:
        return HttpProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(
            f"{self.uri}: a URL with a host is called, not served; serve a route with http:/path"
        )


class HttpProducer(Producer):
    def __init__(self, endpoint: HttpClientEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        endpoint, options = self.endpoint, self.endpoint.options
        payload, content_type = encode_body(exchange.body)
        request_headers = with_prefix(exchange.headers, REQUEST_HEADER_PREFIX)
        if content_type and not any(name.lower() == "content-type" for name in request_headers):
            request_headers["Content-Type"] = content_type
        method = options.method or ("POST" if payload is not None else "GET")
        try:
            async with endpoint.session().request(
                method,
                endpoint.url,
                data=payload,
                headers=request_headers,
                timeout=aiohttp.ClientTimeout(total=options.timeout),
                allow_redirects=False,
            ) as response:
                raw = await response.read()
        except TimeoutError:
            raise HttpTimeout(endpoint.url, options.timeout) from None
        except aiohttp.ClientError as error:
            raise HttpNoResponse(endpoint.url, f"{type(error).__name__}: {error}") from error
        try:
            body = _decode(raw, response.content_type, response.charset)
        except (ValueError, LookupError) as error:  # bad syntax, bytes or charset name
            if response.status < 400:
                raise ValueError(f"{endpoint.url}: malformed answer ({error})") from None
            body = raw  # an error page that does not parse is kept as it came
        if response.status >= 400 and options.throw_exception_on_failure:
            raise HttpOperationFailed.for_status(endpoint.url, response.status, body)
        exchange.body = body
        exchange.headers[headers.HTTP_STATUS] = response.status
        exchange.headers[headers.HTTP_CONTENT_TYPE] = response.content_type


def _decode(raw: bytes, content_type: str, charset: str | None) -> Any:
    if not raw:
        return None
    if is_json(content_type):
        return decode_json(raw, charset or "utf-8")
    if content_type.startswith("text/"):
        return raw.decode(charset or "utf-8")
    return raw

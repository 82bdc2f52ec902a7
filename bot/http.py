"""PTB's HTTP transport on aiohttp.

PTB talks to the Bot API through httpx by default. With many requests in flight, httpcore's
connection pool rescans every connection for every queued request (perf-notes.md; upstream
encode/httpcore#1035), so the CPU spent per Bot API call grows with concurrency: measured here
it took 3.5 ms of CPU per update at 4 concurrent updates and 10 ms at 32. aiohttp, already in the
stack for the webhook server, keeps the cost per request flat.

The transport is the composition root's choice: the Application's Bot and the outbox sender's
Bot (``outbox_bot``) are both made here and handed in; the scheduler only ever sees a ``Bot``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
from aiohttp.payload import BytesPayload
from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

log = logging.getLogger("sigap.http")

# Telegram answered that it failed: nothing was applied, so any call may be made again.
NOT_APPLIED_STATUSES = frozenset({500, 502, 503, 504})
# Calls that do the same thing when made twice. After a reset or a time-out nobody knows whether
# Telegram applied the call: only these are made again (a sendMessage made again would be read
# twice by the person whenever only its answer was lost).
IDEMPOTENT_PREFIXES = ("get", "setmycommands", "deletemycommands", "setwebhook", "deletewebhook")
# getUpdates has its own loop (bot.polling), which also decides what was fetched.
NEVER_RETRIED = frozenset({"getupdates"})
# Each method's URL, parsed once (a bot calls a handful of methods); a caller naming ever other
# URLs gets no cache past this many.
_URLS_KEPT = 256


def _retry_delays(retries: int) -> list[float]:
    return [0.25 * 2**n for n in range(retries)]


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` for ``ApplicationBuilder.request`` / ``get_updates_request``."""

    def __init__(
        self,
        *,
        connection_limit: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
        retries: int = 0,
        on_answer: Callable[[int], None] | None = None,
    ) -> None:
        """``retries``: how often a call Telegram did not apply (a 5xx, a refused connection)
        is made again, and an idempotent call after a reset or a time-out; 0 for callers that
        retry themselves (the outbox sender)."""
        self._retries = retries
        self._delays = _retry_delays(retries)
        # One ClientTimeout per set of limits, made once: most calls take the defaults.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        # Told the HTTP status of every answer (the metrics: Telegram reachable, 429s, 403s).
        self._on_answer = on_answer
        self._limit = connection_limit
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API sets no cookies: no jar to look through on every call.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = (
            (self._media_write_timeout if files else self._write_timeout)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        timeout = self._timeouts.get((read, write, connect))
        if timeout is None:
            # aiohttp has no separate write timeout: the whole request may take write + read.
            total = None if read is None or write is None else read + write + (connect or 0)
            timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
            if len(self._timeouts) < 64:  # a caller passing ever other limits gets no cache
                self._timeouts[(read, write, connect)] = timeout
        call = url.rsplit("/", 1)[-1].lower()
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = URL(url)
            if len(self._urls) < _URLS_KEPT:
                self._urls[url] = parsed
        delays = [] if call in NEVER_RETRIED else self._delays
        for attempt in range(len(delays) + 1):
            try:
                status, body = await self._send(method, parsed, timeout, request_data)
            except (TimedOut, NetworkError) as exc:
                applied_maybe = not isinstance(exc.__cause__, aiohttp.ClientConnectorError)
                if attempt == len(delays) or (
                    applied_maybe and not call.startswith(IDEMPOTENT_PREFIXES)
                ):
                    raise
                log.info("%s: %s; trying again", call, exc)
            else:
                if status not in NOT_APPLIED_STATUSES or attempt == len(delays):
                    return status, body
                log.info("%s: HTTP %s; trying again", call, status)
            await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")

    async def _send(
        self,
        method: str,
        url: URL,
        limits: aiohttp.ClientTimeout,
        request_data: RequestData | None,
    ) -> tuple[int, bytes]:
        assert self._session is not None
        try:
            async with self._session.request(
                method, url, timeout=limits, **_body(request_data)
            ) as response:
                status, body = response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut() from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if self._on_answer is not None:
            self._on_answer(status)
        return status, body

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Telegram's answer, read with orjson (a getUpdates batch in a fraction of the standard
        library's time); what orjson refuses (bytes that are not UTF-8, NaN) is read as PTB
        reads it, with its replacement characters and its TelegramError for what is no JSON at
        all. (An integer past 64 bits would come as a float: the Bot API has none, its ids fit
        in 64 bits.)"""
        try:
            parsed: dict[str, Any] = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return parsed


def json_body(request_data: RequestData) -> bytes:
    """``request_data.json_payload`` (each parameter that is not a string as its JSON text, the
    whole as a JSON object) written by orjson: UTF-8 rather than ``\\u`` escapes, the same JSON
    to whoever reads it. What orjson refuses (a dict with keys that are not strings, integers
    past 64 bits, lone surrogates) is written by PTB."""
    try:
        return orjson.dumps(
            {
                name: value if isinstance(value, str) else orjson.dumps(value).decode()
                for name, value in request_data.parameters.items()
            }
        )
    except TypeError:  # orjson.JSONEncodeError is one
        return request_data.json_payload


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """The request's body, made anew for each attempt (a form is consumed by sending it)."""
    if request_data is None:
        return {}
    if not request_data.contains_files:
        # A payload made here, with its type: aiohttp neither looks up how to send bytes nor
        # merges headers given with the call into the session's.
        return {"data": BytesPayload(json_body(request_data), content_type="application/json")}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return {"data": form}


def outbox_bot(
    token: str,
    base_url: str,
    *,
    connection_limit: int = 16,
    on_answer: Callable[[int], None] | None = None,
) -> Bot:
    """A plain ``Bot`` for the outbox sender: no rate limiter (the sender paces and retries
    itself), no Defaults (payloads carry their parse mode). ``base_url`` as in
    ``Settings.bot_api_url``."""
    request = AiohttpRequest(
        connection_limit=connection_limit,
        read_timeout=10.0,
        write_timeout=10.0,
        on_answer=on_answer,
    )
    # It never polls: without its own getUpdates request PTB would build an httpx one (httpcore,
    # an SSL context: ~60 ms and ~1.8 MB at start) that is never used.
    return Bot(
        token,
        base_url=base_url,
        request=request,
        get_updates_request=AiohttpRequest(connection_limit=1),
    )

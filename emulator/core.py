"""The Bot API emulator: an aiohttp server speaking the Bot API, plus the users' side.

Tests, the benchmark and the sandbox all drive the real python-telegram-bot Application over
HTTP against this server, so what matters here is that every answer has the shape, the error
wording and the HTTP status of api.telegram.org. The hot path (getUpdates/sendMessage) does
O(1) work per call: chats and messages are dicts keyed by id, updates sit in a deque.

The layers: :mod:`emulator.state` (the world), :mod:`emulator.people` (users and groups and
what they do), :mod:`emulator.methods` (the Bot API methods, one module per group) and, here,
the HTTP server that dispatches calls to the methods and injects faults
(:mod:`emulator.faults`) on the way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from typing import Any, NoReturn

from aiohttp import BodyPartReader, web

from emulator.client import ChatView
from emulator.control import add_control_routes
from emulator.errors import ApiError, bad_request
from emulator.faults import AppliedCall
from emulator.methods import METHODS
from emulator.methods.chats import scope_key
from emulator.params import Described, Params, UploadedFile, decode_params
from emulator.people import PeopleSide
from emulator.state import MethodHandler
from emulator.updates import Delivery

__all__ = ["BotApiEmulator", "UploadedFile"]

_log = logging.getLogger("emulator")

# Method names are case-insensitive on Telegram; the spelling the spec uses is recorded.
_DISPATCH: dict[str, tuple[str, MethodHandler]] = {
    name.lower(): (name, handler) for name, handler in METHODS.items()
}
# What api.telegram.org's nginx front answers when the Bot API server behind it is down.
_BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _json(status: int, body: dict[str, Any]) -> web.Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(status=status, body=payload, content_type="application/json")


def _error(error: ApiError) -> web.Response:
    return _json(error.code, error.body())


def _hang_up(request: web.Request) -> NoReturn:
    """Reset the connection (RST, no answer at all) and end the handler quietly."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends a reset instead of a polite FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # What aiohttp itself sees when a client goes away: ends the handler without a response.
    raise asyncio.CancelledError


def _acts(method: str) -> bool:
    """Whether a call changes something (what people see, what Telegram holds); getUpdates
    does too: it hands updates out."""
    return not method.startswith("get") or method == "getUpdates"


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class BotApiEmulator(PeopleSide):
    """An in-process Telegram Bot API server plus the users and groups that talk to the bot.

    Point PTB at it with ``base_url=f"{emu.base_url}/bot"`` and
    ``base_file_url=f"{emu.base_url}/file/bot"``. ``latency``, ``flood_limits`` and ``faults``
    may be changed at any time. The constructor's arguments are
    :class:`~emulator.state.EmulatorState`'s.
    """

    base_url: str = ""
    _runner: web.AppRunner | None = None

    # =========================================================================================
    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (port 0 picks a free one) and set :attr:`base_url`."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self.faults)
        # Real Telegram answers JSON 404 for any unknown path, not an HTML page.
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        # A short shutdown timeout: a parked long poll must not hold stop() for a minute.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        # A wildcard bind address is not something a client can connect to.
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.base_url = f"http://{reachable}:{bound_port}"
        self._queue.closed = False

    async def stop(self) -> None:
        self._queue.close()
        await self._webhook.deactivate()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # =========================================================================================
    # What a test reads and arranges

    async def wait_idle(self, expected_sent: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has sent ``expected_sent`` messages in total."""
        if self.sent_count >= expected_sent:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (expected_sent, waiter)
        self._idle_waiters.append(entry)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            raise AssertionError(
                f"bot sent {self.sent_count} of {expected_sent} messages within {timeout}s"
                f" ({len(self._queue)} updates still queued, {self.count_429} answered 429)"
            ) from None
        finally:
            if entry in self._idle_waiters:
                self._idle_waiters.remove(entry)

    def slow_down(self, chat: ChatView | int, seconds: float, *methods: str) -> None:
        """Make the bot's calls about ``chat`` (only ``methods``, if given) take ``seconds``
        longer, e.g. to kill the bot while a handler waits on its reply. The delay stands for
        the network before Telegram: a call whose client hangs up during it never takes effect
        (it is listed in :attr:`abandoned_calls`). ``seconds=0`` removes the delay."""
        chat_id = self._state_of(chat).id
        if seconds > 0:
            self._slow_chats[chat_id] = (seconds, frozenset(methods))
        else:
            self._slow_chats.pop(chat_id, None)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST to the webhook (update_id and error, None for 2xx), oldest first."""
        return self._webhook.deliveries

    def calls_by_method(self, name: str) -> list[dict[str, Any]]:
        """Parameters of every recorded call to ``name`` (case-insensitive), oldest first."""
        wanted = name.lower()
        return [params for method, params in self.calls if method.lower() == wanted]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """What setMyCommands stored for exactly this scope and language (no fallback)."""
        key = scope_key(self, scope, language_code)
        return [dict(command) for command in self._commands.get(key, [])]

    # =========================================================================================
    # HTTP

    async def _handle_not_found(self, request: web.Request) -> web.Response:
        return _error(ApiError(404, "Not Found"))

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query) if request.query_string else {}
        if not request.body_exists:
            return raw
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    parsed = json.loads(body)
                except ValueError:
                    raise bad_request("can't parse JSON encoded request parameters") from None
                if isinstance(parsed, dict):
                    raw.update(parsed)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read())
                    raw[part.name] = UploadedFile(
                        part.filename, part.headers.get("Content-Type"), data
                    )
                else:
                    raw[part.name] = await part.text()
        else:
            form = await request.post()
            raw.update(form)
        return raw

    async def _handle_api(self, request: web.Request) -> web.Response:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = decode_params(await self._read_params(request))
        except ApiError as error:
            return _error(error)
        entry = _DISPATCH.get(method.lower())
        name = entry[0] if entry is not None else method
        if self.record_calls:
            self.calls.append((name, params))
        fault = self.faults.pick(name, self._fault_chat(params)) if self.faults.active else None
        if fault is not None and fault != "timeout":
            refusal = await self._refuse(request, fault, name, params)
            if refusal is not None:
                return refusal
        if self._slow_chats and await self._slowed_and_abandoned(request, name, params):
            return _error(ApiError(499, "Client Closed Request"))
        if entry is None:
            if name not in self._warned_methods:
                self._warned_methods.add(name)
                _log.warning("Bot API method %r is not emulated; answering 404 Not Found", name)
            return _error(ApiError(404, "Not Found"))
        response, result = await self._apply(entry[1], name, params)
        if result is not None and (self.faults.active or fault is not None) and _acts(name):
            lost = fault == "timeout" or _client_gone(request)
            self._record_applied(name, params, result, lost)
        if fault == "timeout":
            await self._lose_answer(request)
        return response

    async def _apply(
        self, handler: MethodHandler, name: str, params: dict[str, Any]
    ) -> tuple[web.Response, object | None]:
        """Run a method; its response, and its result (``None`` when it failed)."""
        try:
            result = await handler(self, Params(params))
        except ApiError as error:
            if error.code == 429:
                self.count_429 += 1
            self._note_chat_error(params, name, error)
            return _error(error), None
        except Exception as error:  # a bug here must reach the test, not vanish in aiohttp
            _log.exception("emulator failed on %s", name)
            description = f"Internal Server Error: emulator bug: {error!r}"
            return _error(ApiError(500, description)), None
        if isinstance(result, Described):
            body = {"ok": True, "result": result.result, "description": result.description}
            return _json(200, body), result
        return _json(200, {"ok": True, "result": result}), result

    async def _slowed_and_abandoned(
        self, request: web.Request, method: str, params: dict[str, Any]
    ) -> bool:
        """Apply :meth:`slow_down`; True when the bot hung up meanwhile (the call is dropped)."""
        chat_id = params.get("chat_id")
        slow = self._slow_chats.get(chat_id) if isinstance(chat_id, int) else None
        if slow is None or (slow[1] and method not in slow[1]):
            return False
        await asyncio.sleep(slow[0])
        if _client_gone(request):
            self.abandoned_calls.append((method, params))
            return True
        return False

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        stored = self.files.by_path.get(request.match_info["path"])
        if stored is None or stored.data is None:
            return _error(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # =========================================================================================
    # Faults (see emulator/faults.py)

    async def _refuse(
        self, request: web.Request, fault: str, method: str, params: dict[str, Any]
    ) -> web.Response | None:
        """A fault that strikes before the call is applied: the answer that replaces it, or
        ``None`` to go on (a slow answer, once its delay is over)."""
        plan = self.faults.plan
        if fault == "429":
            retry_after = plan.retry_after if plan is not None else 1
            error = ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
            self._note_chat_error(params, method, error)
            return _error(error)
        if fault == "500":
            error = ApiError(500, "Internal Server Error")
            self._note_chat_error(params, method, error)
            return _error(error)
        if fault == "502":
            self._note_chat_error(params, method, ApiError(502, "Bad Gateway"))
            return web.Response(status=502, text=_BAD_GATEWAY_PAGE, content_type="text/html")
        if fault == "reset":
            _hang_up(request)
        # "slow": the delay stands for the network before Telegram, as in slow_down().
        await asyncio.sleep(plan.slow_seconds if plan is not None else 0.0)
        if _client_gone(request):
            self.abandoned_calls.append((method, params))
            _hang_up(request)
        return None

    def _fault_chat(self, params: dict[str, Any]) -> object:
        """The chat a call is about, for the fault draws: its ``chat_id``, or for a press's
        answer the presser's chat, so each chat's faults follow that chat's own calls."""
        chat_id = params.get("chat_id")
        if chat_id is None and "callback_query_id" in params:
            pending = self._queries.get(str(params["callback_query_id"]))
            return pending.user_id if pending is not None else None
        return chat_id

    def _record_applied(
        self, method: str, params: dict[str, Any], result: object, lost: bool
    ) -> None:
        chat_id = params.get("chat_id")
        message_id = result.get("message_id") if isinstance(result, dict) else None
        self.faults.applied.append(
            AppliedCall(
                method,
                chat_id if isinstance(chat_id, int | str) else None,
                message_id if isinstance(message_id, int) else None,
                lost,
            )
        )

    async def _lose_answer(self, request: web.Request) -> NoReturn:
        """The call was applied; its answer is held past the client's patience, then the
        connection is reset: the bot cannot know that it succeeded."""
        plan = self.faults.plan
        hold = plan.hold_seconds if plan is not None else 0.0
        if hold > 0:
            await asyncio.sleep(hold)
        _hang_up(request)

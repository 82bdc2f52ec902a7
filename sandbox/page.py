"""The page's side of the sandbox: a small JSON API (the personas, a chat, the actions, files,
the clock) and a WebSocket that pushes each changed chat, the bot's toasts and the clock.

Only loopback, and only this sandbox's own pages: another site open in the same browser must
not drive it (DNS rebinding, cross-site form posts)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from emulator.files import FileStore
from sandbox.chats import Chats
from sandbox.clock_panel import ClockPanel, UnknownAction
from sandbox.people import ApiProblem, People
from sandbox.personas import PERSONAS

STATIC = Path(__file__).resolve().parent / "static"
MAX_UPLOAD = 20 * 1024 * 1024  # what a bot can download from Telegram

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Json = dict[str, Any]


class Page:
    def __init__(
        self,
        people: People,
        chats: Chats,
        panel: ClockPanel,
        files: FileStore,
        *,
        bot_username: str,
        on_shown: Callable[[], None],
    ) -> None:
        self.bot_username = bot_username
        self.people = people
        self.chats = chats
        self.panel = panel
        self.files = files
        self.on_shown = on_shown  # chats changed on the page (the sandbox saves them soon)
        self.ready = False  # the bot is up: until then every request gets 503
        self._sockets: set[web.WebSocketResponse] = set()
        self._dirty: set[int] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._answers_seen: dict[int, int] = {}
        self._ticker: asyncio.Task[None] | None = None

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024, middlewares=[self._guard])
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._get_state)
        app.router.add_get("/api/chat/{key}", self._get_chat)
        app.router.add_post("/api/chat/{key}/send", self._post_send)
        app.router.add_post("/api/chat/{key}/press", self._post_press)
        app.router.add_post("/api/chat/{key}/location", self._post_location)
        app.router.add_post("/api/chat/{key}/contact", self._post_contact)
        app.router.add_post("/api/chat/{key}/upload", self._post_upload)
        app.router.add_get("/api/file/{file_id}", self._get_file)
        app.router.add_get("/api/clock", self._get_clock)
        app.router.add_post("/api/clock", self._post_clock)
        app.router.add_get("/ws", self._websocket)
        return app

    def open(self) -> None:
        """The bot is up: answer requests, and show the clock moving every 20 seconds."""
        self.ready = True
        self._ticker = asyncio.create_task(self._clock_ticker())

    async def close(self) -> None:
        self.ready = False
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for ws in list(self._sockets):
            await ws.close()

    async def clock_action(self, action: str) -> Json:
        """A clock panel button; every open page sees the new time."""
        try:
            ran = await self.panel.press(action)
        except UnknownAction as exc:
            raise ApiProblem(400, str(exc)) from None
        clock = self.panel.json()
        await self.publish({"type": "clock", "clock": clock})
        return {"clock": clock, "ran": ran}

    # -- live updates ----------------------------------------------------------------------

    def changed(self, chat_id: int) -> None:
        """Emulator listener: runs inside the emulator's handlers, so it only notes the chat
        (and stamps new messages with sandbox time) and flushes a moment later."""
        view = self.people.view_by_chat_id(chat_id)
        if view is not None:
            self.chats.stamp_new(view)
        self._dirty.add(chat_id)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(0.03, lambda: asyncio.ensure_future(self._broadcast()))

    async def _broadcast(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        events: list[Json] = []
        for p in PERSONAS:
            if self.people.chat_id(p) in dirty:
                events.append({"type": "chat", "chat": self.chats.chat_json(p)})
        events.extend(self._toasts())
        for event in events:
            await self.publish(event)
        self.on_shown()

    def _toasts(self) -> list[Json]:
        """The bot's new answers to button presses that have a text, in the presser's chat."""
        toasts: list[Json] = []
        for key, user in self.people.users.items():
            answers = user.callback_answers
            seen = self._answers_seen.get(user.id, 0)
            for answer in answers[seen:]:
                target = self.people.query_persona.pop(str(answer["callback_query_id"]), key)
                if answer.get("text"):
                    toasts.append(
                        {
                            "type": "toast",
                            "persona": target,
                            "text": answer["text"],
                            "alert": bool(answer.get("show_alert")),
                        }
                    )
            self._answers_seen[user.id] = len(answers)
        return toasts

    async def publish(self, event: Json) -> None:
        for ws in list(self._sockets):
            try:
                await ws.send_json(event)
            except (ConnectionError, RuntimeError):
                self._sockets.discard(ws)

    async def _clock_ticker(self) -> None:
        while True:
            await asyncio.sleep(20)
            await self.publish({"type": "clock", "clock": self.panel.json()})

    # -- HTTP --------------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        if host not in ("127.0.0.1", "localhost", "::1"):
            return web.json_response({"error": "sandbox answers on loopback only"}, status=403)
        origin = request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1] != request.host:
            return web.json_response({"error": "cross-origin request refused"}, status=403)
        if not self.ready:
            return web.json_response({"error": "the sandbox is starting"}, status=503)
        try:
            return await handler(request)
        except ApiProblem as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)

    async def _json_body(self, request: web.Request) -> Json:
        try:
            body = await request.json()
        except ValueError:
            raise ApiProblem(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise ApiProblem(400, "the body must be a JSON object")
        return body

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def _get_state(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "bot": {"username": self.bot_username, "name": "Sigap"},
                "personas": [
                    {
                        "key": p.key,
                        "name": p.name,
                        "role": p.role,
                        "is_group": p.is_group,
                        "nip": p.nip,
                        "members": list(p.members),
                    }
                    for p in PERSONAS
                ],
                "clock": self.panel.json(),
            }
        )

    async def _get_chat(self, request: web.Request) -> web.StreamResponse:
        p = self.people.persona(request.match_info["key"])
        return web.json_response(self.chats.chat_json(p))

    async def _post_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        reply_to = body.get("reply_to")
        if reply_to is not None and not isinstance(reply_to, int):
            raise ApiProblem(400, "reply_to must be a message id")
        message = await self.people.send_text(
            request.match_info["key"], body.get("text"), reply_to=reply_to, as_key=body.get("as")
        )
        return web.json_response({"message_id": message["message_id"]})

    async def _post_press(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise ApiProblem(400, "message_id (number) and data (text) are needed")
        query_id = await self.people.press(
            request.match_info["key"], message_id, data, as_key=body.get("as")
        )
        return web.json_response({"query_id": query_id})

    async def _post_location(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiProblem(400, "Lintang dan bujur harus berupa angka.") from None
        message = await self.people.share_location(
            request.match_info["key"], latitude, longitude, as_key=body.get("as")
        )
        return web.json_response({"message_id": message["message_id"]})

    async def _post_contact(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        message = await self.people.share_contact(request.match_info["key"], as_key=body.get("as"))
        return web.json_response({"message_id": message["message_id"]})

    async def _post_upload(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        self.people.persona(key)
        fields = await _upload_fields(request)
        data, file_name, mime_type = fields["file"]
        if not data:
            raise ApiProblem(400, "Berkas kosong.")
        as_photo = fields.get("kind", "photo") == "photo"
        if as_photo and not mime_type.startswith("image/"):
            raise ApiProblem(400, "Foto harus berupa gambar (JPEG atau PNG).")
        message = await self.people.upload(
            key,
            data,
            file_name=file_name,
            mime_type=mime_type,
            as_photo=as_photo,
            caption=fields.get("caption") or None,
            as_key=fields.get("as") or None,
        )
        return web.json_response({"message_id": message["message_id"]})

    async def _get_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.files.by_id.get(request.match_info["file_id"])
        if stored is None or stored.data is None:
            raise ApiProblem(404, "no such file")
        mime = stored.mime_type
        if stored.kind == "photo":
            mime = "image/png" if stored.data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        headers = {"Cache-Control": "private, max-age=3600"}
        if stored.kind != "photo" or request.query.get("download"):
            name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
            safe = "".join(ch for ch in name if ch.isalnum() or ch in "._- ") or "berkas"
            headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return web.Response(
            body=stored.data,
            content_type=mime or "application/octet-stream",
            headers=headers,
        )

    async def _get_clock(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.panel.json())

    async def _post_clock(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        action = body.get("action")
        if not isinstance(action, str):
            raise ApiProblem(400, "action is needed: hour, 14, monday or run")
        return web.json_response(await self.clock_action(action))

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json({"type": "clock", "clock": self.panel.json()})
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._sockets.discard(ws)
        return ws


async def _upload_fields(request: web.Request) -> dict[str, Any]:
    """The multipart form of an upload: ``file`` as (bytes, name, type), and the short text
    fields ``caption``, ``kind`` (photo or document) and ``as`` (who writes in a group)."""
    if not request.content_type.startswith("multipart/"):
        raise ApiProblem(400, "upload a file as multipart/form-data")
    fields: dict[str, Any] = {}
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            continue  # a multipart inside the form: the page never sends one
        if part.name == "file":
            data = await part.read(decode=False)
            fields["file"] = (
                bytes(data),
                part.filename or "berkas",
                part.headers.get("Content-Type", "application/octet-stream"),
            )
        elif part.name in ("caption", "kind", "as"):
            fields[part.name] = (await part.text())[:1024]
    if "file" not in fields:
        raise ApiProblem(400, "no file in the upload")
    return fields

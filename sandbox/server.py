"""``sigap sandbox``: the emulator, the real bot and a Telegram-like web page in one process.

The bot is the production ``Application`` from ``build_application``, polling the project's Bot
API emulator; the Scheduler runs on a :class:`~sandbox.clock.SandboxClock` the page can move
forward. The page (``static/``) talks to this server over a small JSON API and a WebSocket;
every action goes through the emulator's client side, exactly as the tests drive the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import WSMsgType, web
from babel.dates import format_date as babel_date
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, app_data, build_application
from bot.polling import start_bot, stop_bot
from domain.dates import format_date, zone_abbreviation
from emulator import BotApiEmulator, EmulatedGroup, EmulatedUser
from models.db import Database
from sandbox.clock import SandboxClock, next_local_time, next_monday
from sandbox.personas import PERSONAS, Persona, persona
from sandbox.render import entities_to_html
from sandbox.seed import CLOCK, HISTORY, MARKER, link_personas, prepare_data_dir, seed_database
from services.settings import Settings

log = logging.getLogger("sigap.sandbox")

TOKEN = "700000001:SANDBOX-token-for-the-emulator-xyz"
BOT_USERNAME = "sigap_sandbox_bot"
STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_UPLOAD = 20 * 1024 * 1024  # what a bot can download from Telegram
FAKE_PHONE = "+62812000{:04d}"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Sandbox:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 8080,
        host: str = "127.0.0.1",
        start: datetime | None = None,
        reset: bool = False,
        scheduler_interval: float = 15.0,
        settings_overrides: dict[str, object] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.reset = reset
        self.clock = SandboxClock(start)
        self._start_given = start is not None
        self.scheduler_interval = scheduler_interval
        self._overrides = settings_overrides or {}
        self.emulator = BotApiEmulator(TOKEN, BOT_USERNAME, "Sigap")
        self.users: dict[str, EmulatedUser] = {}
        self.group: EmulatedGroup | None = None
        self.application: Application | None = None  # type: ignore[type-arg]
        self.settings: Settings | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._dirty: set[int] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._stamps: dict[tuple[int, int], datetime] = {}
        self._query_persona: dict[str, str] = {}
        self._answers_seen: dict[int, int] = {}
        self._hidden_keyboards: dict[int, int] = {}  # chat id → id() of a used one-time keyboard
        self._clock_task: asyncio.Task[None] | None = None
        self._db: Database | None = None
        # Chats of earlier runs (the emulator keeps chats in memory only): shown above the live
        # ones, read-only, and written to HISTORY as the chats change.
        self._archive: dict[str, list[dict[str, Any]]] = {}
        self._save: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone if self.settings else "Asia/Jakarta")

    async def start(self) -> None:
        # The page's port first: a port already taken fails before anything is touched.
        app = self.web_app()
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        try:
            await self._start_bot()
        except BaseException:
            await self.stop()
            raise
        self.url = f"http://{self.host}:{self.port}"
        self._clock_task = asyncio.create_task(self._clock_ticker())

    async def _start_bot(self) -> None:
        prepare_data_dir(self.data_dir, reset=self.reset)
        db_url = f"sqlite+aiosqlite:///{(self.data_dir / 'sigap.db').as_posix()}"
        db = self._db = Database(db_url)
        seeded = (self.data_dir / MARKER).read_text().strip() == "seeded"
        saved = load_clock(self.data_dir / CLOCK) if seeded else None
        if saved is not None and not self._start_given and saved > self.clock.now():
            # The clock never goes back, not even across restarts: the data (scheduled jobs
            # that ran, queued notifications) is from the moment it had reached.
            self.clock.jump_to(saved)
        await seed_database(db, now=self.clock.now(), fresh=not seeded)

        await self.emulator.start("127.0.0.1", 0)
        self.emulator.listeners.append(self._changed)
        for p in PERSONAS:
            if p.is_group:
                self.group = self.emulator.group(p.name, privacy_mode=True)
            else:
                self.users[p.key] = self.emulator.user(
                    first_name=p.first_name, last_name=p.last_name, user_id=p.user_id
                )
        self.settings = Settings(
            **{
                "SIGAP_SCHEDULER_INTERVAL": self.scheduler_interval,
                **self._overrides,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": self.emulator.base_url,
                "DATABASE_URL": db_url,
                "SIGAP_DATA_DIR": str(self.data_dir),
                "SIGAP_BOT_USERNAME": BOT_USERNAME,
            }  # type: ignore[arg-type]
        )
        application = build_application(self.settings, db=db, clock=self.clock)
        await start_bot(application, ALLOWED_UPDATES, poll_seconds=10)
        self.application = application

        if seeded:
            self._archive = load_history(self.data_dir / HISTORY, self.clock_json()["display"])
            for user in self.users.values():
                user.open_private_chat()
        else:
            assert self.group is not None
            await link_personas(db, self.users, self.group, now=self.clock.now())
            (self.data_dir / MARKER).write_text("seeded\n")

    async def stop(self) -> None:
        if self._save is not None:
            self._save.cancel()
            self._save = None
        if self.application is not None:
            self.save_history()
        if self._clock_task is not None:
            self._clock_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock_task
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        application = self.application
        self.url = ""
        if application is not None:
            await stop_bot(application)
            self.application = None
        elif self._db is not None:  # stopped while seeding: the bot never took the database
            await self._db.dispose()
        self._db = None
        await self.emulator.stop()

    # -- chats as the page shows them --------------------------------------------------------

    def _persona(self, key: str) -> Persona:
        found = persona(key)
        if found is None:
            raise ApiProblem(404, f"no persona {key!r}")
        return found

    def _chat_id(self, p: Persona) -> int:
        if p.is_group:
            assert self.group is not None
            return self.group.chat_id
        return p.user_id

    def _view_of(self, p: Persona) -> EmulatedUser | EmulatedGroup:
        if p.is_group:
            assert self.group is not None
            return self.group
        return self.users[p.key]

    def _actor(self, p: Persona, as_key: str | None) -> EmulatedUser:
        """Who writes: the persona itself, or for a group one of its members."""
        if not p.is_group:
            return self.users[p.key]
        key = as_key or p.members[0]
        if key not in p.members:
            raise ApiProblem(400, f"{key!r} is not a member of {p.name}")
        return self.users[key]

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def _stamp(self, chat_id: int, message_id: int) -> datetime:
        key = (chat_id, message_id)
        if key not in self._stamps:
            self._stamps[key] = self.clock.now()
        return self._stamps[key]

    def _file_url(self, file_id: str) -> str:
        return f"/api/file/{file_id}"

    def chat_json(self, p: Persona) -> dict[str, Any]:
        view = self._view_of(p)
        chat_id = view.chat_id
        bot_id = self.emulator.bot_id
        me = {self.users[k].id for k in (p.members if p.is_group else (p.key,))}
        sent_markups = {m.message_id: m.reply_markup for m in view.messages}
        # Telegram marks a message "edited" when its text changed, not for a new keyboard.
        retexted = {
            m.message_id
            for m in view.messages
            if any(_shown_text(old) != _shown_text(m.raw) for old in m.history or ())
        }
        keys = {user.id: key for key, user in self.users.items()}
        messages = []
        for raw in view.history:
            message_id = int(raw["message_id"])
            sender = raw.get("from") or {}
            from_bot = sender.get("id") == bot_id
            item: dict[str, Any] = {
                "id": message_id,
                "out": not from_bot and sender.get("id") in me,
                "from_bot": from_bot,
                "sender_key": keys.get(sender.get("id")),
                "sender": " ".join(
                    x for x in (sender.get("first_name"), sender.get("last_name")) if x
                ),
                "time": self._local(self._stamp(chat_id, message_id)).strftime("%H.%M"),
                "edited": message_id in retexted,
            }
            if not from_bot and not p.is_group and raw.get("text", "").startswith("/start "):
                # An invite link opens the chat with "/start <token>"; Telegram shows "/start".
                item["html"] = entities_to_html("/start", [_command(6)])
            elif "text" in raw:
                item["html"] = entities_to_html(raw["text"], raw.get("entities"))
            elif raw.get("caption"):
                item["html"] = entities_to_html(raw["caption"], raw.get("caption_entities"))
            if raw.get("photo"):
                biggest = raw["photo"][-1]
                item["photo"] = {
                    "url": self._file_url(biggest["file_id"]),
                    "width": biggest.get("width"),
                    "height": biggest.get("height"),
                }
            if raw.get("document"):
                document = raw["document"]
                item["document"] = {
                    "url": self._file_url(document["file_id"]),
                    "name": document.get("file_name") or "berkas",
                    "size": document.get("file_size") or 0,
                }
            if raw.get("location"):
                item["location"] = raw["location"]
            if raw.get("contact"):
                item["contact"] = {"phone": raw["contact"].get("phone_number", "")}
            if raw.get("sticker"):
                item["sticker"] = raw["sticker"].get("emoji", "")
            if raw.get("voice"):
                item["voice"] = raw["voice"].get("duration", 0)
            replied = raw.get("reply_to_message")
            if replied:
                who = replied.get("from") or {}
                item["reply_to"] = {
                    "id": replied.get("message_id"),
                    "sender": who.get("first_name", ""),
                    "text": (replied.get("text") or replied.get("caption") or "")[:120],
                }
            rows = (raw.get("reply_markup") or {}).get("inline_keyboard") or []
            if rows:
                item["buttons"] = [
                    [
                        {
                            "text": b.get("text", ""),
                            "data": b.get("callback_data"),
                            "url": b.get("url"),
                        }
                        for b in row
                    ]
                    for row in rows
                ]
            markup = sent_markups.get(message_id) or {}
            if markup.get("force_reply"):
                item["force_reply"] = True
                item["placeholder"] = markup.get("input_field_placeholder")
            messages.append(item)
        keyboard = None
        markup = view.keyboard_markup
        if markup is not None and self._hidden_keyboards.get(chat_id) != id(markup):
            keyboard = {
                "rows": [
                    [
                        {
                            "text": b if isinstance(b, str) else b.get("text", ""),
                            "request_location": isinstance(b, dict)
                            and bool(b.get("request_location")),
                            "request_contact": isinstance(b, dict)
                            and bool(b.get("request_contact")),
                        }
                        for b in row
                    ]
                    for row in markup.get("keyboard", [])
                ],
                "placeholder": markup.get("input_field_placeholder"),
            }
        return {
            "persona": p.key,
            "title": p.name,
            "subtitle": p.role,
            "is_group": p.is_group,
            "members": [{"key": k, "name": self._persona(k).name} for k in p.members],
            "messages": [*self._archive.get(p.key, []), *messages],
            "keyboard": keyboard,
        }

    def personas_json(self) -> list[dict[str, Any]]:
        return [
            {
                "key": p.key,
                "name": p.name,
                "role": p.role,
                "is_group": p.is_group,
                "nip": p.nip,
                "members": list(p.members),
            }
            for p in PERSONAS
        ]

    def clock_json(self) -> dict[str, Any]:
        now = self.clock.now()
        local = self._local(now)
        zone = zone_abbreviation(self.zone)
        at_two = next_local_time(now, time(14, 0), self.zone)
        monday = next_monday(now, time(7, 0), self.zone)
        two_label = "14:00 hari ini" if at_two.date() == local.date() else "14:00 besok"
        return {
            "iso": now.isoformat(),
            "date": format_date(local.date(), "id"),
            "time": local.strftime("%H.%M"),
            "zone": zone,
            "display": f"{format_date(local.date(), 'id')}, {local.strftime('%H.%M')} {zone}",
            "jump_14": two_label,
            "jump_monday": f"Senin {babel_date(monday.date(), 'd MMM', locale='id')}, 07:00",
        }

    # -- live updates ------------------------------------------------------------------------

    def _changed(self, chat_id: int) -> None:
        """Emulator listener: runs inside the emulator's handlers, so it only notes the chat
        (and stamps new messages with sandbox time) and flushes a moment later."""
        view = self._chat_view_by_id(chat_id)
        if view is not None:
            for raw in view.history:
                self._stamp(chat_id, int(raw["message_id"]))
        self._dirty.add(chat_id)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(0.03, lambda: asyncio.ensure_future(self._broadcast()))

    def _chat_view_by_id(self, chat_id: int) -> EmulatedUser | EmulatedGroup | None:
        if self.group is not None and chat_id == self.group.chat_id:
            return self.group
        return next((u for u in self.users.values() if u.id == chat_id), None)

    async def _broadcast(self) -> None:
        self._flush = None
        dirty, self._dirty = self._dirty, set()
        events: list[dict[str, Any]] = []
        for p in PERSONAS:
            if self._chat_id(p) in dirty:
                events.append({"type": "chat", "chat": self.chat_json(p)})
        for key, user in self.users.items():
            answers = user.callback_answers
            seen = self._answers_seen.get(user.id, 0)
            for answer in answers[seen:]:
                target = self._query_persona.pop(str(answer["callback_query_id"]), key)
                if answer.get("text"):
                    events.append(
                        {
                            "type": "toast",
                            "persona": target,
                            "text": answer["text"],
                            "alert": bool(answer.get("show_alert")),
                        }
                    )
            self._answers_seen[user.id] = len(answers)
        for event in events:
            await self._send_all(event)
        if self._save is None:
            loop = asyncio.get_running_loop()
            self._save = loop.call_later(2.0, self._save_soon)

    def _save_soon(self) -> None:
        self._save = None
        self.save_history()

    def save_history(self) -> None:
        """Every persona's chat as the page shows it, for the next run (read-only there)."""
        chats = {p.key: [archived(m) for m in self.chat_json(p)["messages"]] for p in PERSONAS}
        try:
            _write(self.data_dir / HISTORY, json.dumps(chats, ensure_ascii=False))
            _write(self.data_dir / CLOCK, self.clock.now().isoformat() + "\n")
        except OSError as exc:
            log.warning("could not save the chat history: %s", exc)

    async def _send_all(self, event: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            try:
                await ws.send_json(event)
            except (ConnectionError, RuntimeError):
                self._sockets.discard(ws)

    async def _clock_ticker(self) -> None:
        while True:
            await asyncio.sleep(20)
            await self._send_all({"type": "clock", "clock": self.clock_json()})

    # -- actions -----------------------------------------------------------------------------

    def _used_keyboard(self, chat_id: int, view: EmulatedUser | EmulatedGroup, text: str) -> None:
        """A one-time reply keyboard hides once one of its buttons is used, as in Telegram."""
        markup = view.keyboard_markup
        if not markup or not markup.get("one_time_keyboard"):
            return
        labels = {
            b if isinstance(b, str) else b.get("text") for row in markup["keyboard"] for b in row
        }
        if text is None or text in labels:
            self._hidden_keyboards[chat_id] = id(markup)

    async def send_text(self, key: str, text: str, *, reply_to: int | None, as_key: str | None):  # type: ignore[no-untyped-def]
        p = self._persona(key)
        text = text if isinstance(text, str) else ""
        if not text.strip():
            raise ApiProblem(400, "Pesan kosong tidak dikirim.")
        if len(text) > MAX_TEXT:
            raise ApiProblem(400, f"Pesan terlalu panjang (maksimal {MAX_TEXT} karakter).")
        actor = self._actor(p, as_key)
        view = self._view_of(p)
        chat = self.group if p.is_group else None
        self._used_keyboard(view.chat_id, view, text)
        try:
            return await actor.send(text, chat=chat, reply_to=reply_to)
        except LookupError as exc:
            raise ApiProblem(404, str(exc)) from None

    async def press(self, key: str, message_id: int, data: str, *, as_key: str | None) -> str:
        p = self._persona(key)
        actor = self._actor(p, as_key)
        chat = self.group if p.is_group else None
        try:
            query_id = await actor.press(
                callback_data=data, message_id=message_id, chat=chat, forge=False
            )
        except (LookupError, ValueError) as exc:
            raise ApiProblem(409, str(exc)) from None
        self._query_persona[query_id] = key
        return query_id

    async def share_location(
        self, key: str, latitude: float, longitude: float, *, as_key: str | None
    ) -> dict[str, Any]:
        p = self._persona(key)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiProblem(400, "Lintang harus -90..90 dan bujur -180..180.")
        view = self._view_of(p)
        self._used_keyboard(view.chat_id, view, None)  # type: ignore[arg-type]
        chat = self.group if p.is_group else None
        return await self._actor(p, as_key).share_location(latitude, longitude, chat=chat)

    async def share_contact(self, key: str, *, as_key: str | None) -> dict[str, Any]:
        p = self._persona(key)
        actor = self._actor(p, as_key)
        view = self._view_of(p)
        self._used_keyboard(view.chat_id, view, None)  # type: ignore[arg-type]
        chat = self.group if p.is_group else None
        return await actor.share_contact(FAKE_PHONE.format(actor.id % 10_000), chat=chat)

    async def upload(
        self,
        key: str,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        as_photo: bool,
        caption: str | None,
        as_key: str | None,
    ) -> dict[str, Any]:
        p = self._persona(key)
        actor = self._actor(p, as_key)
        chat = self.group if p.is_group else None
        if as_photo:
            return await actor.send_photo(data, caption=caption, chat=chat)
        return await actor.send_document(
            data, file_name=file_name, mime_type=mime_type, caption=caption, chat=chat
        )

    async def clock_action(self, action: str) -> dict[str, Any]:
        now = self.clock.now()
        ran: dict[str, int] | None = None
        if action == "hour":
            self.clock.advance(timedelta(hours=1))
        elif action == "14":
            self.clock.jump_to(next_local_time(now, time(14, 0), self.zone))
        elif action == "monday":
            self.clock.jump_to(next_monday(now, time(7, 0), self.zone))
        elif action == "run":
            assert self.application is not None
            ran = await app_data(self.application).require_scheduler().tick(self.clock.now())
        else:
            raise ApiProblem(400, f"unknown clock action {action!r}")
        clock = self.clock_json()
        await self._send_all({"type": "clock", "clock": clock})
        return {"clock": clock, "ran": ran}

    # -- HTTP --------------------------------------------------------------------------------

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

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Loopback only, and only pages of this sandbox: another site open in the same browser
        # must not drive it (DNS rebinding, cross-site form posts).
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        if host not in ("127.0.0.1", "localhost", "::1"):
            return web.json_response({"error": "sandbox answers on loopback only"}, status=403)
        origin = request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1] != request.host:
            return web.json_response({"error": "cross-origin request refused"}, status=403)
        if not self.url:
            return web.json_response({"error": "the sandbox is starting"}, status=503)
        try:
            return await handler(request)
        except ApiProblem as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
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
                "bot": {"username": BOT_USERNAME, "name": "Sigap"},
                "personas": self.personas_json(),
                "clock": self.clock_json(),
            }
        )

    async def _get_chat(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.chat_json(self._persona(request.match_info["key"])))

    async def _post_send(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        reply_to = body.get("reply_to")
        if reply_to is not None and not isinstance(reply_to, int):
            raise ApiProblem(400, "reply_to must be a message id")
        message = await self.send_text(
            request.match_info["key"],
            body.get("text"),  # type: ignore[arg-type]
            reply_to=reply_to,
            as_key=body.get("as"),
        )
        return web.json_response({"message_id": message["message_id"]})

    async def _post_press(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise ApiProblem(400, "message_id (number) and data (text) are needed")
        query_id = await self.press(
            request.match_info["key"], message_id, data, as_key=body.get("as")
        )
        return web.json_response({"query_id": query_id})

    async def _post_location(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiProblem(400, "Lintang dan bujur harus berupa angka.") from None
        message = await self.share_location(
            request.match_info["key"], latitude, longitude, as_key=body.get("as")
        )
        return web.json_response({"message_id": message["message_id"]})

    async def _post_contact(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        message = await self.share_contact(request.match_info["key"], as_key=body.get("as"))
        return web.json_response({"message_id": message["message_id"]})

    async def _post_upload(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        self._persona(key)
        if not request.content_type.startswith("multipart/"):
            raise ApiProblem(400, "upload a file as multipart/form-data")
        fields: dict[str, Any] = {}
        async for part in await request.multipart():  # type: ignore[union-attr]
            if part.name == "file":
                data = await part.read(decode=False)  # type: ignore[union-attr]
                fields["file"] = (
                    bytes(data),
                    part.filename or "berkas",  # type: ignore[union-attr]
                    part.headers.get("Content-Type", "application/octet-stream"),
                )
            elif part.name in ("caption", "kind", "as"):
                fields[part.name] = (await part.text())[:1024]  # type: ignore[union-attr]
        if "file" not in fields:
            raise ApiProblem(400, "no file in the upload")
        data, file_name, mime_type = fields["file"]
        if not data:
            raise ApiProblem(400, "Berkas kosong.")
        as_photo = fields.get("kind", "photo") == "photo"
        if as_photo and not mime_type.startswith("image/"):
            raise ApiProblem(400, "Foto harus berupa gambar (JPEG atau PNG).")
        message = await self.upload(
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
        stored = self.emulator.files.by_id.get(request.match_info["file_id"])
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
        return web.json_response(self.clock_json())

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
            await ws.send_json({"type": "clock", "clock": self.clock_json()})
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self._sockets.discard(ws)
        return ws


def archived(item: dict[str, Any]) -> dict[str, Any]:
    """A message of an earlier run: no buttons, and no files (they lived in that run's memory)."""
    kept = {k: v for k, v in item.items() if k not in ("buttons", "force_reply", "placeholder")}
    if "service" in kept:
        return kept
    kept["archived"] = True
    if "photo" in kept:
        kept["photo"] = {**kept["photo"], "url": None}
    if "document" in kept:
        kept["document"] = {**kept["document"], "url": None}
    return kept


def _write(target: Path, text: str) -> None:
    temporary = target.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(target)


def load_clock(path: Path) -> datetime | None:
    try:
        moment = datetime.fromisoformat(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def load_history(path: Path, now_shown: str) -> dict[str, list[dict[str, Any]]]:
    try:
        chats = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(chats, dict):
        return {}
    result: dict[str, list[dict[str, Any]]] = {}
    for key, items in chats.items():
        if isinstance(items, list) and items and persona(str(key)) is not None:
            mark = {"service": f"Sandbox dijalankan lagi · {now_shown}"}
            result[str(key)] = [i for i in items if isinstance(i, dict)] + [mark]
    return result


def _shown_text(raw: dict[str, Any]) -> str | None:
    return raw.get("text", raw.get("caption"))


def _command(length: int) -> dict[str, Any]:
    return {"type": "bot_command", "offset": 0, "length": length}


async def serve(sandbox: Sandbox, ready: Callable[[Sandbox], None] | None = None) -> None:
    """Start the sandbox and run until cancelled (Ctrl+C)."""
    await sandbox.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
        loop.add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        if ready is not None:
            ready(sandbox)
        await stopping.wait()
    finally:
        await sandbox.stop()


__all__ = ["BOT_USERNAME", "TOKEN", "Sandbox", "serve"]

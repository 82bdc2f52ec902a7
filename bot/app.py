"""The composition root: ``build_application`` makes the whole bot from settings.

Production (``sigap run``), the end-to-end tests, the benchmark and the sandbox all call this same
function; they differ only in settings (API base URL, database) and the injected clock.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeAlias
from zoneinfo import ZoneInfo

from telegram import Bot, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.http import AiohttpRequest, outbox_bot
from bot.outbox_wake import OutboxWake
from bot.processor import ChatOrderedProcessor, log_key
from bot.ratelimit import RateLimiter
from domain.clock import Clock, SystemClock
from handlers import (
    admin,
    approvals,
    assessment,
    complaints,
    desk,
    digest,
    errors,
    export,
    ikm_follow_up,
    invite,
    leave,
    myday,
    reminders,
    start,
    survey,
    team,
    worklog,
)
from handlers.common import load_sender
from handlers.context import BotData, SigapContext
from handlers.menus import CommandMenu
from handlers.routes import Button, Command, Key, Route, as_key, commands_for, key_labels
from models.db import Database
from models.identity import IdentityCache
from scheduler.outbox import OutboxSender
from scheduler.service import Scheduler, blocked_hook
from services import Services
from services.settings import Settings
from texts import LANGUAGES

log = logging.getLogger("sigap")

# The cyclic collector's thresholds once the bot runs (Python's: 700, 10, 10). An update makes
# a few hundred container objects, nearly all freed by their reference counts; at 700 the young
# generation was collected every few updates and, with gc.freeze, the collector's share of the
# bot's CPU on a citizen's message fell from ~8% to ~3% (bench/paths.py, gc.callbacks timed).
GC_THRESHOLDS = (20_000, 20, 20)
_GC_THRESHOLDS_BEFORE = gc.get_threshold()

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


MODULES = (
    start,
    complaints,
    survey,
    ikm_follow_up,
    worklog,
    myday,
    leave,
    reminders,
    team,
    export,
    approvals,
    assessment,
    digest,
    invite,
    admin,
    desk,
)
"""Every handler module with a ``ROUTES`` table. Their order is the order of the command menus
(``handlers.routes.commands_for``); it does not decide which handler answers, see
``register_handlers``."""


class Poller(Protocol):
    """``bot.polling.DurablePoller``, as the root stops and restarts it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(eq=False)
class AppData(BotData):
    """PTB's ``bot_data`` as the composition root sees it: what the handlers get (``BotData``)
    and what only the root starts and stops (handlers may not import the scheduler)."""

    scheduler: Scheduler | None = None
    poller: Poller | None = None
    # The outbox sender woken by commits (post_init connects it, post_shutdown disconnects).
    outbox_wake: OutboxWake | None = None

    def require_scheduler(self) -> Scheduler:
        if self.scheduler is None:
            raise RuntimeError("bot_data has no scheduler: build the Application with bot.app")
        return self.scheduler


# The Application as build_application makes it. PTB's builder types its job queue with PTB's
# default context whatever the context types, and Sigap schedules nothing on that queue (the
# scheduler runs its own loops), so its type is left open.
SigapApplication: TypeAlias = Application[
    ExtBot[int], SigapContext, dict[Any, Any], dict[Any, Any], AppData, Any
]


def app_data(application: SigapApplication) -> AppData:
    """The one accessor of ``bot_data`` outside the handlers."""
    data = application.bot_data
    if not isinstance(data, AppData):
        raise TypeError("not an Application built by bot.app.build_application")
    return data


def all_routes() -> list[Route]:
    return [route for module in MODULES for route in module.ROUTES]


def command_menu(routes: Sequence[Route] | None = None) -> CommandMenu:
    """Telegram's menu for a person's audiences and language, from the modules' commands (the
    Application's, and what ``sigap roster import`` queues for the people it changes)."""
    commands = [route for route in routes or all_routes() if isinstance(route, Command)]
    return partial(commands_for, commands)


def build_application(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> SigapApplication:
    token = settings.require_token()
    services = Services(
        settings=settings,
        db=db or Database(settings.resolved_database_url),
        clock=clock or SystemClock(),
        identities=IdentityCache(ttl=settings.identity_cache_seconds),
    )
    metrics = services.metrics
    pool = settings.concurrent_updates + 8
    application = (
        Application.builder()
        .token(token)
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .context_types(ContextTypes(context=SigapContext, bot_data=AppData))
        .concurrent_updates(
            ChatOrderedProcessor(settings.concurrent_updates, metrics, log_key(token))
        )
        .request(
            AiohttpRequest(
                connection_limit=pool,
                read_timeout=15,
                write_timeout=15,
                retries=3,
                on_answer=partial(metrics.bot_api_answered, client="replies"),
            )
        )
        .get_updates_request(
            AiohttpRequest(
                connection_limit=1,
                read_timeout=40,
                on_answer=partial(metrics.bot_api_answered, client="polling"),
            )
        )
        # Replies are not throttled overall (a reminder wave brings hundreds of replies at once);
        # groups are held to 20/min and a 429 is waited out and retried instead of lost
        # (PTB's defaults lose messages under a strict limit: perf-notes.md). Sigap's own
        # limiter, as PTB's AIORateLimiter(overall_max_rate=0, max_retries=3) but without its
        # cost on every call to a private chat (bot.ratelimit).
        .rate_limiter(RateLimiter(max_retries=3))
        # Updates come from bot.polling's DurablePoller or bot.webhook, never PTB's Updater,
        # which confirms updates to Telegram before they are handled.
        .updater(None)
        # Sigap's scheduler runs its own loops: no APScheduler behind an unused JobQueue.
        .job_queue(None)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    routes = all_routes()
    data = app_data(application)
    data.services = services
    data.command_menu = command_menu(routes)
    # Notifications that are not replies go through the outbox, paced by its own sender on a
    # Bot without PTB's rate limiter (the sender handles 429s itself).
    notifier = outbox_bot(
        token, settings.bot_api_url, on_answer=partial(metrics.bot_api_answered, client="outbox")
    )
    sender = _outbox_sender(application.bot, notifier, services)
    data.outbox_wake = OutboxWake(services.db, sender.notify)
    data.scheduler = Scheduler(services, sender, notifier)
    register_handlers(application, routes)
    return application


def _outbox_sender(bot: Bot, notifier: Bot, services: Services) -> OutboxSender:
    """The sender delivering through ``notifier``; its hooks answer through ``bot``."""
    settings = services.settings
    sender = OutboxSender(
        services.db,
        notifier,
        services.clock,
        # 25/s rather than Telegram's ~30/s: a margin (Telegram documents that figure for
        # bulk notifications only, not what else counts towards it).
        overall_rate=25,
        # A second's worth at once, as Telegram's (and PTB's) bucket lets pass: the approvals
        # of fifty heads tapping together reach their employees within a second instead of two;
        # a digest wave keeps the small burst.
        overall_burst=25,
        background_burst=2,
        on_blocked=desk.blocked_hook(services, then=blocked_hook(services)),
        on_migrated=desk.migrated_hook(bot, services),
        on_sent=desk.ticket_sent_hook(bot, services),
        on_start=desk.unlinked_tickets_hook(bot, services),
        data_dir=settings.data_dir,
        poll_interval=settings.outbox_poll_interval,
        # Digests and reminders take what the replies to people leave of that limit.
        others_rate=services.metrics.replies_per_second,
    )
    return sender


def register_handlers(application: SigapApplication, routes: Sequence[Route]) -> None:
    """Every handler, in one place, from the modules' route tables.

    Within a group PTB lets the first handler whose filter matches answer, so order matters
    where two filters can match the same update; it does not among commands (each matches its
    own names) nor among buttons (each prefix is its own; ``rem:`` is not ``remt:``):

    group -1  load who is talking (stops updates without a sender)
    group 0   commands → buttons (by prefix) → unknown commands (after every known one) →
              membership, group upgrades → edits (before the keyboard labels, whose text filter
              would also match an edited message) → keyboard labels → replies in groups
              (complaint desks) → everything else to the open conversation (or the
              no-conversation answer) → leftover buttons (no known prefix: stale)
    """
    application.add_handler(TypeHandler(Update, load_sender), group=-1)
    private = filters.ChatType.PRIVATE
    add = application.add_handler
    for route in routes:
        if isinstance(route, Command):
            add(CommandHandler(route.names, route.handler))
    for route in routes:
        if isinstance(route, Button):
            add(CallbackQueryHandler(route.handler, pattern=route.data.pattern))
    add(
        MessageHandler(
            filters.COMMAND & private & filters.UpdateType.MESSAGE, start.unknown_command
        )
    )
    add(ChatMemberHandler(start.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    # A group became a supergroup: a complaint desk follows it to the new id.
    add(MessageHandler(filters.StatusUpdate.MIGRATE, desk.chat_migrated))
    add(MessageHandler(filters.UpdateType.EDITED, start.edited_message))
    for route in routes:
        if isinstance(route, Key):
            add(
                MessageHandler(filters.Text(key_labels(route.key)) & private, as_key(route.handler))
            )
    # Replies in groups: answers to complaint tickets and reasons the desk asked for. Before
    # the catch-all, which answers private chats only.
    add(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            desk.group_reply,
        )
    )
    add(MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, start.route_message))
    add(CallbackQueryHandler(start.stale_button))
    application.add_error_handler(errors.on_error)


async def _post_init(application: SigapApplication) -> None:
    data = app_data(application)
    data.require_services().bot_username = application.bot.username
    # Citizens (everyone by default) get the citizen menu; employees get theirs per chat.
    # One request per language, at once: each is a round trip before the first poll.

    async def set_menu(language: str) -> None:
        try:
            await application.bot.set_my_commands(
                data.command_menu([], language),
                scope=BotCommandScopeDefault(),
                language_code=None if language == "id" else language,
            )
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)

    await asyncio.gather(*(set_menu(language) for language in LANGUAGES))
    # The scheduler and the outbox sender are the leader's: bot.polling and bot.webhook start
    # them once this process leads.
    # Commits wake the sender (on a standby the sender is not running yet: a wake is then a
    # no-op, and the leader's first look finds the rows).
    if data.outbox_wake is not None:
        data.outbox_wake.start()
    _settle_heap()


def _settle_heap() -> None:
    """What start-up made (modules, PTB's and SQLAlchemy's objects: ~150,000) lives as long as
    the process: frozen (gc.freeze), the collector's full passes no longer walk it, where they
    took ~100 ms each. Not collected first (a full collection here costs ~0.1 s at every start,
    for a few dozen objects of start-up garbage, which are kept)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _post_shutdown(application: SigapApplication) -> None:
    data = app_data(application)
    # Several Applications one after another in one process (the tests): what this one froze
    # may be collected again.
    gc.unfreeze()
    gc.set_threshold(*_GC_THRESHOLDS_BEFORE)
    if data.outbox_wake is not None:
        await data.outbox_wake.stop()
    await data.require_scheduler().stop()
    await data.require_services().db.dispose()

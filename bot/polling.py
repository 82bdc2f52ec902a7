"""Long polling that a kill -9 cannot make lose an update.

PTB's Updater confirms a batch to Telegram with its next getUpdates, before the batch has been
handled, so a killed process loses whatever it had fetched and not yet handled: a citizen's
message that nobody ever answers. Here each batch is written to the inbox (``models.inbox``)
before the next getUpdates confirms it, each update is removed from the inbox once handled, and
what a killed process left there is handled first after the restart. An update handled but not
yet removed when the process died comes round again; the handlers take it once, as they take a
webhook redelivery (a conversation's ``last_update_id``, compare-and-set steps, unique keys).

Updates are handed to the Application's update processor exactly as webhook mode does
(``ChatOrderedProcessor``: chats concurrently, each chat in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.app import SigapApplication, app_data
from bot.lifecycle import (
    leadership,
    run_until_signalled,
    start_application,
    step_down,
    stop_application,
)
from bot.updates import update_from
from bot.web import web_server
from models import inbox
from models.db import unavailable
from scheduler.outbox import retry_after_seconds

log = logging.getLogger("sigap.polling")

# Telegram's long-poll wait (seconds) for production; tests and the sandbox wait less.
POLL_TIMEOUT = 30
# After a failed getUpdates: 1 s, doubling up to 30 s, as PTB's Updater does.
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 30.0
# A graceful stop waits this long for updates in progress (systemd's default is 90 s).
STOP_GRACE_SECONDS = 30.0
# A long poll's HTTP read may take Telegram's wait and this much more before it is given up (PTB
# adds the polling request's read timeout, ``bot.app``'s 40 s).
READ_MARGIN_SECONDS = 40.0
# Handled updates are removed from the inbox at most this often, together: under load one
# delete per handled update or two took the SQLite write lock some 500 times in a
# bench/notify_latency.py run (2 s of 22 s held), in front of the writes people wait for. An
# update handled but not yet removed is only handled again, once, after a kill (as now).
FORGET_EVERY_SECONDS = 0.1


class DurablePoller:
    """Fetches updates with getUpdates and hands them to ``application``'s update processor."""

    def __init__(
        self,
        application: SigapApplication,
        *,
        allowed_updates: Sequence[str] | None = None,
        timeout: float = POLL_TIMEOUT,
        backlog: int | None = None,
    ) -> None:
        self._application = application
        self._services = app_data(application).require_services()
        self._allowed = list(allowed_updates) if allowed_updates is not None else None
        self._timeout = timeout
        # Fetch no more while this many updates wait or run: under a flood the rest stays with
        # Telegram (and out of memory) until there is room.
        self._backlog = backlog or max(200, 8 * application.update_processor.max_concurrent_updates)
        self._offset: int | None = None
        self._in_progress: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._done: list[int] = []
        self._done_added = asyncio.Event()
        self._fetcher: asyncio.Task[None] | None = None
        self._forgetter: asyncio.Task[None] | None = None
        self._closing = False
        self.running = False

    async def start(self) -> None:
        """Handle what a previous process left unhandled, then poll."""
        bot = self._application.bot
        # getUpdates is refused while a webhook is set; keep what Telegram queued meanwhile.
        await bot.delete_webhook(drop_pending_updates=False)
        left = await inbox.unhandled(self._services.db)
        if left:
            log.warning("handling %d update(s) fetched before the last stop", len(left))
            self._offset = max(u["update_id"] for u in left) + 1
        for data in left:
            try:
                update = update_from(data, bot)
            except Exception:  # whatever an older version stored that this one cannot read
                # Its id only: the update holds who sent it and what they wrote.
                log.exception("dropping stored update %s: it cannot be read", data.get("update_id"))
                self._done.append(int(data.get("update_id", 0)))
                self._done_added.set()
                continue
            self._dispatch(update)
        # A poller started again after stop(): what it cancelled then left the room closed.
        if len(self._in_progress) < self._backlog:
            self._room.set()
        self.running, self._closing = True, False
        self._forgetter = asyncio.create_task(self._forget_handled(), name="sigap-inbox")
        self._fetcher = asyncio.create_task(self._fetch(), name="sigap-poller")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop fetching, let the updates in progress finish, and forget them."""
        self.running = False
        if self._fetcher is not None:
            # A getUpdates cut short confirms nothing: its updates come again next time.
            self._fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetcher
            self._fetcher = None
        if self._in_progress:
            _, late = await asyncio.wait(set(self._in_progress), timeout=grace)
            if late:
                log.warning(
                    "%d update(s) still in progress at stop: handled after restart", len(late)
                )
                for task in late:
                    task.cancel()
        if self._forgetter is not None:
            # Not cancelled: a delete cut short would leave handled updates to be handled again.
            self._closing = True
            self._done_added.set()
            await self._forgetter
            self._forgetter = None

    # --- fetching -------------------------------------------------------------------------

    async def _fetch(self) -> None:
        backoff = FIRST_BACKOFF
        while self.running:
            await self._room.wait()
            try:
                payloads, updates = await self._get_updates()
                backoff = FIRST_BACKOFF
            except InvalidToken:
                log.critical("Telegram refused the bot token (TELEGRAM_BOT_TOKEN); polling stops")
                self.running = False
                return
            except TimedOut:
                continue  # the long poll outlived the HTTP read timeout; ask again
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (Conflict, NetworkError, TelegramError) as exc:
                # Conflict: another process polls with this token (or a webhook was set).
                log.warning("getUpdates failed (%s); again in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if not updates:
                continue
            try:
                new = await inbox.keep(self._services.db, payloads, self._services.clock.now())
            except Exception as exc:
                # Not stored, so not confirmed: the same batch is fetched again (Telegram keeps
                # it meanwhile), and handled once the database is back.
                if unavailable(exc):
                    log.warning(
                        "database unavailable; %d fetched update(s) fetched again: %s",
                        len(updates),
                        exc,
                    )
                else:
                    log.exception(
                        "could not store %d fetched update(s); fetching again", len(updates)
                    )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            # Only now may the next getUpdates tell Telegram these were received.
            self._offset = updates[-1].update_id + 1
            for update in updates:
                if update.update_id in new:  # not one already taken from the inbox at start
                    self._dispatch(update)

    async def _get_updates(self) -> tuple[list[dict[str, Any]], list[Update]]:
        """``getUpdates``: the Bot API's own dicts, which the inbox keeps, and PTB's Updates made
        from them. PTB's ``get_updates`` gives only the Updates, and making the dicts again from
        them (``to_dict``) was about 8% of the bot's CPU on a citizen's message
        (bench/paths.py); this is what it does, through the same ``_post`` (rate limiter,
        request, errors), without that, and with ``bot.updates``' cheaper ``de_json``."""
        bot = self._application.bot
        # Whole seconds, as PTB sends a timedelta (the Bot API takes an integer).
        data: dict[str, Any] = {"offset": self._offset, "timeout": int(self._timeout)}
        data["allowed_updates"] = self._allowed
        payloads: list[dict[str, Any]] = await bot._post(
            "getUpdates", data, read_timeout=self._timeout + READ_MARGIN_SECONDS
        )
        updates = []
        for payload in payloads:
            update = update_from(payload, bot)
            bot.insert_callback_data(update)  # as ExtBot.get_updates (none without the cache)
            updates.append(update)
        return payloads, updates

    # --- handling -------------------------------------------------------------------------

    def _dispatch(self, update: Update) -> None:
        # Tasks start in creation order and the processor fixes a chat's order before its
        # first await, so updates of one chat are handled in the order they arrived.
        task = asyncio.create_task(self._handle(update))
        self._in_progress.add(task)
        task.add_done_callback(self._in_progress.discard)
        if len(self._in_progress) >= self._backlog:
            self._room.clear()

    async def _handle(self, update: Update) -> None:
        application = self._application
        try:
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        except Exception:
            # Handler errors went to the error handler already (the person got an apology);
            # what reaches here is PTB's own failure. Either way, retrying would repeat it.
            log.exception("update %s failed", update.update_id)
        except asyncio.CancelledError:
            return  # stopped in the middle: it stays in the inbox for the next start
        self._done.append(update.update_id)
        self._done_added.set()
        if len(self._in_progress) - 1 < self._backlog:
            self._room.set()

    def _take_done(self) -> list[int]:
        done, self._done = self._done, []
        self._done_added.clear()
        return done

    async def _forget_handled(self) -> None:
        """Remove handled updates from the inbox, batching what finished meanwhile."""
        while True:
            await self._done_added.wait()
            if not self._closing:
                await asyncio.sleep(FORGET_EVERY_SECONDS)  # what finishes meanwhile joins
            await self._forget(self._take_done())
            if self._closing and not self._done:
                return

    async def _forget(self, update_ids: list[int]) -> None:
        if not update_ids:
            return
        try:
            await inbox.handled(self._services.db, update_ids)
        except Exception as exc:
            if unavailable(exc) and not self._closing:
                # The database is away (restarting, locked by another writer): try again once
                # it is back, rather than handle them a second time after the next restart.
                log.warning(
                    "database unavailable; %d handled update(s) forgotten later: %s",
                    len(update_ids),
                    exc,
                )
                await asyncio.sleep(FIRST_BACKOFF)
                self._done.extend(update_ids)
                self._done_added.set()
                return
            # Harmless but noisy: they are handled again, once, after a restart.
            log.exception("could not remove %d handled update(s) from the inbox", len(update_ids))


def run_polling(application: SigapApplication, allowed_updates: Sequence[str]) -> None:
    """``sigap run``: poll until SIGINT or SIGTERM."""
    run_until_signalled(lambda stop: poll(application, allowed_updates, stop))


async def poll(
    application: SigapApplication,
    allowed_updates: Sequence[str],
    stop: asyncio.Event,
    *,
    on_lost: Callable[[], object] = step_down,
) -> None:
    """Serve health and metrics, wait to lead (PostgreSQL: as a hot standby, not connected to
    Telegram), then start the bot and poll, beginning with what a dead leader left in the inbox;
    on ``stop``, finish what is in progress and shut down."""
    services = app_data(application).require_services()
    services.metrics.mode = "polling"
    server = web_server(application)
    await server.start()
    try:
        async with leadership(
            services.db,
            stop,
            services.metrics,
            on_lost=on_lost,
            standby_note=" (not connected to Telegram until then)",
        ) as leading:
            if not leading:
                return
            server.context.ping_telegram = application.bot.get_me
            try:
                await start_bot(application, allowed_updates)
                log.info("polling Telegram for updates")
                await stop.wait()
            finally:
                await stop_bot(application)
    finally:
        await server.stop()


async def start_bot(
    application: SigapApplication,
    allowed_updates: Sequence[str],
    *,
    poll_seconds: float = POLL_TIMEOUT,
) -> DurablePoller:
    """Initialise and start ``application`` and its poller (``sigap run``, the sandbox, the
    tests: one start-up for all of them)."""
    await start_application(application)
    poller = DurablePoller(application, allowed_updates=allowed_updates, timeout=poll_seconds)
    app_data(application).poller = poller
    await poller.start()
    await app_data(application).require_scheduler().start()
    return poller


async def stop_bot(application: SigapApplication) -> None:
    """Stop polling, let the updates in progress finish, and shut ``application`` down."""
    data = app_data(application)
    poller, data.poller = data.poller, None
    if poller is not None:
        await poller.stop()
    await stop_application(application)

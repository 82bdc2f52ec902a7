"""What an operator watches: the Prometheus figures of one process, its role, and the update
being handled (for the log lines written while it is).

Below the handlers and the scheduler so that both count (``Services.metrics``); the composition
root (``bot/``) counts the rest (updates, Bot API answers, the leader state) and serves the
figures (``handlers/web/``). Each process (and each Application a test builds) has its own
registry, so nothing here is global but the context variable of the update in hand.

Figures that live in the database (inbox and outbox depth, the age of the oldest pending
notification) are read when Prometheus scrapes (:meth:`Metrics.refresh`), not kept up to date
on every write.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from models import inbox
from models.db import Database
from models.outbox import pending_summary

# The client's extra ``*_created`` series (when each counter began) double the page for a
# figure nobody alerts on.
disable_created_metrics()


class Role(StrEnum):
    # Holds the database's bot lock: polls (or serves webhooks), runs the scheduler and the
    # outbox sender.
    LEADER = "leader"
    # Waits for the lock. Polling: not connected to Telegram at all; webhook mode: serves
    # webhooks but runs neither the scheduler nor the sender.
    STANDBY = "standby"
    # Not decided yet: asking for the lock (a moment at start-up).
    STARTING = "starting"


@dataclass
class UpdateScope:
    """The update whose handling is in progress in this task: its id and chat for every log
    line (``bot.logs``), and whether a handler failed (the outcome counted)."""

    update_id: int
    # A group's id as is; a private chat's as a pseudonym (``bot.processor.chat_ref``): there
    # the chat id is the person's Telegram id, which the log must not hold (security.md).
    chat: int | str | None
    kind: str
    failed: bool = False


current_update: contextvars.ContextVar[UpdateScope | None] = contextvars.ContextVar(
    "sigap_update", default=None
)


def mark_update_failed() -> None:
    """A handler of the update in hand raised (the error handler calls this)."""
    scope = current_update.get()
    if scope is not None:
        scope.failed = True


# Seconds; handling an update is a few Bot API calls and a transaction or two.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RecentRate:
    """Events per second over the last ``window`` seconds (times from ``time.monotonic``)."""

    def __init__(self, window: float = 2.0) -> None:
        self._window = window
        self._stamps: deque[float] = deque()

    def add(self, now: float) -> None:
        self._stamps.append(now)
        self._forget(now)

    def per_second(self, now: float) -> float:
        self._forget(now)
        return len(self._stamps) / self._window

    def _forget(self, now: float) -> None:
        while self._stamps and self._stamps[0] < now - self._window:
            self._stamps.popleft()


class Metrics:
    """The figures of one process, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._replies = RecentRate()
        self.updates = Counter(
            "sigap_updates",
            "Updates handled, by kind and outcome (ok, or error: a handler raised)",
            ["kind", "outcome"],
            registry=r,
        )
        self.update_seconds = Histogram(
            "sigap_update_seconds",
            "Time to handle one update (its handlers, after waiting for its chat's turn)",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.inbox_depth = Gauge(
            "sigap_inbox_depth", "Updates fetched by polling and not yet handled", registry=r
        )
        self.outbox_depth = Gauge(
            "sigap_outbox_pending", "Notifications waiting in the outbox", registry=r
        )
        self.outbox_oldest = Gauge(
            "sigap_outbox_oldest_pending_seconds",
            "Age of the oldest due notification still pending (0 when none)",
            registry=r,
        )
        self.refusals = Counter(
            "sigap_telegram_refusals",
            "Bot API calls refused with 429 (flood limit) or 403 (blocked, kicked)",
            ["code", "client"],
            registry=r,
        )
        self.job_runs = Counter("sigap_job_runs", "Scheduled job runs, by job", ["job"], registry=r)
        self.job_failures = Counter(
            "sigap_job_failures", "Scheduled job runs that raised, by job", ["job"], registry=r
        )
        self.errors = Counter(
            "sigap_errors",
            "Lines logged at ERROR or above, by logger (handlers, outbox, scheduler, ...)",
            ["logger"],
            registry=r,
        )
        self.leader = Gauge(
            "sigap_leader",
            "1 while this process holds the bot lock (leader), 0 standby",
            registry=r,
        )
        self.telegram_seen = Gauge(
            "sigap_telegram_last_answer_timestamp_seconds",
            "When the Bot API last answered this process (Unix time; 0 never)",
            registry=r,
        )
        # Each (kind, outcome)'s counter, looked up once: ``labels`` checks and locks on every
        # call, and every update is counted.
        self._update_counters: dict[tuple[str, bool], Counter] = {}
        self.role = Role.STARTING
        self.mode = "polling"
        # Monotonic time of the Bot API's last answer, any status: it was reachable.
        self.telegram_answered_at: float | None = None

    def replies_per_second(self) -> float:
        """The bot's calls answering people (not the outbox's, not polling) per second lately:
        what the outbox sender leaves them of Telegram's overall limit."""
        return self._replies.per_second(time.monotonic())

    # --- kept by the composition root --------------------------------------------------------

    def set_role(self, role: Role) -> None:
        self.role = role
        self.leader.set(1 if role is Role.LEADER else 0)

    def bot_api_answered(self, status: int, client: str) -> None:
        """Every Bot API answer (``bot.http``): Telegram was reachable; 429 and 403 counted."""
        self.telegram_answered_at = time.monotonic()
        self.telegram_seen.set(time.time())
        if client == "replies":
            self._replies.add(self.telegram_answered_at)
        if status in (403, 429):
            self.refusals.labels(code=str(status), client=client).inc()

    def update_handled(self, kind: str, *, failed: bool, seconds: float) -> None:
        counter = self._update_counters.get((kind, failed))
        if counter is None:
            counter = self.updates.labels(kind=kind, outcome="error" if failed else "ok")
            self._update_counters[(kind, failed)] = counter
        counter.inc()
        self.update_seconds.observe(seconds)

    # --- kept by the scheduler ---------------------------------------------------------------

    def job_ran(self, name: str, *, failed: bool) -> None:
        self.job_runs.labels(job=name).inc()
        if failed:
            self.job_failures.labels(job=name).inc()

    # --- read when scraped -------------------------------------------------------------------

    async def refresh(self, db: Database, now_utc: float) -> None:
        """The figures kept in the database, as they are now."""
        self.inbox_depth.set(await inbox.depth(db))
        count, oldest = await pending_summary(db)
        self.outbox_depth.set(count)
        self.outbox_oldest.set(max(0.0, now_utc - oldest.timestamp()) if oldest else 0.0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ErrorCounter(logging.Handler):
    """Counts every line logged at ERROR or above under the ``sigap`` loggers: whatever failed
    (a handler, the outbox, a job), the figure moves, without each place counting itself."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(level=logging.ERROR)
        self._metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        self._metrics.errors.labels(logger=record.name).inc()

"""The outbox sender: delivers queued notifications to Telegram, paced under its flood limits.

Jobs write ``OutboxMessage`` rows (``models.outbox.enqueue``) and call :meth:`OutboxSender.notify`
after their transaction commits; the sender reads the due rows, paces them (an overall token
bucket, at least ``per_chat_interval`` between two messages to one chat, at most
``group_per_minute`` in any minute to one group) and records each outcome. Each chat is a lane:
one message in flight per chat, in id order, so a slow or limited chat waits alone.

Exactly once, and the one exception
    Before each call the row is committed as ``sending``; after Telegram answers it is committed
    as ``sent`` (with the message id), ``blocked``, ``failed``, or back to ``pending``. Telegram
    has no idempotency key, so a row still ``sending`` at start-up was in flight when the
    previous process died and nobody can tell whether it arrived. Such rows become ``unknown``
    and are never resent: at most once for the messages in flight at a crash (at most
    ``max_in_flight`` of them), exactly once for every other row. A duplicate reminder teaches
    people to ignore the bot; a lost one is visible (``unknown`` rows, with a warning in the
    log) and the next reminder follows anyway.

    A timeout or network error after the request was written is the same uncertainty, but it is
    retried (as issue 5 asks): giving up on every timeout would lose messages whenever the
    network hiccups. If Telegram had in fact accepted the timed-out request, the retry is a
    duplicate; that is the one window for one, kept small by generous read timeouts (10 s in
    :func:`bot.http.outbox_bot`, against Telegram's usual well-under-a-second answers).

Errors
    429: the chat waits ``retry_after`` and the message is retried; it is not a failure. When
    several chats are refused within a second it was the overall limit: everybody waits and
    the overall rate steps down, recovering slowly. 5xx, timeouts, network errors: retried with
    exponential backoff up to ``max_attempts``, then ``failed``. 403 (blocked, kicked,
    deactivated): this row and the chat's other pending rows become ``blocked`` and
    ``on_blocked(chat_id)`` is called. 400: ``failed`` with Telegram's description, no retry.
    A group that became a supergroup: its rows move to the new chat id and go out there, and
    ``on_migrated(old_id, new_id)`` is called (a complaint desk follows its group). After each
    delivery ``on_sent(row, message_id)`` is called in the chat's lane (a desk ticket queued by
    the Open311 API is linked to its complaint there).

Writes are few and short (SQLite serialises writers): all state changes go through one queue
that commits whatever has accumulated in one transaction, so the ``sent`` of one message rides
with the ``sending`` of the next: about one short commit per message. Reads fetch due rows in
batches, at most ``per_chat_prefetch`` per chat.

Run one sender per database: a second one would not send anything twice (a row is claimed with
a conditional UPDATE), but its start-up would turn the other's in-flight rows into ``unknown``.

The package: ``sender`` (the loop: lanes per chat, refreshes from the database, dispatch under
the pacing, and :meth:`OutboxSender.notify`, the seam through which committed rows wake the
sender), ``delivery`` (one message: claim, call, and what each answer or error means),
``pacing`` (the flood limits as pure bookkeeping), ``stats`` (the counts), ``writes`` (the one
queue of state changes) and ``payload`` (a row turned into a Bot API call).
"""

from __future__ import annotations

from scheduler.outbox.delivery import BlockedHook, MigratedHook, SentHook, retry_after_seconds
from scheduler.outbox.pacing import Pacing
from scheduler.outbox.payload import PayloadError
from scheduler.outbox.sender import OutboxSender, SenderStats

__all__ = [
    "BlockedHook",
    "MigratedHook",
    "OutboxSender",
    "Pacing",
    "PayloadError",
    "SenderStats",
    "SentHook",
    "retry_after_seconds",
]

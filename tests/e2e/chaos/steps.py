"""One step of a person's conversation, as the chaos driver plays it: do something (send, press,
share), then wait for the answer that this step, and no other, gives. After a kill -9 the
answer comes from the restarted process (from the inbox, or Telegram's webhook redelivery), so
the wait is long; an answer that never comes is a conversation that did not continue at its
step, which the driver counts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from emulator import BotMessage, ChatView

# Long enough for a restart on a busy two-core machine (the process start dominates).
STEP_TIMEOUT = 90.0


class Shown(Protocol):
    """A message as a person sees it: a BotMessage, or an outbox row's (``invariants.Queued``)."""

    @property
    def text(self) -> str: ...

    @property
    def button_texts(self) -> list[str]: ...


Expect = Callable[[Shown], bool]
# Whether a notification this chat waits for was in flight at a kill (the outbox marks it
# ``unknown`` and never sends it again: at most once, by design).
InFlight = Callable[[int, Expect], Awaitable[bool]]


class StepLost(Exception):
    """The answer a step waits for never came."""


class InFlightAtKill(StepLost):
    """The notification a step waits for was in flight at a kill and is not sent again."""


@dataclass
class Tally:
    """What the people saw acknowledged and what went wrong, for the invariants."""

    activities: list[str] = field(default_factory=list)  # descriptions answered "Tersimpan"
    numbers: dict[str, str] = field(default_factory=dict)  # tracking number -> story token
    shown: list[str] = field(default_factory=list)  # every receipt's number, as shown
    surveys: int = 0  # "Terima kasih" at the end of /survei
    decisions: list[str] = field(default_factory=list)  # approvals the employee was told of
    relays: list[str] = field(default_factory=list)  # tokens relayed desk <-> citizen
    reminders: list[str] = field(default_factory=list)  # moments the reminder job ran at
    digests: list[str] = field(default_factory=list)
    lost_steps: list[str] = field(default_factory=list)  # "who: step" never answered
    in_flight: list[str] = field(default_factory=list)  # notices unknown after a kill
    was_in_flight: InFlight | None = None
    steps: int = 0


def has(*needles: str) -> Expect:
    return lambda m: all(n in (m.text or "") for n in needles)


def either(*expects: Expect) -> Expect:
    """One of these answers: a step's own answer, or its question asked again because its
    update came round after a kill that fell after the answer was kept (``handlers.flow``)."""
    return lambda m: any(expect(m) for expect in expects)


def button(text: str, *needles: str) -> Expect:
    return lambda m: text in m.button_texts and all(n in (m.text or "") for n in needles)


def button_starting(prefix: str) -> Expect:
    return lambda m: any(b.startswith(prefix) for b in m.button_texts)


async def step(
    tally: Tally,
    chat: ChatView,
    act: Callable[[], Awaitable[Any]] | None,
    expect: Expect,
    what: str,
    *,
    edited: int | None = None,
    since: int | None = None,
    context: Callable[[], str] | None = None,
) -> BotMessage:
    """Do ``act`` and wait for a message in ``chat`` that ``expect`` accepts: a new one, or,
    with ``edited``, that message as the bot edited it; ``since``: among the arrivals from that
    index on (what a job sent may have arrived before the wait begins); ``context`` says more
    about a step that is lost."""
    mark = len(chat.arrivals) if since is None else since
    if act is not None:
        await act()
    tally.steps += 1
    loop = asyncio.get_running_loop()
    deadline, look_at = loop.time() + STEP_TIMEOUT, loop.time() + 2.0
    while loop.time() < deadline:
        if edited is not None:
            found = [m for m in chat.messages if m.message_id == edited and expect(m)]
        else:
            found = [m for m in chat.arrivals[mark:] if expect(m)]
        if found:
            return found[-1]
        if tally.was_in_flight is not None and loop.time() > look_at:
            look_at += 1.0
            if await tally.was_in_flight(chat.chat_id, expect):
                tally.in_flight.append(what)
                raise InFlightAtKill(what)
        await asyncio.sleep(0.05)
    seen = " | ".join(f"{m.text[:70]!r} {m.button_texts}" for m in chat.arrivals[mark:][-4:])
    more = f"; {context()}" if context is not None else ""
    tally.lost_steps.append(f"{what} (in chat {chat.chat_id} after it: {seen or 'nothing'}{more})")
    raise StepLost(tally.lost_steps[-1])

"""Where a notice's time went, seen from the Telegram side: every Bot API call with when it
reached "Telegram" (after the emulator's added latency) and when it was answered, every update
with when it was queued and when a getUpdates handed it out, and each measured action with its
trigger. ``bench/notify_latency.py --timeline FILE`` writes it; :func:`report` reads it.

What it answers: of the seconds from a tap to the other person's message, how many passed
before the bot had the tap at all (the long poll), how many between that and its first call
about it (its queue, its handler), and how many before the notice left; and how many messages a
second the bot sent overall, against Telegram's ~30/s.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

# What Telegram counts as a message sent (the flood limits' unit); answerCallbackQuery and
# chat actions are not messages.
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendLocation"})
EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})


class CallTimeline:
    """Records on a running :class:`emulator.BotApiEmulator` (wraps its ``_apply`` and its
    update queue's ``push``); :meth:`dump` gives the records as JSON-able lists."""

    def __init__(self, emulator: Any) -> None:
        self.calls: list[tuple[float, float, str, Any, Any]] = []
        self.pushed: dict[int, float] = {}
        self.handed: dict[int, float] = {}
        self.triggers: dict[str, int] = {}  # "q:<query id>" / "m:<chat>:<message id>" -> update
        self.actions: list[dict[str, Any]] = []
        apply, queue = emulator._apply, emulator._queue
        push = queue.push

        async def timed_apply(handler: Any, name: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            response, result = await apply(handler, name, params)
            ended = time.perf_counter()
            what = params.get("chat_id", params.get("callback_query_id"))
            if name == "getUpdates" and isinstance(result, list):
                for update in result:
                    self.handed.setdefault(update["update_id"], ended)
            self.calls.append((started, ended, name, what, result is not None))
            return response, result

        def timed_push(kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
            update = push(kind, payload)
            if update is None:
                return None
            self.pushed[update["update_id"]] = time.perf_counter()
            if "callback_query" in update:
                self.triggers[f"q:{update['callback_query']['id']}"] = update["update_id"]
            elif "message" in update:
                message = update["message"]
                key = f"m:{message['chat']['id']}:{message['message_id']}"
                self.triggers[key] = update["update_id"]
            return update

        emulator._apply = timed_apply
        queue.push = timed_push

    def action(self, kind: str, started: float, ended: float, trigger: str, target: int) -> None:
        self.actions.append(
            {"kind": kind, "start": started, "end": ended, "trigger": trigger, "target": target}
        )

    def dump(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "pushed": self.pushed,
            "handed": self.handed,
            "triggers": self.triggers,
            "actions": self.actions,
        }


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):6.3f} {p95:6.3f} {ordered[-1]:6.3f}"


def report(data: dict[str, Any]) -> list[str]:
    """The breakdown per kind (p50 / p95 / max of each stage) and the messages per second."""
    calls = sorted(data["calls"])
    pushed = {int(k): v for k, v in data["pushed"].items()}
    handed = {int(k): v for k, v in data["handed"].items()}
    by_target: dict[Any, list[tuple[float, str]]] = {}
    answered: dict[str, float] = {}
    for started, _ended, name, what, ok in calls:
        if ok and name in SENDS:
            by_target.setdefault(what, []).append((started, name))
        elif name == "answerCallbackQuery":
            answered.setdefault(f"q:{what}", started)
    lines = ["stage (seconds)                 p50    p95    max"]
    for kind in sorted({a["kind"] for a in data["actions"]}):
        stages: dict[str, list[float]] = {"handed out": [], "press answered": [], "sent": []}
        for action in (a for a in data["actions"] if a["kind"] == kind):
            update = data["triggers"].get(action["trigger"])
            start = action["start"]
            if update is None or update not in handed:
                continue
            # The tap queues its update at once (same event loop); "answered" is the bot's
            # answerCallbackQuery for a press, the first thing its handler does.
            stages["handed out"].append(handed[update] - pushed[update])
            if action["trigger"] in answered:
                stages["press answered"].append(answered[action["trigger"]] - handed[update])
            sent = next((t for t, _ in by_target.get(action["target"], []) if t >= start), None)
            if sent is not None:
                stages["sent"].append(sent - handed[update])
        stages["total"] = [a["end"] - a["start"] for a in data["actions"] if a["kind"] == kind]
        for stage, values in stages.items():
            lines.append(f"  {kind:<10} {stage:<18} {_stats(values)}")
    if calls:
        begin = calls[0][0]
        per_second: Counter[int] = Counter()
        edits: Counter[int] = Counter()
        for started, _ended, name, _what, ok in calls:
            if ok and name in SENDS:
                per_second[int(started - begin)] += 1
            elif ok and name in EDITS:
                edits[int(started - begin)] += 1
        busiest = per_second.most_common(5)
        lines.append(
            "messages sent per second, busiest: "
            + ", ".join(f"{n} (+{edits[s]} edits) at {s}s" for s, n in busiest)
        )
        total = Counter(name for _s, _e, name, _w, ok in calls if ok)
        lines.append("calls: " + ", ".join(f"{name} {n}" for name, n in total.most_common(8)))
    return lines

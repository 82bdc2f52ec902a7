"""A flaky Telegram: faults injected into the bot's Bot API calls, at chosen rates, reproducibly.

Kinds, as a bot meets them on api.telegram.org:

- ``429``: ``Too Many Requests: retry after N`` with ``parameters.retry_after``; not applied.
- ``500``: ``{"ok": false, "error_code": 500, "description": "Internal Server Error"}``; not
  applied.
- ``502``: the front end's nginx page (``text/html``, not JSON); not applied. Long polls meet
  it too.
- ``reset``: the connection is reset (RST) before anything is applied; no answer.
- ``timeout``: the call *is applied* (the message is sent, edited, the updates are handed
  out...) but its answer is lost: held for ``hold_seconds`` (longer than the client waits),
  then the connection is reset. What the person sees and what the bot knows now differ.
- ``slow``: ``slow_seconds`` pass before the call is applied and answered; a client that
  hangs up meanwhile has its call dropped, as a request lost on the way never reaches Telegram.

Each call draws one number from a hash of (seed, method, chat, how many such calls came
before), so a run's faults depend only on the seed and on each chat's own sequence of calls,
not on how the chats' calls interleave: the same scenario with the same seed meets the same
faults. (A press's answer counts for the presser's chat; getUpdates, which has no chat, follows
the number of polls, which depends on timing.)
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["FAULT_KINDS", "AppliedCall", "FaultPlan", "Faults", "InjectedFault"]

FAULT_KINDS = ("429", "500", "502", "reset", "timeout", "slow")
# Kinds that leave the call unapplied; ``timeout`` applies it, ``slow`` applies it late.
NOT_APPLIED = frozenset({"429", "500", "502", "reset"})


def _method_set(names: Iterable[str] | None) -> frozenset[str] | None:
    return None if names is None else frozenset(name.lower() for name in names)


@dataclass(frozen=True)
class FaultPlan:
    """What to inject: a probability per kind (summing to at most 1) on the methods chosen.

    ``methods``: only these methods (case-insensitive; ``None``: every method, getUpdates
    included); ``exempt``: never these. ``retry_after`` is the 429's wait, ``slow_seconds``
    the delay of a slow answer, ``hold_seconds`` how long a lost answer is held before the
    connection is reset (0: at once).
    """

    rates: Mapping[str, float]
    seed: int = 0
    methods: frozenset[str] | None = None
    exempt: frozenset[str] = frozenset()
    retry_after: int = 1
    slow_seconds: float = 1.0
    hold_seconds: float = 0.0

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if any(not 0 <= rate <= 1 for rate in self.rates.values()):
            raise ValueError("fault rates are probabilities between 0 and 1")
        if sum(self.rates.values()) > 1 + 1e-9:
            raise ValueError("fault rates add up to more than 1")
        if self.retry_after < 1:
            raise ValueError("retry_after is at least 1 second")
        object.__setattr__(self, "rates", dict(self.rates))
        object.__setattr__(self, "methods", _method_set(self.methods))
        object.__setattr__(self, "exempt", _method_set(self.exempt) or frozenset())

    @classmethod
    def uniform(cls, rate: float, kinds: Iterable[str] = FAULT_KINDS, **options: Any) -> FaultPlan:
        """``rate`` of all calls faulted, shared equally among ``kinds``."""
        chosen = tuple(kinds)
        return cls({kind: rate / len(chosen) for kind in chosen}, **options)

    @classmethod
    def parse(cls, spec: str, **options: Any) -> FaultPlan:
        """``"0.2"`` (20 % spread over every kind) or ``"502=0.1,reset=0.05"``."""
        spec = spec.strip()
        if "=" not in spec:
            return cls.uniform(float(spec), **options)
        rates: dict[str, float] = {}
        for item in spec.split(","):
            kind, _, rate = item.partition("=")
            rates[kind.strip()] = float(rate)
        return cls(rates, **options)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> FaultPlan:
        """The control endpoint's body: ``{"rate": 0.2}`` or ``{"rates": {...}}`` plus options."""
        options: dict[str, Any] = {}
        for key in ("seed", "retry_after"):
            if key in body:
                options[key] = int(body[key])
        for key in ("slow_seconds", "hold_seconds"):
            if key in body:
                options[key] = float(body[key])
        for key in ("methods", "exempt"):
            if body.get(key) is not None:
                options[key] = [str(name) for name in body[key]]
        if "rates" in body:
            rates = {str(kind): float(rate) for kind, rate in dict(body["rates"]).items()}
            return cls(rates, **options)
        return cls.uniform(float(body.get("rate", 0.0)), **options)

    def to_json(self) -> dict[str, Any]:
        return {
            "rates": dict(self.rates),
            "seed": self.seed,
            "methods": sorted(self.methods) if self.methods is not None else None,
            "exempt": sorted(self.exempt),
            "retry_after": self.retry_after,
            "slow_seconds": self.slow_seconds,
            "hold_seconds": self.hold_seconds,
        }

    def covers(self, method: str) -> bool:
        lowered = method.lower()
        if lowered in self.exempt:
            return False
        return self.methods is None or lowered in self.methods


@dataclass(frozen=True, slots=True)
class InjectedFault:
    """One fault as it was injected."""

    kind: str
    method: str
    chat_id: int | str | None


@dataclass(slots=True)
class AppliedCall:
    """A call with an effect (not ``get...`` except getUpdates) the emulator applied while
    faults were on, and whether its answer got lost.

    ``answer_lost``: the bot never learnt that this call succeeded (a ``timeout`` fault, or it
    hung up before the answer), so a retry by the bot would do the same thing twice.
    """

    method: str
    chat_id: int | str | None
    message_id: int | None
    answer_lost: bool = False


@dataclass
class Faults:
    """The emulator's fault injector: off until :meth:`enable`; counts stay until :meth:`reset`."""

    plan: FaultPlan | None = None
    injected: list[InjectedFault] = field(default_factory=list)
    applied: list[AppliedCall] = field(default_factory=list)
    _calls: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def active(self) -> bool:
        return self.plan is not None

    def enable(self, plan: FaultPlan | None = None, /, **options: Any) -> FaultPlan:
        """Start injecting: a :class:`FaultPlan`, or its fields (``rate=0.2`` for a uniform
        plan, or ``rates={...}``). Returns the plan in force."""
        if plan is None:
            if "rates" in options:
                plan = FaultPlan(**options)
            else:
                plan = FaultPlan.uniform(options.pop("rate", 0.0), **options)
        elif options:
            plan = replace(plan, **options)
        self.plan = plan
        self._calls.clear()  # the draws restart, so a seed gives the same faults again
        return plan

    def disable(self) -> None:
        self.plan = None

    def reset(self) -> None:
        """Forget what was injected and applied so far (the plan stays as it is)."""
        self.injected.clear()
        self.applied.clear()
        self._calls.clear()

    def pick(self, method: str, chat_id: object) -> str | None:
        """The fault for this call, if any; counts the call either way."""
        plan = self.plan
        if plan is None or not plan.covers(method):
            return None
        chat = chat_id if isinstance(chat_id, int | str) else None
        key = (method.lower(), "" if chat is None else str(chat))
        number = self._calls[key]
        self._calls[key] = number + 1
        digest = hashlib.blake2b(
            f"{plan.seed}|{key[0]}|{key[1]}|{number}".encode(), digest_size=8
        ).digest()
        draw = int.from_bytes(digest, "big") / 2**64
        for kind in FAULT_KINDS:
            rate = plan.rates.get(kind, 0.0)
            if draw < rate:
                self.injected.append(InjectedFault(kind, method, chat))
                return kind
            draw -= rate
        return None

    def counts(self) -> dict[str, dict[str, int]]:
        """Injected faults per kind, then per method: ``{"502": {"getUpdates": 3}}``."""
        result: dict[str, dict[str, int]] = {}
        for fault in self.injected:
            per_method = result.setdefault(fault.kind, {})
            per_method[fault.method] = per_method.get(fault.method, 0) + 1
        return result

    def count(self, kind: str | None = None, method: str | None = None) -> int:
        return sum(
            1
            for fault in self.injected
            if (kind is None or fault.kind == kind)
            and (method is None or fault.method.lower() == method.lower())
        )

    @property
    def answers_lost(self) -> list[AppliedCall]:
        """The applied calls whose answer the bot never got."""
        return [call for call in self.applied if call.answer_lost]

    def report(self) -> dict[str, Any]:
        """Everything above as JSON (the control endpoint's GET)."""
        return {
            "active": self.active,
            "plan": self.plan.to_json() if self.plan is not None else None,
            "injected": self.counts(),
            "applied": len(self.applied),
            "answers_lost": [
                {"method": c.method, "chat_id": c.chat_id, "message_id": c.message_id}
                for c in self.answers_lost
            ],
        }

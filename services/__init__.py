"""What handlers and jobs both need, below both of them: the settings, the database, the clock and
the identity cache (``Services``), the settings object itself (``services.settings``) and the
rendering both sides share (``services.digest``, ``services.export``, ``services.survey``).

``Services`` is built once by the composition root (``bot.app``) and handed to the handlers
(through PTB's ``bot_data``) and to the scheduler, so nothing is global."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from domain.clock import Clock, SystemClock
from models.db import Database
from models.identity import IdentityCache
from services.metrics import Metrics
from services.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    bot_username: str = ""
    identities: IdentityCache = field(default_factory=lambda: IdentityCache(ttl=60))
    # The process's Prometheus figures and role (services.metrics): handlers and jobs count.
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def today(self) -> date:
        """Today in the office's time zone (the clock is UTC)."""
        return self.clock.now().astimezone(self.timezone).date()

"""What a sender did, counted (``OutboxSender.stats``, and per run of ``run_until_idle``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SenderStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0
    retried_429: int = 0
    retried_errors: int = 0

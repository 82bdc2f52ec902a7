"""Random kills (``tests/e2e/chaos``): real ``sigap run`` processes through random scenarios of
every flow, killed with SIGKILL at random moments and restarted, on SQLite and PostgreSQL, in
long polling and webhook mode. After each restart: nothing acknowledged is lost, nothing exists
twice, every conversation continues at its step, every tracking number is unique.

The quick form kills 10 times in all (3 per SQLite mode, 2 per PostgreSQL mode) with fixed
seeds; ``make chaos`` (``SIGAP_CHAOS=1``) kills 100 times (25 per combination) with seeds drawn
afresh. ``SIGAP_CHAOS_SEED`` replays a seed's plan (the kills' timing is the processes' own)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.e2e.chaos.driver import run_chaos

pytestmark = pytest.mark.slow

CHAOS = bool(os.environ.get("SIGAP_CHAOS"))
QUICK_KILLS = {"sqlite": 3, "postgres": 2}


def _seed(mode: str, database: str) -> int:
    if "SIGAP_CHAOS_SEED" in os.environ:
        return int(os.environ["SIGAP_CHAOS_SEED"])
    fixed = {"polling": 18, "webhook": 1018}[mode] + (0 if database == "sqlite" else 1)
    return random.randrange(1_000_000) if CHAOS else fixed


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_random_kills_lose_nothing_and_repeat_nothing(
    db_url: str, tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    database = "sqlite" if db_url.startswith("sqlite") else "postgres"
    kills = 25 if CHAOS else QUICK_KILLS[database]
    report = await run_chaos(
        db_url,
        tmp_path,
        mode=mode,
        kills=kills,
        seed=_seed(mode, database),
        database=database,
        per_round=(2, 4) if CHAOS else (2, 3),
    )
    with capsys.disabled():
        print("\n" + report.summary())
    assert report.kills == kills
    assert report.total == 0, "\n".join(report.details)

"""What the chaos driver runs: a real ``sigap run`` process (long polling, or ``--webhook``) on
a database it prepared, against the Bot API emulator in the driver's own process, killed with
SIGKILL and started again; and ``sigap jobs run`` as the clock (the scheduler's jobs as if at
a moment the driver picks: the same job code the bot's scheduler runs on the wall clock)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from domain.complaints import DEFAULT_CATEGORIES
from domain.roster import read_roster
from emulator import BotApiEmulator, EmulatedUser
from models import complaints, survey
from models.db import Database
from models.identity import issue_invites
from models.migrate import upgrade_database
from models.roster import import_roster
from models.types import utcnow
from tests.conftest import EXAMPLES
from tests.e2e.chaos.flows import HANDLER, STAFF, Office
from tests.e2e.harness import BOT_USERNAME, OPERATOR_ID, TOKEN, eventually
from tests.e2e.test_crash_recovery import BotProcess, PollingBotProcess
from tests.e2e.test_webhook_crash import WebhookBotProcess

MODES: dict[str, type[BotProcess]] = {"polling": PollingBotProcess, "webhook": WebhookBotProcess}


@dataclass
class Cluster:
    emulator: BotApiEmulator
    bot: BotProcess
    db: Database
    workdir: Path

    def job_env(self) -> dict[str, str]:
        """The bot's environment for ``sigap jobs run``, with the default quiet hour (the bot
        itself is told to send no reminders on the wall clock: the driver's clock decides)."""
        env = dict(self.bot.env)
        env.pop("SIGAP_REMINDER_QUIET_FROM", None)
        return env

    async def run_job(self, name: str, moment: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "jobs",
            "run",
            name,
            "--date",
            moment,
            env=self.job_env(),
            cwd=self.workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        return int(process.returncode or 0), out.decode(errors="replace")


async def prepare_database(db: Database) -> None:
    """Migrated, with the sample roster, the default complaint categories and SKM services."""
    await upgrade_database(db)
    now = utcnow()
    roster = read_roster(EXAMPLES / "roster_belawan.csv")
    result = await import_roster(db, roster, dry_run=False, actor="chaos", now=now)
    assert not result.problems, result.problems
    await complaints.import_categories(
        db, DEFAULT_CATEGORIES, dry_run=False, actor="chaos", now=now
    )
    await survey.seed_default_services(db)


@contextlib.asynccontextmanager
async def cluster(db_url: str, workdir: Path, mode: str) -> AsyncIterator[Cluster]:
    db = Database(db_url)
    await prepare_database(db)
    # Telegram backs off up to a minute between webhook attempts; scaled down here.
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME, webhook_retry_max_delay=0.3)
    await emulator.start()
    bot = MODES[mode](emulator, db_url, workdir)
    bot.env.update(
        SIGAP_DATA_DIR=str(workdir / "data"),
        SIGAP_ADMIN_IDS=str(OPERATOR_ID),
        SIGAP_SURVEY_SECRET="chaos-survey-secret-0123456789",
        # What the jobs process writes is found by the bot's sender within this.
        SIGAP_OUTBOX_POLL_SECONDS="0.5",
    )
    try:
        yield Cluster(emulator, bot, db, workdir)
    finally:
        bot.stop()
        await emulator.stop()
        await db.dispose()


async def link_office(c: Cluster) -> Office:
    """Every employee of the scenarios linked through an invitation, and the BLW-PU desk group
    set up by the operator; the bot must be running."""
    nips = {HANDLER, *STAFF, *(boss for boss, _ in STAFF.values())}

    async def link(nip: str) -> tuple[str, EmulatedUser]:
        [invite] = await issue_invites(
            c.db, now=utcnow(), ttl=timedelta(days=30), actor="chaos", nip=nip
        )
        person = c.emulator.user(first_name=f"Pegawai {nip[-4:]}")
        await person.send(f"/start {invite.token}")
        await person.wait_for(1, timeout=60)
        return nip, person

    employees = dict(await asyncio.gather(*(link(nip) for nip in sorted(nips))))
    desk = c.emulator.group("Meja Aduan PU", privacy_mode=True)
    operator = c.emulator.user(first_name="Operator", user_id=OPERATOR_ID)
    await operator.send("/pasang_meja BLW-PU", chat=desk)
    await eventually(lambda: any("meja aduan" in m.text for m in desk.arrivals), timeout=30)
    return Office(employees=employees, desk=desk)

"""Fresh sandbox data: the sample roster, SKP targets, default complaint categories and survey
services, the demo people linked with their invites and the complaint desk installed, the way an
office does it."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.complaints import DEFAULT_CATEGORIES
from domain.roster import read_roster
from domain.skp import read_targets
from emulator import EmulatedGroup, EmulatedUser
from models import complaints
from models.db import Database
from models.identity import issue_invites
from models.migrate import upgrade_database
from models.roster import import_roster
from models.survey import seed_default_services
from models.targets import import_targets
from sandbox.personas import DESK_UNIT, PERSONAS

__all__ = [
    "CLOCK",
    "EXAMPLES",
    "HISTORY",
    "MARKER",
    "SandboxDataError",
    "link_personas",
    "prepare_data_dir",
]

log = logging.getLogger("sigap.sandbox")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Written when the folder is made, "seeded" once the people are linked. --reset only ever
# deletes a folder that has it, so a mistyped --data-dir cannot wipe someone's files.
MARKER = ".sigap-sandbox"
HISTORY = "chats.json"  # the page's chats, shown again (read-only) after a restart
CLOCK = "clock.txt"  # where the sandbox clock was: a restart never goes back before it


class SandboxDataError(Exception):
    """The data folder cannot be used; one line for the operator."""


def prepare_data_dir(data_dir: Path, *, reset: bool) -> None:
    marker = data_dir / MARKER
    if data_dir.exists() and any(data_dir.iterdir()) and not marker.exists():
        raise SandboxDataError(
            f"{data_dir} is not empty and is not a sandbox folder (no {MARKER}); "
            "choose another --data-dir"
        )
    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        marker.write_text("new\n")
    elif marker.read_text().strip() != "seeded":
        # A start that died while seeding: begin again from nothing.
        for child in data_dir.iterdir():
            if child.name != MARKER:
                shutil.rmtree(child) if child.is_dir() else child.unlink()


async def seed_database(
    db: Database, *, now: datetime, fresh: bool, timezone: str = "Asia/Jakarta"
) -> None:
    """Migrate; on a fresh folder also load the roster, targets and complaint categories."""
    await upgrade_database(db)
    if not fresh:
        return
    if not (EXAMPLES / "roster_belawan.csv").exists():
        raise SandboxDataError(
            f"the sample files are not in {EXAMPLES}: run the sandbox from a clone of the project"
        )
    roster = await import_roster(
        db,
        read_roster(EXAMPLES / "roster_belawan.csv"),
        dry_run=False,
        actor="sandbox",
        now=now,
        timezone=timezone,
    )
    if roster.problems:
        raise SandboxDataError(f"sample roster: {roster.problems[0]}")
    targets = await import_targets(
        db,
        read_targets(EXAMPLES / "skp_targets_belawan.csv"),
        dry_run=False,
        actor="sandbox",
        now=now,
        current_year=now.astimezone(ZoneInfo(timezone)).year,
    )
    if targets.problems:
        # The sample targets are for one year; a sandbox started in another still works.
        log.warning("sample SKP targets not loaded: %s", targets.problems[0])
    await complaints.import_categories(
        db, DEFAULT_CATEGORIES, dry_run=False, actor="sandbox", now=now
    )
    # The services /survei offers, as `sigap skm services seed` gives an office.
    await seed_default_services(db)


async def link_personas(
    db: Database,
    users: Mapping[str, EmulatedUser],
    group: EmulatedGroup,
    *,
    now: datetime,
) -> None:
    """Each demo employee opens their own invite link; the admin installs the desk group."""
    admin: EmulatedUser | None = None
    for persona in PERSONAS:
        if persona.is_group or persona.nip is None:
            continue
        user = users[persona.key]
        [issued] = await issue_invites(
            db, now=now, ttl=timedelta(days=1), actor="sandbox", nip=persona.nip
        )
        await user.send(f"/start {issued.token}")
        await user.wait_for(1, timeout=15)
        if persona.key == "admin":
            admin = user
    assert admin is not None
    await admin.send(f"/pasang_meja {DESK_UNIT}", chat=group)
    await group.wait_for(1, timeout=15)

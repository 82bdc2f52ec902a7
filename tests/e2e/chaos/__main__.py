"""``python -m tests.e2e.chaos [--kills N] [--mode polling|webhook] [--db sqlite|postgres]
[--seed S]``: one run of the chaos driver; exits 1 when an invariant was violated.

PostgreSQL: a database of its own on SIGAP_TEST_POSTGRES_URL's server, dropped afterwards."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from models.db import Database
from tests.conftest import POSTGRES_URL
from tests.e2e.chaos.driver import run_chaos


async def _admin(sql: str) -> None:
    db = Database(POSTGRES_URL)
    try:
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await db.dispose()


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="sigap-chaos-") as folder:
        workdir = Path(args.workdir or folder)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.db == "sqlite":
            url, name = f"sqlite+aiosqlite:///{workdir / 'sigap.db'}", None
        else:
            name = f"sigap_chaos_{uuid.uuid4().hex[:10]}"
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
            await _admin(f'CREATE DATABASE "{name}"')
        try:
            report = await run_chaos(
                url, workdir, mode=args.mode, kills=args.kills, seed=args.seed, database=args.db
            )
        finally:
            if name:
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 1 if report.total else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.chaos", description=__doc__)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workdir", help="keep the database and the bot's logs here")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000))
    sys.exit(asyncio.run(main(parser.parse_args())))

"""Time to build the weekly digests for every supervisor (issue 5: 10,000 employees with
500,000 activities in ≤ 1 s on SQLite and on PostgreSQL, growing linearly).

Not part of the test suite (timings on shared machines are noisy): run ``python bench/digests.py``.
For each size (1k, 10k, 50k employees) a throw-away database is migrated and seeded in bulk:
units of 25 people (a unit head as supervisor of the other 24), unit heads under a few top
supervisors, every employee linked to a Telegram account (1% blocked), 50 activities per employee
spread over the working days of the digest week and the four weeks before it (status mix:
mostly approved, some waiting, some sent back, a few rejected; 10% late, 1% deleted), and
some leave. Then the digest step of the weekly job is timed, median of 3 runs:
``build_digests`` (the SQL aggregation for the digest week and the week before it), the
``recipients`` lookup and ``render_text`` of every digest. The chart (matplotlib) and the XLSX
(openpyxl) are NOT included: they are per-supervisor file rendering, not the aggregation.

PostgreSQL: a database of its own on the server named by SIGAP_TEST_POSTGRES_URL (default: the
local trust-auth server), dropped afterwards; skipped with the reason if the server is unreachable.

    python bench/digests.py [--sizes 1000,10000,50000] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from domain.calendar import WorkCalendar
from domain.digest import previous_week
from models.db import Database
from models.digest import build_digests, recipients
from models.migrate import upgrade_database
from models.tables import Activity, Employee, Leave, TelegramLink, TelegramUser, Unit
from services.digest import render_text
from texts import texts

POSTGRES_URL = os.environ.get(
    "SIGAP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ZONE = ZoneInfo("Asia/Jakarta")
DIGEST_DAY = date(2026, 11, 23)  # a Monday: the digest covers 16–22 Nov 2026
UNIT_SIZE = 25
TOPS = 4
PER_EMPLOYEE = 50
CHUNK = 10_000
SEED_BUDGET_S = 180.0
RUNS = 3
STATUSES = ["approved", "submitted", "revision_requested", "rejected"]
OLD_WEIGHTS = [85, 6, 5, 4]  # earlier weeks: mostly reviewed
RECENT_WEIGHTS = [45, 45, 6, 4]  # the digest week: much still waiting
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def _tables():  # type: ignore[no-untyped-def]
    return (
        Unit.__table__,  # type: ignore[attr-defined]
        Employee.__table__,  # type: ignore[attr-defined]
        TelegramUser.__table__,  # type: ignore[attr-defined]
        TelegramLink.__table__,  # type: ignore[attr-defined]
        Activity.__table__,  # type: ignore[attr-defined]
        Leave.__table__,  # type: ignore[attr-defined]
    )


def generate(n: int, per_employee: int, rng: random.Random) -> dict[str, list[dict]]:
    """Rows for ``n`` employees, ``per_employee`` activities each."""
    calendar = WorkCalendar()
    digest_start, digest_end = previous_week(DIGEST_DAY)
    window_start = digest_start - timedelta(weeks=4)
    days = calendar.working_days(window_start, digest_end)
    early_days = [d for d in days if d < digest_start]
    digest_days = calendar.working_days(digest_start, digest_end)

    units = [
        dict(
            id=1,
            code="TOP",
            name="Pimpinan",
            timezone="Asia/Jakarta",
            parent_id=None,
            created_at=NOW,
            updated_at=NOW,
        )
    ]
    employees: list[dict] = []

    def employee(eid: int, unit: int, boss: int | None, roles: str) -> None:
        employees.append(
            dict(
                id=eid,
                nip=f"{199000000000000000 + eid}",
                name=f"Pegawai {eid:06d}",
                position="Staf",
                unit_id=unit,
                supervisor_id=boss,
                roles=roles,
                active=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )

    for eid in range(1, TOPS + 1):
        employee(eid, 1, None, "employee,supervisor")
    eid = TOPS
    unit_id = 1
    while eid < n:
        unit_id += 1
        units.append(
            dict(
                id=unit_id,
                code=f"U{unit_id:06d}",
                name=f"Unit {unit_id}",
                timezone="Asia/Jakarta",
                parent_id=1,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        eid += 1
        head = eid
        employee(head, unit_id, 1 + (unit_id % TOPS), "employee,supervisor")
        for _ in range(UNIT_SIZE - 1):
            if eid >= n:
                break
            eid += 1
            employee(eid, unit_id, head, "employee")

    users, links, activities, leaves = [], [], [], []
    languages = ["id", "id", "id", "en", None]
    aid = 0
    for e in employees:
        tg = 10_000_000 + e["id"]
        users.append(
            dict(
                id=tg,
                first_name=e["name"],
                username=None,
                language=rng.choice(languages),
                blocked_at=NOW if rng.random() < 0.01 else None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        links.append(
            dict(
                id=e["id"], employee_id=e["id"], telegram_user_id=tg, invite_id=None, linked_at=NOW
            )
        )
        # 5% log nothing in the digest week (silent), the rest across all five weeks.
        pool = early_days if rng.random() < 0.05 else days
        for work_date in rng.choices(pool, k=per_employee):
            aid += 1
            weights = RECENT_WEIGHTS if work_date >= digest_start else OLD_WEIGHTS
            activities.append(
                dict(
                    id=aid,
                    employee_id=e["id"],
                    work_date=work_date,
                    description="Menyusun laporan kegiatan",
                    quantity=1,
                    output_unit="dokumen",
                    minutes=rng.choice((30, 60, 90, 120, 180, 240)),
                    target_id=None,
                    status=rng.choices(STATUSES, weights)[0],
                    reviewer_id=None,
                    review_note=None,
                    reviewed_at=None,
                    late=rng.random() < 0.10,
                    source="guided",
                    training_jp=None,
                    deleted_at=NOW if rng.random() < 0.01 else None,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        # ~6% on leave for 1–3 days in the digest week, ~6% in the week before, 1% cancelled.
        for week_days in (digest_days, [d - timedelta(weeks=1) for d in digest_days]):
            if week_days and rng.random() < 0.06:
                first = rng.randrange(len(week_days))
                last = min(len(week_days) - 1, first + rng.randrange(3))
                leaves.append(
                    dict(
                        employee_id=e["id"],
                        kind=rng.choice(("cuti", "sakit", "izin", "dinas_luar")),
                        start=week_days[first],
                        end=week_days[last],
                        note=None,
                        cancelled_at=NOW if rng.random() < 0.01 else None,
                        created_at=NOW,
                    )
                )
    return {
        "unit": units,
        "employee": employees,
        "telegram_user": users,
        "telegram_link": links,
        "activity": activities,
        "leave": leaves,
    }


async def _insert_all(conn, rows: dict[str, list[dict]]) -> None:  # type: ignore[no-untyped-def]
    for table in _tables():
        data = rows[table.name]
        for i in range(0, len(data), CHUNK):
            await conn.execute(insert(table), data[i : i + CHUNK])


async def seed(db: Database, rows: dict[str, list[dict]]) -> None:
    """Everything in one transaction, Core executemany in chunks."""
    if db.is_sqlite:
        async with db.engine.connect() as conn:
            # Seeding only: this connection is thrown away (dispose) before timing. The pragma
            # cannot change inside a transaction, so it goes first and BEGIN is ours.
            await conn.exec_driver_sql("PRAGMA synchronous=OFF")
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await _insert_all(conn, rows)
            await conn.exec_driver_sql("COMMIT")
    else:
        async with db.engine.begin() as conn:
            await _insert_all(conn, rows)
    if not db.is_sqlite:
        # What autovacuum would do soon after a bulk load in production.
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    await db.dispose()


async def digest_step(db: Database, calendar: WorkCalendar) -> tuple[float, float, int, int]:
    """(seconds to build, seconds for build+recipients+text, digests, messages)."""
    started = time.perf_counter()
    digests = await build_digests(db, calendar, *previous_week(DIGEST_DAY), zone=ZONE)
    built = time.perf_counter()
    people = await recipients(db, [d.supervisor_id for d in digests])
    tr = {lang: texts(lang) for lang in ("id", "en")}
    messages = 0
    for digest in digests:
        person = people.get(digest.supervisor_id)
        if person is None:
            continue
        messages += len(render_text(tr.get(person.language or "id", tr["id"]), digest, person.name))
    done = time.perf_counter()
    return built - started, done - started, len(digests), messages


async def measure(url: str, n: int, per_employee: int) -> dict[str, object]:
    rng = random.Random(n)
    t0 = time.perf_counter()
    rows = generate(n, per_employee, rng)
    t_gen = time.perf_counter() - t0
    db = Database(url)
    await upgrade_database(db)
    t0 = time.perf_counter()
    await seed(db, rows)
    t_seed = time.perf_counter() - t0
    calendar = WorkCalendar()
    runs = [await digest_step(db, calendar) for _ in range(RUNS)]
    await db.dispose()
    return {
        "employees": n,
        "activities": len(rows["activity"]),
        "per_employee": per_employee,
        "build": statistics.median(r[0] for r in runs),
        "total": statistics.median(r[1] for r in runs),
        "all_totals": [r[1] for r in runs],
        "digests": runs[0][2],
        "messages": runs[0][3],
        "gen_s": t_gen,
        "seed_s": t_seed,
        "rows_per_s": sum(len(v) for v in rows.values()) / t_seed,
    }


async def _admin(sql: str) -> None:
    db = Database(POSTGRES_URL)
    engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await db.dispose()


async def _postgres_problem() -> str | None:
    db = Database(POSTGRES_URL)
    try:
        async with db.read() as session:
            await session.execute(text("select 1"))
        return None
    except Exception as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    finally:
        await db.dispose()


async def run_backend(backend: str, sizes: list[int]) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    rows_per_s: float | None = None
    for n in sizes:
        per_employee = PER_EMPLOYEE
        if rows_per_s and n * PER_EMPLOYEE / rows_per_s > SEED_BUDGET_S:
            per_employee = max(5, int(SEED_BUDGET_S * rows_per_s / n))
            print(
                f"  [{backend}] {n} employees: seeding {n * PER_EMPLOYEE:,} activities would "
                f"take > {SEED_BUDGET_S:.0f} s at {rows_per_s:,.0f} rows/s; using "
                f"{per_employee} activities per employee instead of {PER_EMPLOYEE}",
                flush=True,
            )
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                result = await measure(f"sqlite+aiosqlite:///{tmp}/bench.db", n, per_employee)
        else:
            name = f"sigap_bench_{uuid.uuid4().hex[:10]}"
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
            await _admin(f'CREATE DATABASE "{name}"')
            try:
                result = await measure(url, n, per_employee)
            finally:
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        result["backend"] = backend
        rows_per_s = float(result["rows_per_s"])  # type: ignore[arg-type]
        print(
            f"  [{backend}] {n:>6} employees: generated in {result['gen_s']:.1f} s, seeded "
            f"in {result['seed_s']:.1f} s ({rows_per_s:,.0f} rows/s); runs "
            + ", ".join(f"{t:.3f}" for t in result["all_totals"])  # type: ignore[attr-defined]
            + f" s; {result['digests']} digests, {result['messages']} messages",
            flush=True,
        )
        results.append(result)
    return results


def report(results: list[dict[str, object]]) -> None:
    print()
    print("Digest step (build_digests: SQL aggregation of the digest week and the week before,")
    print("+ recipients + render_text of every digest; chart and XLSX excluded), median of 3")
    header = (
        f"{'backend':<9} {'employees':>9} {'activities':>10} {'build s':>8} "
        f"{'total s':>8} {'ms/1k emp':>9} {'x 1k':>6}  target"
    )
    print(header)
    print("-" * len(header))
    base: dict[str, float] = {}
    for r in results:
        backend, n, total = str(r["backend"]), int(r["employees"]), float(r["total"])  # type: ignore[arg-type]
        base.setdefault(backend, total)
        target = "≤ 1 s " + ("ok" if total <= 1.0 else "MISSED") if n == 10_000 else ""
        note = "" if r["per_employee"] == PER_EMPLOYEE else f" ({r['per_employee']}/employee)"
        print(
            f"{backend:<9} {n:>9,} {int(r['activities']):>10,} {float(r['build']):>8.3f} "  # type: ignore[arg-type]
            f"{total:>8.3f} {total / n * 1000 * 1000:>9.1f} {total / base[backend]:>6.1f}  "
            f"{target}{note}"
        )
    print("x 1k: time relative to the 1k case of the same backend (linear growth: 10x, 50x)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: list[dict[str, object]] = []
    for backend in args.backends.split(","):
        if backend == "postgres":
            problem = await _postgres_problem()
            if problem:
                print(f"PostgreSQL skipped: not reachable at {POSTGRES_URL}: {problem}")
                continue
        results += await run_backend(backend, sizes)
    report(results)


if __name__ == "__main__":
    asyncio.run(main())

"""Roster import into the database: all or nothing, dry run, idempotent, updates in place."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from domain.roster import read_roster
from models.db import Database
from models.roster import import_roster
from models.tables import AuditEntry, Employee, Unit
from models.types import utcnow
from tests.conftest import EXAMPLES

SAMPLE = EXAMPLES / "roster_belawan.csv"
CAMAT = "198105142003121002"


async def _import(db: Database, path: Path, dry_run: bool = False):
    return await import_roster(db, read_roster(path), dry_run=dry_run, actor="test", now=utcnow())


async def _count(db: Database, table: type) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


def _rewrite(tmp_path: Path, edit) -> Path:
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8-sig")), delimiter=";"))
    edit(rows)
    out = tmp_path / "roster.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    return out


async def test_sample_roster_imports_with_hierarchy(db: Database) -> None:
    result = await _import(db, SAMPLE)
    assert result.saved and not result.problems
    assert (result.changes.new, result.changes.units_new) == (28, 12)
    async with db.read() as session:
        employees = {e.nip: e for e in (await session.execute(select(Employee))).scalars()}
        units = {u.code: u for u in (await session.execute(select(Unit))).scalars()}
    camat = employees[CAMAT]
    assert camat.supervisor_id is None and camat.role_set == {"employee", "supervisor", "admin"}
    assert sum(1 for e in employees.values() if e.supervisor_id is None) == 1
    # Kelurahan units hang under the kecamatan, found through who supervises their lurah.
    assert units["BLW-K01"].parent_id == units["BLW"].id
    assert units["BLW"].parent_id is None
    assert await _count(db, AuditEntry) == 1


async def test_dry_run_writes_nothing(db: Database) -> None:
    result = await _import(db, SAMPLE, dry_run=True)
    assert not result.saved and result.changes.new == 28
    assert await _count(db, Employee) == 0 and await _count(db, Unit) == 0


async def test_reimport_changes_nothing_and_changed_rows_update_in_place(
    db: Database, tmp_path: Path
) -> None:
    await _import(db, SAMPLE)
    again = await _import(db, SAMPLE)
    assert (again.changes.new, again.changes.changed, again.changes.same) == (0, 0, 28)
    assert (again.changes.units_new, again.changes.units_changed) == (0, 0)
    async with db.read() as session:
        before = (
            await session.execute(select(Employee).where(col(Employee.nip) == CAMAT))
        ).scalar_one()

    def promote(rows: list[list[str]]) -> None:
        for row in rows:
            if row[0] == CAMAT:
                row[2] = "Camat Medan Belawan"

    changed = await _import(db, _rewrite(tmp_path, promote))
    assert (changed.changes.changed, changed.changes.same) == (1, 27)
    async with db.read() as session:
        after = (
            await session.execute(select(Employee).where(col(Employee.nip) == CAMAT))
        ).scalar_one()
    assert after.id == before.id and after.position == "Camat Medan Belawan"


async def test_any_bad_row_means_nothing_is_written(db: Database, tmp_path: Path) -> None:
    def spoil(rows: list[list[str]]) -> None:
        rows[3][0] = "198613262015051001"  # month 13 in the birth date
        rows[5][5] = "199001012015011001"  # a supervisor who does not exist
        rows[7][0] = rows[6][0]  # duplicate NIP

    result = await _import(db, _rewrite(tmp_path, spoil))
    assert not result.saved
    found = {(p.line, p.code) for p in result.problems}
    assert (4, "invalid_nip") in found and (6, "unknown_supervisor") in found
    assert (8, "duplicate_nip") in found
    assert await _count(db, Employee) == 0


async def test_cycle_through_stored_employees_is_refused(db: Database, tmp_path: Path) -> None:
    await _import(db, SAMPLE)

    def camat_reports_to_staff(rows: list[list[str]]) -> None:
        staff = rows[4][0]  # someone below the camat in the stored hierarchy
        rows[:] = [rows[0], next(r for r in rows if r[0] == CAMAT)]
        rows[1][5] = staff

    result = await _import(db, _rewrite(tmp_path, camat_reports_to_staff))
    assert [p.code for p in result.problems] == ["supervisor_cycle"]
    async with db.read() as session:
        camat = (
            await session.execute(select(Employee).where(col(Employee.nip) == CAMAT))
        ).scalar_one()
    assert camat.supervisor_id is None


async def test_xlsx_and_csv_give_the_same_roster(db: Database) -> None:
    await _import(db, SAMPLE)
    again = await _import(db, EXAMPLES / "roster_belawan.xlsx")
    assert (again.changes.new, again.changes.changed, again.changes.same) == (0, 0, 28)


def _without_admins(rows: list[list[str]]) -> None:
    for row in rows[1:]:
        row[6] = ", ".join(r for r in row[6].split(", ") if r.strip() != "admin")


async def test_a_file_that_leaves_no_admin_is_refused(db: Database, tmp_path: Path) -> None:
    await _import(db, SAMPLE)
    result = await _import(db, _rewrite(tmp_path, _without_admins))
    assert not result.saved and [r.code for r in result.refusals] == ["last_admin"]


async def test_a_file_that_hands_the_admin_role_to_a_newcomer_is_applied(
    db: Database, tmp_path: Path
) -> None:
    """The only admins after this file are people it adds (written in bulk, not ORM objects):
    they count, so the office is not refused for leaving itself without an admin."""
    await _import(db, SAMPLE)

    def hand_over(rows: list[list[str]]) -> None:
        _without_admins(rows)
        newcomer = [*rows[3]]
        newcomer[0], newcomer[1], newcomer[6] = "199502172020122001", "Admin Baru", "admin"
        rows.append(newcomer)

    result = await _import(db, _rewrite(tmp_path, hand_over))
    assert result.saved and not result.refusals and result.changes.new == 1
    async with db.read() as session:
        people = (await session.execute(select(Employee))).scalars()
        admins = [e.nip for e in people if "admin" in e.role_set]
    assert admins == ["199502172020122001"]

"""The ``sigap`` command as an operator meets it: exit codes and one-line reasons."""

from __future__ import annotations

import asyncio
import csv
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


async def sigap(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env={**os.environ, "SIGAP_DEFAULT_LANGUAGE": "id", **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # PYTHONPATH so that ``-m bot.cli`` finds the project from an empty working directory.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    return tmp_path


async def test_roster_import_dry_run_then_real_then_idempotent(db_url: str, cwd: Path) -> None:
    env = {"DATABASE_URL": db_url}
    code, out, err = await sigap(
        "roster", "import", str(EXAMPLES / "roster_belawan.csv"), "--dry-run", env=env, cwd=cwd
    )
    assert code == 0, err
    assert "Pegawai: 28 baru" in out and "Uji coba" in out
    code, out, _ = await sigap(
        "roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd
    )
    assert code == 0 and "Pegawai: 28 baru" in out and "disimpan" in out
    code, out, _ = await sigap(
        "roster", "import", str(EXAMPLES / "roster_belawan.xlsx"), env=env, cwd=cwd
    )
    assert code == 0 and "0 baru, 0 berubah, 28 tetap" in out


async def test_bad_rows_are_listed_with_line_numbers(db_url: str, cwd: Path) -> None:
    bad = cwd / "bad.csv"
    bad.write_text(
        "\ufeffNIP;Nama;Jabatan;Kode Unit;Nama Unit;NIP Atasan;Peran\n"
        "198105142003121002;Camat;Camat;BLW;Kecamatan;;atasan\n"
        "19810514200312100;Pendek;Staf;BLW;Kecamatan;198105142003121002;\n"
        '197508121999031007;"Daulay, ""Agus""";Staf;BLW;Kecamatan;199001012015011001;\n'
        "197508121999031007;Ganda;Staf;BLW;Kecamatan;198105142003121002;penyihir\n",
        encoding="utf-8",
    )
    code, out, err = await sigap(
        "roster", "import", str(bad), env={"DATABASE_URL": db_url}, cwd=cwd
    )
    assert code == 1 and out == ""
    assert "tidak ada yang disimpan" in err
    assert (
        "baris 3 (NIP 19810514200312100): NIP tidak valid — NIP harus terdiri dari 18 angka" in err
    )
    assert "baris 4 (NIP 197508121999031007): NIP Atasan 199001012015011001 tidak ada" in err
    assert "baris 5 (NIP 197508121999031007): NIP 197508121999031007 sudah ada di baris 4" in err
    assert 'Peran "penyihir" tidak dikenal' in err


async def test_file_problems_and_config_problems_are_one_line(cwd: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'x.db'}"}
    code, _, err = await sigap("roster", "import", str(cwd / "missing.csv"), env=env, cwd=cwd)
    assert code == 1 and err.count("\n") == 1 and "tidak dapat dibaca" in err
    (cwd / "r.txt").write_text("x")
    code, _, err = await sigap("roster", "import", str(cwd / "r.txt"), env=env, cwd=cwd)
    assert code == 1 and "tidak didukung" in err
    code, _, err = await sigap("db", "upgrade", env={"SIGAP_TIMEZONE": "Mars/Olympus"}, cwd=cwd)
    assert code == 1 and err.startswith("sigap: invalid configuration: SIGAP_TIMEZONE")
    code, _, err = await sigap("db", "upgrade", env={"DATABASE_URL": "mysql://x/y"}, cwd=cwd)
    assert code == 1 and "supports sqlite and postgresql" in err
    code, _, err = await sigap("run", env={"TELEGRAM_BOT_TOKEN": ""}, cwd=cwd)
    assert code == 1 and "TELEGRAM_BOT_TOKEN is not set" in err
    code, _, err = await sigap("run", env={"TELEGRAM_BOT_TOKEN": "not-a-token"}, cwd=cwd)
    assert code == 1 and "does not look like a bot token" in err


async def test_corrupt_database_file_is_reported(cwd: Path) -> None:
    broken = cwd / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    code, _, err = await sigap(
        "db", "upgrade", env={"DATABASE_URL": f"sqlite+aiosqlite:///{broken}"}, cwd=cwd
    )
    assert code == 1 and "not a database" in err and err.count("\n") == 1


async def test_every_subcommand_has_help(cwd: Path) -> None:
    for args in (
        ["--help"],
        ["run", "--help"],
        ["db", "upgrade", "--help"],
        ["roster", "import", "--help"],
        ["invites", "create", "--help"],
    ):
        code, out, _ = await sigap(*args, cwd=cwd)
        assert code == 0 and "usage: sigap" in out, args
    code, _, err = await sigap("fly", cwd=cwd)
    assert code == 2 and "invalid choice" in err


async def test_invites_csv_has_one_row_per_employee(db_url: str, cwd: Path) -> None:
    env = {"DATABASE_URL": db_url, "SIGAP_BOT_USERNAME": "sigap_belawan_bot"}
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    code, out, err = await sigap(
        "invites", "create", "--unit", "BLW-K01", "--out", str(cwd / "inv.csv"), env=env, cwd=cwd
    )
    assert code == 0, err
    # Live invite links: readable by the operator who made them, nobody else on the server.
    assert stat.S_IMODE((cwd / "inv.csv").stat().st_mode) == 0o600
    rows = list(csv.DictReader((cwd / "inv.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 2 and "2 undangan" in out
    assert all(r["tautan"].startswith("https://t.me/sigap_belawan_bot?start=") for r in rows)
    assert len({r["tautan"] for r in rows}) == 2
    code, _, err = await sigap(
        "invites", "create", "--nip", "123", "--out", str(cwd / "x.csv"), env=env, cwd=cwd
    )
    assert code == 1 and "NIP tidak valid" in err
    code, _, err = await sigap(
        "invites", "create", "--unit", "NOPE", "--out", str(cwd / "x.csv"), env=env, cwd=cwd
    )
    assert code == 1 and "Tidak ada pegawai" in err


async def test_run_keeps_the_files_it_writes_to_its_owner(cwd: Path) -> None:
    """`sigap run` under a service's usual umask 022: the data folder and the database (and
    later the evidence, attachments and digests in it: personal data) are the owner's only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SIGAP_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        cwd=cwd,
        env={
            **env,
            "TELEGRAM_BOT_TOKEN": "123456789:TEST-token-for-the-emulator_xyz",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",  # nobody there: it stops after start
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip
    database = cwd / "data" / "sigap.db"
    try:
        for _ in range(600):
            if database.exists() or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700


async def test_targets_import_validates_against_the_roster(db_url: str, cwd: Path) -> None:
    env = {"DATABASE_URL": db_url}
    targets = str(EXAMPLES / "skp_targets_belawan.csv")
    code, _, err = await sigap("targets", "import", targets, env=env, cwd=cwd)
    assert code == 1 and "tidak terdaftar di data pegawai" in err  # no roster yet
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    code, out, err = await sigap("targets", "import", targets, "--dry-run", env=env, cwd=cwd)
    assert code == 0 and "31 baru" in out and "Uji coba" in out, err
    code, out, _ = await sigap("targets", "import", targets, env=env, cwd=cwd)
    assert code == 0 and "31 baru" in out
    code, out, _ = await sigap(
        "targets", "import", str(EXAMPLES / "skp_targets_belawan.xlsx"), env=env, cwd=cwd
    )
    assert code == 0 and "0 baru, 0 berubah, 31 tetap" in out
    bad = cwd / "bad.csv"
    bad.write_text(
        "NIP;Tahun;RHK;Indikator;Target;Satuan;Jenis\n"
        "197508121999031007;2026;RHK;Indikator;12,5;berkas;Utama\n"
        "197508121999031007;1999;RHK;Indikator 2;5;berkas;Sampingan\n",
        encoding="utf-8",
    )
    code, _, err = await sigap("targets", "import", str(bad), env=env, cwd=cwd)
    assert code == 1
    assert 'baris 2 (NIP 197508121999031007): Target "12,5" tidak valid' in err
    assert 'baris 3 (NIP 197508121999031007): Tahun "1999" tidak valid' in err


async def test_calendar_overrides(db_url: str, cwd: Path) -> None:
    env = {"DATABASE_URL": db_url}
    code, out, _ = await sigap(
        "calendar", "add", "2026-12-31", "Libur lokal akhir tahun", env=env, cwd=cwd
    )
    assert code == 0 and "hari libur" in out
    code, out, _ = await sigap(
        "calendar", "add", "2026-12-24", "Masuk kerja", "--workday", env=env, cwd=cwd
    )
    assert code == 0 and "hari kerja" in out
    code, out, _ = await sigap("calendar", "list", "--year", "2026", env=env, cwd=cwd)
    assert "2026-12-31 - Libur lokal akhir tahun" in out
    assert "2026-12-24 + Masuk kerja" in out
    assert "2026-08-17 - Hari Kemerdekaan Republik Indonesia" in out
    code, _, _ = await sigap("calendar", "remove", "2026-12-31", env=env, cwd=cwd)
    assert code == 0
    code, _, err = await sigap("calendar", "remove", "2026-12-31", env=env, cwd=cwd)
    assert code == 1 and "Tidak ada keputusan lokal" in err
    code, _, err = await sigap("calendar", "add", "31/12/2026", "x", env=env, cwd=cwd)
    assert code == 2 and "is not a date" in err


async def test_jobs_list_and_run_once(db_url: str, cwd: Path) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from models.db import Database
    from models.tables import Employee, TelegramLink
    from models.types import stored_id

    env = {"DATABASE_URL": db_url}
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    db = Database(db_url)
    async with db.write() as session:
        agus = (
            await session.execute(
                select(col(Employee.id)).where(col(Employee.nip) == "197508121999031007")
            )
        ).scalar_one()
        session.add(TelegramLink(employee_id=stored_id(agus), telegram_user_id=555))
    await db.dispose()
    code, out, _ = await sigap("jobs", "list", env=env, cwd=cwd)
    assert code == 0 and out.startswith("reminders")
    code, out, err = await sigap(
        "jobs", "run", "reminders", "--date", "2026-12-21T14:00", env=env, cwd=cwd
    )
    assert code == 0 and "1 pesan baru" in out, err
    code, out, _ = await sigap(
        "jobs", "run", "reminders", "--date", "2026-12-21T14:05", env=env, cwd=cwd
    )
    assert code == 0 and "0 pesan baru" in out  # written once, whoever runs it again
    code, out, _ = await sigap(
        "jobs", "run", "reminders", "--date", "2026-12-25T14:00", env=env, cwd=cwd
    )
    assert "0 pesan baru" in out  # Christmas


async def test_unit_schedule(db_url: str, cwd: Path) -> None:
    env = {"DATABASE_URL": db_url, "SIGAP_REMINDER_TIMES": "14:00,15:30"}
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    code, out, err = await sigap(
        "units", "schedule", "BLW-K01", "--reminders", "13:30, 9:05", "--digest", "friday",
        "--timezone", "Asia/Makassar", env=env, cwd=cwd,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == (
        "BLW-K01 (Kelurahan Belawan I): zona waktu Asia/Makassar; pengingat 09:05,13:30; "
        "ringkasan mingguan Jumat 16.00 untuk minggu berjalan"
    )
    code, out, _ = await sigap("units", "list", env=env, cwd=cwd)
    lines = out.splitlines()
    assert any(line.startswith("BLW-K01 (") and "09:05,13:30" in line for line in lines)
    assert any(
        line.startswith("BLW (") and "14:00,15:30 (bawaan)" in line and "Senin 07.00" in line
        for line in lines
    )
    code, out, _ = await sigap("units", "schedule", "BLW-K01", "--reminders", "default",
                               env=env, cwd=cwd)  # fmt: skip
    assert "pengingat 14:00,15:30 (bawaan)" in out
    for args, reason in (
        (["--reminders", "25:00"], "is not a list of times"),
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--digest", "sunday"], "invalid choice"),
    ):
        code, _, err = await sigap("units", "schedule", "BLW-K01", *args, env=env, cwd=cwd)
        assert code == 2 and reason in err, args
    code, _, err = await sigap("units", "schedule", "NOPE", "--digest", "friday", env=env, cwd=cwd)
    assert code == 1 and "NOPE" in err and err.count("\n") == 1
    code, _, err = await sigap("units", "schedule", "BLW-K01", env=env, cwd=cwd)
    assert code == 1 and "--reminders" in err


async def test_roster_status_lists_who_still_needs_an_invite(db_url: str, cwd: Path) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select
    from sqlmodel import col

    from models.db import Database
    from models.tables import Employee, TelegramLink, TelegramUser
    from models.types import stored_id

    env = {"DATABASE_URL": db_url}
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    db = Database(db_url)
    async with db.write() as session:
        nips = ["198407222009012003", "197508121999031007"]
        query = select(col(Employee.nip), col(Employee.id)).where(col(Employee.nip).in_(nips))
        ids = dict((await session.execute(query)).all())
        session.add(TelegramUser(id=501, blocked_at=datetime(2026, 11, 20, tzinfo=UTC)))
        session.add(
            TelegramLink(employee_id=stored_id(ids["198407222009012003"]), telegram_user_id=501)
        )
        session.add(
            TelegramLink(employee_id=stored_id(ids["197508121999031007"]), telegram_user_id=502)
        )
    await db.dispose()
    code, out, err = await sigap("roster", "status", "--unit", "BLW-SEK", "--missing",
                                 env=env, cwd=cwd)  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("BLW-SEK: 2 dari ") and lines[0].endswith("; 1 memblokir bot")
    listed = [line.split()[0] for line in lines[1:]]
    assert "198407222009012003" in listed  # linked, but blocked the bot
    assert "197508121999031007" not in listed  # linked and reachable
    assert "197203181998032004" in listed  # the sekcam never linked
    assert any(line.endswith("(memblokir bot)") for line in lines[1:])
    code, out, _ = await sigap("roster", "status", env=env, cwd=cwd)
    assert code == 0 and len(out.splitlines()) == 12  # one line per unit of the sample roster
    code, _, err = await sigap("roster", "status", "--unit", "NOPE", env=env, cwd=cwd)
    assert code == 1 and "NOPE" in err


async def test_roster_import_deactivate_missing_same_rules_as_the_chat(
    db_url: str, cwd: Path, tmp_path: Path
) -> None:
    """``--deactivate-missing``: the file is the whole roster, as a file sent to /admin is; the
    same refusals apply (here: Rosmawati leaves while two people still report to her)."""
    env = {"DATABASE_URL": db_url}
    await sigap("roster", "import", str(EXAMPLES / "roster_belawan.csv"), env=env, cwd=cwd)
    lines = (EXAMPLES / "roster_belawan.csv").read_text(encoding="utf-8").splitlines()
    without_ros = tmp_path / "no-ros.csv"
    without_ros.write_text("\n".join(x for x in lines if "Rosmawati" not in x), encoding="utf-8")
    code, out, err = await sigap(
        "roster", "import", str(without_ros), "--deactivate-missing", env=env, cwd=cwd
    )
    assert code != 0 and "masih menjadi atasan 2 pegawai aktif" in out
    without_kevin = tmp_path / "no-kevin.csv"
    without_kevin.write_text("\n".join(x for x in lines if "Kevin" not in x), encoding="utf-8")
    code, out, err = await sigap("roster", "import", str(without_kevin), env=env, cwd=cwd)
    assert code == 0 and "Dinonaktifkan" not in out  # without the flag nobody leaves
    code, out, err = await sigap(
        "roster", "import", str(without_kevin), "--deactivate-missing", env=env, cwd=cwd
    )
    assert code == 0, err
    assert "Dinonaktifkan (tidak ada di berkas): 1 pegawai" in out

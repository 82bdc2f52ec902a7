"""``sigap open311 key create|list|revoke`` as an operator uses it: the key printed once and
working, its hash alone stored, a listing that tells keys apart without showing them, and a
revoked key refused at once."""

from __future__ import annotations

from pathlib import Path

from models.db import Database
from models.open311 import client_for_key, list_clients
from tests.data.test_cli import cwd, sigap  # noqa: F401 (fixture)


async def test_keys_are_created_listed_and_revoked(db_url: str, cwd: Path) -> None:  # noqa: F811
    env = {"DATABASE_URL": db_url}
    code, out, err = await sigap("open311", "key", "create", "dashboard-medan", env=env, cwd=cwd)
    assert code == 0, err
    announcement, key = out.strip().splitlines()
    assert "dashboard-medan" in announcement and "sekali" in announcement
    assert len(key) >= 40

    db = Database(db_url)
    try:
        client = await client_for_key(db, key)
        assert client is not None and client.name == "dashboard-medan"
        [stored] = await list_clients(db)
        assert key not in (stored.key_hash, stored.key_prefix)

        code, _, err = await sigap("open311", "key", "create", "dashboard-medan", env=env, cwd=cwd)
        assert code == 1 and "sudah ada" in err
        code, out, _ = await sigap("open311", "key", "list", env=env, cwd=cwd)
        assert code == 0 and out.split("\t")[:2] == ["dashboard-medan", f"{key[:8]}…"]
        assert "aktif" in out and key not in out

        code, out, _ = await sigap("open311", "key", "revoke", "dashboard-medan", env=env, cwd=cwd)
        assert code == 0 and "dicabut" in out
        assert await client_for_key(db, key) is None
        code, _, err = await sigap("open311", "key", "revoke", "dashboard-medan", env=env, cwd=cwd)
        assert code == 1 and "dashboard-medan" in err
        code, out, _ = await sigap("open311", "key", "list", env=env, cwd=cwd)
        assert "dicabut" in out
    finally:
        await db.dispose()

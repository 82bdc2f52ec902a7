"""Queries live in ``models/``: the scheduler's jobs and the handlers decide, they do not hold
SQL (issue 13). Walked with ``ast``: a module under ``scheduler/`` or ``handlers/`` fails when it
imports a statement builder from SQLAlchemy or SQLModel (``select``, ``update``, ``text``...) or
runs statements on a session or connection itself (``session.execute``, ``session.get``...).

Opening a transaction (``async with db.write() as session``) and handing the session to a
``models`` function (``enqueue(session, ...)``, ``claim_run(session, ...)``) is allowed: the job
decides what commits together, the data layer says how.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("scheduler", "handlers")

# What builds a statement, imported from ``sqlalchemy``/``sqlmodel`` (or any of their modules).
BUILDERS = frozenset(
    {
        "select",
        "update",
        "delete",
        "insert",
        "text",
        "and_",
        "or_",
        "not_",
        "exists",
        "func",
        "union",
        "literal_column",
    }
)
# What runs statements, called on a session or a connection.
RUNNERS = frozenset(
    {"execute", "scalar", "scalars", "stream", "get", "add", "add_all", "delete", "merge"}
)
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")

# "module path: reason" for each site that may stay; ideally empty.
ALLOWED: dict[str, str] = {}


def sql_sites(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` builds or runs SQL: "line: what" for each site."""
    found = []
    sql_modules: set[str] = set()  # names bound to an imported sqlalchemy/sqlmodel module
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_PACKAGES:
            for alias in node.names:
                if alias.name in BUILDERS:
                    found.append(f"{node.lineno}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_PACKAGES:
                    sql_modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in sql_modules and node.attr in BUILDERS:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNNERS
            and _is_session(node.func.value)
        ):
            found.append(f"{node.lineno}: runs {ast.unparse(node.func)}(...)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "execute"
        ):
            found.append(f"{node.lineno}: runs {ast.unparse(node.func)}(...)")
    return sorted(set(found), key=lambda site: int(site.split(":")[0]))


def _is_session(node: ast.expr) -> bool:
    """``session``, ``self._session``, ``conn``, ``connection``: what a statement runs on."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    name = name.lstrip("_").lower()
    return "session" in name or name in {"conn", "connection"}


def checked_files() -> list[Path]:
    return sorted(path for package in CHECKED for path in (ROOT / package).rglob("*.py"))


def test_scheduler_and_handlers_hold_no_sql() -> None:
    wrong = []
    for path in checked_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        for site in sql_sites(path.read_text(encoding="utf-8"), relative):
            wrong.append(f"{relative}:{site}")
    assert not wrong, (
        "SQL outside models/ (write a function in models/, named from the domain, and call it):\n"
        + "\n".join(wrong)
    )


def test_every_allowed_site_still_exists_and_says_why() -> None:
    for relative, reason in ALLOWED.items():
        assert reason.strip(), f"{relative}: say why it may keep its SQL"
        path = ROOT / relative
        assert path.exists() and sql_sites(path.read_text(encoding="utf-8")), (
            f"{relative} holds no SQL any more: remove it from ALLOWED"
        )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sqlalchemy import select\n", "1: imports select from sqlalchemy"),
        ("from sqlmodel import select\n", "1: imports select from sqlmodel"),
        ("from sqlalchemy.sql import text\n", "1: imports text from sqlalchemy.sql"),
        ("import sqlalchemy as sa\nq = sa.update(T)\n", "2: sa.update"),
        ("async def f(db):\n    await session.execute(q)\n", "2: runs session.execute(...)"),
        ("async def f(db):\n    await session.get(User, 1)\n", "2: runs session.get(...)"),
        ("async def f(self):\n    self._session.add(row)\n", "2: runs self._session.add(...)"),
        ("async def f(c):\n    await c.execute(q)\n", "2: runs c.execute(...)"),
    ],
)
def test_the_check_finds_sql(source: str, expected: str) -> None:
    assert expected in sql_sites(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.exc import IntegrityError\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n",
        "async def f(db):\n    async with db.write() as session:\n"
        "        await enqueue(session, 'k', 1, 'x', {}, now=now)\n",
        "x = {}.get('a')\n",
    ],
)
def test_the_check_lets_the_jobs_pass_sessions_on(source: str) -> None:
    assert sql_sites(source) == []

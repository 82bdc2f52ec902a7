"""The access matrix: every command, button and keyboard key of the ``ROUTES`` tables against
seven kinds of people, generated from the code into ``docs/access.md``.

A cell says whether the route is open to that person: its ``requires`` guard
(``handlers.common.requires``, deciding through ``domain.access.allowed``), or open to everyone
when it has none. The last column names the checks made again on the very thing a press or a
command acts on (an entry, a complaint, a unit), found by following the handler's calls into
``handlers`` and ``models`` to the rules of ``domain.access``: a supervisor may open /tim, but
only on their own reports. ``tests/e2e/test_access_matrix.py`` checks the document is current and
plays every row as every person through the emulator.

    python -m bot.access_matrix          # print the document
    python -m bot.access_matrix --write  # write docs/access.md
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import all_routes
from domain import access
from domain.access import Actor
from handlers.routes import Button, Command, Key, Route

DOC = Path(__file__).resolve().parents[1] / "docs" / "access.md"


@dataclass(frozen=True)
class Persona:
    key: str
    title: str
    actor: Actor


PERSONAS = (
    Persona("citizen", "citizen", Actor(1, "id")),
    Persona("employee", "employee", Actor(2, "id", employee_id=2, roles=frozenset({"employee"}))),
    Persona(
        "supervisor",
        "supervisor of another team",
        Actor(3, "id", employee_id=3, roles=frozenset({"employee", "supervisor"})),
    ),
    Persona(
        "handler",
        "complaint handler of another unit",
        Actor(4, "id", employee_id=4, roles=frozenset({"employee", "complaint_handler"})),
    ),
    Persona(
        "unit_admin",
        "unit admin (of another unit)",
        Actor(5, "id", employee_id=5, unit_id=5, roles=frozenset({"employee", "unit_admin"})),
    ),
    Persona(
        "admin",
        "admin (roster)",
        Actor(6, "id", employee_id=6, roles=frozenset({"employee", "admin"})),
    ),
    Persona("operator", "operator (SIGAP_ADMIN_IDS)", Actor(7, "id", is_operator=True)),
)

# The rules of ``domain.access`` that look at the thing acted on, and what they mean.
OBJECT_CHECKS: dict[Callable[..., Any], str] = {
    access.supervision_refusal: "own reports only",
    access.unit_export_refusal: "unit head only",
    access.complaint_desk_refusal: "handlers of the complaint's unit only",
    access.complaint_owner_refusal: "own complaints only",
    access.activity_change_refusal: "own entries only",
    access.survey_results_refusal: "own unit (admins: any)",
    access.ikm_follow_up_refusal: "own unit's head (admins: any)",
    access.may_install_desk: "admins only",
    access.admin_refusal: "a unit admin: own unit only",
}


@dataclass(frozen=True)
class Row:
    kind: str  # command, button, key
    name: str  # /aduan, the callback prefix, the key
    module: str
    passes: Callable[[Actor], bool] | None  # None: no guard, open to everyone
    private: bool
    checks: tuple[str, ...]

    def open_to(self, actor: Actor) -> bool:
        return self.passes is None or self.passes(actor)


def _guard(handler: Callable[..., Any]) -> tuple[Callable[[Actor], bool] | None, bool]:
    """What the handler's guard (``requires``, the admin desk's ``requires_admin``) recorded."""
    found = getattr(handler, "sigap_access", None)
    return (found[0], found[1]) if found else (None, False)


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _ours(value: Any) -> bool:
    module = getattr(value, "__module__", None) or getattr(value, "__name__", "")
    return isinstance(module, str) and module.split(".")[0] in ("handlers", "models")


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def object_checks(handler: Callable[..., Any], depth: int = 6) -> tuple[str, ...]:
    """The object checks reached from ``handler`` through its calls into ``handlers`` and
    ``models`` (by name: a module's attribute counts when the function names it)."""
    seen: set[int] = set()
    found: set[str] = set()
    todo: list[tuple[Callable[..., Any], int]] = [(inspect.unwrap(handler), 0)]
    while todo:
        function, level = todo.pop()
        code = getattr(function, "__code__", None)
        if code is None or id(function) in seen or level > depth:
            continue
        seen.add(id(function))
        names = {name for c in _codes(code) for name in c.co_names}
        scope = getattr(function, "__globals__", {})
        for name in names:
            value = scope.get(name)
            if value is None:
                continue
            targets = [value]
            if isinstance(value, types.ModuleType) and _ours(value):
                targets = [getattr(value, n) for n in names if hasattr(value, n)]
            for target in targets:
                if callable(target) and _hashable(target) and target in OBJECT_CHECKS:
                    found.add(OBJECT_CHECKS[target])
                elif inspect.isfunction(target) and _ours(target):
                    todo.append((target, level + 1))
                elif isinstance(target, type) and _ours(target):
                    todo += [(m, level + 1) for m in vars(target).values() if inspect.isfunction(m)]
    return tuple(sorted(found))


def rows(routes: list[Route] | None = None) -> list[Row]:
    result = []
    for route in routes if routes is not None else all_routes():
        if isinstance(route, Command):
            kind, name = "command", " ".join(f"/{n}" for n in route.names)
        elif isinstance(route, Button):
            kind, name = "button", f"`{route.data.prefix}:`"
        else:
            assert isinstance(route, Key)
            kind, name = "key", f"keyboard “{route.key}”"
        passes, private = _guard(route.handler)
        module = inspect.unwrap(route.handler).__module__
        result.append(Row(kind, name, module, passes, private, object_checks(route.handler)))
    return result


def render(table: list[Row] | None = None) -> str:
    table = table if table is not None else rows()
    header = ["route", "module", *(p.title for p in PERSONAS), "checked on what it acts on"]
    lines = [
        "# Access matrix",
        "",
        "Generated from the code by `python -m bot.access_matrix --write` (do not edit by hand;",
        "`tests/e2e/test_access_matrix.py` fails when this file is not current). Every command,",
        "button (by callback-data prefix) and keyboard key of the handlers' `ROUTES` tables,",
        "against seven kinds of people. ✓: open to them (its guard, `handlers.common.requires` or",
        "the admin desk's `requires_admin`, decided by `domain.access`); ✗: refused with a polite",
        "answer; 🔒: private chat only.",
        "The last column lists the rules checked again on the very entry, complaint or unit the",
        "update acts on, found by following the handler's calls: an open route can still refuse",
        "a forged button with someone else's id, and the test forges them for every prefix.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in table:
        cells = ["✓" if row.open_to(p.actor) else "✗" for p in PERSONAS]
        name = row.name + (" 🔒" if row.private else "")
        checks = "; ".join(row.checks) or "—"
        lines.append("| " + " | ".join([name, f"`{row.module}`", *cells, checks]) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--write" in argv:
        DOC.write_text(text)
        print(f"wrote {DOC}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Problems in the files an operator imports (roster, SKP targets, complaint categories), in
the operator's language: one line per problem with its line number, and nothing saved."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.cli.common import CliError
from domain.complaints import CategoryProblem
from domain.roster import RosterFileError, RosterProblem
from domain.skp import TargetProblem
from texts import Texts


def listing(value: object) -> str:
    return (
        ", ".join(map(str, value))
        if isinstance(value, (list, tuple, set, frozenset))
        else str(value)
    )


def render_problem(
    problem: RosterProblem | TargetProblem, tr: Texts, section: str = "roster"
) -> str:
    """A file problem in the operator's language (codes and params come from the domain)."""
    params: dict[str, object] = {"nip": problem.nip}
    for key, value in problem.params.items():
        if key == "cycle" and isinstance(value, (list, tuple)) and value:
            params[key] = " → ".join([*map(str, value), str(value[0])])
        elif key == "reason":
            params[key] = tr.plain(f"nip.{value}")
        elif key == "field":
            params[key] = tr.plain(f"{section}_field.{value}")
        else:
            params[key] = listing(value)
    return tr.plain(f"{section}.{problem.code}", **params)


def render_file_error(error: RosterFileError, tr: Texts, section: str = "roster") -> str:
    """File-level errors; a section may word some codes its own way (``targets_file.empty``)."""
    params = {k: listing(v) for k, v in error.params.items()}
    for key in (f"{section}_file.{error.code}", f"roster_file.{error.code}"):
        if tr.has(key):
            return tr.plain(key, **params)
    return str(error)


def file_error(error: RosterFileError, tr: Texts, section: str = "roster") -> CliError:
    """The one line for a file that cannot be read at all (missing, wrong type, empty)."""
    return CliError(tr.plain("cli.file_error", message=render_file_error(error, tr, section)))


def print_problems(
    problems: Sequence[RosterProblem | TargetProblem], tr: Texts, section: str
) -> NoReturn:
    print(tr.plain("cli.roster_problems", count=len(problems)), file=sys.stderr)
    for problem in problems:
        print(
            tr.plain(
                "cli.roster_problem_line",
                line=problem.line,
                nip=problem.nip or "-",
                message=render_problem(problem, tr, section),
            ),
            file=sys.stderr,
        )
    raise SystemExit(1)


def print_category_problems(problems: Sequence[CategoryProblem], tr: Texts) -> NoReturn:
    print(tr.plain("complaint_cli.problems", count=len(problems)), file=sys.stderr)
    for problem in problems:
        params = {k: listing(v) for k, v in problem.params.items()}
        message = tr.plain(f"complaint_category.{problem.code}", **params)
        print(
            tr.plain("complaint_cli.problem_line", line=problem.line, message=message),
            file=sys.stderr,
        )
    raise SystemExit(1)

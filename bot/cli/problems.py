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
from texts.problems import listing, render_file_error, render_problem

__all__ = ["file_error", "print_category_problems", "print_problems"]


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

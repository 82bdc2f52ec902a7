"""Problems in the files an office imports (roster, SKP targets, complaint categories) as
sentences in a person's language, for the CLI and the chat alike: the domain reports codes with
parameters, these turn them into words."""

from __future__ import annotations

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

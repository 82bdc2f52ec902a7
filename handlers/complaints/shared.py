"""What the complaint modules share: a rule's complaint in the citizen's words, and going on
through the /aduan flow (or back to its summary when one answer is being changed)."""

from __future__ import annotations

from typing import Any

from domain.complaints import Problem
from handlers.flow import FlowCall
from texts import Texts


def problem_text(problem: Problem, tr: Texts) -> str:
    return tr.t(f"complaint.{problem.code}", **problem.params)


async def advance(
    call: FlowCall, step: str, data: dict[str, Any], note: tuple[str, Any] | None = None
) -> None:
    """Go on to ``step``, or back to the summary when the person is changing one answer
    from there (``editing``); ``note`` as in ``FlowCall.goto``."""
    if data.pop("editing", False):
        await call.goto("summary", data, note)
    else:
        await call.goto(step, data, note)

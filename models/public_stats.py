"""The queries of the public page (``/publik``): per unit and quarter the survey's answers and
the unit's written follow-up, and per complaint the handful of dates and codes the monthly
figures need (``domain.public_stats``). Nothing here reads a name, a story, a location, a
contact or a Telegram id: what is not read cannot be published by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlmodel import col

from domain.complaints import Move
from domain.public_stats import ComplaintFacts
from domain.skm import ELEMENTS, SkmResult, compute
from models.db import Database
from models.ikm_follow_up import IkmFollowUp
from models.survey import SurveyResponse
from models.tables import Complaint, ComplaintCategory, ComplaintEvent, Unit
from models.types import stored_id


@dataclass(frozen=True)
class UnitSurvey:
    """A unit's survey results for some quarters, with its follow-ups."""

    unit_id: int
    code: str
    name: str
    results: dict[str, SkmResult | None]  # period → result (None: nobody answered)
    follow_ups: dict[str, str]  # period → the unit's text


async def unit_surveys(db: Database, periods: list[str]) -> list[UnitSurvey]:
    """Every unit with answers or a follow-up in ``periods``, by unit code."""
    elements = [getattr(SurveyResponse, e) for e in ELEMENTS]
    answers_stmt = select(col(SurveyResponse.unit_id), col(SurveyResponse.period), *elements).where(
        col(SurveyResponse.period).in_(periods)
    )
    follow_stmt = select(
        col(IkmFollowUp.unit_id), col(IkmFollowUp.period), col(IkmFollowUp.text)
    ).where(col(IkmFollowUp.period).in_(periods))
    async with db.read() as session:
        answers: dict[int, dict[str, list[tuple[int, ...]]]] = {}
        for row in (await session.execute(answers_stmt)).all():
            by_period = answers.setdefault(row[0], {})
            by_period.setdefault(row[1], []).append(tuple(row[2:]))
        follow_ups: dict[int, dict[str, str]] = {}
        for unit_id, period, text in (await session.execute(follow_stmt)).all():
            follow_ups.setdefault(unit_id, {})[period] = text
        wanted = set(answers) | set(follow_ups)
        units = (
            await session.execute(
                select(Unit).where(col(Unit.id).in_(wanted)).order_by(col(Unit.code))
            )
        ).scalars()
        found = [(u.id, u.code, u.name) for u in units if u.id is not None]
    return [
        UnitSurvey(
            unit_id,
            code,
            name,
            {p: compute(answers.get(unit_id, {}).get(p, [])) for p in periods},
            follow_ups.get(unit_id, {}),
        )
        for unit_id, code, name in found
    ]


async def complaint_facts(db: Database, since: datetime) -> list[ComplaintFacts]:
    """The complaints filed from ``since`` on, as the monthly figures need them."""
    reopened = exists().where(
        col(ComplaintEvent.complaint_id) == Complaint.id,
        col(ComplaintEvent.action) == Move.REOPEN.value,
    )
    stmt = select(
        col(Complaint.created_at),
        col(Complaint.kind),
        col(Complaint.category_id),
        col(Complaint.status),
        col(Complaint.outcome),
        col(Complaint.verification_due),
        col(Complaint.verified_at),
        col(Complaint.follow_up_due),
        col(Complaint.resolved_at),
        col(Complaint.closed_at),
        reopened.label("reopened"),
    ).where(col(Complaint.created_at) >= since)
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    # The columns carry the fields' names: the mapping of a row is the dataclass's arguments.
    return [ComplaintFacts(**{**row._mapping, "reopened": bool(row.reopened)}) for row in rows]


async def category_names(db: Database) -> dict[int, tuple[str, str]]:
    """Every category's (Indonesian, English) name by id, inactive ones too (old complaints)."""
    stmt = select(
        col(ComplaintCategory.id), col(ComplaintCategory.name), col(ComplaintCategory.name_en)
    ).order_by(col(ComplaintCategory.position), col(ComplaintCategory.id))
    async with db.read() as session:
        rows = (await session.execute(stmt)).all()
    return {stored_id(cid): (name, en or name) for cid, name, en in rows}

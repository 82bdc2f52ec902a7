"""SKM survey storage: the services people rate, their anonymous answers, and the receipts that
keep a respondent to one answer per unit, service and quarter.

Anonymity (issue 8, UU 27/2022): a ``SurveyResponse`` holds the nine scores, the comment and
the optional profile, the unit, the service and the *day* it was given, and nothing that
identifies the respondent: no Telegram id, no complaint number, no time of day. What stops a
second answer is a separate ``SurveyReceipt`` row holding only

    HMAC-SHA256(key, "<telegram id>:<unit id>:<service key>:<period>")

with the key derived from ``SIGAP_SURVEY_SECRET`` or, when that is not set, the bot token
(``receipt_key``): a secret that lives in the environment, not in the database. The receipt has
no link to the response (no foreign key, no shared id, no timestamp finer than the quarter), so
even someone holding the database and the key can learn only *that* a person answered for a
unit, service and quarter, never *what* they answered; a staff view reads responses only, and
shows comments without any identity. Changing the secret (or, without one, rotating the token)
changes the key: the current quarter's receipts stop matching, so a person could answer that
quarter once more; nothing else depends on it. Receipts of past quarters are deleted by the next
answer: they can no longer refuse anything.

While someone is still answering, their answers live in their conversation row (the flow's
state, so that they can stop and resume); submitting deletes that row in the same transaction
that writes the response.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from domain.skm import (
    ELEMENTS,
    PROFILE_CHOICES,
    SkmResult,
    compute,
    period_bounds,
    period_of,
)
from models.activities import AlreadySaved
from models.conversation import finish_in
from models.db import Database
from models.outbox import enqueue
from models.tables import Complaint, TelegramUser, Unit
from models.types import UTCDateTime, utcnow

MAX_COMMENT = 1000
MAX_SERVICE_NAME = 120
COMPLAINT_SERVICE = "pengaduan"  # the service rated when the survey follows a complaint

# Belawan's everyday services (Kecamatan and kelurahan offices), offered in every unit; a unit's
# own services are added with ``sigap skm services add``. (code, Indonesian, English)
DEFAULT_SERVICES: tuple[tuple[str, str, str], ...] = (
    ("domisili", "Surat keterangan domisili", "Certificate of domicile"),
    ("sktm", "Surat keterangan tidak mampu (SKTM)", "Certificate of low income (SKTM)"),
    (
        "kependudukan",
        "Surat pengantar KTP-el / KK / akta",
        "Cover letter for ID card / family card / certificates",
    ),
    ("usaha", "Surat keterangan usaha", "Business certificate"),
    ("ahli_waris", "Surat keterangan ahli waris", "Certificate of heirs"),
    ("legalisasi", "Legalisasi dokumen", "Document legalisation"),
    (COMPLAINT_SERVICE, "Penanganan pengaduan", "Complaint handling"),
)


class SurveyService(SQLModel, table=True):
    """A service people can rate; ``unit_id`` NULL means every unit offers it."""

    __tablename__ = "survey_service"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    unit_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("unit.id", ondelete="CASCADE")], index=True
    )
    name: str = Field(max_length=MAX_SERVICE_NAME)
    name_en: str = Field(default="", max_length=MAX_SERVICE_NAME)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _score() -> Any:
    return Field(sa_type=SmallInteger, nullable=False)


class SurveyResponse(SQLModel, table=True):
    """One respondent's answers, with nothing that says who they are (see the module doc)."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_unit_period", "unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(sa_column_args=[ForeignKey("unit.id")])
    period: str = Field(max_length=6)  # "2026Q4"
    submitted_on: date  # a day, never a time: a time could be matched with chat logs
    service_id: int | None = Field(
        default=None, sa_column_args=[ForeignKey("survey_service.id", ondelete="SET NULL")]
    )
    service_name: str = Field(max_length=MAX_SERVICE_NAME)
    # The nine elements in ``domain.skm.ELEMENTS`` order, 1..4 each.
    persyaratan: int = _score()
    prosedur: int = _score()
    waktu: int = _score()
    biaya: int = _score()
    produk: int = _score()
    kompetensi: int = _score()
    perilaku: int = _score()
    sarana: int = _score()
    pengaduan: int = _score()
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)
    age: str | None = Field(default=None, max_length=10)
    sex: str | None = Field(default=None, max_length=10)
    education: str | None = Field(default=None, max_length=10)
    occupation: str | None = Field(default=None, max_length=10)

    @property
    def answers(self) -> tuple[int, ...]:
        return tuple(getattr(self, element) for element in ELEMENTS)


class SurveyReceipt(SQLModel, table=True):
    """That someone answered for a unit, service and period: a keyed hash, nothing more."""

    __tablename__ = "survey_receipt"

    digest: str = Field(max_length=64, primary_key=True)
    period: str = Field(max_length=6, index=True)  # lets old receipts be deleted


class AlreadyAnswered(Exception):
    """This person already answered for this unit, service and period."""


# --- receipts --------------------------------------------------------------------------------


def receipt_key(secret: str) -> bytes:
    """The HMAC key, from a secret kept outside the database (``SIGAP_SURVEY_SECRET``, or the
    bot token when that is not set)."""
    return hashlib.sha256(b"sigap-skm-receipt\0" + secret.encode()).digest()


def receipt_digest(
    key: bytes, telegram_id: int, unit_id: int, service_key: str, period: str
) -> str:
    message = f"{telegram_id}:{unit_id}:{service_key}:{period}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def has_answered(db: Database, digest: str) -> bool:
    async with db.read() as session:
        return await session.get(SurveyReceipt, digest) is not None


# --- services and units ----------------------------------------------------------------------


async def survey_units(db: Database) -> list[Unit]:
    async with db.read() as session:
        return list((await session.execute(select(Unit).order_by(Unit.code))).scalars())


async def get_unit(db: Database, unit_id: int) -> Unit | None:
    async with db.read() as session:
        return await session.get(Unit, unit_id)


async def unit_by_code(db: Database, code: str) -> Unit | None:
    async with db.read() as session:
        stmt = select(Unit).where(func.upper(Unit.code) == code.strip().upper())
        return (await session.execute(stmt)).scalar_one_or_none()


async def services_for(db: Database, unit_id: int) -> list[SurveyService]:
    """Active services of a unit: its own first, then those every unit offers."""
    stmt = (
        select(SurveyService)
        .where(
            SurveyService.active,
            or_(SurveyService.unit_id == unit_id, SurveyService.unit_id.is_(None)),  # type: ignore[union-attr]
        )
        .order_by(SurveyService.unit_id.is_(None), SurveyService.id)  # type: ignore[union-attr]
    )
    async with db.read() as session:
        return list((await session.execute(stmt)).scalars())


async def get_service(db: Database, service_id: int) -> SurveyService | None:
    async with db.read() as session:
        return await session.get(SurveyService, service_id)


async def service_by_code(db: Database, code: str) -> SurveyService | None:
    async with db.read() as session:
        stmt = select(SurveyService).where(SurveyService.code == code)
        return (await session.execute(stmt)).scalar_one_or_none()


async def all_services(db: Database) -> list[tuple[SurveyService, str | None]]:
    stmt = (
        select(SurveyService, Unit.code)
        .outerjoin(Unit, Unit.id == SurveyService.unit_id)
        .order_by(SurveyService.id)
    )
    async with db.read() as session:
        return [(s, code) for s, code in (await session.execute(stmt)).all()]


async def add_service(
    db: Database, code: str, name: str, name_en: str = "", unit_id: int | None = None
) -> bool:
    """Add a service, or update the one with this code; False if nothing changed."""
    async with db.write() as session:
        existing = (
            await session.execute(select(SurveyService).where(SurveyService.code == code))
        ).scalar_one_or_none()
        if existing is None:
            session.add(SurveyService(code=code, name=name, name_en=name_en, unit_id=unit_id))
            return True
        wanted = (name, name_en or existing.name_en, unit_id, True)
        if (existing.name, existing.name_en, existing.unit_id, existing.active) == wanted:
            return False
        existing.name, existing.name_en, existing.unit_id, existing.active = wanted
        return True


async def seed_default_services(db: Database) -> int:
    """The Belawan defaults (``DEFAULT_SERVICES``); idempotent. Returns how many were added."""
    added = 0
    for code, name, name_en in DEFAULT_SERVICES:
        if await service_by_code(db, code) is None:
            added += await add_service(db, code, name, name_en)
    return added


# --- answering -------------------------------------------------------------------------------


@dataclass
class ResponseDraft:
    unit_id: int
    service_id: int | None
    service_name: str
    answers: list[int]
    comment: str | None = None
    profile: dict[str, str] = field(default_factory=dict)


async def submit_response(
    db: Database,
    draft: ResponseDraft,
    *,
    digest: str,
    today: date,
    conversation: tuple[int, int, int] | None = None,
) -> SurveyResponse:
    """Store the answers and the receipt, and end the flow, in one transaction.

    Raises ``AlreadyAnswered`` (a receipt exists: another survey of the same unit, service and
    quarter was submitted meanwhile) or ``AlreadySaved`` (this flow was already submitted).
    """
    period = period_of(today)
    profile = {
        name: value
        for name, value in draft.profile.items()
        if name in PROFILE_CHOICES and value in PROFILE_CHOICES[name]
    }
    response = SurveyResponse(
        unit_id=draft.unit_id,
        period=period,
        submitted_on=today,
        service_id=draft.service_id,
        service_name=draft.service_name[:MAX_SERVICE_NAME],
        comment=(draft.comment or None) and draft.comment[:MAX_COMMENT],  # type: ignore[arg-type]
        **dict(zip(ELEMENTS, draft.answers, strict=True)),
        **profile,
    )
    try:
        async with db.write() as session:
            if conversation is not None and not await finish_in(session, *conversation):
                raise AlreadySaved()
            if await session.get(SurveyReceipt, digest) is not None:
                raise AlreadyAnswered()
            session.add(SurveyReceipt(digest=digest, period=period))
            session.add(response)
            # Receipts of earlier quarters can no longer refuse anything: keep no more than needed.
            await session.execute(delete(SurveyReceipt).where(SurveyReceipt.period < period))  # type: ignore[arg-type]
            await session.flush()
    except IntegrityError:
        raise AlreadyAnswered() from None  # two submits raced; the other one's receipt won
    return response


# --- the invitation after a complaint ---------------------------------------------------------


# The invitation's outbox payload for the reporter's language (None: not known) and the
# complaint. The data layer renders no text: the callers of ``models.complaints.apply_move``
# pass ``services.survey.offer_payload``.
SurveyOffer = Callable[[str | None, Complaint], dict[str, Any]]


async def offer_after_complaint(
    session: AsyncSession, complaint: Complaint, now: datetime, render: SurveyOffer
) -> bool:
    """Queue the survey invitation to the reporter of a complaint that has just closed, in the
    caller's transaction (``models.complaints.apply_move``). Once per complaint (outbox key)."""
    reporter = complaint.reporter_telegram_id
    if reporter is None or complaint.id is None:
        return False
    user = await session.get(TelegramUser, reporter)
    payload = render(user.language if user else None, complaint)
    return await enqueue(
        session, f"survey-offer:{complaint.id}", reporter, "survey", payload, now=now
    )


# --- results ---------------------------------------------------------------------------------


async def _answers(
    session: AsyncSession, unit_id: int, periods: list[str]
) -> dict[str, list[tuple[int, ...]]]:
    columns = [getattr(SurveyResponse, e) for e in ELEMENTS]
    stmt = select(SurveyResponse.period, *columns).where(
        SurveyResponse.unit_id == unit_id,
        SurveyResponse.period.in_(periods),  # type: ignore[attr-defined]
    )
    found: dict[str, list[tuple[int, ...]]] = {p: [] for p in periods}
    for row in (await session.execute(stmt)).all():
        found[row[0]].append(tuple(row[1:]))
    return found


async def unit_results(
    db: Database, unit_id: int, periods: list[str]
) -> dict[str, SkmResult | None]:
    """The SKM result of a unit for each period (None where nobody answered)."""
    async with db.read() as session:
        found = await _answers(session, unit_id, periods)
    return {period: compute(answers) for period, answers in found.items()}


async def recent_comments(db: Database, unit_id: int, period: str, limit: int = 5) -> list[str]:
    """The newest comments of a unit's period, text only (no identity, no date)."""
    stmt = (
        select(SurveyResponse.comment)
        .where(
            SurveyResponse.unit_id == unit_id,
            SurveyResponse.period == period,
            SurveyResponse.comment.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(SurveyResponse.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    async with db.read() as session:
        return [c for c in (await session.execute(stmt)).scalars() if c]


@dataclass
class SkmReport:
    """What a unit publishes for a period: the result and who the respondents were."""

    unit: Unit
    period: str
    result: SkmResult | None
    # field → {choice code or None (not given) → count}
    profile: dict[str, Counter[str | None]]


async def unit_report(db: Database, unit_id: int, period: str) -> SkmReport | None:
    async with db.read() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            return None
        found = await _answers(session, unit_id, [period])
        stmt = select(
            SurveyResponse.age,
            SurveyResponse.sex,
            SurveyResponse.education,
            SurveyResponse.occupation,
        ).where(SurveyResponse.unit_id == unit_id, SurveyResponse.period == period)
        rows = (await session.execute(stmt)).all()
    profile: dict[str, Counter[str | None]] = {name: Counter() for name in PROFILE_CHOICES}
    for row in rows:
        for name, value in zip(PROFILE_CHOICES, row, strict=True):
            profile[name][value] += 1
    return SkmReport(unit, period, compute(found[period]), profile)


@dataclass(frozen=True)
class SurveyWeek:
    """For the weekly digest: the week's responses and the running quarter's result."""

    responses: int
    period: str  # the quarter ``end`` falls in
    quarter: SkmResult | None


async def survey_week_figures(db: Database, unit_id: int, start: date, end: date) -> SurveyWeek:
    """Responses to the unit's survey from ``start`` to ``end`` (inclusive) and the IKM of the
    quarter ``end`` falls in, from its first day to ``end``."""
    period = period_of(end)
    first, _ = period_bounds(period)
    async with db.read() as session:
        week = await session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(
                SurveyResponse.unit_id == unit_id,
                SurveyResponse.submitted_on >= start,
                SurveyResponse.submitted_on <= end,
            )
        )
        columns = [getattr(SurveyResponse, e) for e in ELEMENTS]
        rows = (
            await session.execute(
                select(*columns).where(
                    SurveyResponse.unit_id == unit_id,
                    SurveyResponse.period == period,
                    SurveyResponse.submitted_on >= first,
                    SurveyResponse.submitted_on <= end,
                )
            )
        ).all()
    return SurveyWeek(int(week or 0), period, compute([tuple(r) for r in rows]))


async def deactivate_service(db: Database, code: str) -> bool:
    """Stop offering a service (its past answers keep their name); False if there is none."""
    async with db.write() as session:
        service = (
            await session.execute(select(SurveyService).where(SurveyService.code == code))
        ).scalar_one_or_none()
        if service is None:
            return False
        service.active = False
        return True

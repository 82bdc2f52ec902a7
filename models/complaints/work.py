"""Complaint work as logged work: after a handler verifies, processes, answers or closes a
ticket, the same transaction offers them a ready activity for that day in their private chat
(through the outbox, woken at commit), linked to the SKP target marked for complaint handling
(``SkpTarget.complaint_work``, column "Aduan" of the targets file).

One offer per person, complaint, day and kind of work (the unique key), so three answers on
the same ticket in a day make one offer. A tap on a duration saves it through the work log's
own ``add_activity``; the offer keeps the entry it made, so a second tap, or the same tap
delivered again after a kill, finds it and confirms that entry instead of adding another.

The data layer renders no text: the desk passes a ``WorkOfferRender`` (``services.complaint_work``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.activities import ActivityDraft, add_activity
from models.db import Database, insert_new
from models.outbox import enqueue
from models.tables import (
    Activity,
    Complaint,
    ComplaintWorkOffer,
    Employee,
    SkpTarget,
    TelegramLink,
    TelegramUser,
)
from models.types import stored_id

#: Work on a ticket that is offered as an activity (a staff ``Move`` value, or "answer": a
#: reply relayed to the citizen). Assigning is not: it hands the work to someone else.
OFFERED_WORK = frozenset({"verify", "process", "resolve", "close", "reject", "forward", "answer"})
#: The moves that finish the unit's part: the entry counts one towards the target's quantity.
FINISHING_WORK = frozenset({"resolve", "close", "reject", "forward"})


class WorkOfferRender(Protocol):
    """The texts of an offer (``services.complaint_work``): the activity's description, in the
    office's language (it is what the supervisor approves), and the message with its buttons
    in the handler's own language (None: not chosen)."""

    def description(self, tracking_number: str, action: str) -> str: ...

    def payload(
        self, offer: ComplaintWorkOffer, target: SkpTarget | None, language: str | None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WorkOffer:
    """What a desk action passes down to offer its handler the work: who (already allowed by
    ``domain.access.complaint_work_refusal``), which day, and how it reads."""

    employee_id: int
    work_date: date
    render: WorkOfferRender


async def offer_work(
    session: AsyncSession,
    complaint: Complaint,
    action: str,
    work: WorkOffer,
    now: datetime,
) -> ComplaintWorkOffer | None:
    """Queue the offer in the caller's transaction (a move, a relayed answer). None when this
    work is not offered, the person has no private chat with the bot (never linked, blocked
    it), or an offer for the same work that day exists already."""
    if action not in OFFERED_WORK or complaint.id is None:
        return None
    # Who, where and the target in one round trip: the move's transaction is waiting.
    person = (
        await session.execute(
            select(col(TelegramLink.telegram_user_id), col(TelegramUser.language), SkpTarget)
            .join(Employee, col(Employee.id) == TelegramLink.employee_id)
            .outerjoin(TelegramUser, col(TelegramUser.id) == TelegramLink.telegram_user_id)
            .outerjoin(
                SkpTarget,
                and_(
                    col(SkpTarget.employee_id) == Employee.id,
                    col(SkpTarget.year) == work.work_date.year,
                    col(SkpTarget.complaint_work),
                ),
            )
            .where(
                col(TelegramLink.employee_id) == work.employee_id,
                col(Employee.active),
                col(TelegramUser.blocked_at).is_(None),
            )
            # The Utama one first when several are marked.
            .order_by(col(SkpTarget.kind).desc(), col(SkpTarget.id))
            .limit(1)
        )
    ).first()
    if person is None:
        return None
    chat_id, language, target = person
    finishing = target is not None and action in FINISHING_WORK
    values: dict[str, Any] = {
        "employee_id": work.employee_id,
        "complaint_id": complaint.id,
        "action": action,
        "work_date": work.work_date,
        "description": work.render.description(complaint.tracking_number, action)[:1000],
        "target_id": target.id if target else None,
        "quantity": 1 if finishing else None,
        "output_unit": target.unit if finishing and target else None,
        "created_at": now,
    }
    written = await insert_new(
        session,
        ComplaintWorkOffer,
        [values],
        key=["employee_id", "complaint_id", "work_date", "action"],
    )
    if not written:
        return None
    offer = ComplaintWorkOffer(id=written.pop(), **values)  # as written; not added again
    payload = work.render.payload(offer, target, language)
    await enqueue(session, f"work-offer:{offer.id}", chat_id, "work_offer", payload, now=now)
    return offer


async def get_offer(db: Database, offer_id: int) -> ComplaintWorkOffer | None:
    async with db.read() as session:
        return await session.get(ComplaintWorkOffer, offer_id)


@dataclass(frozen=True)
class SavedWork:
    activity: Activity
    created: bool  # False: saved by an earlier tap (this one is a repeat)


async def save_offered_work(
    db: Database,
    offer_id: int,
    employee_id: int,
    minutes: int,
    *,
    late: bool,
    actor: str,
    now: datetime,
) -> SavedWork:
    """Save the offered activity with ``minutes``, once. Raises ``LookupError`` for an offer
    that is not this person's (or does not exist): the caller answers it as a stale button."""
    async with db.write() as session:
        offer = (
            await session.execute(
                select(ComplaintWorkOffer)
                .where(col(ComplaintWorkOffer.id) == offer_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if offer is None or offer.employee_id != employee_id:
            raise LookupError(offer_id)
        if offer.activity_id is not None:
            earlier = await session.get(Activity, offer.activity_id)
            if earlier is not None:
                return SavedWork(earlier, created=False)
        draft = ActivityDraft(
            work_date=offer.work_date,
            description=offer.description,
            minutes=minutes,
            quantity=offer.quantity,
            output_unit=offer.output_unit,
            target_id=offer.target_id,
            late=late,
        )
        activity = await add_activity(
            session, employee_id, draft, source="complaint", actor=actor, now=now
        )
        offer.activity_id, offer.saved_at = stored_id(activity.id), now
    return SavedWork(activity, created=True)

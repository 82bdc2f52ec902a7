"""A supervisor's decision on one entry (/persetujuan's ✅, revision and rejection) in two
trips to the database (``models.one_trip``): what the button finds (:func:`pressed`), then the
decision with its history, audit entry and notice to the employee, and the day's view, in one
transaction (:func:`decide`). And one report's waiting days, the page before it, in one trip
(:func:`person_view`).

Through a session the same took a dozen statements, and the decision's eight of them held
SQLite's one writer for a trip through the event loop each: under load every other writer
(the outbox sender's claims among them) waited behind them. The supervisor's reach is still
checked inside the transaction that records the decision: its first statement changes the entry
only while the roster puts the supervisor in the employee's chain (``reach_condition``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from domain.access import Actor, supervision_refusal
from domain.approvals import WAITING, Decision
from models import audit, outbox_wake
from models.approvals import AlreadyDecided, NotInReach, WaitingEntry
from models.db import Database
from models.identity import Contact
from models.one_trip import Earlier, Prepared, Step, Unchanged, prepared_insert, run
from models.outbox_steps import enqueue_steps
from models.supervision import chain_of, chain_statement, reach_condition
from models.tables import (
    Activity,
    ActivityEvidence,
    ActivityHistory,
    Employee,
    SkpTarget,
    TelegramLink,
)
from models.types import as_loaded, stored_id


@dataclass(frozen=True)
class Pressed:
    """What a decision button finds before deciding (``pressed``)."""

    activity: Activity
    in_reach: bool
    day_waiting: list[int]  # ids of the waiting entries of its day, in the order shown
    # Where to tell the employee (None: not linked), read with the rest for ``decide``.
    contact: Contact | None = None


_ACTIVITIES = Activity.metadata.tables["activity"]  # SQLModel does not type __table__
_ACTIVITY_COLUMNS = tuple(column.name for column in _ACTIVITIES.c)


def _of_pressed(column: Any) -> Any:
    """A column of the entry the button names, as a subquery (one trip reads it all)."""
    return select(column).where(_ACTIVITIES.c.id == bindparam("activity")).scalar_subquery()


_LINKS = TelegramLink.metadata.tables["telegram_link"]
_USERS = TelegramLink.metadata.tables["telegram_user"]
# ``pressed``'s reads, in one trip (``models.one_trip``): the entry, its employee's chain of
# supervisors, its day's waiting entries and its employee's chat. Through a session these were
# five statements, a trip through the event loop each.
_PRESSED = (
    Prepared(select(_ACTIVITIES).where(_ACTIVITIES.c.id == bindparam("activity"))),
    Prepared(chain_statement(_of_pressed(_ACTIVITIES.c.employee_id))),
    Prepared(
        select(_ACTIVITIES.c.id)
        .where(
            _ACTIVITIES.c.status == WAITING,
            _ACTIVITIES.c.deleted_at.is_(None),
            _ACTIVITIES.c.employee_id == _of_pressed(_ACTIVITIES.c.employee_id),
            _ACTIVITIES.c.work_date == _of_pressed(_ACTIVITIES.c.work_date),
        )
        .order_by(_ACTIVITIES.c.id)
    ),
    Prepared(
        select(_LINKS.c.telegram_user_id, _USERS.c.language)
        .outerjoin(_USERS, _USERS.c.id == _LINKS.c.telegram_user_id)
        .where(_LINKS.c.employee_id == _of_pressed(_ACTIVITIES.c.employee_id))
    ),
)


async def pressed(
    db: Database, actor: Actor, activity_id: int, *, indirect: bool
) -> Pressed | None:
    """The entry a decision button names (None: no such entry, or deleted), whether the
    supervisor may decide on it and, if it is theirs and waiting, its day's waiting entries
    (the page to show again) and where to tell its employee: one trip to the database."""
    found, chain, day, contact = await run(
        db, [(prepared, {"activity": activity_id}) for prepared in _PRESSED], write=False
    )
    if not found.rows:
        return None
    activity = as_loaded(Activity, dict(zip(_ACTIVITY_COLUMNS, found.rows[0], strict=True)))
    if activity.deleted_at is not None:
        return None
    bosses = chain_of(activity.employee_id, (boss for (boss,) in chain.rows))
    if supervision_refusal(actor, bosses, indirect=indirect) is not None:
        return Pressed(activity, False, [])
    if activity.status != WAITING:
        return Pressed(activity, True, [])
    to = Contact(int(contact.rows[0][0]), contact.rows[0][1]) if contact.rows else None
    return Pressed(activity, True, [i for (i,) in day.rows], to)


@dataclass(frozen=True)
class Decided:
    """A decision made (``decide``): the entry as decided, and its day as it is now (the
    employee's name and the entries still waiting: the view shown again)."""

    activity: Activity
    name: str
    waiting: list[WaitingEntry]


async def decide(
    db: Database,
    actor: Actor,
    activity_id: int,
    decision: Decision,
    note: str | None,
    *,
    now: datetime,
    indirect: bool,
    notify: Callable[[Activity, str | None], dict[str, Any]],
    seen: Pressed | None = None,
) -> Decided:
    """Decide on one waiting entry. Raises ``NotInReach`` or ``AlreadyDecided`` (a double tap:
    the first one decided and notified, the second changes nothing). ``seen``: what
    :func:`pressed` just read of it, if the caller has it (else it is read here).

    Two trips to the database instead of a dozen statements in the one writer's transaction:
    what ``pressed`` reads, then the decision, its history, audit entry and notice, and the
    day's view, in one transaction (``models.one_trip``) whose first statement changes the
    entry only if it is still as it was read and still in the supervisor's reach (checked
    again there, as the roster may have changed): otherwise nothing is written and it is
    read again."""
    for _ in range(3):
        if seen is None:
            seen = await pressed(db, actor, activity_id, indirect=indirect)
        if seen is None or not seen.in_reach:
            raise NotInReach(activity_id)
        if seen.activity.status != WAITING:
            raise AlreadyDecided(seen.activity.status)
        try:
            return await _record(db, actor, seen, decision, note, now, indirect, notify)
        except Unchanged:
            seen = None  # changed since it was read: look again
    raise NotInReach(activity_id)  # changing under every look: give up as if gone


async def _record(
    db: Database,
    actor: Actor,
    seen: Pressed,
    decision: Decision,
    note: str | None,
    now: datetime,
    indirect: bool,
    notify: Callable[[Activity, str | None], dict[str, Any]],
) -> Decided:
    activity = seen.activity
    activity_id, employee_id = stored_id(activity.id), activity.employee_id
    decided = _as_decided(activity, decision, actor, note, now)
    who = audit.telegram_actor(actor.telegram_id)
    before = {
        "status": activity.status,
        "reviewer_id": activity.reviewer_id,
        "review_note": activity.review_note,
    }
    steps: list[Step] = [
        (
            _DECIDE_DIRECT if not indirect else _DECIDE_INDIRECT,
            {
                "activity": activity_id,
                "employee": employee_id,
                "supervisor": actor.employee_id,
                "old_reviewer": activity.reviewer_id,
                "old_note": activity.review_note,
                "status": decision.value,
                "reviewer": actor.employee_id,
                "note": note,
                "now": now,
            },
        ),
        (
            _ADD_HISTORY,
            {
                "activity_id": activity_id,
                "at": now,
                "actor": who,
                "action": "reviewed",
                "before": before,
            },
        ),
        audit.step(
            who,
            "activity.review",
            f"activity:{activity_id}",
            at=now,
            decision=decision.value,
            employee_id=employee_id,
            supervisor_id=actor.employee_id,
            note=note,
        ),
    ]
    contact = seen.contact
    if contact is not None:
        steps += enqueue_steps(
            db.dialect,
            (f"review:{activity_id}:", Earlier(1)),
            contact.telegram_id,
            "review",
            notify(decided, contact.language),
            now=now,
        )
    view = len(steps)
    day = {"employee": employee_id, "day": activity.work_date}
    steps += [(_NAME, {"employee": employee_id}), (_DAY_ENTRIES, day)]
    outcomes = await run(db, steps, write=True, guard=0)
    if contact is not None and outcomes[3].rows:
        outbox_wake.committed(db)  # the notice is queued: wake whoever delivers it
    [(name,)] = outcomes[view].rows or [("",)]
    return Decided(decided, name, [_waiting_entry(row) for row in outcomes[view + 1].rows])


def _as_decided(
    activity: Activity, decision: Decision, actor: Actor, note: str | None, now: datetime
) -> Activity:
    """The entry as the decision leaves it (what the employee's notice is made from)."""
    columns = {name: getattr(activity, name) for name in _ACTIVITY_COLUMNS}
    return as_loaded(
        Activity,
        columns
        | {
            "status": decision.value,
            "reviewer_id": actor.employee_id,
            "review_note": note,
            "reviewed_at": now,
            "updated_at": now,
        },
    )


def _decide_statement(*, indirect: bool) -> Prepared:
    """The decision, made only on the entry as ``pressed`` read it (waiting, same reviewer and
    note: the history's ``before``) and only if the supervisor still reaches its employee."""
    table = _ACTIVITIES
    return Prepared(
        update(table)
        .where(
            table.c.id == bindparam("activity"),
            table.c.employee_id == bindparam("employee"),
            table.c.status == WAITING,
            table.c.deleted_at.is_(None),
            table.c.reviewer_id.is_not_distinct_from(
                bindparam("old_reviewer", type_=table.c.reviewer_id.type)
            ),
            table.c.review_note.is_not_distinct_from(
                bindparam("old_note", type_=table.c.review_note.type)
            ),
            reach_condition(bindparam("employee"), bindparam("supervisor"), indirect=indirect),
        )
        .values(
            status=bindparam("status"),
            reviewer_id=bindparam("reviewer"),
            review_note=bindparam("note"),
            reviewed_at=bindparam("now", type_=table.c.reviewed_at.type),
            updated_at=bindparam("now", type_=table.c.updated_at.type),
        )
    )


_DECIDE_DIRECT = _decide_statement(indirect=False)
_DECIDE_INDIRECT = _decide_statement(indirect=True)
_ADD_HISTORY = prepared_insert(
    ActivityHistory.metadata.tables["activity_history"],
    ("activity_id", "at", "actor", "action", "before"),
    returning=("id",),
)
_EMPLOYEES = Employee.metadata.tables["employee"]
_NAME = Prepared(select(_EMPLOYEES.c.name).where(_EMPLOYEES.c.id == bindparam("employee")))


def _day_entries(day: Any) -> Prepared:
    """``_waiting_on`` in Core, for a trip: the entry's columns, its indicator and evidence,
    for ``day`` (a column expression)."""
    targets = SkpTarget.metadata.tables["skp_target"]
    evidence = ActivityEvidence.metadata.tables["activity_evidence"]
    count = (
        select(func.count())
        .where(evidence.c.activity_id == _ACTIVITIES.c.id)
        .correlate(_ACTIVITIES)
        .scalar_subquery()
    )
    return Prepared(
        select(_ACTIVITIES, targets.c.indicator, count)
        .outerjoin(targets, targets.c.id == _ACTIVITIES.c.target_id)
        .where(
            _ACTIVITIES.c.status == WAITING,
            _ACTIVITIES.c.deleted_at.is_(None),
            _ACTIVITIES.c.employee_id == bindparam("employee"),
            _ACTIVITIES.c.work_date == day,
        )
        .order_by(_ACTIVITIES.c.id)
    )


_DAY_ENTRIES = _day_entries(bindparam("day", type_=_ACTIVITIES.c.work_date.type))


def _waiting_entry(row: tuple[Any, ...]) -> WaitingEntry:
    *columns, target, evidence = row
    activity = as_loaded(Activity, dict(zip(_ACTIVITY_COLUMNS, columns, strict=True)))
    return WaitingEntry(activity, target, int(evidence))


# --- one report's waiting days -----------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    """One report as /persetujuan shows them (``person_view``)."""

    person: Employee
    days: list[tuple[date, int]]  # days with entries waiting, oldest first, with how many
    entries: list[WaitingEntry]  # the waiting entries, when they are all of one day


def _waiting_of(employee: Any) -> Any:
    return (
        (_ACTIVITIES.c.status == WAITING)
        & _ACTIVITIES.c.deleted_at.is_(None)
        & (_ACTIVITIES.c.employee_id == employee)
    )


_EMPLOYEE_COLUMNS = tuple(column.name for column in _EMPLOYEES.c)
# ``person_view``'s reads in one trip: the chain (their reach), the person, their waiting days
# and the entries of the oldest (shown at once when it is the only one). Through a session,
# four statements and as many trips through the event loop.
_PERSON = (
    Prepared(chain_statement(bindparam("employee"))),
    Prepared(select(_EMPLOYEES).where(_EMPLOYEES.c.id == bindparam("employee"))),
    Prepared(
        select(_ACTIVITIES.c.work_date, func.count())
        .where(_waiting_of(bindparam("employee")))
        .group_by(_ACTIVITIES.c.work_date)
        .order_by(_ACTIVITIES.c.work_date)
    ),
    _day_entries(
        select(func.min(_ACTIVITIES.c.work_date))
        .where(_waiting_of(bindparam("employee")))
        .scalar_subquery()
    ),
)


async def person_view(
    db: Database, actor: Actor, employee_id: int, *, indirect: bool
) -> PersonView | None:
    """A report's waiting days (and, when there is one, its entries), or None when the person
    is not in the supervisor's reach: one trip to the database."""
    values = {"employee": employee_id}
    chain, person, days, entries = await run(
        db, [(prepared, values) for prepared in _PERSON], write=False
    )
    bosses = chain_of(employee_id, (boss for (boss,) in chain.rows))
    if supervision_refusal(actor, bosses, indirect=indirect) is not None or not person.rows:
        return None
    employee = as_loaded(Employee, dict(zip(_EMPLOYEE_COLUMNS, person.rows[0], strict=True)))
    waiting = [(day, int(count)) for day, count in days.rows]
    shown = [_waiting_entry(row) for row in entries.rows] if len(waiting) == 1 else []
    return PersonView(employee, waiting, shown)

"""Who may do what: the one place where access is decided.

Handlers never test roles themselves; they ask ``allowed(actor, action)``
(or go through ``handlers.common.requires``), so a rule changes in one line here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

ROLES = ("employee", "supervisor", "complaint_handler", "admin", "unit_admin")
# ``admin`` manages the whole office; ``unit_admin`` (the roster's "admin unit") only the unit
# the roster puts them in: its people, their SKP targets, its schedule.


class Audience(StrEnum):
    """The menu a person sees, from the strongest role they hold."""

    CITIZEN = "citizen"
    EMPLOYEE = "employee"
    SUPERVISOR = "supervisor"
    COMPLAINT_HANDLER = "complaint_handler"
    UNIT_ADMIN = "unit_admin"  # /admin for their own unit only
    ADMIN = "admin"


class Action(StrEnum):
    USE_CITIZEN_SERVICES = "use_citizen_services"
    USE_EMPLOYEE_SERVICES = "use_employee_services"
    SUPERVISE = "supervise"
    HANDLE_COMPLAINTS = "handle_complaints"
    CREATE_INVITE = "create_invite"
    ADMINISTER = "administer"
    VIEW_SURVEY_RESULTS = "view_survey_results"  # a unit's IKM (SKM survey results)


# Which roles grant an action. Operators named in SIGAP_ADMIN_IDS count as "admin".
_GRANTS: dict[Action, frozenset[str] | None] = {
    Action.USE_CITIZEN_SERVICES: None,  # everyone, employees included
    Action.USE_EMPLOYEE_SERVICES: frozenset({"employee"}),
    Action.SUPERVISE: frozenset({"supervisor"}),
    Action.HANDLE_COMPLAINTS: frozenset({"complaint_handler"}),
    Action.CREATE_INVITE: frozenset({"admin"}),
    Action.ADMINISTER: frozenset({"admin"}),
    Action.VIEW_SURVEY_RESULTS: frozenset({"supervisor", "admin"}),
}


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as far as Sigap knows them."""

    telegram_id: int
    language: str
    first_name: str = ""
    employee_id: int | None = None
    employee_name: str | None = None
    nip: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    is_operator: bool = False  # listed in SIGAP_ADMIN_IDS
    language_chosen: bool = False

    @property
    def is_employee(self) -> bool:
        return self.employee_id is not None

    @property
    def effective_roles(self) -> frozenset[str]:
        roles = self.roles if self.is_employee else frozenset()
        return roles | {"admin"} if self.is_operator else roles

    @property
    def audiences(self) -> list[Audience]:
        """Every menu section this person gets, weakest first."""
        result = [Audience.EMPLOYEE] if self.is_employee else [Audience.CITIZEN]
        roles = self.effective_roles
        for role, audience in (
            ("supervisor", Audience.SUPERVISOR),
            ("complaint_handler", Audience.COMPLAINT_HANDLER),
            ("admin", Audience.ADMIN),
        ):
            if role in roles:
                result.append(audience)
        if "unit_admin" in roles and Audience.ADMIN not in result:
            result.append(Audience.UNIT_ADMIN)
        return result

    @property
    def audience(self) -> Audience:
        return self.audiences[-1]


def allowed(actor: Actor, action: Action) -> bool:
    needed = _GRANTS[action]
    if needed is None:
        return True
    return bool(needed & actor.effective_roles)


def parse_roles(text: str) -> frozenset[str]:
    return frozenset(r for r in text.split(",") if r in ROLES)


def format_roles(roles: frozenset[str] | set[str]) -> str:
    return ",".join(r for r in ROLES if r in roles)


class Refusal(StrEnum):
    NOT_FOUND = "not_found"  # also for other people's entries: do not reveal they exist
    LOCKED = "locked"


def activity_change_refusal(actor: Actor, owner_employee_id: int, status: str) -> Refusal | None:
    """May this person edit or delete this activity? Only its owner, and only before the
    supervisor approved it."""
    if actor.employee_id is None or actor.employee_id != owner_employee_id:
        return Refusal.NOT_FOUND
    if status == "approved":
        return Refusal.LOCKED
    return None


# --- Supervision -------------------------------------------------------------------------


def supervision_refusal(
    actor: Actor, chain: Sequence[int], *, indirect: bool = False
) -> Refusal | None:
    """May this person act as supervisor of an employee (approve, review, nudge, export, assess)?

    ``chain`` is the employee's line of supervisors, nearest first (``chain[0]`` is the direct
    supervisor). A supervisor acts on direct reports; with ``indirect`` (setting
    SIGAP_SUPERVISE_INDIRECT_REPORTS) on anyone below them. Anyone else gets "not found", so a
    forged callback does not learn whether the employee exists.
    """
    if actor.employee_id is None or not allowed(actor, Action.SUPERVISE):
        return Refusal.NOT_FOUND
    reach = chain if indirect else chain[:1]
    if actor.employee_id not in reach:
        return Refusal.NOT_FOUND
    return None


def unit_export_refusal(actor: Actor, *, is_head: bool) -> Refusal | None:
    """May this person export the work log of their whole unit? Only its head
    (``models.supervision.is_unit_head``) and only as a supervisor: the log is personal data."""
    if actor.employee_id is None or not is_head or not allowed(actor, Action.SUPERVISE):
        return Refusal.NOT_FOUND
    return None


# --- Complaints ----------------------------------------------------------------------------


class DeskRefusal(StrEnum):
    NOT_HANDLER = "not_handler"  # not a linked employee with the complaint handler role
    OTHER_UNIT = "other_unit"  # a complaint handler, but of another unit


def complaint_desk_refusal(actor: Actor, unit_id: int) -> DeskRefusal | None:
    """May this person work a complaint of this unit (ticket buttons, answers to the citizen)?
    Only linked employees with the complaint handler role *of that unit*: an operator or an
    admin is not enough, and neither is sitting in the desk group."""
    if not actor.is_employee or "complaint_handler" not in actor.roles:
        return DeskRefusal.NOT_HANDLER
    if actor.unit_id != unit_id:
        return DeskRefusal.OTHER_UNIT
    return None


def complaint_work_refusal(actor: Actor, offered_to: int | None = None) -> Refusal | None:
    """Is the work this person does on a ticket offered to them as an activity, and may they
    save an offer (``offered_to``: the employee it was made to)? Only people who keep a work
    log (employees of the roster with the employee role); an offer only by its own person,
    anyone else's is "not found"."""
    if actor.employee_id is None or not allowed(actor, Action.USE_EMPLOYEE_SERVICES):
        return Refusal.NOT_FOUND
    if offered_to is not None and offered_to != actor.employee_id:
        return Refusal.NOT_FOUND
    return None


def complaint_export_refusal(actor: Actor, unit_id: int) -> DeskRefusal | None:
    """May this person export a complaint for SP4N-LAPOR!? The same people who work it:
    the complaint handlers of its unit (the file carries the story and, unless anonymous,
    who reported it)."""
    return complaint_desk_refusal(actor, unit_id)


def complaint_owner_refusal(actor: Actor, reporter_telegram_id: int | None) -> Refusal | None:
    """A citizen sees and acts on their own complaints only; anyone else's is "not found"
    (never "not yours", which would confirm the number exists)."""
    if reporter_telegram_id is None or reporter_telegram_id != actor.telegram_id:
        return Refusal.NOT_FOUND
    return None


def may_install_desk(actor: Actor) -> bool:
    """Turning a group into a unit's complaint desk routes citizens' personal data there."""
    return allowed(actor, Action.ADMINISTER)


# --- Satisfaction survey (SKM) -------------------------------------------------------------


def survey_results_refusal(actor: Actor, unit_id: int) -> Refusal | None:
    """May this person see a unit's survey results (IKM, element means, anonymous comments)?
    Supervisors see their own unit; admins any unit. No one sees who answered what: the
    answers carry no identity (``models.survey``)."""
    if not allowed(actor, Action.VIEW_SURVEY_RESULTS):
        return Refusal.NOT_FOUND
    if "admin" in actor.effective_roles or actor.unit_id == unit_id:
        return None
    return Refusal.NOT_FOUND


# --- The admin's desk (/admin) ---------------------------------------------------------------


class AdminTask(StrEnum):
    """What an admin does from the chat (``handlers.admin``)."""

    ROSTER = "roster"  # download, send back, preview, apply
    PEOPLE = "people"  # search, one person, invite, unlink
    TARGETS = "targets"  # SKP targets file
    SCHEDULE = "schedule"  # a unit's reminder and digest times
    AUDIT = "audit"  # the last changes and who made them
    CATEGORIES = "categories"  # complaint categories (they route citizens to units)
    HOLIDAYS = "holidays"  # the office's own days off (/libur)
    BANS = "bans"  # stop a complaint account filing more


# Tasks that concern the whole office: a unit admin does not get them.
_OFFICE_TASKS = frozenset({AdminTask.CATEGORIES, AdminTask.HOLIDAYS, AdminTask.BANS})


@dataclass(frozen=True)
class AdminScope:
    """How far an admin reaches: the whole office (``unit_id`` None) or one unit."""

    unit_id: int | None = None
    unit_code: str | None = None

    @property
    def whole_office(self) -> bool:
        return self.unit_id is None

    def covers(self, unit_id: int | None) -> bool:
        return self.unit_id is None or unit_id == self.unit_id


def admin_scope(actor: Actor) -> AdminScope | None:
    """The admin reach of this person, or None for someone who is no admin. An operator
    (SIGAP_ADMIN_IDS) or an ``admin`` of the roster reaches the whole office; a ``unit_admin``
    their own unit."""
    if "admin" in actor.effective_roles:
        return AdminScope()
    if actor.is_employee and "unit_admin" in actor.roles and actor.unit_id is not None:
        return AdminScope(actor.unit_id, actor.unit_code)
    return None


def admin_refusal(
    actor: Actor, task: AdminTask, unit_id: int | None = None, *, office_wide: bool = False
) -> Refusal | None:
    """May this person do ``task`` (on the unit ``unit_id``, or on every unit with
    ``office_wide``)? Anything outside their reach is "not found", so a forged button does not
    tell a unit admin what exists elsewhere."""
    scope = admin_scope(actor)
    if scope is None:
        return Refusal.NOT_FOUND
    if scope.whole_office:
        return None
    if task in _OFFICE_TASKS or office_wide:
        return Refusal.NOT_FOUND
    if unit_id is not None and not scope.covers(unit_id):
        return Refusal.NOT_FOUND
    return None


def ikm_follow_up_refusal(actor: Actor, unit_id: int, *, is_head: bool) -> Refusal | None:
    """May this person write a unit's follow-up to its survey results ("rencana tindak
    lanjut"), which the public page publishes? The head of that unit
    (``models.supervision.is_unit_head``), as a supervisor; an admin for any unit."""
    if "admin" in actor.effective_roles:
        return None
    if survey_results_refusal(actor, unit_id) is not None or not is_head:
        return Refusal.NOT_FOUND
    return None

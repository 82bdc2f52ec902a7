from __future__ import annotations

from domain.access import Action, Actor, Audience, allowed


def _actor(roles: set[str] | None = None, *, operator: bool = False) -> Actor:
    if roles is None:
        return Actor(telegram_id=1, language="id", is_operator=operator)
    return Actor(
        telegram_id=1, language="id", employee_id=7, roles=frozenset(roles), is_operator=operator
    )


def test_citizen_gets_citizen_services_only() -> None:
    citizen = _actor()
    assert citizen.audience is Audience.CITIZEN
    assert allowed(citizen, Action.USE_CITIZEN_SERVICES)
    for action in (
        Action.USE_EMPLOYEE_SERVICES,
        Action.SUPERVISE,
        Action.HANDLE_COMPLAINTS,
        Action.CREATE_INVITE,
        Action.ADMINISTER,
    ):
        assert not allowed(citizen, action), action


def test_roles_grant_their_actions_and_menus_stack() -> None:
    boss = _actor({"employee", "supervisor"})
    assert boss.audiences == [Audience.EMPLOYEE, Audience.SUPERVISOR]
    assert allowed(boss, Action.SUPERVISE) and not allowed(boss, Action.CREATE_INVITE)
    handler = _actor({"employee", "complaint_handler"})
    assert allowed(handler, Action.HANDLE_COMPLAINTS) and not allowed(handler, Action.SUPERVISE)


def test_operator_is_admin_even_without_employee_record() -> None:
    operator = _actor(operator=True)
    assert operator.audiences == [Audience.CITIZEN, Audience.ADMIN]
    assert allowed(operator, Action.CREATE_INVITE)


def test_roles_of_an_unlinked_person_count_for_nothing() -> None:
    ghost = Actor(telegram_id=1, language="id", roles=frozenset({"admin"}))
    assert not allowed(ghost, Action.ADMINISTER)


def test_supervisor_acts_on_direct_reports_and_indirect_only_when_configured() -> None:
    from domain.access import Refusal, supervision_refusal

    boss = _actor({"employee", "supervisor"})  # employee_id 7
    assert supervision_refusal(boss, [7, 3]) is None
    assert supervision_refusal(boss, [5, 7]) is Refusal.NOT_FOUND
    assert supervision_refusal(boss, [5, 7], indirect=True) is None
    assert supervision_refusal(boss, []) is Refusal.NOT_FOUND
    # The line in the roster is not enough without the supervisor role, nor for a citizen.
    assert supervision_refusal(_actor({"employee"}), [7]) is Refusal.NOT_FOUND
    assert supervision_refusal(_actor(operator=True), [7]) is Refusal.NOT_FOUND


def test_admin_desk_reach_office_admin_unit_admin_and_others() -> None:
    from domain.access import AdminTask, Refusal, admin_refusal, admin_scope

    office = _actor({"employee", "admin"})
    operator = _actor(operator=True)
    unit = Actor(
        telegram_id=2,
        language="id",
        employee_id=8,
        unit_id=5,
        unit_code="BLW-PEM",
        roles=frozenset({"employee", "unit_admin"}),
    )
    staff = _actor({"employee", "supervisor"})
    citizen = _actor()
    assert admin_scope(office) == admin_scope(operator) and admin_scope(office).whole_office  # type: ignore[union-attr]
    assert unit.audience is Audience.UNIT_ADMIN  # the /admin desk, not the office's commands
    assert not allowed(unit, Action.ADMINISTER)  # desks, invites for anyone: office admins
    for task in AdminTask:
        assert admin_refusal(office, task, 99) is None
        assert admin_refusal(operator, task) is None
        assert admin_refusal(staff, task) is Refusal.NOT_FOUND
        assert admin_refusal(citizen, task) is Refusal.NOT_FOUND
        # A unit admin: their own unit, never another, never the office-wide tasks.
        assert admin_refusal(unit, task, 6) is Refusal.NOT_FOUND
        office_task = task in (AdminTask.CATEGORIES, AdminTask.HOLIDAYS, AdminTask.BANS)
        assert (admin_refusal(unit, task, 5) is None) is not office_task
    assert admin_refusal(unit, AdminTask.ROSTER, office_wide=True) is Refusal.NOT_FOUND

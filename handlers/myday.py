"""What employees see of their own log: /hariini (today, with edit and delete), /rekap (week,
month, SKP progress, JP), /skp (targets with progress)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from telegram import Update
from telegram.error import BadRequest

from domain.access import Action, Audience, Refusal, activity_change_refusal
from domain.calendar import Leave, WorkCalendar, leave_on
from handlers.callback import CallbackData
from handlers.common import answer_button, buttons, reply, requires
from handlers.context import SigapContext
from handlers.routes import Button, Command, Key, Route
from handlers.worklog import LOG_FLOW
from models import activities
from models.activities import DaySummary
from models.tables import Activity
from texts import Texts
from texts.format import duration, format_date, short_day
from texts.format import month as month_name

WEEK_MINUTES = 37 * 60 + 30  # Perpres 21/2023: 37.5 hours a week
MIN_JP_PER_YEAR = 20  # PP 11/2017 art. 203: at least 20 JP of competency development a year
STATUS_ICONS = {"submitted": "⏳", "approved": "✅", "revision_requested": "↩️", "rejected": "❌"}
# ``act:<what>:<activity>``: edit, del (asks), delok (deletes), keep (does not).
BUTTONS = CallbackData("act", {"edit": "n", "del": "n", "delok": "n", "keep": "n"})


def _entry_line(index: int, activity: Activity, tr: Texts) -> str:
    output = (
        f"{activity.quantity} {activity.output_unit or ''}".strip() if activity.quantity else ""
    )
    status = tr.plain(f"status.{activity.status}")
    return tr.t(
        "myday.entry",
        n=index,
        description=activity.description,
        output=output,
        duration=duration(activity.minutes, tr.language),
        status=f"{STATUS_ICONS.get(activity.status, '')} {status}",
    )


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def today_command(update: Update, context: SigapContext) -> None:
    tr, employee_id = context.texts, context.actor.employee_id
    assert employee_id is not None
    day = context.services.today()
    entries = await activities.activities_between(context.services.db, employee_id, day, day)
    title = tr.t("myday.today_title", date=format_date(day, tr.language))
    if not entries:
        await reply(update, context, f"{title}\n{tr.t('myday.today_empty')}")
        return
    lines = [title]
    rows: list[list[tuple[str, str]]] = []
    for index, activity in enumerate(entries, start=1):
        lines.append(_entry_line(index, activity, tr))
        if activity.status != "approved":
            rows.append(
                [
                    (tr.plain("myday.button_edit", n=index), BUTTONS.pack("edit", activity.id)),
                    (tr.plain("myday.button_delete", n=index), BUTTONS.pack("del", activity.id)),
                ]
            )
    total = sum(a.minutes for a in entries if a.status != "rejected")
    lines.append(tr.t("myday.today_total", count=len(entries), total=duration(total, tr.language)))
    await reply(update, context, "\n".join(lines), buttons(rows) if rows else None)


async def _own_activity(update: Update, context: SigapContext, activity_id: int) -> Activity | None:
    """The activity if this person may change it; otherwise answer why not and return None."""
    activity = await activities.get_activity(context.services.db, activity_id)
    refusal = (
        Refusal.NOT_FOUND
        if activity is None
        else activity_change_refusal(context.actor, activity.employee_id, activity.status)
    )
    if refusal is not None:
        key = "log.locked" if refusal is Refusal.LOCKED else "log.not_found"
        await answer_button(update, context.texts.plain(key), alert=True)
        return None
    return activity


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def activity_button(update: Update, context: SigapContext) -> None:
    query = update.callback_query
    assert query is not None
    press = BUTTONS.unpack(query.data)
    if press is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    action, activity_id = press.verb, press.numbers[0]
    tr = context.texts
    if action == "keep":
        await answer_button(update)
        await _edit_or_send(update, context, tr.t("myday.kept"))
        return
    activity = await _own_activity(update, context, activity_id)
    if activity is None:
        return
    await answer_button(update)
    if action == "edit":
        evidence = await activities.evidence_counts(context.services.db, [activity_id])
        await LOG_FLOW.start(
            update,
            context,
            {
                "activity_id": activity.id,
                "work_date": activity.work_date.isoformat(),
                "description": activity.description,
                "quantity": activity.quantity,
                "unit": activity.output_unit,
                "minutes": activity.minutes,
                "target_id": activity.target_id,
                "training_jp": activity.training_jp,
                "source": "edit",
                "evidence": [],
                "evidence_existing": evidence.get(activity_id, 0),
                "back": True,
            },
            step="summary",
        )
    elif action == "del":
        await reply(
            update,
            context,
            tr.t("myday.confirm_delete", description=activity.description),
            buttons(
                [
                    [
                        (tr.plain("myday.button_delete_yes"), BUTTONS.pack("delok", activity.id)),
                        (tr.plain("myday.button_delete_no"), BUTTONS.pack("keep", activity.id)),
                    ]
                ]
            ),
        )
    else:
        try:
            await activities.delete_activity(
                context.services.db,
                activity_id,
                actor=f"tg:{context.actor.telegram_id}",
                now=context.services.clock.now(),
                expected_employee_id=activity.employee_id,
            )
        except activities.NotEditable:
            await _edit_or_send(update, context, tr.t("log.locked"))
            return
        except LookupError:
            await _edit_or_send(update, context, tr.t("log.not_found"))
            return
        await _edit_or_send(
            update, context, tr.t("myday.deleted", description=activity.description)
        )


async def _edit_or_send(update: Update, context: SigapContext, text: str) -> None:
    query = update.callback_query
    if query is not None:
        try:
            await query.edit_message_text(text)
            return
        except BadRequest:
            pass  # the message is gone or already says this: send it anew
    await reply(update, context, text)


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def recap_command(update: Update, context: SigapContext) -> None:
    tr, db = context.texts, context.services.db
    employee_id = context.actor.employee_id
    assert employee_id is not None
    today = context.services.today()
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    month_start = today.replace(day=1)
    first = min(monday, month_start)
    calendar = await activities.work_calendar(db)
    leaves = await activities.employee_leaves(db, employee_id, first, sunday)
    days = await activities.day_summaries(db, employee_id, first, max(today, sunday))

    lines, week_minutes = _week_lines(tr, calendar, days, leaves, monday, today)
    percent = round(100 * week_minutes / WEEK_MINUTES)
    lines.append(
        tr.t(
            "recap.week_total",
            total=duration(week_minutes, tr.language),
            norm=duration(WEEK_MINUTES, tr.language),
            percent=percent,
        )
    )

    month = [s for d, s in days.items() if d >= month_start]
    lines.append("")
    lines.append(
        tr.t(
            "recap.month",
            month=month_name(today, tr.language),
            count=sum(s.entries for s in month),
            total=duration(sum(s.minutes for s in month), tr.language),
        )
    )
    lines.extend(await _target_lines(context, employee_id, today.year, tr))
    jp = await activities.training_jp(db, employee_id, today.year)
    lines.append(tr.t("recap.training", jp=jp, minimum=MIN_JP_PER_YEAR))
    await reply(update, context, "\n".join(lines))


def _week_lines(
    tr: Texts,
    calendar: WorkCalendar,
    days: dict[date, DaySummary],
    leaves: Sequence[Leave],
    monday: date,
    today: date,
) -> tuple[list[str], int]:
    """The week's title and one line per day (empty weekends left out), and its minutes."""
    lines = [
        tr.t(
            "recap.week_title",
            start=format_date(monday, tr.language, weekday=False),
            end=format_date(monday + timedelta(days=6), tr.language, weekday=False),
        )
    ]
    week_minutes = 0
    for offset in range(7):
        day = monday + timedelta(days=offset)
        summary = days.get(day)
        label = short_day(day, tr.language)
        working = calendar.is_working_day(day)
        if summary is None and not working and day.weekday() >= 5:
            continue  # an empty weekend says nothing
        leave = leave_on(day, leaves)
        if summary is not None:
            week_minutes += summary.minutes
            counts = " ".join(
                f"{STATUS_ICONS[s]}{n}"
                for s, n in sorted(summary.by_status.items())
                if s in STATUS_ICONS
            )
            lines.append(
                tr.t(
                    "recap.day_entries",
                    day=label,
                    count=summary.entries,
                    minutes=duration(summary.minutes, tr.language),
                    statuses=counts,
                )
            )
        elif not working:
            lines.append(
                tr.t(
                    "recap.day_off",
                    day=label,
                    reason=calendar.day_off_reason(day, tr.language) or "",
                )
            )
        elif leave is not None:
            lines.append(tr.t("recap.day_leave", day=label, kind=tr.plain(f"leave.{leave.kind}")))
        elif day > today:
            continue
        else:
            lines.append(tr.t("recap.day_empty", day=label))
    return lines, week_minutes


async def _target_lines(context: SigapContext, employee_id: int, year: int, tr: Texts) -> list[str]:
    progress = await activities.targets_with_progress(context.services.db, employee_id, year)
    if not progress:
        return [tr.t("skp.none", year=year)]
    lines = [tr.t("skp.title", year=year)]
    for item in progress:
        target = item.target
        percent = (
            round(100 * item.realised / target.target_quantity) if target.target_quantity else 0
        )
        lines.append(
            tr.t(
                "skp.row",
                kind=tr.plain(f"skp.kind_{target.kind}"),
                indicator=target.indicator,
                realised=item.realised,
                approved=item.approved,
                target=target.target_quantity,
                unit=target.unit,
                percent=percent,
            )
        )
    return lines


@requires(Action.USE_EMPLOYEE_SERVICES, private=True)
async def skp_command(update: Update, context: SigapContext) -> None:
    employee_id = context.actor.employee_id
    assert employee_id is not None
    year = context.services.today().year
    lines = await _target_lines(context, employee_id, year, context.texts)
    await reply(update, context, "\n".join(lines))


ROUTES: list[Route] = [
    Command("hariini", today_command, "commands.today", (Audience.EMPLOYEE,), english="today"),
    Command("rekap", recap_command, "commands.recap", (Audience.EMPLOYEE,), english="summary"),
    Command("skp", skp_command, "commands.skp", (Audience.EMPLOYEE,)),
    Button(BUTTONS, activity_button),
    Key("today", today_command),
    Key("recap", recap_command),
]

"""/admin: the admin's desk. A menu of what an admin does from the chat; every file can also
simply be sent (``handlers.admin.intake``). The last changes, with who made them, are one press
away."""

from __future__ import annotations

from telegram import Update

from domain.access import AdminScope, AdminTask
from handlers.admin.guard import ADMIN, may, requires_admin
from handlers.common import answer_button, buttons, reply
from handlers.context import SigapContext
from models.admin import AuditLine, recent_changes
from texts import Texts
from texts.format import format_datetime

# Menu entries: (verb, catalogue key, task); an admin sees the ones their scope allows.
ENTRIES = (
    ("roster", "admin.button_roster", AdminTask.ROSTER),
    ("people", "admin.button_people", AdminTask.PEOPLE),
    ("targets", "admin.button_targets", AdminTask.TARGETS),
    ("categories", "admin.button_categories", AdminTask.CATEGORIES),
    ("holidays", "admin.button_holidays", AdminTask.HOLIDAYS),
    ("bans", "admin.button_bans", AdminTask.BANS),
    ("schedule", "admin.button_schedule", AdminTask.SCHEDULE),
    ("audit", "admin.button_audit", AdminTask.AUDIT),
)


def menu_markup(context: SigapContext):  # type: ignore[no-untyped-def]
    tr = context.texts
    shown = [(tr.plain(key), ADMIN.pack(verb)) for verb, key, task in ENTRIES if may(context, task)]
    return buttons([shown[i : i + 2] for i in range(0, len(shown), 2)])


async def _show_menu(update: Update, context: SigapContext, scope: AdminScope) -> None:
    tr = context.texts
    where = tr.plain("admin.scope_office") if scope.whole_office else scope.unit_code
    await reply(update, context, tr.t("admin.menu", scope=where), menu_markup(context))


@requires_admin(None)
async def admin_command(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await _show_menu(update, context, scope)


@requires_admin(None)
async def menu_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    await _show_menu(update, context, scope)


@requires_admin(AdminTask.AUDIT)
async def audit_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    tr, services = context.texts, context.services
    lines = await recent_changes(services.db, unit_code=scope.unit_code)
    if not lines:
        await reply(update, context, tr.t("admin.audit_none"))
        return
    shown = "\n".join(audit_text(line, tr, services.timezone) for line in lines)
    await reply(update, context, tr.t("admin.audit_title", count=len(lines)) + "\n" + shown)


def audit_text(line: AuditLine, tr: Texts, zone) -> str:  # type: ignore[no-untyped-def]
    when = format_datetime(line.at, zone, tr.language)
    who = line.actor_name or (
        tr.plain("admin.actor_cli") if line.actor == "cli" else tr.plain("admin.actor_other")
    )
    counts = ", ".join(
        f"{key} {line.detail[key]}"
        for key in ("new", "changed", "deactivated", "rows")
        if isinstance(line.detail.get(key), int)
    )
    return tr.t(
        "admin.audit_line",
        when=when,
        who=who,
        action=line.action,
        subject=line.subject,
        counts=counts,
    )

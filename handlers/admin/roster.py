"""The roster round trip: "Unduh daftar pegawai" sends the roster as an XLSX in the import
layout; the admin edits it in Excel and sends it back; Sigap answers with a preview (new,
changed old → new, deactivated, unchanged, every bad row with its line and reason) and the
buttons Terapkan / Batal. Nothing changes before Terapkan, and then all or nothing.

The preview is a flow step (``admin_file``), so it survives a restart and its buttons go
stale once used; the apply ends that step in the transaction that writes the roster, so a
second press applies nothing.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from telegram import Update

from domain.access import AdminScope, AdminTask, admin_scope
from domain.roster import RosterProblem, read_roster
from handlers.admin.guard import requires_admin
from handlers.admin.preview import (
    MAX_ROWS,
    AlreadyDone,
    Applying,
    FileKind,
    PreviewText,
    add_kind,
    applied_text,
    import_options,
    send_workbook,
)
from handlers.common import answer_button
from handlers.context import SigapContext
from handlers.flow import FlowCall
from handlers.menus import context_menus
from models.admin import roster_lines
from models.roster import AlreadyApplied, RosterResult, RosterScope, import_roster
from services.admin_files import write_roster
from texts import Texts
from texts.problems import render_problem


def roster_scope(scope: AdminScope) -> RosterScope:
    """A file sent in the chat is the whole roster of the admin's reach: who is missing leaves."""
    return RosterScope(unit_code=scope.unit_code, deactivate_missing=True)


@requires_admin(AdminTask.ROSTER)
async def download_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    tr = context.texts
    lines = await roster_lines(context.services.db, scope.unit_id)
    await send_workbook(
        update,
        context,
        partial(write_roster, lines, tr),
        f"daftar-pegawai-{scope.unit_code or 'semua'}.xlsx",
        tr.t("admin.roster_caption", count=len(lines)),
    )


def roster_preview(result: RosterResult, tr: Texts) -> PreviewText:
    """The preview (or, after a refusal, the reasons) as text, and whether it may be applied."""
    text = PreviewText(tr)
    if result.problems:
        text.bad_rows([_problem_line(p, tr) for p in result.problems])
        return text
    diff, changes = result.diff, result.changes
    text.section("new", [f"{p.name} ({p.nip})" for p in diff.new])
    text.section(
        "changed",
        [
            f"{p.name} ({p.nip}): "
            + "; ".join(
                tr.plain(
                    "admin_preview.field_change",
                    field=tr.plain(f"admin_field.{k}"),
                    old=_shown(k, old, tr),
                    new=_shown(k, new, tr),
                )
                for k, (old, new) in p.fields.items()
            )
            for p in diff.changed
        ],
    )
    text.section("deactivated", [f"{p.name} ({p.nip})" for p in diff.deactivated])
    text.unchanged(changes.same)
    for refusal in result.refusals:
        text.refusal(tr.t(f"admin_refusal.{refusal.code}", **_refusal_params(refusal.params)))
    text.applicable = not result.refusals and not diff.empty
    return text


def _shown(field: str, value: str, tr: Texts) -> str:
    if field == "roles":
        return ", ".join(tr.plain(f"roles.{r}") for r in value.split(",") if r) or "–"
    if field == "active":
        return tr.plain("admin_field.active_yes" if value == "1" else "admin_field.active_no")
    return value or "–"


def _refusal_params(params: dict[str, object]) -> dict[str, object]:
    staff = params.get("staff")
    if isinstance(staff, list):
        return {**params, "staff": ", ".join(str(s) for s in staff), "count": len(staff)}
    return params


def _problem_line(problem: RosterProblem, tr: Texts) -> str:
    return tr.plain("admin_preview.bad_row", line=problem.line, reason=render_problem(problem, tr))


async def _run(
    call: FlowCall, path: Path, suffix: str, applying: Applying | None
) -> tuple[str, bool, str]:
    """Read the stored file and run it through the importer: a preview (``applying`` None)
    rolls back. Raises ``TableFileError`` for a file that cannot be read."""
    context, tr, services = call.context, call.texts, call.context.services
    scope = admin_scope(context.actor)
    assert scope is not None  # the flow is entered and applied through the gate only
    rows = await asyncio.to_thread(read_roster, path, max_rows=MAX_ROWS, suffix=suffix)
    try:
        result = await import_roster(
            services.db,
            rows,
            timezone=services.settings.timezone,
            scope=roster_scope(scope),
            menus=context_menus(context),
            **import_options(context, applying),
        )
    except AlreadyApplied:
        raise AlreadyDone() from None
    preview = roster_preview(result, tr)
    if not result.saved:
        return preview.render(), preview.applicable, ""
    # Roles, units and supervisors may differ for anyone: read identities afresh.
    services.identities.forget_all()
    n = result.changes
    counts = {"new": n.new, "changed": n.changed, "deactivated": n.deactivated}
    return "", True, applied_text(tr, _KIND, counts)


def _read(path: Path, suffix: str) -> object:
    return read_roster(path, max_rows=MAX_ROWS, suffix=suffix)


_KIND = FileKind(
    "roster", AdminTask.ROSTER, "admin_preview.title_roster", _read, _run, "admin.roster_applied"
)
add_kind(_KIND)

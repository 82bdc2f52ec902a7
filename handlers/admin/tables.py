"""The other two round trips of the desk: SKP targets (per employee and year) and complaint
categories (which unit each kind of complaint goes to). Download, edit in Excel, send back,
preview, Terapkan: as for the roster (``handlers.admin.roster``)."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from telegram import Update

from domain.access import AdminScope, AdminTask, admin_scope
from domain.complaints import CategoryProblem, read_categories
from domain.skp import read_targets
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
from models.admin import nips_of_unit, target_lines
from models.complaints import all_categories, import_categories
from models.roster import AlreadyApplied
from models.targets import import_targets
from services.admin_files import write_categories, write_targets
from texts import Texts
from texts.problems import listing, render_problem


def _year(context: SigapContext) -> int:
    services = context.services
    return services.clock.now().astimezone(services.timezone).year


# --- SKP targets ----------------------------------------------------------------------------


@requires_admin(AdminTask.TARGETS)
async def targets_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    tr, year = context.texts, _year(context)
    lines = await target_lines(context.services.db, year, scope.unit_id)
    await send_workbook(
        update,
        context,
        partial(write_targets, lines, tr),
        f"target-skp-{year}-{scope.unit_code or 'semua'}.xlsx",
        tr.t("admin.targets_caption", count=len(lines), year=year),
    )


async def _run_targets(
    call: FlowCall, path: Path, suffix: str, applying: Applying | None
) -> tuple[str, bool, str]:
    context, tr, services = call.context, call.texts, call.context.services
    scope = admin_scope(context.actor)
    assert scope is not None  # entered and applied through the gate only
    rows = await asyncio.to_thread(read_targets, path, max_rows=MAX_ROWS, suffix=suffix)
    reach = None if scope.unit_id is None else await nips_of_unit(services.db, scope.unit_id)
    try:
        result = await import_targets(
            services.db,
            rows,
            current_year=_year(context),
            nips_in_reach=reach,
            **import_options(context, applying),
        )
    except AlreadyApplied:
        raise AlreadyDone() from None
    if result.saved:
        return "", True, applied_text(tr, _TARGETS, {"new": result.new, "changed": result.changed})
    text = PreviewText(tr)
    if result.problems:
        text.bad_rows(
            [_bad_row(p.line, render_problem(p, tr, "targets"), tr) for p in result.problems]
        )
        return text.render(), False, ""
    text.counted("new", result.new)
    text.section(
        "changed",
        [
            tr.plain(
                "admin_preview.target_change",
                nip=c.nip,
                indicator=c.indicator,
                old=c.old,
                new=c.new,
            )
            for c in result.changes
        ],
    )
    text.unchanged(result.same)
    text.applicable = bool(result.new or result.changed)
    return text.render(), text.applicable, ""


def _bad_row(line: int, reason: str, tr: Texts) -> str:
    return tr.plain("admin_preview.bad_row", line=line, reason=reason)


def _read_targets(path: Path, suffix: str) -> object:
    return read_targets(path, max_rows=MAX_ROWS, suffix=suffix)


_TARGETS = FileKind(
    "targets",
    AdminTask.TARGETS,
    "admin_preview.title_targets",
    _read_targets,
    _run_targets,
    "admin.targets_applied",
)
add_kind(_TARGETS)


# --- complaint categories ---------------------------------------------------------------------


@requires_admin(AdminTask.CATEGORIES)
async def categories_pressed(update: Update, context: SigapContext, scope: AdminScope) -> None:
    await answer_button(update)
    tr = context.texts
    listed = await all_categories(context.services.db)
    active = sum(1 for category, _ in listed if category.active)
    await send_workbook(
        update,
        context,
        partial(write_categories, listed, tr),
        "kategori-aduan.xlsx",
        tr.t("admin.categories_caption", count=active),
    )


async def _run_categories(
    call: FlowCall, path: Path, suffix: str, applying: Applying | None
) -> tuple[str, bool, str]:
    context, tr, services = call.context, call.texts, call.context.services
    rows = await asyncio.to_thread(read_categories, path, max_rows=MAX_ROWS, suffix=suffix)
    try:
        result = await import_categories(
            services.db,
            rows,
            **import_options(context, applying),
        )
    except AlreadyApplied:
        raise AlreadyDone() from None
    if applying is not None and not result.problems:
        counts = {"new": result.new, "changed": result.changed, "deactivated": result.deactivated}
        return "", True, applied_text(tr, _CATEGORIES, counts)
    text = PreviewText(tr)
    if result.problems:
        text.bad_rows([_category_problem(p, tr) for p in result.problems])
        return text.render(), False, ""
    text.counted("new", result.new)
    text.counted("changed", result.changed)
    text.counted("deactivated", result.deactivated)
    text.unchanged(result.same)
    text.applicable = bool(result.new or result.changed or result.deactivated)
    return text.render(), text.applicable, ""


def _category_problem(problem: CategoryProblem, tr: Texts) -> str:
    params = {k: listing(v) for k, v in problem.params.items()}
    return _bad_row(problem.line, tr.plain(f"complaint_category.{problem.code}", **params), tr)


def _read_categories(path: Path, suffix: str) -> object:
    return read_categories(path, max_rows=MAX_ROWS, suffix=suffix)


_CATEGORIES = FileKind(
    "categories",
    AdminTask.CATEGORIES,
    "admin_preview.title_categories",
    _read_categories,
    _run_categories,
    "admin.categories_applied",
)
add_kind(_CATEGORIES)

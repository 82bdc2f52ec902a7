"""A complaint exported for SP4N-LAPOR! with one tap on its ticket ("📤 Ekspor LAPOR!"): a ZIP
with the form's fields, the history and the attachments (``services.lapor``), built in a worker
thread and sent as a document.

Who may: the complaint handlers of its unit (``domain.access.complaint_export_refusal``).
Where it goes: into the desk group, as a reply to the ticket; a *rahasia* complaint is not for
the group, so its file goes only to the handler who pressed, in their private chat. An
anonymous reporter's identity is never in the file. Every export is written to the audit log
before the file leaves.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from telegram import Update
from telegram.error import Forbidden

from domain.access import complaint_export_refusal
from domain.complaints import Privacy, identity_shown
from handlers.common import answer_button
from handlers.context import SigapContext
from handlers.desk.relay import replying_to
from handlers.desk.render import desk_texts, refusal_text
from models import complaints
from models.tables import Complaint
from models.types import stored_id
from services.lapor import file_name, lapor_document, write_package


async def export_ticket(update: Update, context: SigapContext, complaint: Complaint) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    services = context.services
    refusal = complaint_export_refusal(context.actor, complaint.unit_id)
    if refusal is not None:
        unit = await complaints.get_unit(services.db, complaint.unit_id)
        text = refusal_text(refusal, unit.name if unit else "", context.texts)
        await answer_button(update, text, alert=True)
        return
    record = await complaints.complaint_record(services.db, stored_id(complaint.id))
    if record is None:
        await answer_button(update, context.texts.plain("common.stale_button"))
        return
    complaint = record.complaint
    secret = Privacy(complaint.privacy) is Privacy.RAHASIA
    chat_id = context.actor.telegram_id if secret else query.message.chat.id
    tr, now, zone = desk_texts(services), services.clock.now(), services.timezone
    document = lapor_document(record, tr, zone, now)
    await complaints.record_disclosure(
        services.db,
        complaint,
        "complaints.exported",
        f"tg:{context.actor.telegram_id}",
        now,
        employee_id=context.actor.employee_id,
        chat_id=chat_id,
        privacy=complaint.privacy,
        identity=identity_shown(Privacy(complaint.privacy)) and bool(complaint.reporter_name),
    )
    name = file_name(complaint.tracking_number)
    # A temporary file: the export holds personal data and is not kept after it is sent.
    with tempfile.TemporaryDirectory(prefix="sigap-lapor-") as folder:
        path = Path(folder) / name
        packed = await asyncio.to_thread(
            write_package, document, tr, zone, services.settings.data_dir, path
        )
        caption = tr.t(
            "lapor.caption",
            number=complaint.tracking_number,
            count=packed,
            privacy=tr.plain(f"complaint_privacy.{complaint.privacy}"),
        )
        if secret:
            caption += "\n" + tr.t("lapor.caption_secret", number=complaint.tracking_number)
        try:
            with path.open("rb") as handle:
                await context.bot.send_document(
                    chat_id,
                    handle,
                    filename=name,
                    caption=caption,
                    reply_parameters=None if secret else replying_to(query.message.message_id),
                )
        except Forbidden:
            # No private chat with this handler yet (never pressed Start, or blocked the bot).
            await answer_button(update, context.texts.plain("lapor.private_unreachable"), True)
            return
    await answer_button(update, context.texts.plain("lapor.sent_private") if secret else None)

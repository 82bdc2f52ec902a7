"""How an offer of complaint work reads (``models.complaints.work``): the activity's
description in the office's language, and the private message with one button per duration.

The offer never names the reporter: the number and the kind of work are all it says, whatever
the complaint's privacy choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.outbox import text_payload
from models.tables import ComplaintWorkOffer, SkpTarget
from services.buttons import WORK_MINUTES, work_offer_save, work_offer_skip
from texts import Texts, texts
from texts.format import duration, format_date


def target_label(target: SkpTarget | None, tr: Texts) -> str:
    if target is None:
        return tr.plain("complaint_work.no_target")
    return f"{target.rhk} — {target.indicator}"


def offer_markup(offer_id: int, tr: Texts) -> dict[str, Any]:
    """The durations in one row, "skip" under them (the Bot API's dict: it waits in the outbox)."""
    row = [
        {"text": duration(m, tr.language), "callback_data": work_offer_save(offer_id, m)}
        for m in WORK_MINUTES
    ]
    skip = [
        {"text": tr.plain("complaint_work.button_skip"), "callback_data": work_offer_skip(offer_id)}
    ]
    return {"inline_keyboard": [row, skip]}


@dataclass(frozen=True)
class WorkOfferTexts:
    """``models.complaints.WorkOfferRender`` for an office whose language is ``office_language``."""

    office_language: str

    def description(self, tracking_number: str, action: str) -> str:
        return texts(self.office_language).plain(
            f"complaint_work.work_{action}", number=tracking_number
        )

    def payload(
        self, offer: ComplaintWorkOffer, target: SkpTarget | None, language: str | None
    ) -> dict[str, Any]:
        assert offer.id is not None
        tr = texts(language or self.office_language)
        text = tr.t(
            "complaint_work.offer",
            description=offer.description,
            date=format_date(offer.work_date, tr.language),
            target=target_label(target, tr),
        )
        return text_payload(text, reply_markup=offer_markup(offer.id, tr))

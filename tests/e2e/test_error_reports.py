"""When handling an update fails: the person gets an apology, the operators (SIGAP_ADMIN_IDS) an
error reference and the exception's type, and the server log the full traceback. None of them
carries who the person was or what they wrote (an anonymous reporter's identity was once sent to
the operators with the failed SQL statement's parameters)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import text

from models import complaints
from models.db import Database
from tests.e2e.harness import OPERATOR_ID, Harness
from tests.e2e.test_complaints import fill_complaint, town  # noqa: F401 (fixture)

STORY = "Petugas kelurahan meminta uang pelicin untuk KTP saya, nama saya Siti Anonimah."
REFERENCE = re.compile(r"\b[0-9A-F]{8}\b")


def _bot_log(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the bot's process logged (the emulator stands for Telegram's servers: its
    own records are not the bot's log), tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(
        formatter.format(record)
        for record in caplog.records
        if not record.name.startswith("emulator")
    )


async def test_anonymous_reporters_failure_reaches_operators_without_their_identity(
    town: Harness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Sigap's own loggers at their most talkative; libraries at the INFO that `sigap run` holds
    # them to (at DEBUG they print whole updates: test_cli's test of the logging set-up).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="sigap")
    operator = town.user(user_id=OPERATOR_ID, first_name="Operator")
    await operator.send("/start")
    await operator.wait_for(1)

    async def database_refuses(db: Database, draft: complaints.ComplaintDraft, **_: Any) -> None:
        # A real statement on the real engine, refused by the database, whose parameters are
        # what was being saved (as with the 272-character file name PostgreSQL refused).
        async with db.write() as session:
            await session.execute(
                text("INSERT INTO no_such_table (story, name, chat) VALUES (:story, :name, :chat)"),
                {
                    "story": draft.story,
                    "name": draft.reporter_name,
                    "chat": draft.reporter_telegram_id,
                },
            )

    monkeypatch.setattr(complaints, "submit_complaint", database_refuses)
    siti = town.user(first_name="Siti", last_name="Anonimah", username="siti_anonimah")
    await fill_complaint(siti, story=STORY, privacy="Anonim")
    await siti.press("✅ Kirim aduan")
    [apology] = await siti.wait_for(1)
    assert "kesalahan di pihak kami" in apology.text

    [report] = await operator.wait_for(1)
    found = REFERENCE.search(report.text)
    assert found is not None, report.text
    reference = found.group()
    assert re.search(r"\b(OperationalError|ProgrammingError)\b", report.text), report.text
    said = _bot_log(caplog)
    for secret in (str(siti.id), "Siti", "Anonimah", "siti_anonimah", "pelicin"):
        assert secret not in report.text, (secret, report.text)
        assert secret not in said, (secret, said)
    assert "Traceback" not in report.text and "INSERT" not in report.text
    # The server's log keeps the whole traceback under the same reference.
    assert reference in said and "Traceback" in said and "no_such_table" in said

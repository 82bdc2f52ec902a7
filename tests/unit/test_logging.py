"""The log set-up of ``sigap run``: even at SIGAP_LOG_LEVEL=DEBUG, the libraries that would print
what people sent (PTB: whole updates; aiosqlite: statements with their values) stay at INFO."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.cli import configure_logging

LIBRARIES = ("telegram", "aiosqlite", "httpx")


@pytest.fixture
def restore_levels() -> Iterator[None]:
    before = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_levels")
def test_debug_does_not_open_the_libraries_that_log_personal_data() -> None:
    configure_logging("DEBUG")
    for name in ("telegram.ext.ExtBot", "aiosqlite"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    # SQLAlchemy logs every statement from INFO on (what ``echo`` turns on): left at WARNING.
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)  # its URLs hold the token
    configure_logging("WARNING")
    assert not logging.getLogger("telegram").isEnabledFor(logging.INFO)


async def test_json_lines_carry_the_update_and_never_a_persons_id() -> None:
    """SIGAP_LOG_FORMAT=json: every line logged while an update is handled names the update
    and its chat; a private chat (whose id is the person's Telegram id) only by a pseudonym,
    the same on every line of that chat; a group by its id."""
    import json

    from telegram import Update

    from bot.logs import JsonFormatter
    from bot.processor import ChatOrderedProcessor, log_key
    from services.metrics import Metrics

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("sigap.test_json")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    metrics = Metrics()
    processor = ChatOrderedProcessor(4, metrics, log_key("123:abc"))

    def update(update_id: int, chat: dict[str, object]) -> Update:
        sender = {"id": 4242424242, "is_bot": False, "first_name": "Siti"}
        message = {"message_id": 1, "date": 1, "chat": chat, "from": sender, "text": "hai"}
        return Update.de_json({"update_id": update_id, "message": message}, None)

    async def handle(text: str) -> None:
        log.info(text)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")

    private = {"id": 4242424242, "type": "private", "first_name": "Siti"}
    group = {"id": -1001234567890, "type": "supergroup", "title": "Meja PU"}
    try:
        await processor.do_process_update(update(7, private), handle("first"))
        await processor.do_process_update(update(8, private), handle("second"))
        await processor.do_process_update(update(9, group), handle("group"))
        log.info("outside any update")
    finally:
        log.removeHandler(handler)
    parsed = [json.loads(line) for line in lines]
    assert [p.get("update_id") for p in parsed] == [7, 7, 8, 8, 9, 9, None]
    chats = [p.get("chat_id") for p in parsed]
    assert chats[0] == chats[1] == chats[2] == chats[3] and str(chats[0]).startswith("p-")
    assert chats[4] == -1001234567890 and "chat_id" not in parsed[6]
    assert "4242424242" not in "\n".join(lines)
    assert parsed[1]["level"] == "ERROR" and "ValueError: boom" in parsed[1]["exception"]
    assert parsed[0]["message"] == "first" and parsed[0]["logger"] == "sigap.test_json"
    handled = {"kind": "message", "outcome": "ok"}
    assert metrics.registry.get_sample_value("sigap_updates_total", handled) == 3

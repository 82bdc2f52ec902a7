"""JSON log lines (``SIGAP_LOG_FORMAT=json``): one object per line, for a log collector.

Every line written while an update is handled carries that update's id and chat
(``services.metrics.current_update``, set by ``bot.processor``): the chat of a group as its id,
a private chat as a pseudonym (the person's Telegram id never goes into the log).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from services.metrics import current_update


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        scope = current_update.get()
        if scope is not None:
            line["update_id"] = scope.update_id
            line["chat_id"] = scope.chat
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)

"""The conversation store's objects (``models.conversation``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect as orm_inspect

from models import conversation
from models.tables import Conversation
from models.types import utcnow


def test_a_conversation_built_as_loaded_is_the_one_its_class_makes() -> None:
    """``models.conversation`` builds its objects as SQLAlchemy builds loaded rows (for speed):
    the same values, the same ORM state, and as writable as one made by the class."""
    now = utcnow()
    values: dict[str, Any] = {
        "id": 7,
        "chat_id": 6_000_001,
        "user_id": 6_000_001,
        "flow": "citizen_text",
        "step": "offer",
        "data": {"text": "halo", "number": None},
        "last_update_id": 41,
        "version": 3,
        "started_at": now,
        "updated_at": now,
    }
    fast, made = conversation._conversation(dict(values)), Conversation(**values)
    assert fast.model_dump() == made.model_dump() == values
    assert orm_inspect(fast).transient and orm_inspect(made).transient
    fast.step = "chosen"
    assert fast.step == "chosen" and fast.model_dump()["step"] == "chosen"

"""The Bot API methods the emulator serves, one module per group; :data:`METHODS` joins their
tables (name as the Bot API spells it -> handler)."""

from __future__ import annotations

from emulator.methods import chats, editing, files, sending, updates
from emulator.state import MethodHandler

__all__ = ["METHODS"]

METHODS: dict[str, MethodHandler] = {
    **updates.METHODS,
    **sending.METHODS,
    **editing.METHODS,
    **files.METHODS,
    **chats.METHODS,
}

"""Bot API error responses, worded exactly as the real Bot API words them.

Bots match on these descriptions (PTB turns them into exception messages, other code greps
them), so every string here is copied from what api.telegram.org answers, not paraphrased.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "bad_request",
    "forbidden",
]


class ApiError(Exception):
    """A Bot API failure: becomes ``{"ok": false, "error_code": code, "description": ...}``.

    The HTTP status of the response equals ``code``, as with the real server, because PTB
    chooses the exception class from the HTTP status and not from the body.
    """

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


# Descriptions reused by several methods. Keeping them as constants means a typo cannot make
# one method disagree with another about the same condition.
CHAT_NOT_FOUND = "chat not found"
CHAT_ID_EMPTY = "chat_id is empty"
MESSAGE_TEXT_EMPTY = "message text is empty"
MESSAGE_MUST_BE_NON_EMPTY = "message must be non-empty"
MESSAGE_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "BUTTON_URL_INVALID"
TEXT_BUTTONS_UNALLOWED = "text buttons are unallowed in the inline keyboard"
BAD_MARKUP_JSON = "can't parse reply keyboard markup JSON object"
BAD_ENTITIES_JSON = "can't parse entities JSON object"
MESSAGE_ID_MISSING = "message identifier is not specified"
MESSAGE_TO_EDIT_NOT_FOUND = "message to edit not found"
MESSAGE_CANT_BE_EDITED = "message can't be edited"
NO_TEXT_TO_EDIT = "there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "there is no caption in the message to edit"
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the"
    " same as a current content and reply markup of the message"
)
MESSAGE_TO_DELETE_NOT_FOUND = "message to delete not found"
MESSAGE_CANT_BE_DELETED = "message can't be deleted"
REPLY_NOT_FOUND = "message to be replied not found"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
FILE_TOO_BIG = "file is too big"
TYPE_MISMATCH = "type of file mismatch"
URL_CONTENT_FAILED = "failed to get HTTP URL content"
UNSUPPORTED_PARSE_MODE = "unsupported parse_mode"
WRONG_CHAT_ACTION = "wrong parameter action in request"
BOT_COMMAND_INVALID = "BOT_COMMAND_INVALID"
BOT_COMMAND_DESCRIPTION_INVALID = "BOT_COMMAND_DESCRIPTION_INVALID"
BLOCKED = "bot was blocked by the user"
GROUP_UPGRADED = "group chat was upgraded to a supergroup chat"
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is"
    " running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete"
    " the webhook first"
)

"""Receiving updates: getUpdates, and the webhook (setWebhook, deleteWebhook, getWebhookInfo)."""

from __future__ import annotations

import re
from typing import Any

from emulator import errors
from emulator.errors import ApiError, bad_request
from emulator.params import Described, Params
from emulator.state import EmulatorState, MethodHandler

__all__ = ["METHODS"]

_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+")


async def get_updates(emu: EmulatorState, params: Params) -> list[dict[str, Any]]:
    webhook = emu._webhook
    if webhook.url:
        raise ApiError(409, errors.CONFLICT_WEBHOOK)
    offset = params.get_int("offset") or 0
    limit = params.get_int("limit")
    limit = 100 if limit is None else min(100, max(1, limit))
    timeout = max(0.0, params.get_float("timeout") or 0.0)
    emu._queue.set_allowed(
        params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
    )
    return await emu._queue.poll(offset, limit, timeout, lambda: bool(webhook.url))


def _checked_secret(params: Params) -> str | None:
    secret = params.get_str("secret_token")
    if secret is not None and not (1 <= len(secret) <= 256 and _SECRET_TOKEN_RE.fullmatch(secret)):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    return secret


async def set_webhook(emu: EmulatorState, params: Params) -> Described:
    url = params.get_str("url") or ""
    if not url:
        return await delete_webhook(emu, params)
    if not url.lower().startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = _checked_secret(params)
    if params.get_bool("drop_pending_updates"):
        emu._queue.drop_all()
    allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
    emu._queue.set_allowed(allowed)
    webhook = emu._webhook
    if isinstance(allowed, list):
        webhook.allowed_updates = [str(item) for item in allowed]
    max_connections = params.get_int("max_connections")
    before = webhook.max_connections
    webhook.max_connections = 40 if max_connections is None else min(100, max(1, max_connections))
    webhook.ip_address = params.get_str("ip_address")
    if (
        webhook.active
        and (webhook.url, webhook.secret_token) == (url, secret)
        and webhook.max_connections == before
        and not params.get_bool("drop_pending_updates")
    ):
        # A bot restarting with the same settings: deliveries (and their back-off) go on.
        return Described(True, "Webhook is already set")
    await webhook.stop_delivery()  # new settings: start over, in-flight updates stay pending
    webhook.secret_token = secret
    changed = webhook.url != url
    webhook.url = url
    if changed:
        webhook.last_error_date = webhook.last_error_message = None
    webhook.activate()
    emu._queue.interrupt_poll()  # a parked getUpdates must now fail with 409
    return Described(True, "Webhook was set")


async def delete_webhook(emu: EmulatorState, params: Params) -> Described:
    if params.get_bool("drop_pending_updates"):
        emu._queue.drop_all()
    webhook = emu._webhook
    was_set = bool(webhook.url)
    await webhook.deactivate()
    webhook.allowed_updates = None
    webhook.last_error_date = webhook.last_error_message = None
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def get_webhook_info(emu: EmulatorState, params: Params) -> dict[str, Any]:
    return emu._webhook.info()


METHODS: dict[str, MethodHandler] = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}

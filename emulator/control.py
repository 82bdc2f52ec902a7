"""The emulator's own HTTP control endpoint, for tests that run it in a process of its own.

``/_emulator/faults`` (outside ``/bot<token>/``, so no Bot API path can collide with it):

- ``GET``: the plan in force, what was injected per kind and method, the applied calls whose
  answer was lost (:meth:`emulator.faults.Faults.report`);
- ``POST`` a JSON plan (``{"rate": 0.2, "seed": 7}`` or ``{"rates": {"502": 0.1}, ...}``, see
  :meth:`emulator.faults.FaultPlan.from_json`): faults on;
- ``DELETE``: faults off (the counts stay);
- ``POST /_emulator/faults/reset``: the counts start again from zero.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from emulator.faults import FaultPlan, Faults

__all__ = ["add_control_routes"]

CONTROL_PATH = "/_emulator/faults"


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def add_control_routes(app: web.Application, faults: Faults) -> None:
    async def report(request: web.Request) -> web.Response:
        return _json(faults.report())

    async def enable(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            faults.enable(FaultPlan.from_json(body))
        except (TypeError, ValueError) as error:
            return _json({"ok": False, "description": str(error)}, status=400)
        return _json(faults.report())

    async def disable(request: web.Request) -> web.Response:
        faults.disable()
        return _json(faults.report())

    async def reset(request: web.Request) -> web.Response:
        faults.reset()
        return _json(faults.report())

    app.router.add_get(CONTROL_PATH, report)
    app.router.add_post(CONTROL_PATH, enable)
    app.router.add_delete(CONTROL_PATH, disable)
    app.router.add_post(f"{CONTROL_PATH}/reset", reset)

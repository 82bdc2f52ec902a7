"""The scheduler's CPU-heavy rendering (a digest wave's charts and workbooks) in a worker process.

A thread is not enough: matplotlib and openpyxl are mostly Python, and a rendering thread holds
the GIL for whole switch intervals, so during a Monday's digest wave the loop waited its turn
behind it and everyone's replies slowed (``bench/digest_wave.py``). One worker process, started
on first use (with ``spawn``: the bot's own threads are not copied into it) and kept for the
next; it imports matplotlib and openpyxl, the bot process does not have to. A single render
for the person who asked (``/digest``, ``/ikm``, ``/ekspor``) stays in a thread: it is short,
and that person should not wait for a process to start.

``fn`` must be a module-level function and its arguments picklable (``Texts`` travels as its
language). A worker that died is replaced for the next call.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _pool
    # Imported at the first render (multiprocessing is ~15 modules a bot that renders nothing
    # in a worker never needs).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                # Batch work: on a small server it yields the CPU to the bot answering people.
                initializer=os.nice,
                initargs=(10,),
            )
        return _pool


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the worker process."""
    from concurrent.futures.process import BrokenProcessPool

    global _pool
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenProcessPool:
        with _lock:
            if _pool is pool:
                _pool = None
        raise

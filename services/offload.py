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
import atexit
import contextlib
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


# Batch work: on a small server the worker yields the CPU to the bot answering people. The
# lowest priority: when both want a core, the scheduler weighs it 15 against the bot's 1024
# (about 1.5 %), where nice 10 weighed 110 (about 10 %).
NICE = 19


def _lowest_priority() -> None:
    os.setpriority(os.PRIO_PROCESS, 0, NICE)


def _start_worker(pool: ProcessPoolExecutor) -> None:
    # On Linux a thread's priority is its own and a child started from it inherits it: the
    # first submit starts the worker (and the pool's thread that collects results, batch work
    # too) from this thread, so the worker runs at NICE from its first instruction, its
    # start-up (the interpreter and every import, seconds of CPU) included, not only once its
    # initializer has run. The event loop's thread keeps its own priority. Starting the
    # process takes milliseconds; its imports happen in it, after this returns.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    pool.submit(int)


def _executor() -> ProcessPoolExecutor:
    global _pool
    # Imported at the first render (multiprocessing is ~15 modules a bot that renders nothing
    # in a worker never needs).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _lock:
        if _pool is None:
            pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lowest_priority,
            )
            # Shut down while the interpreter is whole: left to the garbage collector at exit,
            # the pool's callback finds multiprocessing half torn down and prints a traceback.
            atexit.register(pool.shutdown, wait=True, cancel_futures=True)
            starter = threading.Thread(target=_start_worker, args=(pool,), name="offload-start")
            starter.start()
            starter.join()
            _pool = pool
        return _pool


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the worker process."""
    from concurrent.futures.process import BrokenProcessPool

    global _pool
    # The first call starts the worker from a thread: starting a process (and importing
    # multiprocessing) held the loop for 50 ms at the first digest of a wave.
    pool = _pool or await asyncio.to_thread(_executor)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenProcessPool:
        with _lock:
            if _pool is pool:
                _pool = None
        raise

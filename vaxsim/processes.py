"""Worker processes that never outlive vaxsim: the site-queue pool and the optimizer's
province pool are made here.

Each worker asks the kernel to end it when its parent dies (Linux ``PR_SET_PDEATHSIG``; a
watchdog thread that polls the parent elsewhere), so killing vaxsim (SIGKILL included) never
leaves workers running; and it ignores Ctrl-C, which the terminal sends to every process of the
group: the parent stops the pool and reports the interruption once. A solver command run as a
child (CBC) is tied the same way, through :func:`dies_with_parent` as its ``preexec_fn``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent, where the kernel cannot be asked.
WATCH_EVERY = 1.0


def worker_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A process pool of ``workers`` whose workers die with this process (fork where available:
    the workers share the parent's read-only model)."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def stop_now(pool: ProcessPoolExecutor) -> None:
    """End ``pool``'s workers at once, losing what they compute, and shut the pool down: for a
    caller that was interrupted (its workers ignore Ctrl-C) and must not wait for long tasks."""
    # ProcessPoolExecutor.terminate_workers() arrives in Python 3.14; before, only _processes
    stop = getattr(pool, "terminate_workers", None)
    if stop is not None:
        stop()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def die_with_parent(parent: int) -> None:
    """End this process when process ``parent`` ends; ignore Ctrl-C (the parent handles it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the command line's SIGTERM handler (vaxsim.entry), which unwinds
    # with an exception; a worker just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _ask_the_kernel():
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="vaxsim-parent-watch").start()
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def dies_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that makes the child end (SIGKILL) when
    this process ends, however it ends; ``None`` where the kernel cannot be asked (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def tie() -> None:  # runs in the child, between fork and exec
        _ask_the_kernel(signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)

    return tie


def _ask_the_kernel(signal_number: int = signal.SIGTERM) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os._exit(1)

"""Where replications run: one interface over this process, local processes and Dask.

:func:`as_executor` turns what a user passes (``None``, a number of workers, a
``concurrent.futures`` executor or a ``dask.distributed.Client``) into a
:class:`ReplicationExecutor`, whose :meth:`~ReplicationExecutor.run` yields each task's result
as soon as it is done. Every replication runs the same function with its site queues in-process
(``workers=1``), so a seed gives byte-identical results whatever runs it.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any, Protocol

Task = tuple[Any, ...]


class ReplicationExecutor(Protocol):
    """Runs ``function(*task)`` for every task; yields ``(index, result)`` as each finishes."""

    name: str
    workers: int

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]: ...


class SerialExecutor:
    """Every replication in this process, one after the other."""

    name = "serial"
    workers = 1

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        for index, task in enumerate(tasks):
            yield index, function(*task)


class FuturesExecutor:
    """A ``concurrent.futures`` executor: local processes by default (one per CPU)."""

    def __init__(self, executor: Executor | None = None, workers: int | None = None):
        self.workers = workers or (getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
        self.owned = executor is None
        self.executor = executor
        self.name = f"processes ({self.workers})" if self.owned else type(executor).__name__

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        executor = self.executor or _process_pool(self.workers)
        try:
            futures = {executor.submit(function, *task): index for index, task in enumerate(tasks)}
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            if self.owned:
                # a killed sweep must not leave workers computing what nobody will store
                executor.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A ``dask.distributed.Client``: replications are tasks on its cluster's workers."""

    def __init__(self, client: Any):
        # distributed is an optional dependency, and slow to import: only when a client is given
        self.distributed = importlib.import_module("distributed")
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.name = f"dask ({self.workers} workers)"

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Iterator[tuple[int, Any]]:
        futures = [self.client.submit(function, *task, pure=False) for task in tasks]
        index = {future.key: k for k, future in enumerate(futures)}
        try:
            for future in self.distributed.as_completed(futures):
                yield index[future.key], future.result()
        finally:
            self.client.cancel(futures)


def as_executor(executor: Any = None) -> ReplicationExecutor:
    """The executor for ``executor``: ``None`` (local processes, one per CPU), an ``int``
    (that many local processes; 1 = this process), a ``concurrent.futures.Executor``, a
    ``dask.distributed.Client`` or a :class:`ReplicationExecutor` already."""
    if executor is None:
        return FuturesExecutor()
    if isinstance(executor, bool):
        raise TypeError("executor must be a number of workers, an Executor or a dask Client")
    if isinstance(executor, int):
        if executor < 1:
            raise ValueError(f"workers must be >= 1 (got {executor})")
        return SerialExecutor() if executor == 1 else FuturesExecutor(workers=executor)
    if isinstance(executor, Executor):
        return FuturesExecutor(executor)
    if type(executor).__module__.startswith("distributed"):
        return DaskExecutor(executor)
    if hasattr(executor, "run") and hasattr(executor, "workers"):
        return executor
    raise TypeError(f"cannot run replications on {type(executor).__name__}")


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: safe when the caller has threads (Jupyter, Dask, progress bars), and workers
    # still start from a process that has imported what a replication runs once (``vaxsim``
    # itself imports its parts on first use, so preloading it alone would preload nothing)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(["vaxsim.run.replication"])
    return ProcessPoolExecutor(workers, mp_context=context)

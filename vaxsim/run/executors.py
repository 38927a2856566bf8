"""Where replications run: one interface over this process, local processes and Dask.

:func:`as_executor` turns what a user passes (``None``, a number of workers, a
``concurrent.futures`` executor or a ``dask.distributed.Client``) into a
:class:`ReplicationExecutor`, whose :meth:`~ReplicationExecutor.run` yields each task's result
as soon as it is done. ``run`` hands every task to the workers before it returns (local workers are
forked then, before the caller starts a progress bar's thread). Every replication runs the same
function with its site queues in-process (``workers=1``): the replication is the unit of
parallelism, so an ensemble never starts a site-queue pool per worker (two processes per core)
and the serial mode stays serial; a seed gives byte-identical results whatever runs it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from vaxsim.processes import stop_now, worker_pool
from vaxsim.run.replication import prepare_worker

Task = tuple[Any, ...]
#: ``(task index, result)`` in the order the tasks finish; closing it stops what is left.
Finished = Generator[tuple[int, Any], None, None]


class ReplicationExecutor(Protocol):
    """Runs ``function(*task)`` for every task: ``run`` hands out every task, then returns a
    generator of ``(index, result)`` in the order the tasks finish."""

    name: str
    workers: int

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Finished: ...


class SerialExecutor:
    """Every replication in this process, one after the other."""

    name = "serial"
    workers = 1

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Finished:
        for index, task in enumerate(tasks):
            yield index, function(*task)


class FuturesExecutor:
    """A ``concurrent.futures`` executor: local processes by default (one per CPU)."""

    def __init__(self, executor: Executor | None = None, workers: int | None = None):
        self.workers = workers or (getattr(executor, "_max_workers", None) or os.cpu_count() or 1)
        self.owned = executor is None
        self.executor = executor
        self.name = f"processes ({self.workers})" if self.owned else type(executor).__name__

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Finished:
        # vaxsim's one worker pool (forked: the workers start with everything this process has
        # imported, where a forkserver re-imported vaxsim for 1.3 s while one core idled; they die
        # with this process)
        executor = self.executor or worker_pool(self.workers, prepare_worker)
        futures = {executor.submit(function, *task): index for index, task in enumerate(tasks)}
        return self._completed(executor, futures)

    def _completed(self, executor: Executor, futures: dict[Future, int]) -> Finished:
        done = False
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
            done = True
        finally:
            if self.owned and not done and isinstance(executor, ProcessPoolExecutor):
                # interrupted (our workers ignore Ctrl-C): do not wait for a chunk of
                # replications that nobody will store
                stop_now(executor)
            elif self.owned:
                executor.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """A ``dask.distributed.Client``: replications are tasks on its cluster's workers."""

    def __init__(self, client: Any):
        # distributed is an optional dependency, and slow to import: only when a client is given
        self.distributed = importlib.import_module("distributed")
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.name = f"dask ({self.workers} workers)"

    def run(self, function: Callable[..., Any], tasks: Sequence[Task]) -> Finished:
        futures = [self.client.submit(function, *task, pure=False) for task in tasks]
        return self._completed(futures)

    def _completed(self, futures: list[Any]) -> Finished:
        index = {future.key: k for k, future in enumerate(futures)}
        try:
            for future in self.distributed.as_completed(futures):
                yield index[future.key], future.result()
        finally:
            self.client.cancel(futures)


#: The module a worker needs to run a replication: where
#: :func:`vaxsim.run.replication.run_replications` lives (a test checks it).
REPLICATION_MODULE = "vaxsim.run.replication"

#: Dask settings for a cluster that runs replications: short CPU-bound tasks on a few cores.
#: The worker's statistical profiler (a stack sample every 10 ms), the system monitor every
#: 0.5 s, the memory monitor every 0.1 s and work stealing cost 12 % more CPU than local
#: processes on 100 demo replications on 2 cores; without them 4 % (benchmarks/ensembles.md).
#: Every scheduler, nanny and worker also checks its event loop's health every 20 ms: 50 of
#: the 55 ms of CPU per second an idle 2-worker cluster used, and a wake-up that takes the GIL
#: from the replication running beside it; every 500 ms still reports a loop blocked for 3 s.
#: Each worker imports :data:`REPLICATION_MODULE` as it starts (Dask's worker ``preload``;
#: ``dask worker --preload vaxsim.run.replication`` for a cluster started by hand), so a
#: cluster is ready to simulate before a sweep starts: a spawned worker otherwise imports
#: vaxsim (~1 s of CPU) when its first replication arrives, while the sweep waits. The module's
#: ``dask_setup`` readies the worker as a local one is (:func:`~vaxsim.run.replication.prepare_worker`).
REPLICATION_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.preload": [REPLICATION_MODULE],
}


def local_cluster(workers: int | None = None) -> Any:
    """A ``dask.distributed.LocalCluster`` of ``workers`` single-threaded worker processes
    (default: one per CPU) set up for replications (:data:`REPLICATION_DASK_CONFIG`, no
    dashboard); use it as a context manager and pass ``Client(cluster)`` as the executor. It
    returns once every worker has imported vaxsim. A cluster started elsewhere gets the same
    settings from its own Dask configuration."""
    dask = importlib.import_module("dask")
    distributed = importlib.import_module("distributed")
    # Workers take the configuration current when their nanny starts, so it is set around it.
    with dask.config.set(REPLICATION_DASK_CONFIG):
        return distributed.LocalCluster(
            n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None
        )


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

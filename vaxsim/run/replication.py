"""One replication of an ensemble: a scenario and a seed, its key and the tables it keeps.

A replication keeps the tables a comparison needs (:data:`KEPT_TABLES`) and its headline
figures flattened to numbers (:func:`kpis`). It is stored under :func:`replication_key`:
the scenario's hash, the seed, whether site queues ran and the vaxsim version, so a
stored result is only reused for exactly the same inputs and code.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

import vaxsim
from vaxsim.model import Model, compile_model
from vaxsim.results.results import Results
from vaxsim.run.simulate import simulate
from vaxsim.scenario import Scenario, scenario_hash

#: Tables of a run that an ensemble keeps, stacked over replications.
KEPT_TABLES = (
    "daily",
    "coverage",
    "district_coverage",
    "backlog",
    "supply",
    "sites",
    "waits",
    "wastage",
    "stock_outs",
    "cold_chain",
)

#: Compiled models of the scenarios this process has run (a worker runs many seeds of few).
_MODELS: dict[str, Model] = {}


@dataclass(frozen=True)
class Outcome:
    """What one replication returns: its kept tables and its headline figures."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]


def replication_key(scenario_sha256: str, seed: int, site_queues: bool) -> str:
    """``<hash16>-seed<seed>-<q|nq>-v<version>``: the folder name of a stored replication."""
    queues = "q" if site_queues else "nq"
    return f"{scenario_sha256[:16]}-seed{seed}-{queues}-v{vaxsim.__version__}"


def run_replication(scenario: Scenario, seed: int, site_queues: bool) -> Outcome:
    """Simulate ``scenario`` with ``seed`` (site queues in this process) and keep its tables.

    Runs in worker processes and on Dask workers; the scenario was validated by the caller.
    """
    digest = scenario_hash(scenario)
    model = _MODELS.get(digest)
    if model is None:
        if len(_MODELS) >= 2:  # tasks come grouped by scenario: two models are enough
            _MODELS.pop(next(iter(_MODELS)))
        model = _MODELS[digest] = compile_model(scenario)
    results = simulate(model, seed, site_queues=site_queues, workers=1)
    return outcome(results)


def run_replications(scenario: Scenario, seeds: Sequence[int], site_queues: bool) -> list[Outcome]:
    """:func:`run_replication` for each of ``seeds`` in turn: one task on an executor (a chunk of
    an ensemble), so the scenario is shipped and the task scheduled once for several seeds."""
    return [run_replication(scenario, seed, site_queues) for seed in seeds]


def prepare_worker() -> None:
    """Ready this process, a worker that will run many replications, as it starts (a local
    worker right after its fork, a Dask worker through :func:`dask_setup`): every object it
    holds now (the imports; a forked worker's copy of its parent's objects) is moved out of the
    cyclic garbage collector's reach (``gc.freeze``)."""
    # Those ~140,000 objects live as long as the worker. Each full collection walked them all,
    # and in a forked worker the walk writes into pages shared with the parent, which the kernel
    # then copies: 6-7 ms of a worker's CPU per demo replication in collections (serial: 4 ms),
    # 1.3-1.8 ms frozen (benchmarks/ensembles.md). What the replications allocate is still
    # collected; only cycles already garbage at the fork are kept, once.
    gc.freeze()


def dask_setup(worker: Any) -> None:  # noqa: ARG001 - the signature Dask calls
    """Dask's hook for a module its workers preload (``distributed.worker.preload``, see
    :data:`vaxsim.run.executors.REPLICATION_DASK_CONFIG`): :func:`prepare_worker`."""
    prepare_worker()


def outcome(results: Results) -> Outcome:
    """The kept tables and headline figures of ``results``."""
    return Outcome({name: getattr(results, name) for name in KEPT_TABLES}, results.summary())


def kpis(summary: dict[str, Any]) -> dict[str, float]:
    """The numbers of a run's summary, nested keys joined by ``_`` (``wasted_by_cause_expiry``)."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}_{key}" if prefix else str(key), inner)
        elif isinstance(value, bool | int | float) and prefix != "seed":
            flat[prefix] = float(value)

    walk("", summary)
    return flat

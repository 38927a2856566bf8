"""``vaxsim.compare``: scenarios, runs and ensembles side by side, as one ensemble."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vaxsim.results.results import Results
from vaxsim.run.batch import run_ensemble, seed_list
from vaxsim.run.ensemble import Ensemble
from vaxsim.run.simulate import as_scenario
from vaxsim.scenario import Scenario

Comparable = Scenario | Results | Ensemble | str | os.PathLike[str]


def compare(
    named: Mapping[str, Comparable],
    seeds: int | Sequence[int] = 10,
    executor: Any = None,
    *,
    site_queues: bool = True,
    progress: bool = True,
) -> Ensemble:
    """One ensemble labelled by the keys of ``named``, whose values are scenarios or scenario
    files (replicated with ``seeds``, the same for all), :class:`~vaxsim.Results`,
    :class:`Ensemble` objects, or run and sweep folders. ``.summary()`` is then the one table
    and ``.plot()`` the one figure of the comparison."""
    parts: dict[str, Ensemble] = {}
    to_run: dict[str, Scenario] = {}
    for name, value in named.items():
        if isinstance(value, Ensemble):
            parts[name] = value
        elif isinstance(value, Results):
            parts[name] = Ensemble.from_results({name: value})
        elif not isinstance(value, Scenario) and Path(value).is_dir():
            parts[name] = Ensemble.load(value)
        else:
            to_run[name] = as_scenario(value)
    if to_run:
        ran = run_ensemble(
            to_run,
            seed_list(next(iter(to_run.values())), seeds),
            executor=executor,
            site_queues=site_queues,
            progress=progress,
        )
        parts.update({name: _only(ran, name) for name in to_run})
    return Ensemble.combine({name: parts[name] for name in named})


def _only(ensemble: Ensemble, label: str) -> Ensemble:
    tables = {name: table[table.scenario == label] for name, table in ensemble.tables.items()}
    kpis = ensemble.kpis[ensemble.kpis.scenario == label]
    return Ensemble(tables, kpis, {label: ensemble.scenarios.get(label, {})}, ensemble.info)

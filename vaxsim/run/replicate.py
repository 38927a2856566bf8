"""``vaxsim.replicate``: one scenario, many seeds.

>>> import vaxsim
>>> ensemble = vaxsim.replicate("scenarios/demo-district.yaml", seeds=2, executor=1,
...                             site_queues=False, progress=False)
>>> sorted(ensemble.kpis.seed)                  # campaign.seed is 42
[42, 43]
>>> list(ensemble.summary().columns)
['scenario', 'kpi', 'n', 'mean', 'sd', 'ci95_low', 'ci95_high']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vaxsim.run.batch import run_ensemble, seed_list
from vaxsim.run.ensemble import Ensemble
from vaxsim.run.simulate import as_scenario
from vaxsim.scenario import Scenario


def replicate(
    scenario: Scenario | str | os.PathLike[str],
    seeds: int | Sequence[int] = 20,
    executor: Any = None,
    *,
    folder: str | Path | None = None,
    site_queues: bool = True,
    label: str | None = None,
    progress: bool = True,
) -> Ensemble:
    """Simulate ``scenario`` (a file or a scenario, validated) once per seed.

    ``seeds``: a count (``campaign.seed``, ``campaign.seed + 1``, ...) or the seeds.
    ``executor``: ``None`` = local processes (one per CPU), a number of processes (1 = this
    process), a ``concurrent.futures`` executor or a ``dask.distributed.Client``; a seed gives
    the same results whichever runs it. ``folder`` keeps every finished replication so that a
    re-run computes only what is missing. ``label`` names the scenario (default:
    ``campaign.name``).
    """
    checked = as_scenario(scenario)
    name = label or checked.campaign.name
    return run_ensemble(
        {name: checked},
        seed_list(checked, seeds),
        executor=executor,
        folder=folder,
        site_queues=site_queues,
        progress=progress,
    )

"""``vaxsim.sweep``: what-ifs of one scenario (a grid of values, or named changes), many seeds.

>>> import vaxsim
>>> what_ifs("scenarios/demo-district.yaml",
...          {"policies.second_dose_reserve.rule": ["none", "hold_back"]}).keys()
dict_keys(['rule=none', 'rule=hold_back'])
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vaxsim.run.batch import run_ensemble, seed_list
from vaxsim.run.ensemble import Ensemble
from vaxsim.run.simulate import as_scenario
from vaxsim.scenario import Scenario
from vaxsim.scenario.changes import with_changes

Changes = Mapping[str, Sequence[Any]] | Mapping[str, Mapping[str, Any]]


def what_ifs(scenario: Scenario | str | os.PathLike[str], changes: Changes) -> dict[str, Scenario]:
    """The validated what-ifs of ``scenario``, by label.

    ``changes`` is a grid (``{"dotted.path": [value, ...], ...}``: every combination,
    labelled ``field=value, ...`` by the last field name) or named what-ifs
    (``{"name": {"dotted.path": value}}``).
    """
    base = as_scenario(scenario)
    if not changes:
        return {base.campaign.name: base}
    if all(isinstance(values, Mapping) for values in changes.values()):
        return {str(name): with_changes(base, dict(values)) for name, values in changes.items()}
    for path, values in changes.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"sweep values of {path!r} must be a non-empty list (got {values!r})")
    paths = list(changes)
    names = _short_names(paths)
    combos = itertools.product(*(changes[path] for path in paths))
    result = {}
    for combo in combos:
        label = ", ".join(f"{name}={value}" for name, value in zip(names, combo, strict=True))
        result[label] = with_changes(base, dict(zip(paths, combo, strict=True)))
    return result


def _short_names(paths: list[str]) -> list[str]:
    """Each path's last field name, or the whole path where two last names are the same."""
    last = [path.rsplit(".", 1)[-1] for path in paths]
    return [name if last.count(name) == 1 else path for name, path in zip(last, paths, strict=True)]


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    changes: Changes,
    seeds: int | Sequence[int] = 10,
    executor: Any = None,
    *,
    folder: str | Path | None = None,
    site_queues: bool = True,
    progress: bool = True,
) -> Ensemble:
    """Simulate every what-if of ``scenario`` (see :func:`what_ifs`) with the same seeds
    (common random numbers: differences come from the changes, not from luck).
    ``executor`` and ``folder`` as in :func:`vaxsim.replicate`; with ``folder`` a killed sweep
    resumes where it stopped."""
    variants = what_ifs(scenario, changes)
    first = next(iter(variants.values()))
    return run_ensemble(
        variants,
        seed_list(first, seeds),
        executor=executor,
        folder=folder,
        site_queues=site_queues,
        progress=progress,
    )

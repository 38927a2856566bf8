"""Split each district's population by priority group, in whole people."""

from __future__ import annotations

import numpy as np

from vaxsim.scenario import Scenario


def population_by_group(scenario: Scenario) -> np.ndarray:
    """People per ``[district, priority_group, age_band]`` (int64), summing exactly to the input.

    For each district and age band, groups in priority order take ``share_of_age_band`` of the
    band (rounded down, leftovers to the remainder group, or to the last group that has a
    share of that band when no group is a remainder); explicit ``priority_population``
    counts replace the share for that group and band.
    """
    people = scenario.people
    bands = [band.id for band in people.age_bands]
    groups = people.priority_groups
    districts = [d for p in scenario.geography.provinces for d in p.districts]
    shares = np.array([[g.share_of_age_band.get(b, 0.0) for b in bands] for g in groups])
    remainder = next((k for k, g in enumerate(groups) if g.remainder), None)
    result = np.zeros((len(districts), len(groups), len(bands)), dtype=np.int64)
    for i, district in enumerate(districts):
        totals = np.array([district.population.get(b, 0) for b in bands], dtype=np.int64)
        counts = np.floor(shares * totals).astype(np.int64)
        for k, group in enumerate(groups):
            for j, band in enumerate(bands):
                if band in district.priority_population.get(group.id, {}):
                    counts[k, j] = district.priority_population[group.id][band]
        leftover = totals - counts.sum(axis=0)
        for j in range(len(bands)):
            if leftover[j] == 0:
                continue
            if remainder is not None:
                target = remainder
            else:
                claimants = np.flatnonzero(shares[:, j] > 0)
                target = int(claimants[-1]) if len(claimants) else len(groups) - 1
            counts[target, j] += leftover[j]
        result[i] = np.maximum(counts, 0)
    return result

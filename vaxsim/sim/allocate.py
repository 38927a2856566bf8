"""Share a capacity per region among cohorts: by priority, or pro rata. Vectorised."""

from __future__ import annotations

import numpy as np


class PriorityOrder:
    """Cohorts sorted by region, then by rank (lower rank is served first).

    Precomputes the sort so each allocation is a few numpy calls over all cohorts.
    """

    def __init__(self, region: np.ndarray, rank: np.ndarray, regions: int):
        self.region = np.asarray(region, dtype=np.int64)
        self.regions = regions
        self.order = np.lexsort((rank, self.region))
        sorted_region = self.region[self.order]
        # Index of the first sorted cohort of each cohort's region, for within-region cumsums.
        starts = np.searchsorted(sorted_region, np.arange(regions))
        self.start_of = starts[sorted_region]

    def by_priority(self, demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Serve each region's cohorts in rank order until its ``capacity`` is used.

        ``demand`` is per cohort, ``capacity`` per region; returns whole people per cohort.
        """
        demand = np.asarray(demand, dtype=np.int64)
        ordered = demand[self.order]
        cumulative = np.cumsum(ordered)
        before_region = np.where(self.start_of > 0, cumulative[self.start_of - 1], 0)
        within = cumulative - before_region  # cumulative demand within the region, inclusive
        cap = np.asarray(capacity, dtype=np.int64)[self.region[self.order]]
        served = np.clip(cap - (within - ordered), 0, ordered)
        result = np.empty_like(served)
        result[self.order] = served
        return result

    def pro_rata(self, demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Serve every cohort of a region the same share of its demand (rounded down)."""
        demand = np.asarray(demand, dtype=np.int64)
        total = np.bincount(self.region, weights=demand, minlength=self.regions)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, np.minimum(1.0, np.asarray(capacity) / total), 0.0)
        return np.floor(demand * share[self.region]).astype(np.int64)

    def serve(self, demand: np.ndarray, capacity: np.ndarray, rule: str) -> np.ndarray:
        """``by_priority`` for ``priority_first``, ``pro_rata`` otherwise."""
        if rule == "pro_rata":
            return self.pro_rata(demand, capacity)
        return self.by_priority(demand, capacity)

    def totals(self, per_cohort: np.ndarray) -> np.ndarray:
        """Sum a per-cohort array within each region."""
        return np.bincount(self.region, weights=per_cohort, minlength=self.regions).astype(np.int64)

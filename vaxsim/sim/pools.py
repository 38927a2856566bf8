"""First-in-first-out pools of people per cohort, remembering the day each batch entered."""

from __future__ import annotations

import numpy as np


class FifoPool:
    """People waiting for the next step, as batches by entry day, each a count per cohort.

    ``take`` removes the oldest first within every cohort and reports how long the taken
    people waited, which is how stage delays are measured without one object per person.
    Batches are rows of one ``[batch, cohort]`` array so a take touches only the cohorts
    it takes from.
    """

    def __init__(self, cohorts: int):
        self.cohorts = cohorts
        self.days = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros((0, cohorts), dtype=np.int64)
        self.total = np.zeros(cohorts, dtype=np.int64)

    def add(self, day: int, counts: np.ndarray) -> None:
        """Add people who entered on ``day`` (merged into the newest batch if the same day)."""
        counts = np.asarray(counts, dtype=np.int64)
        if not counts.any():
            return
        if len(self.days) and self.days[-1] == day:
            self.counts[-1] += counts
        else:
            self.days = np.append(self.days, day)
            self.counts = np.vstack([self.counts, counts[None, :]])
        self.total += counts

    def absorb(self, other: FifoPool) -> None:
        """Move every batch of ``other`` into this pool, kept in order of entry day (batches of
        the same day merged); ``other`` is left empty."""
        days = np.concatenate([self.days, other.days])
        counts = np.vstack([self.counts, other.counts])
        unique, inverse = np.unique(days, return_inverse=True)
        merged = np.zeros((len(unique), self.cohorts), dtype=np.int64)
        np.add.at(merged, inverse, counts)
        self.days, self.counts = unique, merged
        self.total = self.total + other.total
        other.days, other.counts = other.days[:0], other.counts[:0]
        other.total = np.zeros_like(other.total)

    def take(self, amounts: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Remove ``amounts`` per cohort, oldest first.

        Returns ``(taken, waited_days)`` per cohort: the people taken and their summed waiting
        days (divide by ``taken`` for the mean wait).
        """
        amounts = np.minimum(np.asarray(amounts, dtype=np.int64), self.total)
        waited = np.zeros(self.cohorts, dtype=np.int64)
        cohorts = np.flatnonzero(amounts)
        if not len(cohorts):
            return amounts, waited
        stack = self.counts[:, cohorts]
        before = np.cumsum(stack, axis=0) - stack
        taken = np.maximum(amounts[cohorts][None, :] - before, 0)
        np.minimum(taken, stack, out=taken)
        waited[cohorts] = ((day - self.days)[:, None] * taken).sum(axis=0)
        self.counts[:, cohorts] = stack - taken
        self.total -= amounts
        return amounts, waited

    def coarsen(self, day: int, older_than: int) -> None:
        """Drop empty batches, and merge batches older than ``older_than`` days into one dated
        by their people-weighted mean entry day, to bound time and memory of long backlogs."""
        keep = self.counts.any(axis=1)
        self.days, self.counts = self.days[keep], self.counts[keep]
        old = np.flatnonzero(day - self.days > older_than)
        if len(old) > 1:
            weights = self.counts[old].sum(axis=1).astype(float)
            mean_day = int(round(np.average(self.days[old], weights=weights)))
            merged = self.counts[old].sum(axis=0)
            rest = old[-1] + 1
            self.days = np.concatenate([[mean_day], self.days[rest:]])
            self.counts = np.vstack([merged[None, :], self.counts[rest:]])

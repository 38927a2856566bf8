"""Whole-number allocation in a fixed order, for many groups at once.

Two operations carry the realised plan: *clip in order* (serve requests in order until a
group's limit is used: capacity, people waiting, stock) and *pour* (fill a sequence of demands
from a sequence of supplies, both in order: doses drawn first-expiry-first-out from a store's
lots, planned doses filling sites' sessions one after another). Both work on int64 arrays and
never loop in Python over elements.
"""

from __future__ import annotations

import numpy as np

from vaxsim.numeric import split_by_group


def cumsum_within(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Inclusive running sum of ``values`` within each run of equal ``group`` (contiguous)."""
    values = np.asarray(values)
    if values.size == 0:
        return values.copy()
    total = np.cumsum(values)
    starts = np.flatnonzero(_run_starts(group))
    before = total[starts] - values[starts]
    lengths = np.diff(starts, append=len(values))
    return total - np.repeat(before, lengths)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """True where a run of equal ``values`` begins (``values`` non-empty)."""
    starts = np.empty(len(values), dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def clip_in_order(want: np.ndarray, group: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Grant ``want[i]`` in index order until ``limit[group[i]]`` is used up.

    ``group`` need not be sorted; earlier indices of a group are served first.
    """
    want = np.asarray(want, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    wanted, groups = want[order], group[order]
    before = cumsum_within(wanted, groups) - wanted
    granted = np.clip(np.asarray(limit, dtype=np.int64)[groups] - before, 0, wanted)
    out = np.empty_like(want)
    out[order] = granted
    return out


class ClipInOrder:
    """:func:`clip_in_order` for many calls with the same ``group`` (sorted once)."""

    def __init__(self, group: np.ndarray):
        group = np.asarray(group, dtype=np.int64)
        self.order = np.argsort(group, kind="stable")
        self.groups = group[self.order]
        self.starts = np.flatnonzero(_run_starts(self.groups)) if len(group) else np.zeros(0, dtype=np.int64)
        self.lengths = np.diff(self.starts, append=len(group))

    def __call__(self, want: np.ndarray, limit: np.ndarray) -> np.ndarray:
        want = np.asarray(want, dtype=np.int64)
        if not len(want):
            return want.copy()
        wanted = want[self.order]
        total = np.cumsum(wanted)
        within = total - np.repeat(total[self.starts] - wanted[self.starts], self.lengths)
        before = within - wanted
        granted = np.clip(np.asarray(limit, dtype=np.int64)[self.groups] - before, 0, wanted)
        out = np.empty_like(want)
        out[self.order] = granted
        return out


def pour(
    supply_group: np.ndarray,
    supply: np.ndarray,
    demand_group: np.ndarray,
    demand: np.ndarray,
    groups: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill each group's demands in order from its supplies in order (northwest-corner rule).

    Both sides must be sorted by group. Returns ``(i, j, amount)``: supply ``i`` gives
    ``amount`` to demand ``j``. Where a group's supply runs short, its last demands are left
    unmet; where it is in excess, its last supplies are left over.
    """
    supply = np.asarray(supply, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    supply_group = np.asarray(supply_group, dtype=np.int64)
    demand_group = np.asarray(demand_group, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if supply.size == 0 or demand.size == 0:
        return empty, empty, empty
    span = np.maximum(
        np.bincount(supply_group, weights=supply, minlength=groups),
        np.bincount(demand_group, weights=demand, minlength=groups),
    ).astype(np.int64)
    base = np.cumsum(span) - span
    s_end = base[supply_group] + cumsum_within(supply, supply_group)
    d_end = base[demand_group] + cumsum_within(demand, demand_group)
    s_start, d_start = s_end - supply, d_end - demand
    # Four runs, each already sorted: a stable sort merges them in linear time (np.unique
    # would hash them, ~40x slower on numpy 2.4).
    points = np.sort(np.concatenate([s_start, s_end, d_start, d_end]), kind="stable")
    points = points[_run_starts(points)]
    left, right = points[:-1], points[1:]
    i = np.searchsorted(s_end, left, side="right")
    j = np.searchsorted(d_end, left, side="right")
    ok = (i < len(supply)) & (j < len(demand))
    i, j, left, right = i[ok], j[ok], left[ok], right[ok]
    ok = (s_start[i] <= left) & (d_start[j] <= left) & (supply_group[i] == demand_group[j])
    return i[ok], j[ok], (right - left)[ok]


def scale_to(total: np.ndarray, group: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Scale requests down so each group's sum is at most ``total[group]``, in proportion and
    in whole numbers (:func:`vaxsim.numeric.split_by_group`, largest remainder); groups within
    their total are unchanged."""
    want = np.asarray(want, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    asked = np.bincount(group, weights=want, minlength=len(total)).astype(np.int64)
    if not (asked > total)[group].any():
        return want
    return split_by_group(np.minimum(total, asked), group, want)

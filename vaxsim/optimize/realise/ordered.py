"""Whole-number allocation in a fixed order, for many groups at once.

Two operations carry the realised plan, both from the cold chain's FEFO helpers
(:mod:`vaxsim.coldchain.fefo`), so the plan and the simulation issue stock with the same code:
*clip in order* (serve requests in order until a group's limit is used: capacity, people
waiting, stock; :func:`~vaxsim.coldchain.fefo.take_in_order` for requests not sorted by
group) and *pour* (fill a sequence of demands from a sequence of supplies, both in order:
:func:`~vaxsim.coldchain.fefo.match`). Both work on int64 arrays and never loop in Python over
elements.
"""

from __future__ import annotations

import numpy as np

from vaxsim.coldchain.fefo import match, take_in_order
from vaxsim.numeric import split_by_group


def clip_in_order(want: np.ndarray, group: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Grant ``want[i]`` in index order until ``limit[group[i]]`` is used up.

    ``group`` need not be sorted; earlier indices of a group are served first.
    """
    return ClipInOrder(group)(want, limit)


class ClipInOrder:
    """:func:`clip_in_order` for many calls with the same ``group`` (sorted once)."""

    def __init__(self, group: np.ndarray):
        group = np.asarray(group, dtype=np.int64)
        self.order = np.argsort(group, kind="stable")
        self.groups = group[self.order]

    def __call__(self, want: np.ndarray, limit: np.ndarray) -> np.ndarray:
        want = np.asarray(want, dtype=np.int64)
        out = np.empty_like(want)
        out[self.order] = take_in_order(self.groups, want[self.order], limit)
        return out


def pour(
    supply_group: np.ndarray, supply: np.ndarray, demand_group: np.ndarray, demand: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill each group's demands in order from its supplies in order (northwest-corner rule).

    Both sides must be sorted by group. Returns ``(i, j, amount)``: supply ``i`` gives
    ``amount`` to demand ``j`` (:func:`~vaxsim.coldchain.fefo.match` without the offsets).
    """
    i, j, amount, _ = match(
        np.asarray(supply_group, dtype=np.int64),
        supply,
        np.asarray(demand_group, dtype=np.int64),
        demand,
        groups,
    )
    return i, j, amount


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

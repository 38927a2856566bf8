"""Small exact-arithmetic helpers shared by the builders and the engines."""

from __future__ import annotations

import numpy as np


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split the whole number ``total`` in proportion to ``weights``, exactly (Hamilton's method).

    Returns int64 parts that sum to ``total`` (all zeros when ``total`` or the weights are 0).
    """
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    whole = np.floor(exact).astype(np.int64)
    short = int(total - whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:short]] += 1
    return whole


def split_by_group(totals: np.ndarray, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split ``totals[g]`` among the members of each group ``g`` in proportion to ``weights``,
    exactly, for all groups at once (largest remainder within each group).

    ``group[i]`` is member ``i``'s group; a group whose weights are all zero shares equally.
    """
    totals = np.asarray(totals, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    groups = len(totals)
    weight_sum = np.bincount(group, weights=weights, minlength=groups)
    members = np.bincount(group, minlength=groups)
    flat = weight_sum[group] <= 0
    weights = np.where(flat, 1.0, weights)
    weight_sum = np.where(weight_sum <= 0, members, weight_sum)
    exact = totals[group] * weights / np.maximum(weight_sum[group], 1e-300)
    whole = np.floor(exact).astype(np.int64)
    short = totals - np.bincount(group, weights=whole, minlength=groups).astype(np.int64)
    order = np.lexsort((-(exact - whole), group))
    first = np.searchsorted(group[order], np.arange(groups))
    rank = np.arange(len(group)) - first[group[order]]
    bonus = np.zeros(len(group), dtype=np.int64)
    bonus[order] = (rank < short[group[order]]).astype(np.int64)
    return whole + bonus


def sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of the whole numbers ``values`` per ``index`` (``size`` bins).

    ``np.bincount(index, weights=values)`` sums in float64 and rounds counts above 2**53;
    conservation of doses is checked on these sums, so they are kept in integers.
    """
    total = np.zeros(size, dtype=np.int64)
    np.add.at(total, np.asarray(index, dtype=np.intp), np.asarray(values, dtype=np.int64))
    return total

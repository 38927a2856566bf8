"""Issuing stock in order, for many groups at once (first expiry, first out).

Rows of stock are sorted by group (a store and product, a vehicle, ...) and, within a group,
by priority (earliest use-by day first). These helpers decide how much each row gives, with
exact integer arithmetic and without a Python loop over rows or groups. The simulation's cold
chain and the optimizer's realised plan issue stock, serve requests in order (*clip in order*,
*pour*) and sum per key with them, so both follow one set of rules.
"""

from __future__ import annotations

import numpy as np

from vaxsim.numeric import split_by_group, sum_by


def group_starts(group: np.ndarray) -> np.ndarray:
    """For rows sorted by ``group``, the index of the first row of each row's group."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.ones(n, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    return np.maximum.accumulate(np.where(first, np.arange(n), 0))


def cumulative_before(group: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Sum of ``amount`` over the earlier rows of the same group (rows sorted by group)."""
    total = np.cumsum(amount)
    before = total - amount
    return before - before[group_starts(group)] if len(group) else before


def take_in_order(group: np.ndarray, doses: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Doses each row gives so that group ``g`` gives ``min(wanted[g], its stock)``, earliest rows first.

    ``group`` (sorted) indexes ``wanted``; returns int64 doses per row, ``0 <= taken <= doses``.
    """
    doses = np.asarray(doses, dtype=np.int64)
    before = cumulative_before(group, doses)
    return np.clip(np.asarray(wanted, dtype=np.int64)[group] - before, 0, doses)


def load_in_order(
    group: np.ndarray, doses: np.ndarray, litres_per_dose: np.ndarray, room: np.ndarray
) -> np.ndarray:
    """Whole doses each row loads into its group's ``room`` litres, earliest rows first.

    A row loads as many whole doses as fit in the room left after every earlier row of the
    group *in full*, so the loaded volume never exceeds ``room[g]`` (up to float rounding of
    1e-9 dose); the unused room is less than one dose of the first row that did not fit.
    ``room`` may be ``inf``.
    """
    doses = np.asarray(doses, dtype=np.int64)
    litres = doses * litres_per_dose
    before = cumulative_before(group, litres)
    left = np.asarray(room, dtype=float)[group] - before
    with np.errstate(invalid="ignore", over="ignore"):
        fits = np.floor(np.maximum(left, 0.0) / litres_per_dose + 1e-9)
    fits = np.where(np.isfinite(fits), fits, np.iinfo(np.int64).max // 4)
    return np.minimum(doses, fits.astype(np.int64))


def match(
    supply_group: np.ndarray,
    supply: np.ndarray,
    demand_group: np.ndarray,
    demand: np.ndarray,
    groups: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share each group's supply rows among its demand rows, both in order.

    Supply rows are sorted by group then priority, demand rows by group then priority. The
    supply of a group is laid end to end and cut into the group's demands in turn; demands
    beyond the group's supply get nothing. Returns the pieces as four arrays
    ``(supply_row, demand_row, doses, offset)`` where ``offset`` is where the piece starts
    within its demand (so a demand's pieces tile ``[0, filled)`` in supply order).
    """
    supply = np.asarray(supply, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if not len(supply) or not len(demand):
        return empty, empty, empty, empty
    s_end = np.cumsum(supply)
    group_total = sum_by(supply_group, supply, groups)
    group_base = np.cumsum(group_total) - group_total
    d_cum = cumulative_before(demand_group, demand) + demand
    d_end = group_base[demand_group] + np.minimum(d_cum, group_total[demand_group])
    d_start = np.minimum(group_base[demand_group] + d_cum - demand, d_end)
    demand_points = np.stack([d_start, d_end], axis=1).reshape(-1)  # already sorted
    keys = np.concatenate([[0], s_end, demand_points])
    ends = np.tile(np.array([2, 3], np.int8), len(d_end))
    origin = np.concatenate([[0], np.ones(len(s_end), np.int8), ends])
    order = np.argsort(keys, kind="stable")  # merges two sorted runs
    points, origin = keys[order], origin[order]
    x, length = points[:-1], np.diff(points)
    # where a segment [x, next point) is not empty, every endpoint equal to x comes before it, so
    # running counts give the supply row and the demand row containing it
    si = np.cumsum(origin == 1)[:-1]
    di = np.cumsum(origin == 3)[:-1]
    ok = (length > 0) & (si < len(supply)) & (di < len(demand))
    ok[ok] &= d_start[di[ok]] <= x[ok]
    si, di, x, length = si[ok], di[ok], x[ok], length[ok]
    return si, di, length, x - d_start[di]


def order_by(*keys: np.ndarray) -> np.ndarray:
    """Indices that sort rows by ``keys`` (first key most significant), stable and deterministic.

    Integer keys are packed into one int64 when their ranges allow (one fast sort), else
    ``numpy.lexsort`` is used; both give the same order.
    """
    if not keys or not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    span = 1
    for key in reversed(keys):
        key = np.asarray(key, dtype=np.int64)
        low = int(key.min())
        width = int(key.max()) - low + 1
        if span * width >= 2**62:
            return np.lexsort(tuple(np.asarray(k, dtype=np.int64) for k in reversed(keys)))
        packed += (key - low) * span
        span *= width
    return np.argsort(packed, kind="stable")


def sum_by_keys(keys: list[np.ndarray], values: np.ndarray, inverse: bool = False) -> tuple:
    """``(keys, sums)``: ``values`` (int64) summed per distinct row of the integer ``keys``
    columns, rows in key order (the rows and order of a sorted pandas groupby, without pandas:
    one stable sort, :func:`order_by`); with ``inverse``, also the row each input falls in
    (pandas' ``ngroup``)."""
    keys = [np.asarray(k, dtype=np.int64) for k in keys]
    values = np.asarray(values, dtype=np.int64)
    if not len(values):
        return (keys, values, np.zeros(0, dtype=np.int64)) if inverse else (keys, values)
    order = order_by(*keys)
    starts = run_starts([k[order] for k in keys])
    first = np.flatnonzero(starts)
    at = order[first]
    out = [k[at] for k in keys], np.add.reduceat(values[order], first)
    if not inverse:
        return out
    row = np.empty(len(values), dtype=np.int64)
    row[order] = np.cumsum(starts) - 1
    return (*out, row)


def run_starts(columns: list[np.ndarray]) -> np.ndarray:
    """True where the row of ``columns`` (sorted, same non-zero length) differs from the one
    before it."""
    starts = np.zeros(len(columns[0]), dtype=bool)
    starts[0] = True
    for column in columns:
        starts[1:] |= column[1:] != column[:-1]
    return starts


# ---------------------------------------------------------------------- requests in a fixed order


def clip_in_order(want: np.ndarray, group: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Grant ``want[i]`` in index order until ``limit[group[i]]`` is used up (capacity, people
    waiting, stock). ``group`` need not be sorted; earlier indices of a group are served first."""
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
    ``amount`` to demand ``j`` (:func:`match` without the offsets).
    """
    supply_group = np.asarray(supply_group, dtype=np.int64)
    i, j, amount, _ = match(supply_group, supply, np.asarray(demand_group, dtype=np.int64), demand, groups)
    return i, j, amount


def draw_for_sessions(
    stock_group: np.ndarray,
    stock: np.ndarray,
    session_group: np.ndarray,
    drawn: np.ndarray,
    given: np.ndarray,
    groups: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The vaccination day's draw, one rule for the simulated cold chain and the optimizer's
    realised plan: each group's sessions (a district's stock of one product; sessions in the
    draw order, :func:`vaxsim.coldchain.sessions.draw_order`) take the doses they draw
    (``drawn``: whole vials) from the group's stock rows in order (lots earliest use-by
    first), session after session; within a session the doses ``given`` come first and its
    open-vial leftovers after. Both sides sorted by group; a group's stock must cover its
    sessions' draws. Returns the pieces ``(stock_row, session, administered, wasted)``."""
    drawn = np.asarray(drawn, dtype=np.int64)
    i, j, amount = pour(stock_group, stock, session_group, drawn, groups)
    parts = np.stack([np.asarray(given, dtype=np.int64), drawn - given], axis=1).ravel()
    a, b, split = pour(j, amount, np.repeat(np.arange(len(drawn)), 2), parts, len(drawn))
    wasted = (b % 2) == 1
    return i[a], b // 2, np.where(wasted, 0, split), np.where(wasted, split, 0)


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

"""People on site over time: an exact sweep over arrivals and departures, all sessions at once.

A person is on site on the half-open interval ``[arrival, leave)``. At an instant where someone
leaves and someone arrives, the departure is counted first, so the count never spikes for a
zero-length moment. Arrays are ``(S, N)`` per person with NaN padding, minutes since midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Occupancy:
    """Per-session crowding figures, each of shape ``(S,)``.

    ``window_start``/``window_end``: the span the averages refer to (minutes since midnight,
    from the earlier of session start and first arrival to the later of session end and last
    departure); ``peak``: most people on site at once; ``mean``: time-average number on site
    over the window; ``minutes_above``: minutes with more than ``limit`` people on site;
    ``person_minutes``: integral of people on site over time (= sum of times on site).
    """

    window_start: np.ndarray
    window_end: np.ndarray
    peak: np.ndarray
    mean: np.ndarray
    minutes_above: np.ndarray
    person_minutes: np.ndarray


def _events(arrival: np.ndarray, leave: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times ``(S, 2N)`` (+inf padding) and the change in people (+1 / -1 / 0)."""
    times = np.concatenate([leave, arrival], axis=1)
    change = np.concatenate([-np.ones_like(leave), np.ones_like(arrival)], axis=1)
    missing = np.isnan(times)
    times = np.where(missing, np.inf, times)
    change = np.where(missing, 0.0, change)
    return times, change


def occupancy(
    arrival: np.ndarray,
    leave: np.ndarray,
    session_start: np.ndarray,
    session_end: np.ndarray,
    limit: np.ndarray,
) -> Occupancy:
    """Peak, time-average and minutes above ``limit`` of the people on site per session."""
    times, change = _events(arrival, leave)
    order = np.argsort(times, axis=1, kind="stable")  # leaves come first at equal times
    times = np.take_along_axis(times, order, axis=1)
    on_site = np.cumsum(np.take_along_axis(change, order, axis=1), axis=1)
    with np.errstate(invalid="ignore"):
        duration = np.diff(times, axis=1, append=np.inf)
    duration = np.where(np.isfinite(duration), duration, 0.0)
    window_start = np.fmin(session_start, np.nanmin(arrival, axis=1, initial=np.inf))
    window_end = np.fmax(session_end, np.nanmax(leave, axis=1, initial=-np.inf))
    person_minutes = (on_site * duration).sum(axis=1)
    return Occupancy(
        window_start=window_start,
        window_end=window_end,
        peak=on_site.max(axis=1, initial=0.0).astype(np.int64),
        mean=person_minutes / (window_end - window_start),
        minutes_above=np.where(on_site > limit[:, None], duration, 0.0).sum(axis=1),
        person_minutes=person_minutes,
    )


def people_on_site(arrival: np.ndarray, leave: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """People on site at each instant of ``grid`` ``(S, G)`` (increasing per row); ``(S, G)``.

    Someone arriving exactly at a grid instant is counted; someone leaving then is not.
    """
    times, change = _events(arrival, leave)
    all_times = np.concatenate([times, grid], axis=1)
    all_change = np.concatenate([change, np.zeros_like(grid)], axis=1)
    is_grid = np.concatenate([np.zeros(times.shape), np.ones(grid.shape)], axis=1)
    order = np.lexsort((is_grid, all_times), axis=1)
    on_site = np.cumsum(np.take_along_axis(all_change, order, axis=1), axis=1)
    picked = np.take_along_axis(is_grid, order, axis=1).astype(bool)
    return on_site[picked].reshape(grid.shape)


def peak_on_site(arrival: np.ndarray, leave: np.ndarray) -> np.ndarray:
    """Most people on site at once per session, ``(S,)`` int64; same as ``occupancy(...).peak``.

    ``arrival`` and ``leave`` are ``(S, N)``, non-negative, NaN or ``+inf`` for padding (views
    of transposed arrays are fine). Each session's arrivals and departures are sorted together
    as one row of integer keys: the float's bits shifted left, with the low bit set for an
    arrival, so a departure comes first at an equal instant. Non-negative floats order like
    their bits read as unsigned integers, and the shift drops the sign bit, so ``-0.0`` sorts
    as zero and NaN (of either sign) after ``+inf``. The running count of people is then a
    cumulative sum and the peak its maximum: one row sort per session, no per-event Python
    work.
    """
    sessions, people = arrival.shape
    if people == 0:
        return np.zeros(sessions, dtype=np.int64)
    keys = np.empty((sessions, 2 * people), dtype=np.uint64)
    np.left_shift(arrival.view(np.uint64), 1, out=keys[:, :people])
    keys[:, :people] |= np.uint64(1)
    np.left_shift(leave.view(np.uint64), 1, out=keys[:, people:])
    keys.sort(axis=1)
    change = (keys & np.uint64(1)).astype(np.int32)
    change <<= 1
    change -= 1  # +1 arrival, -1 departure; padding pairs sort last and add up to nothing
    on_site = np.cumsum(change, axis=1, out=change)
    return np.maximum(on_site.max(axis=1), 0).astype(np.int64)

"""Who arrives at a session, and when (minutes since local midnight of the site-day).

Booked arrivals (:func:`booked_arrivals`)

- The session ``[start, end)`` is cut into appointment slots of ``slot_minutes`` from ``start``;
  the last slot is cut short at ``end`` when the length does not divide evenly.
- Each booked person shows up with probability ``show_up`` (independently).
- A person who shows up aims at a uniformly random instant of their slot, and misses it by a
  normal error of standard deviation ``punctuality_sd`` minutes (early or late).
- Walk-ins: a Poisson number with mean ``walk_in_share × booked`` (booked, not shown), arriving
  uniformly over the session.
- Every arrival time is clipped to ``[start, end]``: people who come before the doors open wait
  for them and are let in at ``start``; nobody is admitted after ``end``.

Poisson arrivals (:func:`poisson_arrivals`) give a homogeneous Poisson process of rate ``rate``
per minute on ``[start, end)``, for checks against queueing theory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def slot_count(start: float, end: float, slot_minutes: float) -> int:
    """Number of appointment slots in a session ``[start, end)`` (the last one may be short)."""
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes must be positive (got {slot_minutes})")
    return max(1, int(np.ceil((end - start) / slot_minutes - 1e-9)))


def booked_arrivals(
    start: float,
    end: float,
    booked_per_slot: int | Sequence[int] | np.ndarray,
    slot_minutes: float,
    show_up: float,
    walk_in_share: float,
    punctuality_sd: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sorted arrival times (minutes since midnight) of one session from its appointments.

    ``booked_per_slot`` is one count for every slot or a count per slot (length
    :func:`slot_count`). ``show_up`` and ``walk_in_share`` are shares; ``punctuality_sd`` is in
    minutes. Draws from ``rng`` in a fixed order: show-ups, target instants, punctuality errors,
    walk-in count, walk-in instants.
    """
    if end <= start:
        raise ValueError(f"session ends ({end}) before it starts ({start})")
    if not 0.0 <= show_up <= 1.0:
        raise ValueError(f"show_up must be between 0 and 1 (got {show_up})")
    if walk_in_share < 0:
        raise ValueError(f"walk_in_share must be >= 0 (got {walk_in_share})")
    slots = slot_count(start, end, slot_minutes)
    booked = np.asarray(booked_per_slot, dtype=np.int64)
    if booked.ndim == 0:
        booked = np.full(slots, booked)
    elif booked.shape != (slots,):
        raise ValueError(f"booked_per_slot has {booked.size} entries for {slots} slots")
    if np.any(booked < 0):
        raise ValueError("booked_per_slot must be >= 0")
    shown = rng.binomial(booked, show_up)
    slot = np.repeat(np.arange(slots), shown)
    slot_start = start + slot * slot_minutes
    slot_length = np.minimum(slot_start + slot_minutes, end) - slot_start
    target = slot_start + slot_length * rng.random(slot.size)
    booked_times = target + punctuality_sd * rng.standard_normal(slot.size)
    walk_ins = rng.poisson(walk_in_share * float(booked.sum()))
    walk_in_times = start + (end - start) * rng.random(walk_ins)
    times = np.concatenate([booked_times, walk_in_times])
    return np.sort(np.clip(times, start, end))


def poisson_arrivals(
    rate: float, start: float, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times of a Poisson process of ``rate`` per minute on ``[start, end)``."""
    if rate < 0:
        raise ValueError(f"rate must be >= 0 (got {rate})")
    count = rng.poisson(rate * (end - start))
    return np.sort(start + (end - start) * rng.random(count))

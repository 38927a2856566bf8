"""Who arrives at a session, and when (minutes since local midnight of the site-day).

Booked arrivals (:func:`booked_arrivals`)

- The session ``[start, end)`` is cut into appointment slots of ``slot_minutes`` from ``start``;
  the last slot is cut short at ``end`` when the length does not divide evenly.
- Each booked person shows up with probability ``show_up`` (independently).
- A person who shows up aims at an instant of their slot given by ``arrival_in_slot``
  (:func:`offset_in_slot`): ``uniform`` (a random instant, the default), ``start`` (block
  appointments: everyone booked for the slot's start), ``even`` (individual appointments
  evenly spaced over the slot) or ``bailey_welch`` (two booked at the start, then evenly
  spaced). They miss the aim by a normal error of mean ``punctuality_mean`` minutes
  (negative: early) and standard deviation ``punctuality_sd`` minutes.
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

from vaxsim.scenario.base import slot_count

#: The patterns of :func:`offset_in_slot` (the scenario's ``arrival_in_slot``).
ARRIVAL_IN_SLOT = ("start", "uniform", "even", "bailey_welch")


def offset_in_slot(
    arrival_in_slot: str,
    rank: np.ndarray,
    size: np.ndarray,
    length: np.ndarray | float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Minutes after its slot's start at which each booked person aims to arrive.

    ``rank``: the person's place among the ``size`` people booked into the same slot of
    ``length`` minutes (arrays of one shape, or broadcastable). ``uniform`` draws one uniform
    per person from ``rng``; the other patterns draw nothing.
    """
    rank = np.asarray(rank, dtype=float)
    if arrival_in_slot == "uniform":
        return length * rng.random(rank.shape)
    if arrival_in_slot == "start":
        return np.zeros(rank.shape)
    spacing = np.asarray(length, dtype=float) / np.maximum(size, 1)
    if arrival_in_slot == "even":
        return rank * spacing
    if arrival_in_slot == "bailey_welch":
        return np.maximum(rank - 1.0, 0.0) * spacing
    choices = ", ".join(ARRIVAL_IN_SLOT)
    raise ValueError(f"unknown arrival_in_slot {arrival_in_slot!r}; choose one of {choices}")


def booked_arrivals(
    start: float,
    end: float,
    booked_per_slot: int | Sequence[int] | np.ndarray,
    slot_minutes: float,
    show_up: float,
    walk_in_share: float,
    punctuality_sd: float,
    rng: np.random.Generator,
    arrival_in_slot: str = "uniform",
    punctuality_mean: float = 0.0,
) -> np.ndarray:
    """Sorted arrival times (minutes since midnight) of one session from its appointments.

    ``booked_per_slot`` is one count for every slot or a count per slot (length
    :func:`slot_count`). ``show_up`` and ``walk_in_share`` are shares; ``punctuality_mean``
    (negative: early) and ``punctuality_sd`` are in minutes. Draws from ``rng`` in a fixed
    order: show-ups (a binomial count per slot, or for ``even`` and ``bailey_welch``, whose
    aims depend on who comes, one uniform per booked person), aims, punctuality errors,
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
    if arrival_in_slot in ("even", "bailey_welch"):
        slot = np.repeat(np.arange(slots), booked)
        rank = np.arange(slot.size) - np.repeat(np.cumsum(booked) - booked, booked)
        size = booked[slot]
        came = rng.random(slot.size) < show_up
        slot, rank, size = slot[came], rank[came], size[came]
    else:
        slot = np.repeat(np.arange(slots), rng.binomial(booked, show_up))
        rank = size = np.zeros(slot.size)
    slot_start = start + slot * slot_minutes
    slot_length = np.minimum(slot_start + slot_minutes, end) - slot_start
    target = slot_start + offset_in_slot(arrival_in_slot, rank, size, slot_length, rng)
    error = rng.standard_normal(slot.size)
    booked_times = target + (punctuality_mean + punctuality_sd * error)
    walk_ins = rng.poisson(walk_in_share * float(booked.sum()))
    walk_in_times = start + (end - start) * rng.random(walk_ins)
    times = np.concatenate([booked_times, walk_in_times])
    return np.sort(np.clip(times, start, end))


def spread_over_slots(
    counts: np.ndarray,
    people: int,
    slots: np.ndarray,
    weights: np.ndarray | None = None,
    ranks: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Book ``counts[s]`` people over the ``slots[s]`` slots of each session, in order.

    Person ``j`` of ``n`` takes slot ``floor(j · slots / n)`` (evenly), or with ``weights``
    ``(W, S)`` (relative block sizes per slot, zero past a session's slots) the slot where the
    cumulative share of weights first exceeds ``j / n``. Returns ``(slot, rank, size)``, each
    ``(people, S)``: the slot, the person's place in it and the people in it (positions past
    ``counts[s]`` are padding with meaningless values); ``rank`` and ``size`` are ``None``
    unless ``ranks`` (only ``even`` and ``bailey_welch`` need them).
    """
    position = np.arange(people)[:, None]
    if weights is None:
        slot = np.floor(position * (slots / np.maximum(counts, 1))[None, :])
    else:
        share = np.cumsum(weights, axis=0) / np.maximum(weights.sum(axis=0), 1e-300)[None, :]
        target = position / np.maximum(counts, 1)[None, :]
        slot = (share[None, :, :] <= target[:, None, :]).sum(axis=1).astype(float)
        slot = np.minimum(slot, slots[None, :] - 1)
    if not ranks:
        return slot, None, None
    real = position < counts[None, :]
    first = np.where(np.diff(slot, axis=0, prepend=-1.0) != 0, position, 0)
    first = np.maximum.accumulate(first, axis=0)
    rank = position - first
    last = np.where(np.diff(slot, axis=0, append=np.inf) != 0, position, people)
    last = np.minimum.accumulate(last[::-1], axis=0)[::-1]
    last = np.minimum(last, counts[None, :] - 1)
    size = np.where(real, last - first + 1, 1)
    return slot, rank, size


def poisson_arrivals(
    rate: float, start: float, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times of a Poisson process of ``rate`` per minute on ``[start, end)``."""
    if rate < 0:
        raise ValueError(f"rate must be >= 0 (got {rate})")
    count = rng.poisson(rate * (end - start))
    return np.sort(start + (end - start) * rng.random(count))

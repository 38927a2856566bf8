"""Who gets each next dose: first-in-first-out through every district's series queues.

The realised plan counts people, not individuals, and gives a next dose only to someone whose
minimum interval has passed. Matching next doses to earlier doses first-in-first-out (oldest
previous dose first) therefore never hands a dose to someone not yet due, and it tells each
next dose whose it is: the person's demand class (so capacity rows of next doses carry a real
priority group) and the person's stand-in number (so appointments of one person link up).

People are runs, never one row each: the ``n``-th person of a district and demand class to get
a first dose has number ``n``; a *piece* is a run of consecutive numbers booked in one
(site, session, day, dose kind). Queues are matched with :func:`~vaxsim.optimize.ordered.pour`
(northwest-corner rule = first in, first out), step by step along each series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.optimize.context import Steps
from vaxsim.optimize.ordered import cumsum_within, pour
from vaxsim.optimize.vaccination_day import DoseKinds


class SeriesError(AssertionError):
    """A next dose found nobody owed it: a bug in the realised plan, never a user error."""


@dataclass(frozen=True)
class Pieces:
    """Bookings split by person: ``booking`` (row of the bookings), ``klass`` (demand class),
    ``first`` (number of the run's first person in its district and class), ``persons``."""

    booking: np.ndarray
    klass: np.ndarray
    first: np.ndarray
    persons: np.ndarray


def split_by_person(
    district: np.ndarray,
    site: np.ndarray,
    day: np.ndarray,
    kind: np.ndarray,
    persons: np.ndarray,
    unsited: np.ndarray,
    order: np.ndarray,
    kinds: DoseKinds,
    steps: Steps,
    classes: int,
) -> Pieces:
    """Pieces of every booking (``district``, ``site`` (-1: unknown), ``day``, ``kind``,
    ``persons``, of whom ``unsited`` are next doses of people whose earlier dose's site is not
    known; ``order`` breaks ties within a day, e.g. site and session).

    First doses open runs of new people; each next-dose step, in series order, takes its people
    from the queue of the step before (same site, oldest first; then people whose site is not
    known, same district, oldest first) and passes them on.
    """
    booking = np.arange(len(persons))
    # First doses: new people, numbered per district and class in booking order.
    first = kinds.group[kind] >= 0
    rows = booking[first]
    rows = rows[np.lexsort((order[rows], kind[rows], day[rows], kinds.group[kind[rows]], district[rows]))]
    klass = kinds.group[kind[rows]]
    start = cumsum_within(persons[rows], district[rows] * classes + klass) - persons[rows]
    pieces = [(rows, klass, start, persons[rows])]
    # Queue entries: (queue, day, order) sort keys with the pieces that enter the queue.
    entered = [(rows, klass, start, persons[rows], kinds.slot[kind[rows]])]
    for s in range(steps.size):
        queue_slot = int(steps.prev_slot[s])
        supply = _queue(entered, queue_slot, district, day, kind, order)
        takers = booking[kinds.step[kind] == s]
        takers = takers[np.lexsort((order[takers], kind[takers], day[takers], district[takers]))]
        if not len(takers):
            continue
        s_rows, s_class, s_first, s_persons = supply
        i, j, amount = _match(s_rows, s_persons, takers, persons, unsited, site, district)
        given = np.bincount(j, weights=amount, minlength=len(takers)).astype(np.int64)
        short = np.flatnonzero(given < persons[takers])
        if len(short):
            t = takers[short[0]]
            raise SeriesError(
                f"district {district[t]}, day {day[t]}: {persons[t]} next doses (step {s}) "
                f"for {given[short[0]]} people owed them"
            )
        offset = cumsum_within(amount, i) - amount
        piece = (takers[j], s_class[i], s_first[i] + offset, amount)
        pieces.append(piece)
        entered.append((*piece, np.full(len(j), int(steps.slot[s]))))
    booking_all, klass_all, first_all, persons_all = (
        np.concatenate([p[k] for p in pieces]) for k in range(4)
    )
    return Pieces(booking_all, klass_all, first_all, persons_all)


def _queue(entered, slot: int, district, day, kind, order):
    """The pieces in queue ``slot``, sorted by district, then day, kind and ``order``."""
    parts = [tuple(np.asarray(x)[e[4] == slot] for x in e[:4]) for e in entered]
    rows, klass, first, persons = (np.concatenate([p[k] for p in parts]) for k in range(4))
    sort = np.lexsort((first, klass, order[rows], kind[rows], day[rows], district[rows]))
    return rows[sort], klass[sort], first[sort], persons[sort]


def _match(s_rows, s_persons, takers, persons, unsited, site, district):
    """Match next-dose ``takers`` (bookings, sorted by district, day, kind and order) to the
    queue's supply runs (``s_rows``, ``s_persons``, sorted the same way), oldest first, as the
    realised plan gives them (:mod:`vaxsim.optimize.follow_ups`): people of a known site at the
    same site; the ``unsited`` of a booking to people whose site is not known, within the
    district. Returns ``(i, j, amount)``: supply run ``i`` gives ``amount`` people to taker
    ``j``, each run's pieces in the order of its people."""
    known = site[s_rows] >= 0
    passes = (
        (site, known, persons[takers] - unsited[takers]),
        (district, ~known, unsited[takers]),
    )
    pieces = []
    for unit, supplies, want in passes:
        s_ok = np.flatnonzero(supplies & (s_persons > 0))
        t_ok = np.flatnonzero(want > 0)
        if not len(s_ok) or not len(t_ok):
            continue
        s_ok = s_ok[np.argsort(unit[s_rows[s_ok]], kind="stable")]
        t_ok = t_ok[np.argsort(unit[takers[t_ok]], kind="stable")]
        s_unit, t_unit = unit[s_rows[s_ok]], unit[takers[t_ok]]
        groups = int(max(s_unit.max(), t_unit.max())) + 1
        i, j, amount = pour(s_unit, s_persons[s_ok], t_unit, want[t_ok], groups)
        pieces.append((s_ok[i], t_ok[j], amount))
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    i, j, amount = (np.concatenate([p[k] for p in pieces]) for k in range(3))
    order = np.lexsort((np.arange(len(i)), i))
    return i[order], j[order], amount[order]

"""Who gets each next dose: people of the cohort the realised plan served it from.

The realised plan counts people, not individuals. Each next dose it books names the cohort it
was given to: the site and day of the dose before (:mod:`vaxsim.optimize.realise.follow_ups`, which
only serves people whose minimum interval has passed). Matching each next dose to the earlier
doses of that cohort, in order, tells it whose it is: the person's demand class (so capacity
rows of next doses carry a real priority group) and the person's stand-in number (so
appointments of one person link up, at one site).

People are runs, never one row each: the ``n``-th person of a district and demand class to get
a first dose has number ``n``; a *piece* is a run of consecutive numbers booked in one
(site, session, day, dose kind). Cohorts are matched with :func:`~vaxsim.coldchain.fefo.pour`
(northwest-corner rule), step by step along each series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.coldchain.fefo import cumulative_before, pour
from vaxsim.optimize.realise.vaccination_day import DoseKinds
from vaxsim.optimize.setup.context import Steps


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
    source_site: np.ndarray,
    source_day: np.ndarray,
    order: np.ndarray,
    kinds: DoseKinds,
    steps: Steps,
    classes: int,
) -> Pieces:
    """Pieces of every booking (``district``, ``site`` (-1: not known), ``day``, ``kind``,
    ``persons``; for next doses ``source_site`` and ``source_day``, where and when its people
    had the dose before (site -1: not known); ``order`` breaks ties within a day, e.g. site and
    session).

    First doses open runs of new people; each next-dose step, in series order, takes its people
    from the doses of the step before given at its source site on its source day (or, site not
    known, in its district on that day), in order, and passes them on.
    """
    booking = np.arange(len(persons))
    # First doses: new people, numbered per district and class in booking order.
    first = kinds.group[kind] >= 0
    rows = booking[first]
    rows = rows[np.lexsort((order[rows], kind[rows], day[rows], kinds.group[kind[rows]], district[rows]))]
    klass = kinds.group[kind[rows]]
    start = cumulative_before(district[rows] * classes + klass, persons[rows])
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
        i, j, amount = _match(
            s_rows, s_persons, takers, persons, site, day, source_site, source_day, district
        )
        given = np.bincount(j, weights=amount, minlength=len(takers)).astype(np.int64)
        short = np.flatnonzero(given < persons[takers])
        if len(short):
            t = takers[short[0]]
            raise SeriesError(
                f"district {district[t]}, day {day[t]}: {persons[t]} next doses (step {s}) "
                f"for {given[short[0]]} people owed them"
            )
        offset = cumulative_before(i, amount)
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


def _match(s_rows, s_persons, takers, persons, site, day, source_site, source_day, district):
    """Match next-dose ``takers`` (bookings) to the queue's supply runs (``s_rows``,
    ``s_persons``, sorted by district, day, kind and order): each taker's people come from the
    runs given at its source site on its source day (site not known: its district's runs of
    unknown site on that day), in order. Returns ``(i, j, amount)``: supply run ``i`` gives
    ``amount`` people to taker ``j``, each run's pieces in the order of its people."""
    sites = int(max(site.max(), source_site.max())) + 1
    low = int(min(day.min(), source_day[takers].min()))
    span = int(max(day.max(), source_day[takers].max())) - low + 1

    def cohort(at_site, at_district, on_day):
        unit = np.where(at_site >= 0, at_site, sites + at_district)
        return unit * span + (on_day - low)

    s_key = cohort(site[s_rows], district[s_rows], day[s_rows])
    t_key = cohort(source_site[takers], district[takers], source_day[takers])
    s_order = np.argsort(s_key, kind="stable")
    t_order = np.argsort(t_key, kind="stable")
    keys, dense = np.unique(np.concatenate([s_key, t_key]), return_inverse=True)
    s_group, t_group = dense[: len(s_key)], dense[len(s_key) :]
    i, j, amount = pour(
        s_group[s_order], s_persons[s_order], t_group[t_order], persons[takers][t_order], len(keys)
    )
    i, j = s_order[i], t_order[j]
    order = np.lexsort((np.arange(len(i)), i))
    return i[order], j[order], amount[order]

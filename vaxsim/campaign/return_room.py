"""Next doses at the site of the dose before, on the earliest days of the window with room.

People come back for their next dose to the site of their previous one (Vietnam's platform
makes the follow-up appointment at the first dose's site; plan-format invariant 8). The one
booking rule, for the optimizer realising a plan and for the simulation running it:

* people given a dose at a site book the next one there, with the dose, on the earliest days
  of the product's interval window (minimum to maximum interval after the dose) that still
  have room, whole people; whoever finds no room inside the window is not booked and is due
  once the minimum interval has passed (:func:`due_without_room`): the optimizer serves them
  at their site when it has room that day; a plan-driven run counts them as a broken promise
  and serves them only from vaccine the plan does not need (the plan leaves them without the
  dose);
* the people of earlier days book first, so on any day a site's next-dose room goes to the
  oldest doses before: when supply comes late, people booked for days already passed are
  served before those booked for today (their room is taken by the older people, and they
  move to the next days with room, as they would have booked them).

The room is what the caller books into: the optimizer, the people its sites can see less the
room already held (:mod:`vaxsim.optimize.realise.follow_up_room`); the plan-driven simulation,
the plan's published next-dose slots of each product and dose (:mod:`vaxsim.sim.returns`).
Arrays are ``[day, site]``, so a national run (ten thousand sites) books a day with a few
numpy calls.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np


def due_without_room(
    persons: np.ndarray, booked: np.ndarray, day: np.ndarray | int, min_days: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """People of each entry (``persons``, of whom ``booked`` found room) given the dose before
    on ``day``, who found no room: ``(people, the day they are due)``, due once the minimum
    interval (``min_days``) has passed."""
    unbooked = np.asarray(persons, dtype=np.int64) - np.asarray(booked, dtype=np.int64)
    return unbooked, np.asarray(day, dtype=np.int64) + np.asarray(min_days, dtype=np.int64)


class ReturnRoom:
    """Next-dose room left per site and day, ``free[key][day, site]`` whole people, for each
    ``key`` that books separately (the simulation: one per product and dose; the optimizer:
    one for all, its sites' capacity); each array keeps its integer type."""

    def __init__(self, free: dict[Hashable, np.ndarray]):
        self.free = {key: np.array(room, copy=True) for key, room in free.items()}

    def book(
        self,
        key: Hashable,
        sites: np.ndarray,
        first: int,
        last: int,
        persons: np.ndarray,
        latest: np.ndarray | None = None,
    ) -> np.ndarray:
        """Book ``persons[i]`` people at ``sites[i]`` (distinct sites) on the earliest days
        ``first..last`` with room left, no later than ``latest[i]`` (a day, if given), and
        take that room. Returns the people booked ``[day - first, i]``; the rest found none."""
        room = self.free.get(key)
        last = min(last, room.shape[0] - 1) if room is not None else last
        if room is None or first > last:
            return np.zeros((0, len(sites)), dtype=np.int64)
        window = room[first : last + 1, sites]
        if latest is not None:
            days = np.arange(first, last + 1)[:, None]
            window = np.where(days <= np.asarray(latest)[None, :], window, 0)
        persons = np.asarray(persons, dtype=np.int64)
        reached = np.minimum(np.cumsum(window, axis=0, dtype=np.int64), persons[None, :])
        booked = np.diff(reached, axis=0, prepend=0)
        room[first : last + 1, sites] -= booked.astype(room.dtype)
        return booked

    def give_back(self, key: Hashable, day: np.ndarray, site: np.ndarray, persons: np.ndarray) -> None:
        """Give back room booked for ``persons`` at ``site`` on ``day`` (their doses were not
        given, or they book again)."""
        np.add.at(self.free[key], (day, site), persons)

"""Room held at each site for the people who will come back to it for their next dose.

People come back to the site of their previous dose (:mod:`vaxsim.optimize.realise.follow_ups`), so a
site that fills its sessions with first doses day after day has, a few weeks later, more
people due back than it can see. Vietnam's platform books the next appointment at the first
dose; the plan does the same: each dose with a later dose in its series holds room for it at
its site, on the earliest days of its interval window that still have room, and a first dose
is given only where that room exists (invariant 8 of PLAN_FORMAT.md: every published
first-dose slot has its follow-up capacity). Room held on a day is kept from the first doses
of the days before it; on the day itself the people due are served first anyway.

The booking itself is the campaign's one rule (:class:`vaxsim.campaign.return_room.ReturnRoom`,
which the plan-driven simulation books the plan's slots with); this module adds what only a
plan needs: first doses cut to the room their next doses find, and series of three doses or
more booked to their end at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.campaign.return_room import ReturnRoom
from vaxsim.coldchain.fefo import clip_in_order, sum_by_keys
from vaxsim.optimize.setup.context import Steps


@dataclass(frozen=True)
class Held:
    """Room held by one call of :meth:`FollowUpRoom.hold`: ``persons`` of entry ``entry`` (the
    first entry of its site and step) for next-dose step ``step`` at ``site`` on ``day``,
    counted from the dose before on day ``since`` (given, or booked)."""

    step: np.ndarray
    entry: np.ndarray
    site: np.ndarray
    since: np.ndarray
    day: np.ndarray
    persons: np.ndarray

    @classmethod
    def of(cls, pieces: list[tuple[np.ndarray, ...]]) -> Held:
        if not pieces:
            return cls(*(np.zeros(0, dtype=np.int64) for _ in range(6)))
        return cls(*(np.concatenate([p[k] for p in pieces]).astype(np.int64) for k in range(6)))


ALL = "sites"
"""The plan books every next dose into one room: the people its sites can see."""


class FollowUpRoom:
    """People each site can see per day (``capacity[day, site]``) and the room not yet held
    for people coming back (``room``, the campaign's booking rule); days after the campaign
    have no room.

    A series of three doses or more is booked to its end at once: with the room for dose 2,
    room for dose 3 is held from each day dose 2 is booked on (``ahead``, per step: site, day
    dose 2 is booked on, day, persons), and given back when dose 2 is given to the people
    booked on that day and they book dose 3 for real.
    """

    def __init__(self, steps: Steps, site_capacity: np.ndarray):
        """``site_capacity[site, day]``: people the site's open sessions can see that day."""
        self.steps = steps
        pad = int(steps.max_days.sum()) + 1 if steps.size else 1
        sites, days = site_capacity.shape
        self.capacity = np.zeros((days + pad, sites), dtype=np.int64)
        self.capacity[:days] = site_capacity.T
        self.room = ReturnRoom({ALL: self.capacity})
        self.after = np.full(steps.size, -1, dtype=np.int64)  # [step] -> the step after it
        later = np.flatnonzero(steps.prev >= 0)
        self.after[steps.prev[later]] = later
        empty = np.zeros(0, dtype=np.int64)
        self.ahead = [(empty, empty, empty, empty) for _ in range(steps.size)]

    def hold(
        self,
        step: np.ndarray,
        site: np.ndarray,
        day: np.ndarray,
        persons: np.ndarray,
        may_cut: np.ndarray,
        latest: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Held]:
        """Hold room for the people of each entry, given a dose at ``site`` on ``day`` whose next
        dose is step ``step`` (-1: none), earliest free days of the step's window first, and
        for the doses after it (class docstring).

        Entries are served in index order. Where a site's window has less free room than its
        entries ask for, entries with ``may_cut`` are cut to what is left (their people are not
        given the dose today) and the others keep their people, with room held for as many as
        there is room for. ``latest``: the last day each entry's next dose may be booked on
        (the stock kept for it lasts until then; default: its window's end). Returns the
        persons kept per entry and the room held (for :meth:`release` and :meth:`keep_ahead`).
        """
        kept = np.asarray(persons, dtype=np.int64).copy()
        if latest is None:
            latest = np.full(len(kept), np.iinfo(np.int64).max)
        pieces: list[tuple[np.ndarray, ...]] = []
        # Later doses first: their entries are next doses, which are never cut.
        for s in sorted(np.unique(step[step >= 0]), key=lambda s: -self.steps.dose[s]):
            mine = np.flatnonzero((step == s) & (kept > 0))
            if len(mine):
                kept[mine] = self._hold_step(
                    int(s), mine, site[mine], day[mine], kept[mine], may_cut[mine], pieces, latest[mine]
                )
        return kept, Held.of(pieces)

    @property
    def held(self) -> np.ndarray:
        """Room held for people coming back, ``[day, site]``."""
        return self.capacity - self.room.free[ALL]

    def _hold_step(self, s, entry, site, day, persons, cut, pieces, latest=None) -> np.ndarray:
        """:meth:`hold` for the entries of one step; appends what it holds to ``pieces``."""
        kept = persons.copy()
        first, last = int(self.steps.first_day[s]), int(self.steps.max_days[s])
        for today in np.unique(day):
            mine = np.flatnonzero((day == today) & (kept > 0))
            if not len(mine):
                continue
            sites, where, of_site = np.unique(site[mine], return_index=True, return_inverse=True)
            last_day = None
            if latest is not None:  # one stock per site: its entries share their latest day
                last_day = np.full(len(sites), np.iinfo(np.int64).max)
                np.minimum.at(last_day, of_site, latest[mine])
            c = cut[mine]
            # Entries that may not be cut take room first; the others get what is left.
            fixed = np.bincount(of_site[~c], weights=kept[mine][~c], minlength=len(sites))
            fixed = fixed.astype(np.int64)
            wanted = np.bincount(of_site, weights=kept[mine], minlength=len(sites)).astype(np.int64)
            booked = self.room.book(ALL, sites, today + first, today + last, wanted, last_day)
            left = np.maximum(booked.sum(axis=0) - fixed, 0)
            kept[mine[c]] = clip_in_order(kept[mine[c]], of_site[c], left)
            r, d = np.nonzero(booked.T)
            amount, days = booked[d, r], today + first + d
            later = int(self.after[s])
            if later >= 0 and len(r):
                # The dose after this one, from each day booked; where it has no room, people
                # who may be cut are cut from this dose too.
                site_cut = np.bincount(of_site, weights=c, minlength=len(sites)) > 0
                chained = self._hold_step(
                    later, entry[mine[where]][r], sites[r], days, amount, site_cut[r], pieces
                )
                self.room.give_back(ALL, days, sites[r], amount - chained)
                amount = chained
                total = np.bincount(r, weights=amount, minlength=len(sites)).astype(np.int64)
                kept[mine[c]] = clip_in_order(kept[mine[c]], of_site[c], np.maximum(total - fixed, 0))
            step_of, since = np.full(len(r), s), np.full(len(r), today)
            pieces.append((step_of, entry[mine[where]][r], sites[r], since, days, amount))
        return kept

    def release(self, held: Held) -> None:
        """Give back room held by :meth:`hold` (the doses it was held for were not given)."""
        self.room.give_back(ALL, held.day, held.site, held.persons)

    def keep_ahead(self, held: Held, booked_step: np.ndarray) -> None:
        """Remember the room ``held`` for steps after ``booked_step[entry]`` (doses booked ahead)
        until their people book them for real (:meth:`unbook_ahead`)."""
        ahead = held.step != booked_step[held.entry]
        for s in np.unique(held.step[ahead]):
            mine = ahead & (held.step == s)
            new = (held.site[mine], held.since[mine], held.day[mine], held.persons[mine])
            columns = [np.concatenate([o, n]) for o, n in zip(self.ahead[s], new, strict=True)]
            order = np.lexsort((columns[2], columns[1], columns[0]))
            self.ahead[s] = tuple(c[order] for c in columns)

    def unbook_ahead(
        self, step: np.ndarray, site: np.ndarray, since: np.ndarray, persons: np.ndarray
    ) -> None:
        """Give back the room booked ahead for ``persons`` at ``site`` who were booked for the
        dose before step ``step`` on day ``since`` and now book step ``step`` for real (they
        were given that dose today), earliest days first."""
        for s in np.unique(step[step >= 0]):
            ahead_site, ahead_since, ahead_day, ahead_persons = self.ahead[s]
            if not len(ahead_persons):
                continue
            mine = step == s
            (entry_site, entry_since), given = sum_by_keys([site[mine], since[mine]], persons[mine])
            # Rows of one (site, since) form a group; the people given the dose free its room.
            width = self.capacity.shape[0]
            groups, group = np.unique(ahead_site * width + ahead_since, return_inverse=True)
            at = np.minimum(np.searchsorted(entry_site * width + entry_since, groups), len(given) - 1)
            found = entry_site[at] * width + entry_since[at] == groups
            freed = clip_in_order(ahead_persons, group.reshape(-1), np.where(found, given[at], 0))
            self.room.give_back(ALL, ahead_day, ahead_site, freed)
            left = ahead_persons - freed
            keep = left > 0
            self.ahead[s] = (ahead_site[keep], ahead_since[keep], ahead_day[keep], left[keep])

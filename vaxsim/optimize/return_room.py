"""Room held at each site for the people who will come back to it for their next dose.

People come back to the site of their previous dose (:mod:`vaxsim.optimize.follow_ups`), so a
site that fills its sessions with first doses day after day has, a few weeks later, more
people due back than it can see. Vietnam's platform books the next appointment at the first
dose; the plan does the same: each dose with a later dose in its series holds room for it at
its site, on the earliest days of its interval window that still have room, and a first dose
is given only where that room exists (invariant 8 of PLAN_FORMAT.md: every published
first-dose slot has its follow-up capacity). Room held on a day is kept from the first doses
of the days before it; on the day itself the people due are served first anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.optimize.context import Steps
from vaxsim.optimize.ordered import clip_in_order


@dataclass(frozen=True)
class Held:
    """Room held by one call of :meth:`ReturnRoom.hold`: ``persons`` of entry ``entry`` (the
    first entry of its site and step) at ``site`` on ``day``."""

    entry: np.ndarray
    site: np.ndarray
    day: np.ndarray
    persons: np.ndarray


class ReturnRoom:
    """People each site can see per day (``capacity[site, day]``) and the room already held
    for people coming back (``held[site, day]``); days after the campaign have no room."""

    def __init__(self, steps: Steps, site_capacity: np.ndarray):
        """``site_capacity[site, day]``: people the site's open sessions can see that day."""
        self.steps = steps
        pad = int(steps.max_days.max()) + 1 if steps.size else 1
        sites, days = site_capacity.shape
        self.capacity = np.zeros((sites, days + pad), dtype=np.int64)
        self.capacity[:, :days] = site_capacity
        self.held = np.zeros_like(self.capacity)

    def hold(
        self, step: np.ndarray, site: np.ndarray, day: np.ndarray, persons: np.ndarray, may_cut: np.ndarray
    ) -> tuple[np.ndarray, Held]:
        """Hold room for the people of each entry, given a dose at ``site`` on ``day`` whose next
        dose is step ``step`` (-1: none), earliest free days of the step's window first.

        Entries are served in index order. Where a site's window has less free room than its
        entries ask for, entries with ``may_cut`` are cut to what is left (their people are not
        given the dose today) and the others keep their people, with room held for as many as
        there is room for. Returns the persons kept per entry and the room held (for
        :meth:`release`). All entries of one site must have the same ``day``.
        """
        kept = np.asarray(persons, dtype=np.int64).copy()
        held = []
        # Later doses first: their entries are next doses, which are never cut.
        for s in sorted(np.unique(step[step >= 0]), key=lambda s: -self.steps.dose[s]):
            mine = np.flatnonzero((step == s) & (kept > 0))
            if not len(mine):
                continue
            first = max(int(self.steps.min_days[s]), 1)
            width = int(self.steps.max_days[s]) - first + 1
            sites, where, of_site = np.unique(site[mine], return_index=True, return_inverse=True)
            columns = day[mine[where]][:, None] + first + np.arange(width)
            rows = np.broadcast_to(sites[:, None], columns.shape)
            free = np.maximum(self.capacity[rows, columns] - self.held[rows, columns], 0)
            cut = may_cut[mine]
            room = free.sum(axis=1)
            # Entries that may not be cut take room first; the others get what is left.
            fixed = np.bincount(of_site[~cut], weights=kept[mine][~cut], minlength=len(sites))
            fixed = fixed.astype(np.int64)
            kept[mine[cut]] = clip_in_order(kept[mine[cut]], of_site[cut], np.maximum(room - fixed, 0))
            total = np.minimum(np.bincount(of_site, weights=kept[mine], minlength=len(sites)), room)
            before = np.cumsum(free, axis=1) - free
            taken = np.clip(total[:, None].astype(np.int64) - before, 0, free)
            self.held[rows, columns] += taken
            r, c = np.nonzero(taken)
            held.append((mine[where][r], sites[r], columns[r, c], taken[r, c]))
        if not held:
            empty = np.zeros(0, dtype=np.int64)
            return kept, Held(empty, empty, empty, empty)
        return kept, Held(*(np.concatenate([h[k] for h in held]) for k in range(4)))

    def release(self, held: Held) -> None:
        """Give back room held by :meth:`hold` (the doses it was held for were not given)."""
        np.subtract.at(self.held, (held.site, held.day), held.persons)

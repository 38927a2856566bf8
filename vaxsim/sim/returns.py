"""A plan's next-dose slots, booked by the people given the dose before, as the plan promises.

A plan books each person's next dose at the site of their previous one (plan-format invariant
8: every first-dose slot it publishes has its follow-up capacity there), on a day inside the
product's interval window. A plan-driven run holds the plan to it with the optimizer's own
booking rule (:class:`vaxsim.campaign.return_room.ReturnRoom`): people given a dose at a site
book their next one into the plan's next-dose slots *of that site*, on the earliest days of the
window that still have a slot, and come back then. Only the people vaccinated in the plan's
slots of the dose book (people vaccinated beyond them have no promise and are due once the
minimum interval has passed, like people in a run without a plan). Whoever of them finds no
slot left at their site is one the plan itself leaves without the dose: counted (a
plan-driven run reports how often the plan's promise of a follow-up slot was not kept,
``Recorder.no_return_slot``) and served only from vaccine the plan does not need
(``Campaign.unslotted``). This module adds what only a plan-driven run needs: the slots as
published (where today's people were vaccinated, and how many in the plan's slots), and a
re-plan's slots replacing the old ones.
"""

from __future__ import annotations

import numpy as np

from vaxsim.campaign.return_room import ReturnRoom
from vaxsim.numeric import split_by_group

#: People booked for a next dose later than they are due, per booked day: (due day, people
#: per district), earliest due first (:meth:`vaxsim.sim.engine.Campaign._booked_due`).
BookedLate = dict[int, list[tuple[int, np.ndarray]]]


class Returns:
    """The plan's slots of every dose as published (``published[(product, dose index)][day,
    site]``, dose index 0 = first doses) and the next-dose slots not yet booked
    (``slots_left.free[(product, dose index)][day, site]``)."""

    def __init__(self, room: dict[tuple[int, int], np.ndarray], site_district: np.ndarray, districts: int):
        self.published = dict(room)
        self.slots_left = ReturnRoom({key: slots for key, slots in room.items() if key[1] > 0})
        self.site_district = site_district
        self.districts = districts

    def follow(
        self,
        room: dict[tuple[int, int], np.ndarray],
        from_day: int,
        window_days: np.ndarray,
        due: dict[tuple[int, int], BookedLate] | None = None,
    ) -> list[tuple[tuple[int, int], int, int, np.ndarray]]:
        """A re-plan: its slots replace the old ones from ``from_day`` on. People who booked a
        next dose for ``from_day`` or later book it again in the new slots of their district,
        on the earliest days from their booked day (from the day they are due, for those
        ``due`` says were booked later than that: :meth:`Campaign._booked_due`) with a slot
        left, within
        ``window_days[product, dose]`` days of it (the maximum less the minimum interval): the
        re-plan, told the day each is due (the state's ``due``), serves them so, oldest first,
        at the sites of the district it opens (:mod:`vaxsim.optimize.realise.follow_ups`); kept
        on the old days, they came where the new plan had no slot for them, and the slots it had
        were left to others. Whoever finds none keeps the day. Returns the people who move:
        ``(key, booked day, new day, people per district)``."""
        left = self.slots_left.free
        moves = []
        for key in set(room) | set(self.published):
            new, old_slots, old_room = room.get(key), self.published.get(key), left.get(key)
            shape = (new if new is not None else old_slots).shape
            slots = np.zeros(shape, dtype=np.int32) if old_slots is None else old_slots.copy()
            slots[from_day:] = new[from_day:] if new is not None else 0
            self.published[key] = slots
            if key[1] == 0:
                continue
            booked = np.zeros(shape, dtype=np.int32) if old_room is None else old_slots - old_room
            free = np.zeros(shape, dtype=np.int32) if old_room is None else old_room.copy()
            free[from_day:] = slots[from_day:]
            left[key] = free
            moves += self._book_again(key, booked, from_day, int(window_days[key]), (due or {}).get(key, {}))
        return moves

    def _book_again(
        self, key: tuple[int, int], booked: np.ndarray, from_day: int, window: int, due: BookedLate
    ) -> list[tuple[tuple[int, int], int, int, np.ndarray]]:
        """Book the people booked for ``from_day`` or later (``booked[day, site]``) again into
        the slots left of their district (taken from its sites in proportion to what each has
        left), earliest day from their booked day first, oldest booking first; returns the
        moves (:meth:`follow`)."""
        free = self.slots_left.free[key]
        pending = self._by_district(booked)
        room = ReturnRoom({key: self._by_district(free)})
        districts = np.arange(self.districts)
        moves = []
        taken = np.zeros_like(pending)
        # People booked later than they are due (``due[booked day]``: (due day, people per
        # district), earliest due first) may come from their due day on; the others from their
        # booked day, as before. Earliest day first, oldest booking first.
        groups = []  # (earliest day, latest day, booked day, people per district)
        for day in from_day + np.flatnonzero(pending[from_day:].any(axis=1)):
            day = int(day)
            left = pending[day].copy()
            for due_day, people in due.get(day, []):
                part = np.minimum(left, people)
                if due_day < day and part.any():
                    groups.append((max(due_day, from_day), max(day, due_day + window), day, part))
                    left -= part
            groups.append((day, day + window, day, left))
        groups.sort(key=lambda g: (g[0], g[2]))
        for start, last, day, people in groups:
            if not people.any():
                continue
            got = room.book(key, districts, start, last, people)
            taken[start : start + len(got)] += got
            for offset in np.flatnonzero(got.any(axis=1)):
                if start + offset != day:
                    moves.append((key, day, start + int(offset), got[offset]))
        for day in np.flatnonzero(taken.any(axis=1)):
            left = np.maximum(free[day], 0)
            share = split_by_group(taken[day], self.site_district, left)
            free[day] -= np.minimum(share, left).astype(free.dtype)
        return moves

    def _by_district(self, per_site: np.ndarray) -> np.ndarray:
        """``per_site[day, site]`` summed per district, ``[day, district]`` int64."""
        result = np.zeros((per_site.shape[0], self.districts), dtype=np.int64)
        order = np.argsort(self.site_district, kind="stable")
        district, start = np.unique(self.site_district[order], return_index=True)
        if len(order):
            result[:, district] = np.add.reduceat(per_site[:, order].astype(np.int64), start, axis=1)
        return result

    def sites_of(
        self, day: int, product: int, dose: int, people: np.ndarray, given_left: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Where ``people[district]`` given dose index ``dose`` of ``product`` today were
        vaccinated, per site: at the sites where the plan opened slots for that dose today (up
        to the doses each site gave, ``given_left[site]``, reduced in place), the rest at the
        sites that gave the product, in proportion to what each gave. Returns the people per
        site and, of them, those in the plan's slots there (the others are beyond the plan)."""
        slots = self.room_on(day, product, dose)
        # People given a first dose came to the sites that gave the product (the plan's
        # first-dose slots are anyone's): only next doses follow the plan's slots.
        planned = slots if dose > 0 else None
        weight = np.minimum(planned, given_left) if planned is not None else np.zeros_like(given_left)
        has_plan = np.bincount(self.site_district, weights=weight, minlength=self.districts) >= people
        weight = np.where(has_plan[self.site_district], weight, given_left)
        at_site = split_by_group(people, self.site_district, weight)
        given_left -= np.minimum(at_site, given_left)
        in_slots = np.minimum(at_site, slots) if slots is not None else np.zeros_like(at_site)
        return at_site, in_slots

    def room_on(self, day: int, product: int, dose: int) -> np.ndarray | None:
        """The plan's slots of ``(product, dose)`` per site on ``day`` as published (the people
        given that dose today came to them), or ``None`` when it has none."""
        slots = self.published.get((product, dose))
        return None if slots is None else slots[day].astype(np.int64)

    def book(self, product: int, dose: int, first: int, last: int, at_site: np.ndarray) -> np.ndarray:
        """Book ``at_site[site]`` people's dose index ``dose`` of ``product`` at their site on
        the earliest days ``first..last`` with a slot left (the shared rule,
        :meth:`ReturnRoom.book`). Returns the people booked ``[day - first, site]``; the rest
        found no slot."""
        sites = np.flatnonzero(at_site)
        booked = self.slots_left.book((product, dose), sites, first, last, at_site[sites])
        result = np.zeros((booked.shape[0], len(at_site)), dtype=np.int64)
        result[:, sites] = booked
        return result

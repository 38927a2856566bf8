"""Where each next dose is given: at the site of the dose before it.

People come back for their next dose to the site of their previous one (as on Vietnam's
platform, where the follow-up appointment is made at the first dose's site). A plan built this
way has, for every first-dose slot it publishes, the follow-up capacity at the same site
(invariant 8 of PLAN_FORMAT.md).

Each next-dose step keeps one queue of *cohorts*: the people of one district who had the
previous dose at one site on one day, booked to come back on one day (``due``), and still
waiting. The booking is made with the dose: room is held at the site on the earliest days of
the interval window that have room left (:mod:`vaxsim.optimize.realise.follow_up_room`). A district's
next doses of the day (already limited by the people due, the stock and the district's
capacity) are taken oldest cohort first among those due by that day, then limited by each
site's room that day, oldest first again; whoever a site has no room for waits for a later
day. Oldest first also when supply came late and people booked for days already passed wait
beside those booked for today: the campaign's one booking rule
(:mod:`vaxsim.campaign.return_room`), by which the plan-driven simulation books the plan's
slots, gives a site's room to the oldest doses before. Cohorts whose site is unknown (people
due a dose when a plan starts from a simulated state, :mod:`vaxsim.optimize.setup.restart`)
have site -1, no room held, are due once their minimum interval has passed, and may be served
at any site of their district.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.campaign.return_room import due_without_room
from vaxsim.coldchain.fefo import clip_in_order, cumulative_before, sum_by_keys
from vaxsim.optimize.realise.follow_up_room import FollowUpRoom
from vaxsim.optimize.setup.context import Steps

UNSITED = -1
"""Site of a cohort whose site is unknown (served at any site of its district)."""


@dataclass
class Cohorts:
    """The queue of one next-dose step: int64 columns sorted by district, then day, then site,
    then due day.

    ``waiting`` people of ``district`` who had the previous dose at ``site`` on campaign
    ``day`` (the district's day), are booked for this one on ``due`` and have not had it."""

    district: np.ndarray
    site: np.ndarray
    day: np.ndarray
    due: np.ndarray
    waiting: np.ndarray

    @classmethod
    def empty(cls) -> Cohorts:
        return cls(*(np.zeros(0, dtype=np.int64) for _ in range(5)))

    def __len__(self) -> int:
        return len(self.waiting)

    def _columns(self) -> tuple[np.ndarray, ...]:
        return self.district, self.site, self.day, self.due, self.waiting

    def add(
        self, district: np.ndarray, site: np.ndarray, day: np.ndarray, due: np.ndarray, persons: np.ndarray
    ) -> None:
        """Add cohorts sorted by district, site and due day, each no older than its district's
        newest cohort (one day of the rolling plan): an insertion, no sort of the whole queue."""
        at = np.searchsorted(self.district, district, side="right")
        self.district, self.site, self.day, self.due, self.waiting = (
            np.insert(old, at, new)
            for old, new in zip(self._columns(), (district, site, day, due, persons), strict=True)
        )

    def add_any(
        self, district: np.ndarray, site: np.ndarray, day: np.ndarray, due: np.ndarray, persons: np.ndarray
    ) -> None:
        """Add cohorts of any days (a sort of the whole queue; for a plan's starting state)."""
        columns = [
            np.concatenate([old, np.asarray(new, dtype=np.int64)])
            for old, new in zip(self._columns(), (district, site, day, due, persons), strict=True)
        ]
        order = np.lexsort((columns[3], columns[1], columns[2], columns[0]))
        self.district, self.site, self.day, self.due, self.waiting = (c[order] for c in columns)

    def drop_served(self) -> None:
        keep = self.waiting > 0
        if not keep.all():
            self.district, self.site, self.day, self.due, self.waiting = (c[keep] for c in self._columns())


@dataclass(frozen=True)
class Taken:
    """People taken from one step's queue for one dose kind, one row per cohort: ``cohort``
    (index into the queue), ``persons``, and the cohort's ``site``, ``district``, ``day`` and
    ``due`` day."""

    kind: int
    step: int
    cohort: np.ndarray
    persons: np.ndarray
    site: np.ndarray
    district: np.ndarray
    day: np.ndarray
    due: np.ndarray


@dataclass(frozen=True)
class DayTakes:
    """One day's :class:`Taken` rows of every next-dose kind in one table: ``kind``, ``site``,
    ``district``, ``day`` and ``due`` day (of the cohort) and ``persons`` per row."""

    taken: list[Taken]
    kind: np.ndarray
    site: np.ndarray
    district: np.ndarray
    day: np.ndarray
    due: np.ndarray
    persons: np.ndarray

    @classmethod
    def of(cls, taken: list[Taken]) -> DayTakes:
        def column(name: str) -> np.ndarray:
            parts = [np.full(len(t.persons), t.kind) if name == "kind" else getattr(t, name) for t in taken]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        return cls(taken, *(column(name) for name in ("kind", "site", "district", "day", "due", "persons")))


class FollowUps:
    """The cohort queues of every next-dose step of a run (module docstring)."""

    def __init__(self, steps: Steps, sites: int, room: FollowUpRoom | None = None):
        """``room``: where next doses are booked (``None``: people are due as soon as their
        minimum interval has passed, with no room held)."""
        self.steps = steps
        self.sites = sites
        self.room = room
        self.queues = [Cohorts.empty() for _ in range(steps.size)]
        self.step_after = np.full(len(steps.slot_product), -1, dtype=np.int64)  # [slot] -> step
        self.step_after[steps.prev_slot] = np.arange(steps.size)

    def enter(
        self, slot: np.ndarray, district: np.ndarray, site: np.ndarray, day: np.ndarray, persons: np.ndarray
    ):
        """People given the dose of history ``slot`` today join the queue of the step after it,
        booked on the days their site holds room for them (one day's doses: ``day`` is each
        district's today; room was checked by a :meth:`FollowUpRoom.hold` that could cut first
        doses, so none is cut here)."""
        step = self.step_after[slot]
        keep = (step >= 0) & (persons > 0)
        if not keep.any():
            return
        # One cohort per (step, district, site) of the day (a district has one day).
        (step, district, site, day), total = sum_by_keys(
            [step[keep], district[keep], site[keep], day[keep]], persons[keep]
        )
        booked = np.zeros(len(total), dtype=np.int64)
        entry = due = persons = np.zeros(0, dtype=np.int64)
        if self.room is not None:
            _, held = self.room.hold(step, site, day, total, np.zeros(len(total), dtype=bool))
            self.room.keep_ahead(held, step)
            own = held.step == step[held.entry]
            entry, due, persons = held.entry[own], held.day[own], held.persons[own]
            booked = np.bincount(entry, weights=persons, minlength=len(total)).astype(np.int64)
        # Whoever has no room booked is due as soon as the minimum interval has passed.
        unbooked, due_from = due_without_room(total, booked, day, self.steps.first_day[step])
        entry = np.concatenate([entry, np.flatnonzero(unbooked)])
        due = np.concatenate([due, due_from[unbooked > 0]])
        persons = np.concatenate([persons, unbooked[unbooked > 0]])
        order = np.lexsort((due, site[entry], district[entry]))
        entry, due, persons = entry[order], due[order], persons[order]
        for s in np.unique(step[entry]):
            mine = step[entry] == s
            e = entry[mine]
            self.queues[s].add(district[e], site[e], day[e], due[mine], persons[mine])

    def enter_history(self, step: np.ndarray, district: np.ndarray, day: np.ndarray, persons: np.ndarray):
        """People who had the previous dose of ``step`` before the plan starts, at a site not
        known (:data:`UNSITED`), due once their minimum interval has passed."""
        for s in np.unique(step):
            mine = step == s
            n = int(mine.sum())
            due = day[mine] + int(self.steps.first_day[s])
            self.queues[s].add_any(district[mine], np.full(n, UNSITED), day[mine], due, persons[mine])

    def take(
        self,
        kind: int,
        step: int,
        today: np.ndarray,
        want: np.ndarray,
        room: np.ndarray,
    ) -> Taken:
        """Take up to ``want[d]`` people of district ``d`` from ``step``'s queue for dose ``kind``:
        oldest cohort first among those due by the district's ``today[d]``, at most
        ``room[site]`` per site (``room`` is reduced in place; unsited cohorts take no site's
        room). The people leave the queue until :meth:`give_back` returns those who were not
        given the dose after all."""
        queue = self.queues[step]
        ready = np.flatnonzero(self._ready(step, today))
        persons = queue.waiting[ready]
        district = queue.district[ready]
        before = cumulative_before(district, persons) if len(ready) else persons
        persons = np.clip(want[district] - before, 0, persons)
        site = queue.site[ready]
        sited = site != UNSITED
        persons = clip_in_order(
            persons, np.where(sited, site, self.sites), np.append(room, np.iinfo(np.int64).max)
        )
        np.subtract.at(room, site[sited], persons[sited])
        keep = persons > 0
        cohort = ready[keep]
        queue.waiting[cohort] -= persons[keep]
        day, due = queue.day[cohort], queue.due[cohort]
        return Taken(kind, step, cohort, persons[keep], site[keep], district[keep], day, due)

    def take_day(
        self, kinds: np.ndarray, step_of: np.ndarray, today: np.ndarray, granted: np.ndarray, room: np.ndarray
    ) -> DayTakes:
        """:meth:`take` for each next-dose kind in ``kinds`` (service order; ``step_of[kind]``
        its step), ``granted[d, kind]`` people per district, one site ``room`` for all; in
        each queue the oldest doses before first, whether booked for today or for a day that
        has passed (module docstring)."""
        taken = []
        for k in kinds:
            taken.append(self.take(int(k), int(step_of[k]), today, granted[:, k], room))
        return DayTakes.of(taken)

    def give_back_day(self, takes: DayTakes, source: np.ndarray, amount: np.ndarray) -> None:
        """Return to their queues the people taken whose doses were not given (sessions cut for
        want of stock): ``amount`` given per entry of the day, ``source`` its row in ``takes``
        (-1: not a next dose)."""
        mine = source >= 0
        given = np.bincount(source[mine], weights=amount[mine], minlength=len(takes.persons)).astype(np.int64)
        start = 0
        for t in takes.taken:
            self.give_back(t, given[start : start + len(t.persons)])
            start += len(t.persons)

    def give_back(self, taken: Taken, given: np.ndarray) -> None:
        """Return to the queue the people of ``taken`` not given the dose (``given`` per row)."""
        self.queues[taken.step].waiting[taken.cohort] += taken.persons - given

    def ready(self, today: np.ndarray, districts: int) -> np.ndarray:
        """People waiting who are due by their district's ``today[d]``, ``[d, s]``."""
        result = np.zeros((districts, self.steps.size), dtype=np.int64)
        for s, queue in enumerate(self.queues):
            mine = self._ready(s, today)
            result[:, s] = np.bincount(queue.district[mine], weights=queue.waiting[mine], minlength=districts)
        return result

    def _ready(self, step: int, today: np.ndarray) -> np.ndarray:
        """Cohorts of ``step`` with someone waiting who is due by ``today`` and still inside
        the interval window: a plan's next-dose appointment must fall inside it (plan-format
        invariant 5), so people past it are left overdue rather than booked late."""
        queue = self.queues[step]
        inside = today[queue.district] - queue.day <= int(self.steps.max_days[step])
        return (queue.waiting > 0) & (queue.due <= today[queue.district]) & inside

    def past_window(self, today: np.ndarray, districts: int) -> np.ndarray:
        """People waiting whose maximum interval ended before their district's ``today[d]``,
        ``[d, s]``."""
        result = np.zeros((districts, self.steps.size), dtype=np.int64)
        for s, queue in enumerate(self.queues):
            late = queue.day < today[queue.district] - int(self.steps.max_days[s])
            result[:, s] = np.bincount(queue.district[late], weights=queue.waiting[late], minlength=districts)
        return result

    def end_day(self) -> None:
        """Forget cohorts everyone of whom has had the dose."""
        for queue in self.queues:
            queue.drop_served()

    def waiting(self, districts: int) -> np.ndarray:
        """People waiting in each step's queue per district, ``[d, s]`` (eligible or not)."""
        result = np.zeros((districts, self.steps.size), dtype=np.int64)
        for s, queue in enumerate(self.queues):
            result[:, s] = np.bincount(queue.district, weights=queue.waiting, minlength=districts)
        return result

"""The campaign engine: one SimPy environment drives the five steps over the campaign days.

Time is minutes since the start date at 00:00 local time. Every day runs, in this order:

====== ============================================================================
 00:00  lots arriving today enter their arrival store (the cold chain)
 01:00  shipments due today land; expired, thawed-too-long and excursion-hit stock is wasted
 02:00  free stock is earmarked for districts (allocation policy) and moves down the store
        tree on each link's schedule, within vehicle and store capacities
 07:00  sessions: booked people who show up and walk-ins get a dose from whole vials of
        their district's stock (first expiry first out); people left without one for lack
        of vaccine go back to the queue; next doses are recalled into the product's interval
        window; no-shows are rescheduled
 18:00  registration: eligible people register (uptake curve, channel mix)
 19:00  approval: each Department of Health approves up to its daily capacity
 20:00  scheduling: approved and due people are booked into the next days' appointment
        capacity of their district's sites, against vaccine on hand; an SMS goes out
====== ============================================================================

People are counts per cohort (district × priority group × age band) in numpy arrays; queues
between steps are first-in-first-out pools that remember entry days, so the delays between
steps are measured. See ``vaxsim.sim.cohorts`` and ``vaxsim.sim.pools``. Vaccine is held by
the cold chain (``vaxsim.sim.vaccine``, ``vaxsim.coldchain``): every dose is followed from its
lot's arrival to an arm or to waste.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from vaxsim.campaign.return_room import due_without_room
from vaxsim.coldchain.fefo import cumulative_before, order_by
from vaxsim.model import Model
from vaxsim.numeric import split_by_group
from vaxsim.sim.allocate import PriorityOrder
from vaxsim.sim.capacity import weekly_pattern
from vaxsim.sim.cohorts import Cohorts
from vaxsim.sim.curves import daily_hazard, expected_registered
from vaxsim.sim.plan_directives import Forwards, PlanDirectives
from vaxsim.sim.pools import FifoPool
from vaxsim.sim.random import Streams
from vaxsim.sim.recorder import CHANNELS, Recorder
from vaxsim.sim.returns import BookedLate, Returns
from vaxsim.sim.site_queues import SiteQueues
from vaxsim.sim.vaccine import VaccineSupply

MINUTES_PER_DAY = 24 * 60
DELIVERY, SHIPMENT, DISPATCH, SESSIONS, REGISTRATION, APPROVAL, SCHEDULING = (
    0,
    60,
    120,
    7 * 60,
    18 * 60,
    19 * 60,
    20 * 60,
)
#: Backlog batches older than this many days are merged (bounds time and memory).
COARSEN_AFTER_DAYS = 28


Booked = dict[tuple[int, int], np.ndarray]
"""People booked per key, a count per cohort. First doses are keyed ``(attempt, product)``
(attempt 0 = first booking, 1 = after one no-show, ...); next doses ``(product, dose index)``
(dose index 1 = the second dose)."""


@dataclass
class Appointments:
    """People booked for one appointment day, already split into who will and won't show up."""

    first_shows: Booked = field(default_factory=dict)
    first_no_shows: Booked = field(default_factory=dict)
    next_shows: Booked = field(default_factory=dict)
    next_no_shows: Booked = field(default_factory=dict)

    def add(self, kind: str, booked: Booked) -> None:
        into: Booked = getattr(self, kind)
        for key, counts in booked.items():
            if key in into:
                into[key] = into[key] + counts
            else:
                into[key] = counts


class Campaign:
    """The state of one simulated campaign and the SimPy processes that change it.

    Build with a compiled :class:`~vaxsim.model.Model` and a seed, then call :meth:`run`.
    """

    def __init__(
        self,
        model: Model,
        seed: int,
        on_day: Callable[[int], None] | None = None,
        site_queues: bool = True,
        workers: int | None = 1,
        plan: PlanDirectives | None = None,
    ):
        self.model = model
        self.plan = plan
        self.seed = seed
        self.on_day = on_day
        self.random = Streams(seed)
        scenario = model.scenario
        self.people = scenario.people
        self.policies = scenario.policies
        self.rule = "pro_rata" if self.policies.allocation == "pro_rata" else "priority_first"
        self.days = len(model.dates)
        self.cohorts = Cohorts.from_model(model)
        c = self.cohorts
        self.provinces = len(model.provinces)
        self.districts = len(model.districts)
        self.products = len(model.products)
        self.series = model.products.series_doses.to_numpy()
        self.doses_in_series = int(self.series.max())
        self.attempts = self.people.notification.max_reschedules + 1

        self.by_province = PriorityOrder(c.province, c.rank, self.provinces)
        self.by_district = PriorityOrder(c.district, c.rank, self.districts)
        self.coverage_cell = (c.province * len(model.priority_groups) + c.group) * len(
            model.age_bands
        ) + c.band
        self.coverage_cells = self.provinces * len(model.priority_groups) * len(model.age_bands)

        # Step 1-2: who will register, and the queues between steps.
        self.to_register = np.where(c.eligible, np.floor(c.uptake * c.population), 0).astype(np.int64)
        self.registered = FifoPool(c.size)
        #: People registered by the end of each day ``[day, cohort]`` when registration is not
        #: drawn at random (``None``: it is).
        self.expected_registered = (
            None
            if self.people.registration.random
            else expected_registered(self.people.registration.curve, self.to_register, c.opens_day, self.days)
        )
        self.approved = [FifoPool(c.size) for _ in range(self.attempts)]
        self.approved_on: dict[int, np.ndarray] = {}
        self.due = {(k, p): FifoPool(c.size) for p in range(self.products) for k in range(1, self.series[p])}
        self.released_on: dict[int, list[tuple[int, int, np.ndarray, int]]] = defaultdict(list)
        #: Under a plan, people vaccinated in its slots whose next dose found no slot of the
        #: plan at their site (the plan itself leaves them overdue, or unserved by the end):
        #: due from the minimum interval, but outside the plan, served after its people from
        #: the vaccine it does not need (:meth:`_book_return`), until a re-plan takes them in.
        self.unslotted = {key: FifoPool(c.size) for key in self.due}
        self.unslotted_on: dict[int, list[tuple[int, int, np.ndarray]]] = defaultdict(list)
        self.appointments: dict[int, Appointments] = {}
        self.promised_on: dict[int, np.ndarray] = {}  # doses [district, product] per appointment day

        # Step 3: appointment capacity per district and day, from its sites' weekly patterns.
        self.site_slots = self._district_capacity()
        self.slots = self.site_slots.copy()
        # Appointments left per district and day: for anyone, and kept for next doses (a plan's
        # next-dose slots, opened to anyone the evening before their day).
        self.next_left = np.zeros_like(self.slots)
        #: A plan's first-dose appointments left per product ``[district, day, product]``.
        self.first_left: np.ndarray | None = None
        #: Doses a plan asked for that were not there yet, asked again the next day.
        self.unfilled: np.ndarray | None = None
        #: The plan's shipments between stores not made yet (their stock was not there),
        #: tried again the next day.
        self.unforwarded: Forwards | None = None
        #: Where a plan's people of each day go: its slots per site ``[day, site]``.
        self.plan_sites: np.ndarray | None = None
        if plan is not None:
            self.plan_sites = plan.site_slots.astype(float)
            self.slots = np.minimum(self.site_slots, plan.appointments)
            self.next_left = np.minimum(plan.next_appointments, self.slots)
            self.first_left = plan.first_appointments.copy()
        self.capacity_left = self.slots - self.next_left  # never more than the sites serve
        self.site_capacity = self._site_capacity()

        # Vaccine: the cold chain holds it; ``stock`` is what booking may still promise per
        # district and product, ``owed`` the doses due to people part-way through a series.
        self.vaccine = VaccineSupply(model, self.random)
        self.stock = np.zeros((self.districts, self.products), dtype=np.int64)
        self.owed = np.zeros((self.districts, self.products), dtype=np.int64)
        self.min_interval = np.zeros((self.products, self.doses_in_series), dtype=np.int64)
        self.max_interval = np.zeros((self.products, self.doses_in_series), dtype=np.int64)
        for row in model.intervals.itertuples():
            self.min_interval[row.product, row.dose_number - 1] = row.min_days
            self.max_interval[row.product, row.dose_number - 1] = row.max_days
        #: A plan's next-dose slots per site, where people book their next dose.
        site_district = model.sites.district.to_numpy()
        self.returns = Returns(plan.return_slots, site_district, self.districts) if plan else None
        self.eligible_population = np.bincount(
            c.district, weights=np.where(c.eligible, c.population, 0), minlength=self.districts
        )
        reserve = self.policies.second_dose_reserve
        # A plan's shipments already keep stock for next doses (plan_directives): no hold-back.
        self.hold_back = reserve.share if reserve.rule == "hold_back" and plan is None else 0.0

        self.site_district = model.sites.district.to_numpy()
        self.dose_pairs = [(p, p) for p in range(self.products)]
        if self.policies.mixing.allowed:
            ids = list(model.products.id)
            self.dose_pairs += [(ids.index(a), ids.index(b)) for a, b in self.policies.mixing.pairs]

        self.at_least_one = np.zeros(c.size, dtype=np.int64)
        self.full_series = np.zeros(c.size, dtype=np.int64)
        self.record = Recorder(
            days=self.days,
            provinces=self.provinces,
            districts=self.districts,
            products=self.products,
            doses_in_series=self.doses_in_series,
            coverage_cells=self.coverage_cells,
            sites=len(model.sites),
        )
        self.given_today = np.zeros((self.districts, self.products), dtype=np.int64)
        lots = model.lots[model.lots.arrival_day < self.days]
        np.add.at(
            self.record.delivered,
            (np.maximum(lots.arrival_day.to_numpy(), 0), lots["product"].to_numpy()),
            lots.doses.to_numpy(),
        )
        self.site_queues = (
            SiteQueues(model, seed, self.policies.appointment_slot_minutes, workers)
            if site_queues and len(model.sites)
            else None
        )
        self.env = simpy.Environment()

    # ------------------------------------------------------------------ set-up helpers

    def _site_capacity(self) -> np.ndarray:
        """People per site and day ``[day, site]`` (int64) from the site types' weekly patterns."""
        model = self.model
        weekday = np.array([date.weekday() for date in model.dates])
        patterns = {name: weekly_pattern(site_type) for name, site_type in model.site_types.items()}
        per_site = np.stack([patterns[name] for name in model.sites.type]) if len(model.sites) else None
        if per_site is None:
            return np.zeros((self.days, 0), dtype=np.int64)
        return per_site[:, weekday].T.copy()

    def _district_capacity(self) -> np.ndarray:
        """Appointment capacity left ``[district, day]``, initially the sum of the district's sites."""
        site_capacity = self._site_capacity()
        capacity = np.zeros((self.districts, self.days), dtype=np.int64)
        np.add.at(capacity, self.model.sites.district.to_numpy(), site_capacity.T)
        return capacity

    # ------------------------------------------------------------------ processes

    def run(self, until_day: int | None = None) -> Recorder:
        """Run every process to the start of ``until_day`` (default: the end of the horizon)
        and return the recorded KPIs. A run may be continued by calling ``run`` again."""
        if not hasattr(self, "_clock"):
            self._clock = self.env.process(self._days())
        end = self.days if until_day is None else min(until_day, self.days)
        if end * MINUTES_PER_DAY > self.env.now:
            self.env.run(until=end * MINUTES_PER_DAY)
        return self.record

    def use_plan(self, plan: PlanDirectives, from_day: int) -> None:
        """Follow ``plan`` from ``from_day`` on (a re-plan): its shipments replace the old plan's
        from that day, and its slots replace the old slots from the day after, less what is
        already booked."""
        # ``from_day``'s appointments were settled the evening before (next-dose slots opened
        # to anyone, extra ones for surplus vaccine): the new slots apply from the day after.
        later = slice(from_day + 1, None)
        old = self.plan
        booked = self.slots[:, later] - self.capacity_left[:, later] - self.next_left[:, later]
        self._keep_booked_sites(plan, from_day)
        # What the old plan's kept slots already took: next doses, and first doses by product.
        booked_next = booked_first = 0
        if old is not None:
            kept_before = np.minimum(old.next_appointments[:, later], self.slots[:, later])
            booked_next = kept_before - self.next_left[:, later]
            booked_first = old.first_appointments[:, later] - self.first_left[:, later]
        else:
            self.first_left = plan.first_appointments.copy()
        self.slots[:, later] = np.minimum(self.site_slots[:, later], plan.appointments[:, later])
        left = np.maximum(self.slots[:, later] - booked, 0)
        kept_for_next = np.minimum(plan.next_appointments[:, later], self.slots[:, later])
        self.next_left[:, later] = np.clip(kept_for_next - booked_next, 0, left)
        self.capacity_left[:, later] = left - self.next_left[:, later]
        self.first_left[:, later] = np.maximum(plan.first_appointments[:, later] - booked_first, 0)
        if self.returns is None:
            self.returns = Returns(plan.return_slots, self.site_district, self.districts)
        window = self.max_interval - self.min_interval
        due = self._booked_due(from_day + 1)
        self._move_returns(self.returns.follow(plan.return_slots, from_day + 1, window, due))
        if old is not None:  # a re-plan, made from the state
            # ``from_day``'s people were booked into the old plan's sessions: they come to them
            # (the new plan has none that day; spread over every site, they opened more vials).
            if from_day in old.sessions:
                plan.sessions[from_day] = old.sessions[from_day]
            self._bring_into_plan()
            # What the old plan asked for and did not find is not owed: the re-plan planned
            # with the vaccine there is (vietnam-2021's static plan had up to 1.05 M doses
            # asked for and not found on a 28-day re-plan day), and asking for it again took
            # stock the re-plan had planned for other districts.
            self.unfilled = self.unforwarded = None
        self.plan = plan
        self.hold_back = 0.0

    def _move_returns(self, moves: list[tuple[tuple[int, int], int, int, np.ndarray]]) -> None:
        """People who booked a next dose under the old plan come on the day they booked again
        in the new plan's slots (:meth:`Returns.follow`: ``(key, booked day, new day, people
        per district)``): they are released the evening before it instead."""
        for (product, k), booked_day, new_day, per_district in moves:
            entries = self.released_on.get(booked_day - 1, [])
            mine = sorted(
                ((e[3], e[2]) for e in entries if e[:2] == (k, product)),
                key=lambda m: m[0],
            )
            if not mine:
                continue
            others = [e for e in entries if e[:2] != (k, product)]
            wanted = per_district.astype(np.int64)
            stay = []
            for due, counts in mine:
                part = np.zeros_like(counts)
                if due <= new_day and wanted.any():
                    part = self.by_district.by_priority(counts, wanted)
                    wanted = wanted - self.by_district.totals(part)
                    self._release(new_day - 1, k, product, part, due)
                if (counts - part).any():
                    stay.append((k, product, counts - part, due))
            self.released_on[booked_day - 1] = others
            for entry in stay:
                self._release(booked_day - 1, *entry)

    def _release(self, release: int, k: int, product: int, counts: np.ndarray, due: int) -> None:
        """Release ``counts`` people (per cohort) due dose index ``k`` of ``product`` from day
        ``due`` into the due pools on the evening of ``release``, added to the entry of the same
        dose and due day if there is one (a re-plan that moved returns kept every piece apart:
        three times the entries on demo-late-deliveries, and a national twin grew to 15 GB)."""
        entries = self.released_on[release]
        for i, (k2, product2, held, due2) in enumerate(entries):
            if (k2, product2, due2) == (k, product, due):
                entries[i] = (k, product, held + counts, due)
                return
        entries.append((k, product, counts, due))

    def _booked_due(self, from_day: int) -> dict[tuple[int, int], BookedLate]:
        """People booked for a next dose on ``from_day`` or later, by key ``(product, dose
        index)`` and booked day: ``(due day, people per district)``, earliest due first. A
        re-plan may bring forward those booked later than they are due (:meth:`Returns.follow`)."""
        result: dict[tuple[int, int], BookedLate] = {}
        for release, entries in self.released_on.items():
            booked_day = release + 1
            if booked_day < from_day:
                continue
            for e in entries:
                k, product = e[0], e[1]
                groups = result.setdefault((product, k), {}).setdefault(booked_day, [])
                groups.append((e[3], self.by_district.totals(e[2])))
        for by_day in result.values():
            for groups in by_day.values():
                groups.sort(key=lambda g: g[0])
        return result

    def _bring_into_plan(self) -> None:
        """A re-plan plans the next doses of everyone due, those the old plan left without a
        slot (:attr:`unslotted`) too (they are in the state's ``due`` table): they are the new
        plan's people. Kept outside it, they waited beside the vaccine the re-plan had sent
        for them while its slots went to first doses (demo-district without disturbances:
        about 860 second doses fewer than the static plan)."""
        for key, pool in self.unslotted.items():
            self.due[key].absorb(pool)
        for release, entries in self.unslotted_on.items():  # due the day after their release
            for k, product, counts in entries:
                self._release(release, k, product, counts, release + 1)
        self.unslotted_on.clear()

    def _keep_booked_sites(self, plan: PlanDirectives, from_day: int) -> None:
        """People booked under the old plan keep their appointments at its sites: from
        ``from_day`` on, each site's weight is the new plan's slots there plus the old plan's,
        scaled to the share of the old slots already booked in its district."""
        weights = plan.site_slots.astype(float)
        if self.plan_sites is not None:
            days = slice(from_day, None)
            booked = self.slots[:, days] - self.capacity_left[:, days] - self.next_left[:, days]
            old = self.plan_sites[days]
            old_by_district = np.zeros((self.districts, old.shape[0]))
            np.add.at(old_by_district, self.site_district, old.T)
            share = np.divide(
                booked, old_by_district, out=np.zeros_like(old_by_district), where=old_by_district > 0
            )
            weights[days] += old * np.clip(share, 0.0, 1.0)[self.site_district].T
        self.plan_sites = weights

    def _at(self, day: int, minute: int) -> simpy.events.Timeout:
        return self.env.timeout(max(0, day * MINUTES_PER_DAY + minute - self.env.now))

    def _days(self):
        for day in range(self.days):
            yield self._at(day, DELIVERY)
            self.random.start_day(day)  # common random numbers: see vaxsim.sim.random
            self.vaccine.receive(day)
            yield self._at(day, SHIPMENT)
            self.vaccine.advance(day)
            yield self._at(day, DISPATCH)
            self._dispatch(day)
            yield self._at(day, SESSIONS)
            self._release_due(day)
            self._vaccinate(day)
            yield self._at(day, REGISTRATION)
            self._register(day)
            yield self._at(day, APPROVAL)
            self._approve(day)
            yield self._at(day, SCHEDULING)
            self._schedule(day)
            self.vaccine.end_day(day)
            self._snapshot(day)
            if self.on_day is not None:
                self.on_day(day)

    # ------------------------------------------------------------------ step 2: vaccine to districts

    def _dispatch(self, day: int) -> None:
        """Send what the plan asks for today or, without a plan, all free stock towards
        districts: pro rata by eligible population, or by the people waiting in each district
        (registered, approved or due a next dose)."""
        if self.plan is not None:
            self._forward(day)
            wanted = self.plan.requests.get(day)
            if self.unfilled is not None:  # what the plan asked for before and was not there
                wanted = self.unfilled if wanted is None else wanted + self.unfilled
            self.unfilled = self.vaccine.send(day, wanted) if wanted is not None else None
            self._top_up_next_doses(day)
            return
        if self.rule == "pro_rata":
            weights = self.eligible_population
        else:
            waiting = self.registered.total + sum(pool.total for pool in self.approved)
            waiting = waiting + sum(pool.total for pool in self.due.values())
            weights = np.bincount(self.cohorts.district, weights=waiting, minlength=self.districts)
            if weights.sum() == 0:
                weights = self.eligible_population
        self.vaccine.dispatch(day, weights)

    def _forward(self, day: int) -> None:
        """The plan's shipments between stores above the districts leaving today, and those of
        earlier days still waiting for their stock (a late truck upstream)."""
        lines = self.plan.forwards.get(day)
        if self.unforwarded is not None:
            lines = self.unforwarded if lines is None else self.unforwarded + lines
        self.unforwarded = self.vaccine.forward(day, lines) if lines is not None else None

    def _top_up_next_doses(self, day: int) -> None:
        """Following a plan, a district whose people due a next dose outnumber the doses of
        their product it has or expects within the booking horizon asks for the difference
        from the free stock upstream. The plan shipped next doses for its own first doses;
        people vaccinated on other days or in other numbers than planned are due other doses."""
        due = np.zeros((self.districts, self.products), dtype=np.int64)
        outside = np.zeros_like(due)
        for pools, into in ((self.due, due), (self.unslotted, outside)):
            for (_, product), pool in pools.items():
                into[:, product] += self.by_district.totals(pool.total)
        if not (due.any() or outside.any()):
            return
        horizon = day + self.policies.booking_horizon_days
        promised = self._promised()
        have = self.vaccine.bookable(day, horizon, promised)
        # People outside the plan get only what the district holds beyond the plan's needs.
        beyond_plan = np.maximum(have - np.maximum(self.plan.stock_kept[:, day] - promised, 0), 0)
        for ask_on in range(day + 1, horizon + 1):  # what the plan is about to send anyway
            have = have + self.plan.requests.get(ask_on, 0)
        short = np.maximum(due - have, 0) + np.maximum(outside - beyond_plan, 0)
        # What the district was sent before and is still upstream (a full store on its way
        # holds it back) is not asked for again: each day's new top-up got stuck behind it too
        # (vietnam-2021's static plan, seed 2: 753,331 Moderna doses earmarked by the end for
        # a district store with 100 L of frozen room, away from every other district).
        short = np.maximum(short - self.vaccine.still_upstream(horizon), 0)
        # Only stock the plan will not ask for: its later shipments beyond later deliveries.
        spare = np.maximum(self.vaccine.chain.free_stock(day) - self.plan.needed_from_stock[day], 0)
        wanted = short.sum(axis=0)
        scale = np.divide(spare, wanted, out=np.zeros(self.products), where=wanted > 0)
        short = np.floor(short * np.minimum(scale, 1.0)).astype(np.int64)
        if short.any():
            self.vaccine.send(day, short)

    # ------------------------------------------------------------------ step 5: sessions

    def _release_due(self, day: int) -> None:
        for k, product, counts, _ in self.released_on.pop(day, []):
            self.due[(k, product)].add(day, counts)
        for k, product, counts in self.unslotted_on.pop(day, []):
            self.unslotted[(k, product)].add(day, counts)

    def _due_pools(self) -> list[FifoPool]:
        """Every pool of people due a next dose: inside the plan (or without one), and outside."""
        return [*self.due.values(), *self.unslotted.values()]

    def _vaccinate(self, day: int) -> None:
        """Today's sessions: who comes (booked shows, then walk-ins), the doses the cold chain
        can give them, and what happens to those left without one."""
        self.given_today[:] = 0
        booked = self.appointments.pop(day, Appointments())
        self.promised_on.pop(day, None)
        self._no_shows(day, booked)
        # In the order served when vaccine runs short: next doses, booked first doses, walk-ins.
        coming = [("next", key, counts) for key, counts in booked.next_shows.items()]
        coming += [("first", key, counts) for key, counts in booked.first_shows.items()]
        wanted = self._doses_wanted(coming)
        self.stock = self.vaccine.bookable(day, day, wanted + self._promised())
        walk_ins = self._walk_ins(day, wanted.sum(axis=1))
        coming += [("walk_in", key, counts) for key, counts in walk_ins.items()]
        site_weight = self._site_weight(day, self._doses_wanted(coming).sum(axis=1))
        people, at_site = self._draw_vaccine(day, coming, site_weight)
        self._site_visits(day, people, site_weight, at_site if self.plan is not None else None)

    @staticmethod
    def _product_of(kind: str, key: tuple[int, int]) -> int:
        """Next doses are keyed ``(product, dose index)``, first doses ``(attempt, product)``."""
        return key[0] if kind == "next" else key[1]

    def _doses_wanted(self, coming: list[tuple[str, tuple[int, int], np.ndarray]]) -> np.ndarray:
        wanted = np.zeros((self.districts, self.products), dtype=np.int64)
        for kind, key, counts in coming:
            wanted[:, self._product_of(kind, key)] += self.by_district.totals(counts)
        return wanted

    def _promised(self) -> np.ndarray:
        """Doses ``[district, product]`` promised to appointments of the coming days."""
        return sum(self.promised_on.values(), np.zeros((self.districts, self.products), dtype=np.int64))

    def _draw_vaccine(
        self, day: int, coming: list[tuple[str, tuple[int, int], np.ndarray]], site_weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Give ``coming`` people their doses from the cold chain at the sites of the day (shared
        by ``site_weight``); those the district's stock cannot serve today go back to the queue.
        Returns the people vaccinated per district and per site."""
        planned = self.plan.sessions.get(day) if self.plan is not None else None
        given, at_site = self.vaccine.vaccinate(day, self._doses_wanted(coming), site_weight, planned)
        doses: Booked = {}
        walk_ins = np.zeros(self.districts, dtype=np.int64)
        for kind, key, counts in coming:
            product = self._product_of(kind, key)
            served = self.by_district.by_priority(counts, given[:, product])
            per_district = self.by_district.totals(served)
            given[:, product] -= per_district
            dose = key if kind == "next" else (product, 0)
            doses[dose] = doses.get(dose, 0) + served
            if kind == "walk_in":
                walk_ins += per_district
            missed = counts - served
            if missed.any():
                self._missed_for_lack_of_vaccine(day, kind, key, missed)
        self.record.walk_ins[day] += walk_ins
        visits = at_site.sum(axis=1)
        return self._administer(day, doses, at_site), visits

    def _missed_for_lack_of_vaccine(
        self, day: int, kind: str, key: tuple[int, int], missed: np.ndarray
    ) -> None:
        """People who came but got no dose (stock-out, or turned away late by the open-vial
        rule): first doses wait to be booked again, next doses stay due."""
        self.record.missed_no_vaccine[day] += self.by_district.totals(missed)
        if kind == "next":
            self.due[key[::-1]].add(day, missed)
            return
        attempt, product = key
        self.approved[attempt].add(day, missed)
        self.owed[:, product] -= self.by_district.totals(missed) * (int(self.series[product]) - 1)

    def _administer(self, day: int, given: Booked, at_site: np.ndarray) -> np.ndarray:
        """Record doses ``given[(product, dose index)]`` today (``at_site[site, product]``:
        where; used up in place) and recall people for their next dose. Returns the people vaccinated per
        district."""
        c = self.cohorts
        people = np.zeros(c.size, dtype=np.int64)
        # Next doses first: they came to the sites the plan opened for them.
        for product, k in sorted(given, key=lambda key: (key[0], -key[1])):
            counts = given[(product, k)]
            if not counts.any():
                continue
            people += counts
            self.given_today[:, product] += self.by_district.totals(counts)
            series = int(self.series[product])
            self.record.doses[day, :, product, k] += self.by_district.totals(counts)
            if k == 0:
                self.at_least_one += counts
            if k == series - 1:
                self.full_series += counts
            if k > 0:
                self.owed[:, product] -= self.by_district.totals(counts)
            at = None
            if self.returns is not None:
                per_district = self.by_district.totals(counts)
                at = self.returns.sites_of(day, product, k, per_district, at_site[:, product])
            if k + 1 < series:
                self._book_return(day, product, k + 1, counts, *(at or (None, None)))
        return self.by_district.totals(people)

    def _book_return(
        self,
        day: int,
        product: int,
        k: int,
        counts: np.ndarray,
        at_site: np.ndarray | None,
        in_slots: np.ndarray | None,
    ) -> None:
        """People given the dose before dose index ``k`` today (``at_site[site]``: where, of
        whom ``in_slots[site]`` in the plan's slots for it) book it. Those the plan vaccinated
        book it at their site, on the earliest days of its interval window with a plan's slot
        left there (:class:`~vaxsim.sim.returns.Returns`, the optimizer's booking rule); those
        who find none are outside the plan (the plan itself leaves them without the dose:
        :attr:`unslotted`). People vaccinated beyond the plan's slots, and everyone without a
        plan, are due once the minimum interval has passed. Each is released the day before
        their day: that evening's booking (for the next day and later) gives them that day."""
        first = day + int(self.min_interval[product, k])
        if at_site is not None and first < self.days:
            window_end = day + int(self.max_interval[product, k])
            last = min(window_end, self.days - 1)
            booked = self.returns.book(product, k, first, last, in_slots)
            no_room, due_from = due_without_room(in_slots, booked.sum(axis=0), day, first - day)
            unbooked = np.bincount(self.site_district, weights=no_room, minlength=self.districts)
            unbooked = unbooked.astype(np.int64)
            if window_end < self.days:  # a plan books no day after the campaign: unknown there
                self.record.no_return_slot[day] += unbooked
            for offset in np.flatnonzero(booked.any(axis=1)):
                per_district = np.bincount(
                    self.site_district, weights=booked[offset], minlength=self.districts
                )
                part = self.by_district.by_priority(counts, per_district.astype(np.int64))
                counts = counts - part
                self._release(first + offset - 1, k, product, part, first)
            if unbooked.any():
                part = self.by_district.by_priority(counts, unbooked)
                counts = counts - part
                self.unslotted_on[int(due_from) - 1].append((k, product, part))
        if counts.any():
            self._release(first - 1, k, product, counts, first)

    def _no_shows(self, day: int, booked: Appointments) -> None:
        """Give back the doses of people who did not come, and put them back in the queue."""
        reschedule = self.people.notification.reschedule_no_shows
        for (attempt, product), missed in booked.first_no_shows.items():
            per_district = self.by_district.totals(missed)
            self.owed[:, product] -= per_district * (int(self.series[product]) - 1)
            self.record.no_shows[day] += per_district
            if reschedule and attempt + 1 < self.attempts:
                self.approved[attempt + 1].add(day, missed)
            else:
                self.record.dropped[day] += per_district
        for (product, k), missed in booked.next_no_shows.items():
            self.record.no_shows[day] += self.by_district.totals(missed)
            # Series are completed later rather than dropped: the person stays due, for the
            # product they were booked with (a mixing partner continues the series).
            self.due[(k, product)].add(day, missed)

    def _walk_ins(self, day: int, shows_by_district: np.ndarray) -> Booked:
        """Approved people who come without an appointment, taken into spare capacity and stock
        (``{(attempt, product): people per cohort}``)."""
        share = self.people.walk_ins.share_of_booked
        if share <= 0 or not shows_by_district.any():
            return {}
        arriving = self.random["walk_ins"].binomial(shows_by_district, min(share, 1.0))
        spare = np.minimum(arriving, self.capacity_left[:, day])
        booked = self._book_first_doses(day, spare, count_waits=False)
        for counts in booked.values():
            self.capacity_left[:, day] -= self.by_district.totals(counts)
        return booked

    def booked_draw(self, day: int) -> np.ndarray:
        """Doses ``[district, product]`` the sessions of ``day`` would draw for everyone booked
        on it (shows and no-shows alike: the slots are taken), in whole vials, as the day's
        sessions share them (:meth:`VaccineSupply.doses_to_draw`)."""
        booked = self.appointments.get(day, Appointments())
        coming = [
            (kind, key, counts)
            for kind, appointments in (
                ("next", booked.next_shows), ("next", booked.next_no_shows),
                ("first", booked.first_shows), ("first", booked.first_no_shows),
            )
            for key, counts in appointments.items()
        ]  # fmt: skip
        wanted = self._doses_wanted(coming)
        planned = self.plan.sessions.get(day) if self.plan is not None else None
        return self.vaccine.doses_to_draw(day, wanted, self._site_weight(day, wanted.sum(axis=1)), planned)

    def _site_weight(self, day: int, people: np.ndarray) -> np.ndarray:
        """How each district's ``people`` of ``day`` are shared among its open sites: as their
        capacity under a rule; as the plan's slots under a plan, and where it opens none in a
        district that day, at its largest sites until their capacity holds the people (fewer
        sessions open fewer partly used vials)."""
        capacity = self.site_capacity[day]
        if self.plan_sites is None:
            return capacity
        planned = self.plan_sites[day]
        district_has = np.bincount(self.site_district, weights=planned, minlength=self.districts) > 0
        order = order_by(self.site_district, -capacity)
        before = np.empty(len(order), dtype=np.int64)
        before[order] = cumulative_before(self.site_district[order], capacity[order])
        largest = np.where(before < people[self.site_district], capacity, 0)
        return np.where(district_has[self.site_district], planned, largest)

    def _site_visits(
        self, day: int, people_by_district: np.ndarray, site_weight: np.ndarray, at_site: np.ndarray | None
    ) -> None:
        """Share each district's people among its open sites in proportion to ``site_weight``
        (under a plan: the people vaccinated at each site, ``at_site``, as its sessions placed
        them), then queue them through the sessions of those sites."""
        if at_site is None:
            visits = split_by_group(people_by_district, self.site_district, site_weight)
        else:
            visits = at_site
        self.record.site_visits[day] = visits
        if self.site_queues is not None and visits.any():
            main_product = self.given_today.argmax(axis=1)[self.site_district]
            products = self.model.products
            doses_per_vial = products.doses_per_vial.to_numpy()[main_product]
            in_use_minutes = products.in_use_hours.to_numpy(dtype=float)[main_product] * 60.0
            self.site_queues.run_day(day, visits, doses_per_vial, in_use_minutes)

    # ------------------------------------------------------------------ steps 1-2: register, approve

    def _register(self, day: int) -> None:
        c = self.cohorts
        if self.expected_registered is None:
            hazard = daily_hazard(self.people.registration.curve, day - c.opens_day)
            new = self.random["registration"].binomial(self.to_register, hazard)
        else:
            new = self.expected_registered[day] - (self.expected_registered[day - 1] if day else 0)
        self.to_register -= new
        self.registered.add(day, new)
        self.record.registered[day] += self.by_district.totals(new)
        mix = self.people.registration.channels
        shares = np.array([getattr(mix, channel) for channel in CHANNELS])
        per_province = np.bincount(c.province, weights=new, minlength=self.provinces).astype(np.int64)
        self.record.registrations[day] += self.random["channels"].multinomial(per_province, shares)

    def _approve(self, day: int) -> None:
        capacity = self.model.provinces.approval_capacity_per_day.to_numpy(dtype=np.int64)
        served = self.by_province.serve(self.registered.total, capacity, self.rule)
        taken, waited = self.registered.take(served, day)
        self.registered.coarsen(day, COARSEN_AFTER_DAYS)
        self.record.approvals[day] += self.by_district.totals(taken)
        self.record.wait(
            day, "registration_to_approval", self.by_province.totals(waited), self.by_province.totals(taken)
        )
        ready = day + self.people.approval.processing_days
        self.approved_on[ready] = self.approved_on.get(ready, 0) + taken
        arriving = self.approved_on.pop(day, None)
        if arriving is not None:
            self.approved[0].add(day, arriving)

    # ------------------------------------------------------------------ step 3-4: schedule and notify

    def _schedule(self, day: int) -> None:
        horizon = self.policies.booking_horizon_days
        targets = range(day + 1, min(day + horizon, self.days - 1) + 1)
        expected = {target: self.vaccine.expected(day, target) for target in targets}
        returning = self._returning(targets)
        for target in targets:
            ahead = target - day
            # Next doses are served first on their day: only appointments up to it count.
            self.stock = self._bookable(target, {target: expected[target]}, returning)
            next_booked = self._book_next_doses(day, target)
            self.stock = self._bookable(target, expected, returning)
            if ahead == 1:  # slots kept for next doses and still free go to first doses
                self.capacity_left[:, target] += self.next_left[:, target]
                self.next_left[:, target] = 0
                if self.plan is not None:
                    surplus = self._surplus(target, expected[target])
                    for key, taken in self._book_next_doses(day, target, self.unslotted, surplus).items():
                        next_booked[key] = next_booked.get(key, 0) + taken
                    self._open_for_surplus(target, expected[target])
            first_booked: Booked = {}
            # A plan notifies its appointments the day before (its notify_at): people waiting
            # on a day get that day's slots, as the plan gives them, not slots days ahead.
            if self.plan is None or ahead == 1:
                first_booked = self._book_first_doses(
                    day, self.capacity_left[:, target], count_waits=True, target=target
                )
            people = sum(first_booked.values(), np.zeros(self.cohorts.size, dtype=np.int64))
            self.capacity_left[:, target] -= self.by_district.totals(people)
            people = sum(next_booked.values(), people)
            if ahead == 1:
                self._count_unbooked_for_vaccine(day, target)
            if not people.any():
                continue
            appointments = self.appointments.setdefault(target, Appointments())
            shows, no_shows = self._notify(first_booked, ahead)
            appointments.add("first_shows", shows)
            appointments.add("first_no_shows", no_shows)
            shows, no_shows = self._notify(next_booked, ahead)
            appointments.add("next_shows", shows)
            appointments.add("next_no_shows", no_shows)
            self.record.bookings[day] += self.by_district.totals(people)
            self.record.wait(
                day,
                "booking_to_appointment",
                self.by_province.totals(people * ahead),
                self.by_province.totals(people),
            )
        for pool in self.approved:
            pool.coarsen(day, COARSEN_AFTER_DAYS)
        for pool in self._due_pools():
            pool.coarsen(day, COARSEN_AFTER_DAYS)

    def _returning(self, targets: range) -> dict[int, np.ndarray]:
        """Doses ``[district, product]`` of the people coming back for a next dose on each of
        ``targets`` (booked with their last dose, released the day before)."""
        returning = {}
        for t in targets:
            doses = np.zeros((self.districts, self.products), dtype=np.int64)
            for _, product, counts, _ in self.released_on.get(t - 1, []):
                doses[:, product] += self.by_district.totals(counts)
            returning[t] = doses
        return returning

    def _bookable(
        self, target: int, expected: dict[int, np.ndarray], returning: dict[int, np.ndarray]
    ) -> np.ndarray:
        """Doses ``[district, product]`` that appointments on ``target`` may still be promised:
        on every later day ``t`` of the booking horizon, the vaccine on hand or due by ``t``
        (``expected[t]``) must cover every appointment up to ``t``, and the next doses of the
        people ``returning`` before ``target`` (their appointment was made with their last
        dose). Vaccine due later is not taken from appointments booked earlier for later days,
        nor held back for them."""
        promised = np.zeros((self.districts, self.products), dtype=np.int64)
        for t in range(min(self.promised_on, default=target), target):
            promised += self.promised_on.get(t, 0) + returning.get(t, 0)
        room = None
        for t in sorted(t for t in expected if t >= target):
            promised = promised + self.promised_on.get(t, 0)
            left = expected[t] - promised
            room = left if room is None else np.minimum(room, left)
        return np.maximum(room, 0)

    def _book_next_doses(
        self, day: int, target: int, pools: dict | None = None, limit: np.ndarray | None = None
    ) -> Booked:
        """Book people due a next dose (same product, or a mixing partner) before first doses,
        from ``pools`` (default: :attr:`due`), with at most ``limit[district, product]`` doses
        (used up in place; default: the stock).

        Under a plan, people due whose district has the vaccine also get sessions the plan did
        not open (up to what the sites serve): the plan expected them elsewhere or later, and
        keeping them waiting beside the vaccine only lets it pass its thaw clock."""
        pools = self.due if pools is None else pools
        limit = self.stock if limit is None else limit
        booked: Booked = {}
        room = 0
        if self.plan is not None:
            room = np.maximum(self.site_slots[:, target] - self.slots[:, target], 0)
        for first_product, product in self.dose_pairs:
            for k in range(1, int(self.series[first_product])):
                pool = pools[(k, first_product)]
                if k >= self.series[product] or not pool.total.any():
                    continue
                capacity = np.minimum(
                    self.capacity_left[:, target] + self.next_left[:, target] + room,
                    np.minimum(self.stock[:, product], limit[:, product]),
                )
                if not capacity.any():
                    continue
                served = self.by_district.serve(pool.total, capacity, self.rule)
                taken, waited = pool.take(served, day)
                if not taken.any():
                    continue
                per_district = self.by_district.totals(taken)
                kept = np.minimum(per_district, self.next_left[:, target])
                self.next_left[:, target] -= kept
                opened = np.maximum(per_district - kept - self.capacity_left[:, target], 0)
                self.slots[:, target] += opened
                room = np.maximum(room - opened, 0)
                self.capacity_left[:, target] -= per_district - kept - opened
                self.stock[:, product] -= per_district
                if limit is not self.stock:
                    limit[:, product] -= per_district
                self._promise(target, product, per_district)
                if product != first_product:
                    self.owed[:, first_product] -= per_district
                    self.owed[:, product] += per_district
                booked[(product, k)] = booked.get((product, k), 0) + taken
                self.record.wait(
                    day, "due_to_booking", self.by_province.totals(waited), self.by_province.totals(taken)
                )
        return booked

    def _open_for_surplus(self, target: int, expected: np.ndarray) -> None:
        """Following a plan, a district opens more appointments on ``target`` (up to what its
        sites serve) for the vaccine on hand that the plan never needs: doses left by no-shows
        and missed bookings are given before their thaw clock or expiry ends, not kept for a
        slot that never comes. What the plan's slots from ``target`` on draw on before its later
        shipments arrive (:attr:`PlanDirectives.stock_kept`, less what is already promised to
        appointments) stays, so a plan that ships next doses early keeps them for their day.
        Surplus is counted in the vaccine on hand or due by ``target`` (``expected``): vaccine
        arriving later is the plan's."""
        surplus = self._surplus(target, expected).sum(axis=1)
        extra = np.minimum(surplus, np.maximum(self.site_slots[:, target] - self.slots[:, target], 0))
        self.slots[:, target] += extra
        self.capacity_left[:, target] += extra

    def _surplus(self, target: int, expected: np.ndarray) -> np.ndarray:
        """Doses ``[district, product]`` on hand or due by ``target`` (``expected``) that the
        plan never needs: beyond what its slots from ``target`` on draw on before its later
        shipments arrive (:attr:`PlanDirectives.stock_kept`) and what is already promised."""
        promised = self._promised()
        kept = self.plan.stock_kept[:, target] - promised
        on_hand = np.minimum(self.stock, np.maximum(expected - promised, 0))
        return np.maximum(on_hand - np.maximum(kept, 0), 0)

    def _promise(self, target: int, product: int, per_district: np.ndarray) -> None:
        if target not in self.promised_on:
            self.promised_on[target] = np.zeros((self.districts, self.products), dtype=np.int64)
        self.promised_on[target][:, product] += per_district

    def _book_first_doses(
        self, day: int, capacity: np.ndarray, count_waits: bool, target: int | None = None
    ) -> Booked:
        """Book approved people for a first dose, product by product, within ``capacity`` per
        district and the stock not held back for next doses (``owed`` × reserve share).

        Returns ``{(attempt, product): people per cohort}``; the caller takes the booked people
        off the appointment capacity. Doses booked for a later ``target`` day are promised
        (walk-ins, served at once, are not).
        """
        c = self.cohorts
        booked: Booked = {}
        left = sum((pool.total for pool in self.approved), np.zeros(c.size, dtype=np.int64))
        if not left.any() or not np.any(capacity):
            return booked
        capacity = np.array(capacity, dtype=np.int64)
        by_product = (
            self.first_left[:, target] if self.first_left is not None and target is not None else None
        )
        for product in np.argsort(-self.stock.sum(axis=0), kind="stable"):
            series = int(self.series[product])
            usable = self.stock[:, product] - self.hold_back * self.owed[:, product]
            doses = np.floor(np.maximum(usable, 0) / (1.0 + self.hold_back * (series - 1)))
            limit = np.minimum(capacity, doses.astype(np.int64))
            if by_product is not None:  # the plan's slots of this product, and any not bound to one
                unbound = np.maximum(capacity - by_product.sum(axis=1), 0)
                limit = np.minimum(limit, by_product[:, product] + unbound)
            if not limit.any():
                continue
            served = self.by_district.serve(np.where(c.suitable[product], left, 0), limit, self.rule)
            if not served.any():
                continue
            left -= served
            remaining = served.copy()
            for attempt in reversed(range(self.attempts)):  # those rescheduled before go first
                if not remaining.any():
                    break
                taken, waited = self.approved[attempt].take(remaining, day)
                if not taken.any():
                    continue
                remaining -= taken
                booked[(attempt, int(product))] = taken
                if count_waits:
                    self.record.wait(
                        day,
                        "approval_to_booking",
                        self.by_province.totals(waited),
                        self.by_province.totals(taken),
                    )
            per_district = self.by_district.totals(served)
            capacity -= per_district
            if by_product is not None:
                by_product[:, product] -= np.minimum(per_district, by_product[:, product])
            self.stock[:, product] -= per_district
            if target is not None:
                self._promise(target, int(product), per_district)
            self.owed[:, product] += per_district * (series - 1)
        return booked

    def _count_unbooked_for_vaccine(self, day: int, target: int) -> None:
        """Approved people who could have had tomorrow's free capacity but for lack of vaccine."""
        waiting = sum((pool.total for pool in self.approved), np.zeros(self.cohorts.size, dtype=np.int64))
        unbooked = np.minimum(self.by_district.totals(waiting), self.capacity_left[:, target])
        self.record.unbooked_no_vaccine[day] += unbooked

    def _notify(self, booked: Booked, lead_days: int) -> tuple[Booked, Booked]:
        """SMS for ``booked`` people ``lead_days`` ahead; split into who will and won't show up."""
        notice = self.people.notification
        rng = self.random["sms"]
        show_if_delivered, show_if_not = notice.show_up(lead_days)
        shows: Booked = {}
        no_shows: Booked = {}
        for key, counts in booked.items():
            where = np.flatnonzero(counts)
            n = counts[where]
            delivered = rng.binomial(n, notice.sms_delivery)
            came = rng.binomial(delivered, show_if_delivered) + rng.binomial(n - delivered, show_if_not)
            shows[key] = np.zeros_like(counts)
            shows[key][where] = came
            no_shows[key] = counts - shows[key]
        return shows, no_shows

    # ------------------------------------------------------------------ daily snapshot

    def _snapshot(self, day: int) -> None:
        record, c = self.record, self.cohorts
        record.backlog[day, :, 0] = self.by_district.totals(self.registered.total)
        record.backlog[day, :, 1] = self.by_district.totals(sum(pool.total for pool in self.approved))
        due = sum((pool.total for pool in self._due_pools()), np.zeros(c.size, dtype=np.int64))
        record.backlog[day, :, 2] = self.by_district.totals(due)
        record.district_at_least_one[day] = self.by_district.totals(self.at_least_one)
        record.district_full_series[day] = self.by_district.totals(self.full_series)
        record.at_least_one[day] = np.bincount(
            self.coverage_cell, weights=self.at_least_one, minlength=self.coverage_cells
        )
        record.full_series[day] = np.bincount(
            self.coverage_cell, weights=self.full_series, minlength=self.coverage_cells
        )
        record.national_stock[day], record.district_stock[day] = self.vaccine.stock_by_tier(
            day, self.provinces
        )

"""The campaign's vaccine: the cold chain as the campaign engine uses it.

The engine thinks in doses per district and product; the cold chain
(:class:`vaxsim.coldchain.ColdChain`) holds them as lots in stores, on trucks and in opened
vials. This module is the seam between the two:

- :meth:`VaccineSupply.dispatch` asks the chain for each district's share of the free stock
  (the allocation policy's weights), which it then moves down the store tree;
- :meth:`VaccineSupply.bookable` is what booking may promise: usable doses at each district's
  store less the doses already promised to appointments;
- :meth:`VaccineSupply.vaccinate` lays a day's doses out over the district's sessions and draws
  whole vials, first expiry first out; people left without a dose (a stock-out, or a late
  arrival turned away by the open-vial rule) come back to the engine.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vaxsim.coldchain import ColdChain, ColdChainResults, SessionLayout
from vaxsim.coldchain.sessions import PlannedSessions
from vaxsim.model import Model
from vaxsim.numeric import largest_remainder, sum_by
from vaxsim.sim.plan_directives import Forwards
from vaxsim.sim.random import Streams


class VaccineSupply:
    """Stock of one campaign run, per district and product (doses), kept by a cold chain."""

    def __init__(self, model: Model, random: Streams):
        self.model = model
        self.random = random
        self.chain = ColdChain(model, random)
        self.layout = SessionLayout.from_model(model)
        self.districts = len(model.districts)
        self.products = len(model.products)
        self.late_minutes = model.scenario.policies.open_vial.late_minutes
        self.weekday = np.array([date.weekday() for date in model.dates])
        network = self.chain.network
        self.district_store = np.zeros(network.nodes, dtype=bool)
        self.district_store[network.district_node] = True

    def receive(self, day: int) -> None:
        """00:00: lots arriving today enter their store."""
        self.chain.receive(day)

    def advance(self, day: int) -> None:
        """01:00: shipments land; expired, thawed-too-long and excursion-hit stock is wasted."""
        self.chain.advance(day)

    def dispatch(self, day: int, weights: np.ndarray) -> None:
        """02:00: earmark all free stock for districts in proportion to ``weights[district]``
        and load today's trips (stock waits upstream where a store downstream is full)."""
        free = self.chain.free_stock(day)
        wanted = np.zeros((self.districts, self.products), dtype=np.int64)
        if free.any() and np.sum(weights) > 0:
            for product in np.flatnonzero(free):
                wanted[:, product] = largest_remainder(int(free[product]), weights)
        self.chain.request(day, wanted)

    def send(self, day: int, wanted: np.ndarray | None) -> np.ndarray:
        """02:00: earmark ``wanted[district, product]`` doses of free stock (what a plan asks
        for; less when the stock is not there) and load today's trips. Returns the doses
        asked for and not found ``[district, product]``."""
        return self.chain.request(day, wanted).unfilled

    def forward(self, day: int, lines: Forwards) -> Forwards:
        """02:00, before :meth:`send`: make a plan's shipments between stores above the districts
        from the free stock there. Returns the lines, or what is left of them, not sent (the
        stock is not there yet, no trip today, no room)."""
        left = self.chain.forward(day, lines.origin, lines.target, lines.lot, lines.doses)
        return replace(lines.only(left > 0), doses=left[left > 0])

    def bookable(self, day: int, until: int, promised: np.ndarray) -> np.ndarray:
        """Doses ``[district, product]`` that booking may still promise for day ``until``:
        :meth:`expected` by then, less ``promised`` (doses of appointments not yet given)."""
        return np.maximum(self.expected(day, until) - promised, 0)

    def expected(self, day: int, until: int) -> np.ndarray:
        """Doses ``[district, product]`` earmarked for each district that are at its store, or
        on the road and due there by day ``until`` along the routes' lead times, and still
        usable on ``until``: the vaccine "on hand or due" that booking counts on. Stock still
        waiting upstream (for a truck, or for room in a full store) is not counted; a late truck
        or a store hit by an excursion turns the promise into a stock-out."""
        return self.chain.available(day, until - day) + self._arriving_by(until)

    def still_upstream(self, until: int) -> np.ndarray:
        """Doses ``[district, product]`` earmarked for each district that :meth:`expected` by day
        ``until`` does not count: waiting upstream (for a truck, or for room in a full store
        downstream) or on the road and due later (or not usable by then)."""
        return self.chain.in_pipeline() - self._arriving_by(until)

    def _arriving_by(self, until: int) -> np.ndarray:
        """Doses ``[district, product]`` earmarked for each district on the road, due at its
        store by day ``until`` along the routes' lead times and still usable then."""
        chain = self.chain
        network, lots, moving = chain.network, chain.lots, chain.transit
        total = np.zeros(self.districts * self.products)
        if len(moving):
            owner = np.maximum(moving.owner, 0)  # free stock on the road is nobody's yet
            days_left = network.route_days[network.link_to[moving.link], network.district_node[owner]]
            usable = lots.use_by(moving.lot, moving.thaw) >= until
            due = (moving.owner >= 0) & (days_left >= 0) & (moving.arrive + days_left <= until) & usable
            cell = owner * self.products + lots.product[moving.lot]
            total += sum_by(cell[due], moving.doses[due], total.size)
        return total.astype(np.int64).reshape(self.districts, self.products)

    def vaccinate(
        self, day: int, wanted: np.ndarray, site_weight: np.ndarray, planned: PlannedSessions | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Give ``wanted[district, product]`` doses at the district's open sessions: a plan's
        ``planned`` sessions of the day first, the rest split among sites by
        ``site_weight[site]`` (e.g. their capacity today). Returns the doses given
        ``[district, product]`` and ``[site, product]``; the rest had no dose (stock-out) or
        were turned away late."""
        at_site = np.zeros((len(self.model.sites), self.products), dtype=np.int64)
        if not wanted.any():
            return np.zeros_like(wanted), at_site
        weekday, late = int(self.weekday[day]), self.random["coldchain.late"]
        sessions = self.layout.split(weekday, wanted, site_weight, self.late_minutes, late, planned)
        outcome = self.chain.administer(day, sessions)
        np.add.at(at_site, (sessions.site, sessions.product), outcome.given)
        return outcome.by_district("given", self.districts, self.products), at_site

    def doses_to_draw(
        self, day: int, wanted: np.ndarray, site_weight: np.ndarray, planned: PlannedSessions | None = None
    ) -> np.ndarray:
        """Doses ``[district, product]`` that giving ``wanted[district, product]`` doses on
        ``day`` would draw from stock: whole vials of the sessions :meth:`vaccinate` would hold
        for them (everyone on time), however much stock there is."""
        weekday = int(self.weekday[day])
        # No one late: the split draws no random numbers.
        late = self.random["coldchain.late"]
        sessions = self.layout.split(weekday, wanted, site_weight, 0.0, late, planned)
        return self.chain.doses_to_draw(sessions)

    def end_day(self, day: int) -> None:
        """23:59: snapshot the stock and check conservation for every lot and store."""
        self.chain.end_day(day)

    def stock_by_tier(self, day: int, provinces: int) -> tuple[np.ndarray, np.ndarray]:
        """Doses on hand at the end of ``day``: ``(upstream[product], district[province,
        product])``; upstream is every store above the districts (national, regional,
        provincial), district the district stores of each province."""
        stock = self.chain.record.stock[day]
        district = np.zeros((provinces, self.products), dtype=np.int64)
        province = self.chain.network.province[self.district_store]
        np.add.at(district, np.maximum(province, 0), stock[self.district_store])
        return stock[~self.district_store].sum(axis=0), district

    def results(self) -> ColdChainResults:
        """The cold chain's ledger and KPI tables (conservation checked once more)."""
        return self.chain.results()

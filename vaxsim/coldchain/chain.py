"""The cold chain of one campaign run, simulated day by day by the campaign engine.

Build a :class:`ColdChain` from a compiled model and the run's named random streams, then call,
every campaign day and in this order::

    chain.receive(day)                     # 00:00 lots arriving today enter their store
    chain.advance(day)                     # 01:00 shipments land; expiry, thaw clock,
                                           #       excursions and breakage destroy stock
    chain.forward(day, origin, target, lot, doses)  # 02:00 (a plan) free stock store to store
    orders = chain.request(day, wanted)    # 02:00 earmark free stock for districts, load trucks
    stock = chain.available(day, horizon)  #       usable doses at district stores (for booking)
    outcome = chain.administer(day, sessions)  # 07:00 vials opened, doses given and wasted
    chain.end_day(day)                     # 23:59 snapshot KPIs, check conservation

``forward``, ``request`` and ``administer`` may be called several times a day; a step that is skipped is run
by the next one (``end_day`` alone runs the whole day), and calling a step for an earlier day
or phase raises :class:`~vaxsim.coldchain.errors.ColdChainOrderError`. At the end,
:meth:`ColdChain.results` gives the ledger and the KPI tables and checks conservation again.

How stock moves (see the modules for details):

- Stock is held per store, lot, owner and thaw day (:mod:`vaxsim.coldchain.holdings`). Free
  stock (no owner) stays where it is until the engine asks for it: a plan's shipments between
  stores above the districts (``forward``) move it on as free stock, on the link's trips.
- ``request(day, wanted[district, product])`` earmarks free stock for each district, nearest
  store first, first expiry first out, skipping stock that would expire before it can arrive;
  when a store cannot fill every district it supplies, its stock is shared in proportion to
  what each district asked. Earmarked stock then travels store to store along the route to the
  district's store, on each link's schedule, within vehicle and receiving-store capacities.
- Ultra-cold or frozen stock sent to a store without capacity in its class travels and stays
  at +2..+8 °C: its thaw clock starts on the day it leaves.
- Sessions draw whole vials, first expiry first out, from their district's own stock.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from vaxsim.coldchain.checks import model_problems
from vaxsim.coldchain.disruptions import Mishaps
from vaxsim.coldchain.errors import (
    ColdChainInputError,
    ColdChainOrderError,
    ColdChainWarning,
)
from vaxsim.coldchain.fefo import cumulative_before, draw_for_sessions, match, order_by, take_in_order
from vaxsim.coldchain.holdings import Holdings
from vaxsim.coldchain.kpis import ColdChainResults, DailyRecord
from vaxsim.coldchain.ledger import (
    ADMINISTERED,
    BREAKAGE,
    EXCURSION,
    EXPIRY,
    OPEN_VIAL,
    RECEIVED,
    SHIPPED,
    THAW_CLOCK,
    WASTED,
    Ledger,
)
from vaxsim.coldchain.lots import NOT_THAWED, Lots, thaw_key
from vaxsim.coldchain.network import Network
from vaxsim.coldchain.room import free_litres, litres_by_class
from vaxsim.coldchain.sessions import Sessions, vial_groups
from vaxsim.coldchain.temperature import CLASSES, COLD
from vaxsim.coldchain.transport import InTransit, load_trips
from vaxsim.coldchain.vials import VialPlan, session_vials
from vaxsim.model import Model
from vaxsim.numeric import largest_remainder, sum_by
from vaxsim.scenario.cold_chain import Disruptions
from vaxsim.scenario.policies import OpenVial

RECEIVE, ADVANCE, REQUEST, ADMINISTER, END_DAY = range(5)
PHASES = ("receive", "advance", "request", "administer", "end_day")
_REPEATABLE = (REQUEST, ADMINISTER)


@dataclass(frozen=True)
class Orders:
    """What ``request`` did: doses ``allocated[district, product]`` (earmarked today from free
    stock, on their way or already at the district store) and ``unfilled`` (asked, not found)."""

    allocated: np.ndarray
    unfilled: np.ndarray


@dataclass(frozen=True)
class SessionOutcome:
    """What ``administer`` did, per session (int64 arrays in the order of the sessions given).

    ``given``: people vaccinated; ``short``: people who would have been vaccinated but the
    district store had no dose left (stock-outs); ``turned_away``: late people not served by the
    opening threshold; ``vials``: vials opened; ``wasted``: doses left in opened vials
    (open-vial waste). Shared vials (vials kept between sessions) are counted on the group's
    last session.
    """

    district: np.ndarray
    product: np.ndarray
    given: np.ndarray
    short: np.ndarray
    turned_away: np.ndarray
    vials: np.ndarray
    wasted: np.ndarray

    def by_district(self, field: str, districts: int, products: int) -> np.ndarray:
        """``field`` summed per ``[district, product]`` (int64)."""
        cell = self.district * products + self.product
        values = getattr(self, field)
        total = sum_by(cell, values, districts * products)
        return total.astype(np.int64).reshape(districts, products)


def _streams_getter(streams: object):
    if callable(streams) and not hasattr(streams, "__getitem__"):
        return streams
    return lambda name: streams[name]


class ColdChain:
    """Stores, lots, shipments, vials and the ledger of one run (see the module docstring).

    ``streams`` gives a ``numpy.random.Generator`` per name (``streams["coldchain.delays"]``,
    e.g. the engine's :class:`vaxsim.sim.random.Streams`, or a callable ``name -> Generator``).
    ``disruptions`` and ``open_vial`` default to the model's scenario. ``check_every_day``
    checks conservation for every lot and store at each ``end_day`` (about a millisecond).
    """

    def __init__(
        self,
        model: Model,
        streams: object,
        *,
        disruptions: Disruptions | None = None,
        open_vial: OpenVial | None = None,
        check_every_day: bool = True,
    ):
        problems = model_problems(model)
        if problems:
            raise ColdChainInputError(problems)
        self.model = model
        self.network = Network.from_model(model)
        self.lots = Lots.from_model(model)
        self.days = len(model.dates)
        self.districts = len(model.districts)
        self.products = self.lots.products
        self.disruptions = disruptions if disruptions is not None else model.scenario.cold_chain.disruptions
        self.open_vial = open_vial if open_vial is not None else model.scenario.policies.open_vial
        self.check_every_day = check_every_day
        net = self.network
        self.stock = Holdings()
        self.transit = InTransit()
        self.ledger = Ledger(net.nodes, self.lots.count)
        self.delivered = np.zeros(self.lots.count, dtype=np.int64)
        self.record = DailyRecord.empty(self.days, net, self.districts, self.products)
        self.mishaps = Mishaps(self.disruptions, _streams_getter(streams), net.links, net.nodes)
        self.warnings: list[str] = []
        self._overflowing = np.zeros((net.nodes, len(CLASSES)), dtype=bool)
        self._vehicle_litres = np.zeros(net.links)
        self._delays = np.zeros(net.links, dtype=np.int64)
        self._day, self._phase = 0, -1

    # ------------------------------------------------------------------ daily steps

    def receive(self, day: int) -> None:
        """Lots arriving on ``day`` enter their arrival store as free stock (lots dated before
        day 0 enter on day 0). A lot larger than the room left is stored anyway; the overflow is
        a KPI and a :class:`ColdChainWarning` at the end of the day."""
        self._enter(day, RECEIVE)

    def advance(self, day: int) -> None:
        """Shipments due land (less breakage); stock past its use-by day is wasted (``expiry``
        or ``thaw_clock``); temperature excursions destroy the stock of the class they hit."""
        self._enter(day, ADVANCE)

    def request(self, day: int, wanted: np.ndarray | None = None) -> Orders:
        """Earmark free stock for ``wanted[district, product]`` doses, then load today's trips.

        Returns what was earmarked; unfilled doses are not remembered (ask again another day).
        """
        self._enter(day, REQUEST)
        if wanted is None:
            allocated = np.zeros((self.districts, self.products), dtype=np.int64)
            self._dispatch(day)
            return Orders(allocated, allocated.copy())
        wanted = np.asarray(wanted, dtype=np.int64)
        if wanted.shape != (self.districts, self.products) or np.any(wanted < 0):
            raise ValueError(f"wanted must be non-negative doses of shape {(self.districts, self.products)}")
        allocated = self._allocate(day, wanted)
        self._dispatch(day)
        return Orders(allocated, wanted - allocated)

    def forward(
        self, day: int, origin: np.ndarray, target: np.ndarray, lot: np.ndarray, doses: np.ndarray
    ) -> np.ndarray:
        """Send free stock store to store: ``doses[i]`` of ``lot[i]`` from store ``origin[i]``
        on today's trip to the next store ``target[i]`` (a plan's shipments between the stores
        above the districts). It travels and lands as free stock. Only what is there, free, on
        a link with a trip today and room in the vehicle and the receiving store goes; returns
        the doses not sent per line (int64)."""
        self._enter(day, REQUEST)
        origin, target, lot, doses = (np.asarray(a, dtype=np.int64) for a in (origin, target, lot, doses))
        if np.any(self.network.link_of[origin, target] < 0) or np.any(doses < 0):
            raise ValueError("forwards must follow a link of the store network, non-negative doses")
        return self._forward(day, origin, target, lot, doses)

    def administer(self, day: int, sessions: Sessions) -> SessionOutcome:
        """Give doses at ``sessions`` from their district's stock, whole vials, first expiry first.

        Vials follow :mod:`vaxsim.coldchain.vials` under the scenario's ``open_vial`` policy.
        Sessions are served in the order given; when a district runs out, later sessions get
        fewer doses (``short``).
        """
        self._enter(day, ADMINISTER)
        return self._administer(day, sessions)

    def end_day(self, day: int) -> None:
        """Close ``day``: load any trips not loaded yet, snapshot the KPIs, check conservation."""
        self._enter(day, END_DAY)

    # ------------------------------------------------------------------ queries

    def available(self, day: int, horizon: int = 0) -> np.ndarray:
        """Usable doses ``[district, product]`` at each district's store, earmarked for it,
        that are still usable on day ``day + horizon``."""
        h = self.stock
        home = self._at_home()
        rows = h.select(home & (self.lots.use_by(h.lot, h.thaw) >= day + horizon))
        return self._by_owner(rows)

    def free_stock(self, day: int) -> np.ndarray:
        """Free (not yet earmarked) usable doses per product, wherever they are."""
        h = self.stock
        rows = h.select((h.owner < 0) & (self.lots.use_by(h.lot, h.thaw) >= day))
        product = self.lots.product[h.lot[rows]]
        return sum_by(product, h.doses[rows], self.products)

    def reachable_free_stock(self, day: int) -> np.ndarray:
        """Free usable doses ``[district, product]`` held at stores from which each district's
        store can be reached (the same doses count for every district they could serve)."""
        h = self.stock
        rows = h.select((h.owner < 0) & (self.lots.use_by(h.lot, h.thaw) >= day))
        per_node = np.zeros((self.network.nodes, self.products), dtype=np.int64)
        np.add.at(per_node, (h.node[rows], self.lots.product[h.lot[rows]]), h.doses[rows])
        reach = (self.network.route_days[:, self.network.district_node] >= 0).T.astype(np.int64)
        return reach @ per_node

    def in_pipeline(self) -> np.ndarray:
        """Doses ``[district, product]`` earmarked for each district not yet at its store."""
        h = self.stock
        rows = h.select((h.owner >= 0) & ~self._at_home())
        waiting = self._by_owner(rows)
        t = self.transit
        owned = t.owner >= 0  # free stock travels too (forwarded store to store)
        cell = t.owner[owned] * self.products + self.lots.product[t.lot[owned]]
        moving = sum_by(cell, t.doses[owned], self.districts * self.products)
        return waiting + moving.astype(np.int64).reshape(self.districts, self.products)

    def on_hand(self) -> np.ndarray:
        """Doses on hand ``[store, lot]`` (all owners, usable or not)."""
        h = self.stock
        cells = h.node * self.lots.count + h.lot
        size = self.network.nodes * self.lots.count
        return sum_by(cells, h.doses, size).reshape(
            self.network.nodes, self.lots.count
        )

    def check_conservation(self, day: int | None = None) -> None:
        """Raise :class:`ConservationError` unless, for every lot at every store,
        received = administered + wasted + shipped out + on hand, and every dose shipped has
        landed or is in transit."""
        self.ledger.check(self.on_hand(), day, self.network.ids, self.lots.ids)
        in_transit = sum_by(self.transit.lot, self.transit.doses, self.lots.count)
        self.ledger.check_transit(self.delivered, in_transit, day, self.lots.ids)

    def results(self) -> ColdChainResults:
        """The ledger and KPI tables of the days simulated so far, after a final conservation
        check (from the running totals and again from the tidy ledger). A day part-way through
        its steps is included as it stands (stock snapshot taken now); the run can go on."""
        if self._phase not in (-1, END_DAY):
            self.record.snapshot(self._day, self)
        self.check_conservation()
        results = ColdChainResults(self)
        results.verify()
        return results

    # ------------------------------------------------------------------ order of steps

    def _enter(self, day: int, phase: int) -> None:
        """Run every step between the last one run and ``(day, phase)``, then ``phase`` itself."""
        if not 0 <= day < self.days:
            raise ColdChainOrderError(f"day {day} is outside the campaign (0 to {self.days - 1})")
        here = (self._day, self._phase)
        if (day, phase) < here or ((day, phase) == here and phase not in _REPEATABLE):
            raise ColdChainOrderError(
                f"{PHASES[phase]}(day={day}) called after {PHASES[self._phase]}(day={self._day}); "
                f"each day runs {' → '.join(PHASES)}"
            )
        while (self._day, self._phase) < (day, phase):
            if self._phase == END_DAY:
                self._day, self._phase = self._day + 1, -1
            self._phase += 1
            if (self._day, self._phase) != (day, phase) or phase not in _REPEATABLE:
                self._run(self._day, self._phase)

    def _run(self, day: int, phase: int) -> None:
        if phase == RECEIVE:
            self._vehicle_litres[:] = 0.0
            self._delays = self.mishaps.delay_days()
            self._receive(day)
        elif phase == ADVANCE:
            self._land(day)
            self._expire(day)
            self._excursions(day)
        elif phase == REQUEST:
            self._dispatch(day)
        elif phase == END_DAY:
            self._end_day(day)

    # ------------------------------------------------------------------ receipts and landings

    def _receive(self, day: int) -> None:
        lots, net = self.lots, self.network
        arriving = np.flatnonzero((lots.arrival_day == day) | ((lots.arrival_day < 0) & (day == 0)))
        if not len(arriving):
            return
        node = lots.store[arriving]
        cls = lots.storage_class[lots.product[arriving]]
        thaw = np.where((cls != COLD) & (net.capacity[node, cls] <= 0), day, NOT_THAWED)
        self.stock.append(node, -1, arriving, thaw, lots.doses[arriving])
        self.ledger.record(day, RECEIVED, node, arriving, lots.doses[arriving])
        self.delivered[arriving] += lots.doses[arriving]

    def _land(self, day: int) -> int:
        """Shipments due by ``day`` enter their store, less breakage; returns pieces landed."""
        rows = self.transit.pop_arriving(day)
        if not len(rows["doses"]):
            return 0
        net = self.network
        to, frm = net.link_to[rows["link"]], net.link_from[rows["link"]]
        self.ledger.record(day, RECEIVED, to, rows["lot"], rows["doses"], partner=frm)
        broken = self.mishaps.broken(rows["doses"])
        self._waste(day, BREAKAGE, to, rows["lot"], broken)
        self.stock.append(to, rows["owner"], rows["lot"], rows["thaw"], rows["doses"] - broken)
        return len(rows["doses"])

    # ------------------------------------------------------------------ waste in stores

    def _waste(self, day: int, cause: int, node: np.ndarray, lot: np.ndarray, doses: np.ndarray) -> None:
        self.ledger.record(day, WASTED, node, lot, doses, cause=cause)
        if len(doses):
            np.add.at(self.record.waste[day, cause], self.lots.product[lot], doses)

    def _expire(self, day: int) -> None:
        h, lots = self.stock, self.lots
        rows = h.select(lots.use_by(h.lot, h.thaw) < day)
        if not len(rows):
            return
        lot, doses = h.lot[rows], h.doses[rows]
        clock = lots.thaw_clock_binds(lot, h.thaw[rows])
        self.ledger.write_off(day, h.node[rows], lot, doses, clock)
        np.add.at(self.record.waste[day], (np.where(clock, THAW_CLOCK, EXPIRY), lots.product[lot]), doses)
        h.remove(rows, doses)

    def _excursions(self, day: int) -> None:
        h, lots, net = self.stock, self.lots, self.network
        cls = lots.storage_class_of(h.lot, h.thaw)
        held = h.doses > 0
        occupied = np.zeros((net.nodes, len(CLASSES)), dtype=bool)
        occupied[h.node[held], cls[held]] = True
        hit = self.mishaps.excursions(occupied)
        rows = h.select(hit[h.node] == cls)
        if len(rows):
            self._waste(day, EXCURSION, h.node[rows], h.lot[rows], h.doses[rows])
            h.remove(rows, h.doses[rows])

    # ------------------------------------------------------------------ allocation

    def _at_home(self) -> np.ndarray:
        h = self.stock
        return (h.owner >= 0) & (h.node == self.network.district_node[np.maximum(h.owner, 0)])

    def _by_owner(self, rows: np.ndarray) -> np.ndarray:
        h = self.stock
        cell = h.owner[rows] * self.products + self.lots.product[h.lot[rows]]
        total = sum_by(cell, h.doses[rows], self.districts * self.products)
        return total.astype(np.int64).reshape(self.districts, self.products)

    def _allocate(self, day: int, wanted: np.ndarray) -> np.ndarray:
        """Earmark free stock for ``wanted``: per product, sources nearest to the requesting
        districts first; per source and route length, first expiry first out among the lots
        still usable on arrival, shared in proportion to demand when short."""
        h, lots, net = self.stock, self.lots, self.network
        remaining = wanted.copy()
        free = h.select(h.owner < 0)
        if not len(free):
            return wanted - remaining
        free_product = lots.product[h.lot[free]]
        for product in np.flatnonzero(remaining.sum(axis=0)):
            mine = free[free_product == product]
            sources = np.unique(h.node[mine])
            asking = np.flatnonzero(remaining[:, product])
            days = net.route_days[sources[:, None], net.district_node[asking][None, :]].astype(float)
            days[days < 0] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                nearness = np.nanmean(days, axis=1)
            nearness = np.round(np.nan_to_num(nearness, nan=1e9) * 1000).astype(np.int64)
            for source in sources[order_by(nearness, sources)]:
                self._allocate_from(day, int(source), int(product), mine[h.node[mine] == source], remaining)
        return wanted - remaining

    def _allocate_from(
        self, day: int, source: int, product: int, rows: np.ndarray, remaining: np.ndarray
    ) -> None:
        h, lots, net = self.stock, self.lots, self.network
        asking = np.flatnonzero(remaining[:, product])
        lead = net.route_days[source, net.district_node[asking]]
        for days in np.unique(lead[lead >= 0]):
            districts = asking[lead == days]
            use_by = lots.use_by(h.lot[rows], h.thaw[rows])
            usable = rows[(use_by >= day + days) & (h.doses[rows] > 0)]
            if not len(usable):
                continue
            usable = usable[order_by(lots.use_by(h.lot[usable], h.thaw[usable]), h.lot[usable],
                                     thaw_key(h.thaw[usable]))]
            supply = h.doses[usable]
            demand = remaining[districts, product]
            if demand.sum() > supply.sum():
                demand = largest_remainder(int(supply.sum()), demand)
            zeros_s, zeros_d = np.zeros(len(usable), np.int64), np.zeros(len(districts), np.int64)
            si, di, doses, _ = match(zeros_s, supply, zeros_d, demand, 1)
            piece_rows = usable[si]
            owner = districts[di]
            h.remove(piece_rows, doses)
            h.append(source, owner, h.lot[piece_rows], h.thaw[piece_rows], doses)
            np.subtract.at(remaining[:, product], owner, doses)

    # ------------------------------------------------------------------ transport

    def _dispatch(self, day: int) -> None:
        """Load today's trips with earmarked stock heading on, land same-day arrivals, repeat."""
        for _ in range(self.network.nodes + 1):
            if not self._load(day) or not self._land(day):
                return

    def _room(self) -> np.ndarray:
        """Litres free per [store, class]: capacity less stock on hand and on its way there."""
        h, lots, net, t = self.stock, self.lots, self.network, self.transit
        on_hand = litres_by_class(
            net.nodes, h.node, lots.storage_class_of(h.lot, h.thaw), lots.litres(h.lot, h.doses)
        )
        coming = litres_by_class(
            net.nodes, net.link_to[t.link], lots.storage_class_of(t.lot, t.thaw), lots.litres(t.lot, t.doses)
        )
        return free_litres(net.capacity, on_hand, coming).reshape(-1)

    def _load(self, day: int) -> int:
        """Load today's departing trips with earmarked stock heading on; returns the number of
        pieces loaded."""
        h, net = self.stock, self.network
        owner = np.maximum(h.owner, 0)
        goal = net.district_node[owner]
        rows = h.select((h.owner >= 0) & (h.node != goal))
        if not len(rows):
            return 0
        loaded = self._ship(day, rows, net.next_hop[h.node[rows], goal[rows]], h.doses[rows])
        return int(np.count_nonzero(loaded))

    def _forward(
        self, day: int, origin: np.ndarray, target: np.ndarray, lot: np.ndarray, doses: np.ndarray
    ) -> np.ndarray:
        """Free stock of ``lot[i]`` at ``origin[i]`` onto today's trip to ``target[i]``, up to
        ``doses[i]``, earliest thaw first; returns the doses not sent per line."""
        h, lots = self.stock, self.lots
        keys, group = np.unique(origin * lots.count + lot, return_inverse=True)
        free = h.select(h.owner < 0)
        key = h.node[free] * lots.count + h.lot[free]
        mine = np.isin(key, keys)
        free, key = free[mine], key[mine]
        order = order_by(key, thaw_key(h.thaw[free]))
        held, supply_group = free[order], np.searchsorted(keys, key[order])
        by_line = np.argsort(group, kind="stable")
        row, line, pieces, _ = match(supply_group, h.doses[held], group[by_line], doses[by_line], len(keys))
        line = by_line[line]
        sent = self._ship(day, held[row], target[line], pieces)
        return doses - sum_by(line, sent, len(doses)).astype(np.int64)

    def _ship(self, day: int, rows: np.ndarray, nxt: np.ndarray, doses: np.ndarray) -> np.ndarray:
        """Load up to ``doses[i]`` of holding ``rows[i]`` onto today's trip to the next store
        ``nxt[i]`` (-1 = none), within each vehicle's litres and the receiving store's room,
        earliest use-by first; stock that would not last the journey stays. Returns the doses
        loaded per row (a row may repeat)."""
        h, lots, net = self.stock, self.lots, self.network
        loaded = np.zeros(len(rows), dtype=np.int64)
        node = h.node[rows]
        link = np.where(nxt >= 0, net.link_of[node, np.maximum(nxt, 0)], -1)
        candidate = np.flatnonzero((link >= 0) & net.departs[day, np.maximum(link, 0)])
        rows, node, nxt, link, doses = (a[candidate] for a in (rows, node, nxt, link, doses))
        lot, thaw = h.lot[rows], h.thaw[rows]
        cls = lots.storage_class_of(lot, thaw)
        thaw_now = (cls != COLD) & (net.capacity[nxt, cls] <= 0)
        thaw = np.where(thaw_now, day, thaw)
        cls = np.where(thaw_now, COLD, cls)
        use_by = lots.use_by(lot, thaw)
        arrive = day + net.lead_days[link] + self._delays[link]
        fresh = use_by >= day + net.lead_days[link]
        candidate, rows, node, nxt, link, lot, thaw, cls, use_by, arrive, doses = (
            a[fresh] for a in (candidate, rows, node, nxt, link, lot, thaw, cls, use_by, arrive, doses)
        )
        if not len(rows):
            return loaded
        vehicle_room = np.where(net.on_demand, np.inf, net.link_litres - self._vehicle_litres)
        litres_per_dose = lots.litres_per_dose[lots.product[lot]]
        owner = h.owner[rows]
        taken = load_trips(
            link, nxt * 3 + cls, (use_by, owner, lot, thaw_key(thaw)), doses, litres_per_dose,
            vehicle_room, self._room(),
        )
        go = taken > 0
        loaded[candidate[go]] = taken[go]
        rows, node, link, lot, thaw, arrive, owner, taken = (
            a[go] for a in (rows, node, link, lot, thaw, arrive, owner, taken)
        )
        litres = np.bincount(link, weights=taken * litres_per_dose[go], minlength=net.links)
        self._vehicle_litres += litres
        self.record.link_litres[day] += litres
        h.remove(rows, taken)
        self.ledger.record(day, SHIPPED, node, lot, taken, partner=net.link_to[link])
        self.transit.add(link=link, owner=owner, lot=lot, thaw=thaw, doses=taken,
                         depart=np.full(len(rows), day), arrive=arrive)
        return loaded

    # ------------------------------------------------------------------ sessions

    def doses_to_draw(self, sessions: Sessions) -> np.ndarray:
        """Doses ``[district, product]`` that ``sessions`` open in whole vials (the vials their
        people need, shared as on the day, :func:`vial_groups`), however much stock there is."""
        _, last, plan = self._vials(sessions)
        cell = sessions.district[last] * self.products + sessions.product[last]
        drawn = sum_by(cell, plan.drawn, self.districts * self.products)
        return drawn.astype(np.int64).reshape(self.districts, self.products)

    def _vials(self, sessions: Sessions) -> tuple[np.ndarray, np.ndarray, VialPlan]:
        """The vials of ``sessions``: the vial group of each session, the last session of each
        group, and the groups' :class:`VialPlan` (before any stock limit)."""
        n = len(sessions)
        if n and (sessions.district.max() >= self.districts or sessions.product.max() >= self.products):
            raise ValueError("sessions refer to an unknown district or product")
        lots = self.lots
        d = lots.doses_per_vial[sessions.product]
        in_use = lots.in_use_hours[sessions.product] * 60.0
        group = vial_groups(sessions, in_use, self.open_vial.discard_at_session_end)
        groups = int(group.max()) + 1 if n else 0
        last = np.zeros(groups, dtype=np.int64)
        last[group] = np.arange(n)  # the last session of each group (sessions are in order)
        people = sum_by(group, sessions.people, groups)
        late = np.zeros(groups, dtype=np.int64)
        late[group[last]] = sessions.late[last]
        if groups == n:  # every session its own group
            span = sessions.end[last] - sessions.start[last]
        else:
            first_start = np.full(groups, np.inf)
            np.minimum.at(first_start, group, sessions.start)
            span = np.full(groups, -np.inf)
            np.maximum.at(span, group, sessions.end)
            span = span - first_start
        late_k = self.open_vial.min_people_late if self.open_vial.late_minutes > 0 else 1
        minutes = np.where(np.isfinite(span), span, 0.0)
        plan = session_vials(people, d[last], minutes, in_use[last], late=late, min_people_late=late_k)
        return group, last, plan

    def _administer(self, day: int, sessions: Sessions) -> SessionOutcome:
        h, lots = self.stock, self.lots
        n = len(sessions)
        group, last, plan = self._vials(sessions)
        groups = len(last)
        d = lots.doses_per_vial[sessions.product]
        g_product, g_district = sessions.product[last], sessions.district[last]

        # Draw the vials from the district's own stock: sessions in order until it runs out;
        # the doses drawn come from its lots first expiry first out, session after session, each
        # session's doses injected first and its open-vial leftovers after (fefo.draw_for_sessions).
        rows = h.select(self._at_home() & (lots.use_by(h.lot, h.thaw) >= day))
        cells = self.districts * self.products
        row_cell = h.owner[rows] * self.products + lots.product[h.lot[rows]]
        use_by = lots.use_by(h.lot[rows], h.thaw[rows])
        rows = rows[order_by(row_cell, use_by, h.lot[rows], thaw_key(h.thaw[rows]))]
        row_cell = h.owner[rows] * self.products + lots.product[h.lot[rows]]
        on_hand = sum_by(row_cell, h.doses[rows], cells)
        cell = g_district * self.products + g_product
        by_cell = order_by(cell, np.arange(groups))
        drawn = np.zeros(groups, dtype=np.int64)
        drawn[by_cell] = take_in_order(cell[by_cell], plan.drawn[by_cell], on_hand)
        given = np.minimum(plan.given, drawn)
        row, _, injected, leftover = draw_for_sessions(
            row_cell, h.doses[rows], cell[by_cell], drawn[by_cell], given[by_cell], cells
        )
        node, lot = h.node[rows[row]], h.lot[rows[row]]
        self.ledger.record(day, ADMINISTERED, node, lot, injected)
        self._waste(day, OPEN_VIAL, node, lot, leftover)
        h.remove(rows, np.bincount(row, weights=injected + leftover, minlength=len(rows)).astype(np.int64))

        # Back to sessions: people served in session order; of those left without a dose, the
        # latest are the ones turned away by the threshold, the others are short of vaccine.
        vials = np.where(drawn < plan.drawn, -(-drawn // d[last]), plan.vials)
        if groups == n:
            session_given = given
            turned_away = plan.turned_away
            at_last = np.ones(n, dtype=bool)
        else:
            order = np.argsort(group, kind="stable")
            before = np.zeros(n, dtype=np.int64)
            before[order] = cumulative_before(group[order], sessions.people[order])
            session_given = np.clip(given[group] - before, 0, sessions.people)
            not_given = sessions.people - session_given
            backwards = order[::-1]
            after = np.zeros(n, dtype=np.int64)
            after[backwards] = cumulative_before(group[backwards], not_given[backwards])
            turned_away = np.clip(plan.turned_away[group] - after, 0, not_given)
            at_last = np.zeros(n, dtype=bool)
            at_last[last] = True
        outcome = SessionOutcome(
            district=sessions.district,
            product=sessions.product,
            given=session_given,
            short=sessions.people - session_given - turned_away,
            turned_away=turned_away,
            vials=np.where(at_last, vials[group], 0),
            wasted=np.where(at_last, (drawn - given)[group], 0),
        )
        self.record.add_sessions(day, outcome)
        return outcome

    # ------------------------------------------------------------------ end of day

    def _end_day(self, day: int) -> None:
        self.stock.compact(self.network.nodes, self.districts, self.lots.count)
        self.record.snapshot(day, self)
        over = self.record.litres[day] > self.network.capacity * (1 + 1e-9)
        for node, cls in np.argwhere(over & ~self._overflowing):
            message = (
                f"day {day} ({self.model.dates[day].date()}): store {self.network.ids[node]!r} holds "
                f"{self.record.litres[day, node, cls]:.1f} L of {CLASSES[cls]} stock, above its capacity "
                f"of {self.network.capacity[node, cls]:.1f} L"
            )
            self.warnings.append(message)
            warnings.warn(message, ColdChainWarning, stacklevel=3)
        self._overflowing = over
        if self.check_every_day:
            self.check_conservation(day)

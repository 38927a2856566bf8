"""The lot ledger of a plan: whole doses of every lot at every node, day by day.

Stock only changes through the events booked in the cold chain's event book
(:class:`vaxsim.coldchain.ledger.Ledger`: received, shipped, administered, wasted with its
cause: open vial, expiry, thaw clock), so the conservation identity of DESIGN.md holds by
construction and :meth:`PlanLedger.check_conservation` verifies it at the end, for every lot at
every node, with the cold chain's own check. A session's doses are booked at its district's
node (the store they are drawn from), with the session's site as the event's partner, as the
simulated cold chain books them. Issues are first-expiry-first-out within a lot class; a lot is
never issued before it has arrived (it is not in stock) nor after its use-by day (it is written
off the day after, by the cold chain's write-off rule).

Use-by: a lot's expiry date, and where a node keeps a thawable product thawed at +2..+8 °C
(no room in its own class, :class:`StoreRules`), also its *thaw clock*: the earliest day any of
that lot reached the node's physical store, or the clock it carried from a thawed origin, plus
the product's thawed shelf life − 1. The clock is kept per physical store and lot and never
restarts, which is how the plan checker reads a plan (it cannot tell which batch of a lot a
shipment took, so a batch sent on keeps the store's earliest clock for the lot).

Capacity: a shipment into a store is cut, in whole shipping units, to the litres left in the
store's temperature class that day (the cold chain's room rule, :mod:`vaxsim.coldchain.room`:
capacity − stock on hand − what else arrives, + what the store sends on later that day), and a
store still over capacity sends the excess on to child
stores with room (:meth:`PlanLedger.relieve`), else gives back what it received that day, to its
parent or further up the chain (:meth:`PlanLedger.take_back`), so rounding does not put a store
over its capacity (FORMULATION.md, section 7).

Time: every node works in its own frame (see :mod:`vaxsim.optimize.lp.problem`); frame day ``F``
at node ``n`` is campaign day ``F + offset[n]``. A shipment leaving its origin on frame day
``F`` arrives on frame day ``F`` of its destination, so pending arrivals are keyed by frame day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from vaxsim.coldchain.fefo import ClipInOrder, clip_in_order, scale_to
from vaxsim.coldchain.ledger import (
    ADMINISTERED,
    EXPIRY,
    OPEN_VIAL,
    RECEIVED,
    SHIPPED,
    THAW_CLOCK,
    WASTED,
)
from vaxsim.coldchain.ledger import Ledger as EventBook
from vaxsim.coldchain.lots import NOT_THAWED, Lots, thaw_clock_end
from vaxsim.coldchain.room import free_litres, litres_by_class
from vaxsim.coldchain.temperature import CLASSES
from vaxsim.optimize.setup.hierarchy import Hierarchy


@dataclass(frozen=True)
class StoreRules:
    """Where the ledger keeps lots cold, per node and physical store (the lots' own facts, thaw
    days and litres per dose, are the cold chain's :class:`~vaxsim.coldchain.lots.Lots`).

    ``thaws`` bool [n, q] node ``n`` keeps product ``q`` thawed (a thawable product with no room
    in its own class at the node or its physical store); ``store`` int64 [n] the physical store
    holding node ``n``'s stock (clocks and litres are counted per store, as the plan shows
    them); ``litres`` float [store, τ] capacity per temperature class (inf = no limit);
    ``kept_in`` int64 [n, q] the class product ``q`` occupies at node ``n``.
    """

    thaws: np.ndarray
    store: np.ndarray
    litres: np.ndarray
    kept_in: np.ndarray

    @classmethod
    def unlimited(cls, nodes: int, products: int) -> StoreRules:
        """No thawing and no capacity limit (hand-made ledgers in tests)."""
        return cls(
            thaws=np.zeros((nodes, products), dtype=bool),
            store=np.arange(nodes, dtype=np.int64),
            litres=np.full((nodes, 3), np.inf),
            kept_in=np.full((nodes, products), 2, dtype=np.int64),
        )


class PlanLedger:
    """Stock ``[node, lot]`` (int64 doses), pending arrivals by frame day, and the event book
    ``book`` (:class:`vaxsim.coldchain.ledger.Ledger` over hierarchy nodes; sessions' doses at
    their district node with their site as partner: sites keep nothing overnight).
    ``shipments`` holds the store-to-store lines as the plan publishes them, each with its
    arrival day in the destination's frame: origin, destination, ship day, arrival day, lot,
    doses.
    """

    def __init__(self, hierarchy: Hierarchy, lots: Lots, days: int, cold: StoreRules | None = None):
        self.hierarchy = hierarchy
        self.days = days
        self.offset = hierarchy.offset
        #: The cold chain's lot table: product, doses, arrival, expiry and its use-by rule.
        self.lots = lots
        self.stock = np.zeros((hierarchy.size, lots.count), dtype=np.int64)
        self.cold = cold if cold is not None else StoreRules.unlimited(hierarchy.size, lots.products)
        #: Campaign day each lot first thawed in each physical store (NOT_THAWED = never).
        self.thaw_start = np.full((len(self.cold.litres), lots.count), NOT_THAWED, dtype=np.int64)
        #: Litres ``[store, τ]`` a re-plan was handed (on hand and on the road): it may keep
        #: holding that much where it is above capacity (:meth:`allow_carried`).
        self.carried = np.zeros_like(self.cold.litres, dtype=float)
        #: The last use_by answer (thaw clocks' version, nodes, use-by days): the same nodes
        #: are asked several times a day (write-offs, usable stock, drawing lots).
        self._thaw_version = 0
        self._use_by_memo: tuple[int, bytes, np.ndarray] | None = None
        #: Lots by product, then expiry: the first-expiry-first-out order.
        self.fefo = self._fefo_order()
        #: Lots delivered into the campaign and not yet put away.
        self.awaited = np.zeros(lots.count, dtype=bool)
        # Pending arrivals by frame day: (node, lot, doses, is_delivery, thaw day carried from
        # the origin, NOT_THAWED if it was kept frozen there) arrays.
        self.pending: dict[int, list[tuple[np.ndarray, ...]]] = defaultdict(list)
        self.book = EventBook(hierarchy.size, lots.count)
        self.shipments: list[tuple[np.ndarray, ...]] = []
        node_of_store = hierarchy.node_of_store()
        inside = (lots.arrival_day >= 0) & (lots.arrival_day < days)
        #: Doses per lot delivered during the campaign.
        self.delivered = np.where(inside, lots.doses, 0)
        self.awaited[inside] = True
        for lot in np.flatnonzero(inside):
            node = node_of_store[int(lots.store[lot])]
            frame = max(int(lots.arrival_day[lot] - self.offset[node]), 0)
            self.pending[frame].append(
                (
                    np.array([node]),
                    np.array([lot]),
                    np.array([lots.doses[lot]]),
                    np.array([True]),
                    np.array([NOT_THAWED]),
                )
            )

    def _fefo_order(self) -> np.ndarray:
        lots = self.lots
        return np.lexsort((np.arange(lots.count), lots.expiry_day, lots.product))

    def cap_use_by(self, use_by: np.ndarray) -> None:
        """Use each lot no later than campaign day ``use_by[lot]`` anywhere (a re-plan from a
        simulated state: the earliest use-by of the lot's stock there), FEFO order to match."""
        lots = self.lots
        self.lots = replace(lots, expiry_day=np.minimum(lots.expiry_day, use_by))
        self.fefo = self._fefo_order()
        self._use_by_memo = None

    # ------------------------------------------------------------------ daily movements

    def day_of(self, nodes: np.ndarray, frame: int) -> np.ndarray:
        """Campaign day of frame day ``frame`` at each of ``nodes``."""
        return frame + self.offset[nodes]

    def receive(self, nodes: np.ndarray, frame: int) -> None:
        """Put away what arrives at ``nodes`` on frame day ``frame``; stock of a thawable
        product put away at a node that keeps it thawed starts its store's thaw clock for the
        lot (the clock it carried, if it was already thawed, else today)."""
        chunks = self.pending.get(frame)
        if not chunks:
            return
        node, lot, doses, delivery, carried = (np.concatenate([c[k] for c in chunks]) for k in range(5))
        here = np.isin(node, nodes)
        if not here.any():
            return
        np.add.at(self.stock, (node[here], lot[here]), doses[here])
        self.awaited[lot[here & delivery]] = False
        day = self.day_of(node[here], frame)
        origin = np.where(delivery[here], -1, self.hierarchy.parent[node[here]])  # parent to child
        self.book.record(day, RECEIVED, node[here], lot[here], doses[here], partner=origin)
        thawing = self.cold.thaws[node[here], self.lots.product[lot[here]]]
        if thawing.any():
            start = np.where(carried[here] < NOT_THAWED, np.minimum(carried[here], day), day)
            store = self.cold.store[node[here]]
            np.minimum.at(self.thaw_start, (store[thawing], lot[here][thawing]), start[thawing])
            self._thaw_version += 1
        rest = ~here
        if rest.any():
            self.pending[frame] = [(node[rest], lot[rest], doses[rest], delivery[rest], carried[rest])]
        else:
            del self.pending[frame]

    def use_by(self, nodes: np.ndarray) -> np.ndarray:
        """Last campaign day each lot may be used at each of ``nodes``: its expiry, or its
        thaw clock's last day where the node keeps it thawed, ``[len(nodes), lot]``."""
        nodes = np.asarray(nodes, dtype=np.int64)
        key = nodes.tobytes()
        if self._use_by_memo is not None and self._use_by_memo[:2] == (self._thaw_version, key):
            return self._use_by_memo[2]
        every_lot = np.arange(self.lots.count)[None, :]
        result = self.lots.use_by(every_lot, self._thaw_day(nodes))
        result.flags.writeable = False  # shared by the callers until a thaw clock changes
        self._use_by_memo = (self._thaw_version, key, result)
        return result

    def _thaw_day(self, nodes: np.ndarray) -> np.ndarray:
        """Thaw day of each lot's stock at each of ``nodes`` (NOT_THAWED where the node keeps
        the lot's product frozen or it never thawed there), ``[len(nodes), lot]``."""
        thawing = self.cold.thaws[nodes][:, self.lots.product]
        return np.where(thawing, self.thaw_start[self.cold.store[nodes]], NOT_THAWED)

    def carried_clock(self, nodes: np.ndarray, lots: np.ndarray) -> np.ndarray:
        """Thaw day that stock of ``lots[i]`` leaving ``nodes[i]`` carries (NOT_THAWED where
        the node keeps it frozen)."""
        thawed = self.cold.thaws[nodes, self.lots.product[lots]]
        return np.where(thawed, self.thaw_start[self.cold.store[nodes], lots], NOT_THAWED)

    def expire(self, nodes: np.ndarray, frame: int) -> None:
        """Write off lots past their use-by day (expiry or thaw clock) at ``nodes`` on frame
        day ``frame``."""
        day = self.day_of(nodes, frame)
        held = self.stock[nodes]
        gone = (self.use_by(nodes) < day[:, None]) & (held > 0)
        if not gone.any():
            return
        row, lot = np.nonzero(gone)
        thawed = self._thaw_day(nodes)[row, lot]
        clock = self.lots.thaw_clock_binds(lot, thawed)
        self.book.write_off(day[row], nodes[row], lot, held[row, lot], clock)
        self.stock[nodes[row], lot] = 0

    @property
    def thaw_clock_expired(self) -> int:
        """Doses written off because their thaw clock ended before their expiry date."""
        return int(self.book.wasted[THAW_CLOCK].sum())

    def give(
        self,
        node: np.ndarray,
        site: np.ndarray,
        day: np.ndarray,
        lot: np.ndarray,
        administered: np.ndarray,
        wasted: np.ndarray,
    ) -> None:
        """Sessions at ``site[i]`` on campaign ``day[i]`` draw ``administered[i] + wasted[i]``
        doses of ``lot[i]`` from their district's ``node[i]``: ``administered`` given, ``wasted``
        left in opened vials (open-vial waste)."""
        administered = np.asarray(administered, dtype=np.int64)
        wasted = np.asarray(wasted, dtype=np.int64)
        np.add.at(self.stock.reshape(-1), node * self.stock.shape[1] + lot, -(administered + wasted))
        self.book.record(day, ADMINISTERED, node, lot, administered, partner=site)
        self.book.record(day, WASTED, node, lot, wasted, cause=OPEN_VIAL, partner=site)

    def open_with(self, on_hand: np.ndarray) -> None:
        """Start with ``on_hand[node, lot]`` doses in stock (a re-plan from a simulated state)."""
        self.stock += on_hand
        self.book.open_with(on_hand)

    def allow_carried(self, node: np.ndarray, lot: np.ndarray, doses: np.ndarray) -> None:
        """A re-plan was handed ``doses[i]`` of ``lot[i]`` at (or on the road to) ``node[i]``:
        where that is above a store's capacity the simulated state could not move it on, and the
        plan may hold up to it, never more (the plan checker's rule, invariant 6)."""
        node, lot = np.asarray(node, dtype=np.int64), np.asarray(lot, dtype=np.int64)
        product = self.lots.product[lot]
        self.carried = litres_by_class(
            len(self.cold.litres),
            self.cold.store[node],
            self.cold.kept_in[node, product],
            np.asarray(doses) * self.lots.litres_per_dose[product],
        )

    def litres_room(self, nodes: np.ndarray, frame: int) -> np.ndarray:
        """Litres left on frame day ``frame`` in each temperature class of each of ``nodes``'
        physical stores: capacity − stock on hand − what arrives that day (inf = no limit),
        ``[len(nodes), τ]``."""
        cold = self.cold
        store = cold.store[nodes]
        free = cold.litres[store].astype(float)
        limited = np.isfinite(free).any(axis=1)
        if not limited.any():
            return free
        stores = np.unique(store[limited])
        members = np.flatnonzero(np.isin(cold.store, stores))
        per_dose = self.lots.litres_per_dose[self.lots.product]  # [lot]
        held = self.stock[members] * per_dose[None, :]  # litres [member, lot]
        kept = cold.kept_in[members][:, self.lots.product]  # class of each lot at each member
        tau = np.arange(len(CLASSES))
        by_class = np.stack([(held * (kept == t)).sum(axis=1) for t in tau], axis=1)  # [member, τ]
        on_hand = litres_by_class(
            len(cold.litres),
            np.repeat(cold.store[members], len(tau)),
            np.tile(tau, len(members)),
            by_class.ravel(),
        )
        arriving = np.zeros_like(on_hand)
        for chunk in self.pending.get(frame, ()):
            node, lot, doses = chunk[0], chunk[1], chunk[2]
            mine = np.isin(cold.store[node], stores)
            arriving += litres_by_class(
                len(cold.litres),
                cold.store[node[mine]],
                cold.kept_in[node[mine], self.lots.product[lot[mine]]],
                doses[mine] * per_dose[lot[mine]],
            )
        return free_litres(cold.litres, on_hand, arriving)[store]

    def litres_free(self, nodes: np.ndarray, frame: int, products: np.ndarray) -> np.ndarray:
        """Litres left on frame day ``frame`` in the temperature class product ``products[i]``
        occupies at ``nodes[i]``'s physical store (:meth:`litres_room`), ``[len(nodes)]``."""
        klass = self.cold.kept_in[nodes, products]
        return self.litres_room(nodes, frame)[np.arange(len(nodes)), klass]

    def ship(
        self,
        destinations: np.ndarray,
        lots_in_order: np.ndarray,
        doses: np.ndarray,
        frame: int,
        unit: int = 1,
        cover_days: int = 1,
        capped: np.ndarray | None = None,
        leaving: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Send ``doses[i]`` of one lot class (its lots ``lots_in_order``, earliest expiry first)
        from each destination's parent to ``destinations[i]`` on frame day ``frame``.

        Repairs, in order: a request is cut, in whole shipping units of ``unit`` doses, to the
        litres free in its class at the destination's store that day (where ``capped``, default
        everywhere), counting as free the litres ``leaving[node, τ]`` the destination is to send
        on later that day (none if not given); requests beyond an origin's
        usable stock are scaled down in proportion; each request takes the origin's lots
        earliest use-by first, skipping lots that would arrive after their use-by and lots
        whose thaw clock at the destination would end before ``cover_days`` days of use (or
        before the lot's expiry, whichever is first).
        Returns the doses sent per request, and the doses cut because the destination was full.
        """
        destinations = np.asarray(destinations, dtype=np.int64)
        doses = np.asarray(doses, dtype=np.int64)
        sent = np.zeros(len(destinations), dtype=np.int64)
        full = np.zeros(len(destinations), dtype=np.int64)
        ask = doses > 0
        if not ask.any() or len(lots_in_order) == 0:
            return sent, full
        request = np.flatnonzero(ask)
        origin = self.hierarchy.parent[destinations[request]]
        order = np.argsort(origin, kind="stable")
        request, origin = request[order], origin[order]
        target = destinations[request]
        want = self._fit_capacity(
            target, origin, lots_in_order, doses[request], frame, unit, capped, request, leaving
        )
        full[request] = doses[request] - want
        origins, rank = np.unique(origin, return_inverse=True)
        use_by = self.use_by(origins)[:, lots_in_order]  # [origin, lot]
        usable = use_by >= self.day_of(origins, frame)[:, None]
        held = np.where(usable, self.stock[origins][:, lots_in_order], 0)
        # Scaled in whole shipping units, so whole vials stay whole.
        want = scale_to(held.sum(axis=1) // unit, rank, want // unit) * unit
        # Thaw clock each lot would run on at the destination if it arrived today.
        arrive = self.day_of(target, frame)
        lot_of = lots_in_order[None, :]
        carried = self.carried_clock(
            np.repeat(origins, len(lots_in_order)), np.tile(lots_in_order, len(origins))
        )
        carried = carried.reshape(len(origins), len(lots_in_order))[rank]  # [request, lot]
        start = np.minimum(
            self.thaw_start[self.cold.store[target]][:, lots_in_order],
            np.where(carried < NOT_THAWED, carried, arrive[:, None]),
        )
        clock_end = thaw_clock_end(start, self.lots.thaw_days[self.lots.product[lot_of]])
        lasts = clock_end >= np.minimum(self.lots.expiry_day[lot_of], arrive[:, None] + cover_days - 1)
        thawing = self.cold.thaws[target][:, self.lots.product[lots_in_order]]
        # A lot must arrive by its use-by at the origin (expiry, or the thaw clock it carries):
        # the destination's day runs ahead of the origin's by the lead time.
        in_time = use_by[rank] >= arrive[:, None]
        fits = in_time & (~thawing | lasts)  # [request, lot]
        # Earliest use-by first at each origin; ties keep the class's first-expiry order.
        by_use = np.argsort(use_by, axis=1, kind="stable")
        left = held.copy()
        pieces = []
        clip = ClipInOrder(rank)
        requests, origin_rows = np.arange(len(request)), np.arange(len(origins))
        for k in range(len(lots_in_order)):
            j = by_use[rank, k]  # each request's k-th lot (position in lots_in_order)
            give = clip(np.where(fits[requests, j], want, 0), left[origin_rows, by_use[:, k]])
            if give.any():
                want = want - give
                np.subtract.at(left, (rank, j), give)
                pieces.append((np.flatnonzero(give), j[give > 0], give[give > 0]))
        if not pieces:
            return sent, full
        which = np.concatenate([p[0] for p in pieces])
        lot = lots_in_order[np.concatenate([p[1] for p in pieces])]
        amount = np.concatenate([p[2] for p in pieces])
        self._move(origin[which], target[which], lot, amount, frame)
        np.add.at(sent, request[which], amount)
        return sent, full

    def _move(
        self, from_node: np.ndarray, to_node: np.ndarray, lot: np.ndarray, amount: np.ndarray, frame: int
    ) -> None:
        """Issue ``amount`` of ``lot`` from ``from_node`` on frame day ``frame``; it arrives at
        ``to_node`` on the same frame day (carrying its thaw clock)."""
        np.add.at(self.stock, (from_node, lot), -amount)
        ship_day = self.day_of(from_node, frame)
        arrive_day = self.day_of(to_node, frame)
        self.book.record(ship_day, SHIPPED, from_node, lot, amount, partner=to_node)
        self.pending[frame].append(
            (to_node, lot, amount, np.zeros(len(amount), dtype=bool), self.carried_clock(from_node, lot))
        )
        self.shipments.append((from_node, to_node, ship_day, arrive_day, lot, amount))

    def repair(self, nodes: np.ndarray, frame: int, children: np.ndarray) -> None:
        """The last repairs of frame day ``frame``, for the stores among ``nodes`` over their
        capacity in a class: send the excess on to ``children`` with room (:meth:`relieve`),
        else give back what they received that day (:meth:`take_back`), else receive part of it
        a day later (:meth:`hold_back`). Each repair only moves stock out of a store that is
        over, so the stores over before the first are the only ones any of them acts on; the
        room of every store is computed once, then only theirs."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes):
            return
        over = nodes[(self.litres_room(nodes, frame) < -1e-9).any(axis=1)]
        if not len(over):
            return
        self.relieve(over, frame, children)
        self.take_back(over, frame)
        self.hold_back(over, frame)

    def take_back(self, nodes: np.ndarray, frame: int) -> int:
        """Stores among ``nodes`` still over capacity in a class on frame day ``frame`` (after
        :meth:`relieve`) give back what they received from their parent that day, up to the
        excess: the parent is taken to have sent less, so it holds those doses from the ship day
        on, as far as it had room for them on every day since; what it has no room for goes
        further up the chain (:meth:`_give_back_up`). Returns the doses given back.

        The shipment, the parent's shipment and the store's receipt are taken back in the event
        book (:meth:`~vaxsim.coldchain.ledger.Ledger.amend`; the plan's tables add them up);
        rare, so the loops run in Python."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes) or not self.shipments:
            return 0
        room = self.litres_room(nodes, frame)
        over_node, over_class = np.nonzero(room < -1e-9)
        if not len(over_node):
            return 0
        cold, parent = self.cold, self.hierarchy.parent
        moved = 0
        for i, tau in zip(over_node.tolist(), over_class.tolist(), strict=True):
            node, origin = int(nodes[i]), int(parent[nodes[i]])
            if origin < 0:
                continue
            excess = -float(room[i, tau])
            arrive_day = int(self.day_of(np.array([node]), frame)[0])
            ship_day = int(self.day_of(np.array([origin]), frame)[0])
            spare = self._spare_since(origin, tau, ship_day)
            for from_node, to_node, shipped, arrived, lot, amount in reversed(self.shipments):
                mine = (from_node == origin) & (to_node == node) & (arrived == arrive_day)
                mine &= shipped == ship_day
                for k in np.flatnonzero(mine):
                    product = int(self.lots.product[lot[k]])
                    per_dose = float(self.lots.litres_per_dose[product])
                    if excess <= 1e-9 or spare <= 1e-9:
                        break
                    if per_dose <= 0 or cold.kept_in[node, product] != tau or cold.thaws[origin, product]:
                        continue
                    doses = min(
                        int(amount[k]),
                        int(self.stock[node, lot[k]]),
                        int(np.ceil(excess / per_dose - 1e-9)),
                        _whole_doses(spare, per_dose),
                    )
                    if cold.kept_in[origin, product] != tau:
                        doses = min(
                            doses,
                            _whole_doses(
                                self._spare_since(origin, int(cold.kept_in[origin, product]), ship_day),
                                per_dose,
                            ),
                        )
                    if doses <= 0:
                        continue
                    self.stock[node, lot[k]] -= doses
                    self.stock[origin, lot[k]] += doses
                    self._amend_line((origin, node, ship_day, arrive_day), int(lot[k]), doses)
                    excess -= doses * per_dose
                    spare -= doses * per_dose
                    moved += doses
            if excess > 1e-9:  # the parent had no room for all of it
                moved += self._give_back_up(node, tau, excess, (origin, node, ship_day, arrive_day))
        return moved

    def hold_back(self, nodes: np.ndarray, frame: int) -> int:
        """Last repair: stores among ``nodes`` still above what they may hold on frame day
        ``frame`` (their capacity, or what a re-plan was handed, :meth:`allow_carried`) after
        :meth:`relieve` and :meth:`take_back` receive part of that day's shipment from their
        parent a day later, as far as the parent has room for it that evening; lots expiring
        last go first. Returns the doses held back.

        Whole-dose rounding can leave a store a few doses over when its children are full and
        the parent had no room to keep them for good (vietnam-2021, seed 2's first re-plan:
        store-14 3 doses of Sputnik V over its 1,000 L frozen room on 3 November, and the plan
        refused); rare, so the loops run in Python."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes) or not self.shipments:
            return 0
        cold, parent = self.cold, self.hierarchy.parent
        store = cold.store[nodes]
        allowed = np.nan_to_num(np.maximum(self.carried[store] - cold.litres[store], 0.0))
        room = self.litres_room(nodes, frame) + allowed
        moved = 0
        for i, tau in zip(*(k.tolist() for k in np.nonzero(room < -1e-9)), strict=True):
            node, origin = int(nodes[i]), int(parent[nodes[i]])
            if origin < 0 or self.day_of(np.array([node]), frame + 1)[0] >= self.days:
                continue
            excess = -float(room[i, tau])
            arrive_day = int(self.day_of(np.array([node]), frame)[0])
            ship_day = int(self.day_of(np.array([origin]), frame)[0])
            use_by = self.use_by(np.array([node]))[0]
            received = self._net_lines(node, origin, ship_day, arrive_day)
            for lot in sorted(received, key=lambda lot: (-self.lots.expiry_day[lot], lot)):
                product = int(self.lots.product[lot])
                per_dose = float(self.lots.litres_per_dose[product])
                if excess <= 1e-9:
                    break
                if per_dose <= 0 or cold.kept_in[node, product] != tau or cold.thaws[origin, product]:
                    continue
                if use_by[lot] <= arrive_day:
                    continue
                spare = self._spare_since(origin, int(cold.kept_in[origin, product]), ship_day, evenings=1)
                doses = min(
                    received[lot],
                    int(self.stock[node, lot]),
                    int(np.ceil(excess / per_dose - 1e-9)),
                    _whole_doses(spare, per_dose),
                )
                if doses <= 0:
                    continue
                self.stock[node, lot] -= doses
                self.stock[origin, lot] += doses
                self._amend_line((origin, node, ship_day, arrive_day), lot, doses)
                one = np.array([lot])
                self._move(np.array([origin]), np.array([node]), one, np.array([doses]), frame + 1)
                excess -= doses * per_dose
                moved += doses
        return moved

    def _give_back_up(self, node: int, tau: int, excess: float, line: tuple[int, int, int, int]) -> int:
        """What store ``node`` received by ``line`` (origin, node, ship day, arrival day) and its
        parent had no room to take back goes further up the chain, ``excess`` litres of class
        ``tau`` at most: to the first ancestor with room on every day since it sent the lot
        down, through stores that received the lot from their parent in time and held it on
        every evening until they sent it on. Every shipment on the way is reduced (the stores in
        between receive and send that much less); lots expiring last go back first, and no store
        on the way may keep the product thawed. Returns the doses given back."""
        cold, parent = self.cold, self.hierarchy.parent
        received = self._net_lines(line[1], line[0], line[2], line[3])
        moved = 0
        for lot in sorted(received, key=lambda lot: (-self.lots.expiry_day[lot], lot)):
            product = int(self.lots.product[lot])
            per_dose = float(self.lots.litres_per_dose[product])
            if excess <= 1e-9:
                break
            if per_dose <= 0 or cold.kept_in[node, product] != tau:
                continue
            doses = min(received[lot], int(self.stock[node, lot]), int(np.ceil(excess / per_dose - 1e-9)))
            path = [line]
            holder, sent_day = line[0], line[2]
            while doses > 0 and parent[holder] >= 0 and not cold.thaws[holder, product]:
                above = self._last_line_into(holder, lot, sent_day)
                if above is None or cold.thaws[above[0][0], product]:
                    break
                (grand, _, shipped, arrived), amount = above
                doses = min(doses, amount, self._lowest_stock(holder, lot, arrived, sent_day))
                path.append(above[0])
                kept = int(cold.kept_in[grand, product])
                fits = _whole_doses(self._spare_since(grand, kept, shipped), per_dose)
                if fits > 0:
                    doses = min(doses, fits)
                    self.stock[node, lot] -= doses
                    self.stock[grand, lot] += doses
                    for step in path:
                        self._amend_line(step, lot, doses)
                    excess -= doses * per_dose
                    moved += doses
                    break
                holder, sent_day = grand, shipped
        return moved

    def _net_lines(self, to_node: int, from_node: int, shipped: int, arrived: int) -> dict[int, int]:
        """Doses per lot still on the shipment ``from_node`` → ``to_node`` of ship day ``shipped``
        arriving on ``arrived`` (its lines less what was taken back), lots with doses only."""
        net: dict[int, int] = defaultdict(int)
        for origin, target, ship_day, arrive_day, lot, amount in self.shipments:
            mine = (origin == from_node) & (target == to_node) & (ship_day == shipped)
            mine &= arrive_day == arrived
            for k in np.flatnonzero(mine):
                net[int(lot[k])] += int(amount[k])
        return {lot: doses for lot, doses in net.items() if doses > 0}

    def _last_line_into(
        self, node: int, lot: int, by_day: int
    ) -> tuple[tuple[int, int, int, int], int] | None:
        """The latest shipment of ``lot`` into ``node`` arriving on or before campaign day
        ``by_day``, as (origin, node, ship day, arrival day), and its doses net of what was
        taken back; None if there is none."""
        net: dict[tuple[int, int, int, int], int] = defaultdict(int)
        for origin, target, ship_day, arrive_day, lots, amount in self.shipments:
            mine = (target == node) & (lots == lot) & (arrive_day <= by_day)
            for k in np.flatnonzero(mine):
                net[(int(origin[k]), node, int(ship_day[k]), int(arrive_day[k]))] += int(amount[k])
        lines = [key for key, doses in net.items() if doses > 0]
        if not lines:
            return None
        last = max(lines, key=lambda key: (key[3], key[2]))
        return last, net[last]

    def _amend_line(self, line: tuple[int, int, int, int], lot: int, doses: int) -> None:
        """Take ``doses`` of ``lot`` off shipment ``line`` (origin, destination, ship day,
        arrival day): its shipment, its receipt and a negative shipment line."""
        origin, node, ship_day, arrive_day = line
        one = np.array([lot])
        self.book.amend(arrive_day, RECEIVED, np.array([node]), one, np.array([doses]), origin)
        self.book.amend(ship_day, SHIPPED, np.array([origin]), one, np.array([doses]), node)
        self.shipments.append(
            (
                np.array([origin]),
                np.array([node]),
                np.array([ship_day]),
                np.array([arrive_day]),
                one,
                np.array([-doses]),
            )
        )

    def _lowest_stock(self, node: int, lot: int, first: int, last: int) -> int:
        """Fewest doses of ``lot`` ``node`` held on an evening from campaign day ``first`` to
        the day before ``last`` (no such evening: no limit)."""
        if last <= first:
            return np.iinfo(np.int64).max
        only = (np.arange(self.lots.count) == lot).astype(float)
        days, closing = self._evenings(np.array([node]), only, first)
        return int(round(closing[days < last].min()))

    def _spare_since(self, node: int, tau: int, day: int, evenings: int | None = None) -> float:
        """Litres ``node``'s store had free in class ``tau`` on every day from campaign day
        ``day`` to its latest day so far, or on its first ``evenings`` evenings only (its lowest
        room over those evenings; inf = no limit)."""
        cold = self.cold
        store = int(cold.store[node])
        capacity = float(cold.litres[store, tau])
        if not np.isfinite(capacity):
            return np.inf
        members = np.flatnonzero(cold.store == store)
        product = self.lots.product
        per_dose = self.lots.litres_per_dose[product] * (cold.kept_in[node, product] == tau)
        _, closing = self._evenings(members, per_dose, day)
        lowest = capacity - float(closing[:evenings].max())
        return max(lowest, 0.0)

    def _evenings(self, members: np.ndarray, weight: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Closing ``Σ stock × weight[lot]`` over ``members`` on the evening of campaign day
        ``day`` and of every later day the book has an event there, ascending days (the last is
        now), from the stock now and the book's later events."""
        now = float((self.stock[members] * weight[None, :]).sum())
        when, where, lot, event, _cause, _partner, doses = self.book.events().T
        keep = np.isin(where, members) & (when > day)
        sign = np.where(event[keep] == RECEIVED, 1, -1)
        days, at = np.unique(when[keep], return_inverse=True)
        net = np.bincount(at, weights=sign * doses[keep] * weight[lot[keep]], minlength=len(days))
        later = np.cumsum(net[::-1])[::-1]  # net in on each event day and after
        closing = now - np.r_[later, 0.0]  # the evening before each event day, then now
        return np.r_[day, days], closing

    def relieve(self, nodes: np.ndarray, frame: int, children: np.ndarray) -> int:
        """Stores among ``nodes`` over their capacity in a class at the end of their part of
        frame day ``frame`` send the excess on to those of ``children`` (their child nodes, not
        yet past that frame day) with room, earliest use-by first (arriving by it), whole
        doses; returns the doses sent. What no child has room for stays (the plan then reports
        it, invariant 6).

        Over-capacity is rare (the LPs keep stores within capacity, shipments are cut to the
        room left): the loops run over the few stores and lots concerned."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes):
            return 0
        room = self.litres_room(nodes, frame)
        over_node, over_class = np.nonzero(room < -1e-9)
        moved = 0
        cold, parent = self.cold, self.hierarchy.parent
        for i, tau in zip(over_node.tolist(), over_class.tolist(), strict=True):
            node = int(nodes[i])
            excess = -float(room[i, tau])
            kids = children[parent[children] == node]
            if not len(kids):
                continue
            kid_room = self.litres_room(kids, frame)
            kid_day = self.day_of(kids, frame)
            held = self.stock[node]
            mine = (held > 0) & (cold.kept_in[node, self.lots.product] == tau)
            use_by = self.use_by(np.array([node]))[0]
            for lot in np.flatnonzero(mine)[np.argsort(use_by[mine], kind="stable")]:
                product = int(self.lots.product[lot])
                per_dose = float(self.lots.litres_per_dose[product])
                if excess <= 1e-9 or per_dose <= 0:
                    break
                for k, kid in enumerate(kids.tolist()):
                    if use_by[lot] < kid_day[k]:  # would arrive after its use-by (or is past it)
                        continue
                    klass = int(cold.kept_in[kid, product])
                    fits = int(np.floor(max(kid_room[k, klass], 0.0) / per_dose + 1e-9))
                    doses = min(int(self.stock[node, lot]), fits, int(np.ceil(excess / per_dose - 1e-9)))
                    if doses <= 0:
                        continue
                    self._move(np.array([node]), np.array([kid]), np.array([lot]), np.array([doses]), frame)
                    kid_room[k, klass] -= doses * per_dose
                    excess -= doses * per_dose
                    moved += doses
                    if excess <= 1e-9:
                        break
        return moved

    def _fit_capacity(
        self,
        target: np.ndarray,
        origin: np.ndarray,
        lots_in_order: np.ndarray,
        want: np.ndarray,
        frame: int,
        unit: int,
        capped: np.ndarray | None,
        request: np.ndarray,
        leaving: np.ndarray | None,
    ) -> np.ndarray:
        """Requests cut to whole shipping units that fit in the destination stores' free litres
        (requests into one store share its room, in order); moves inside one physical store
        and requests not ``capped`` are left as they are."""
        product = int(self.lots.product[lots_in_order[0]])
        per_dose = float(self.lots.litres_per_dose[product])
        check = self.cold.store[target] != self.cold.store[origin]
        if capped is not None:
            check &= np.asarray(capped, dtype=bool)[request]
        if per_dose <= 0 or not check.any():
            return want
        free = self.litres_free(target[check], frame, np.full(int(check.sum()), product))
        if leaving is not None:
            free = free + leaving[target[check], self.cold.kept_in[target[check], product]]
        room = np.where(
            np.isfinite(free), np.floor(np.maximum(free, 0.0) / (per_dose * unit) + 1e-9) * unit, np.inf
        )
        limit = np.minimum(room, np.iinfo(np.int64).max // 4).astype(np.int64)
        store = self.cold.store[target[check]]
        stores, group = np.unique(store, return_inverse=True)
        first = np.zeros(len(stores), dtype=np.int64)
        np.maximum.at(first, group, limit)  # every request into a store sees the same room
        want = want.copy()
        want[check] = clip_in_order(want[check], group, first)
        return want

    def not_arrived(self) -> np.ndarray:
        """Doses per lot delivered to the campaign that have not reached their first store."""
        return self._pending(deliveries=True)

    def in_transit(self) -> np.ndarray:
        """Doses per lot shipped but not yet arrived (arriving after the campaign)."""
        return self._pending(deliveries=False)

    def _pending(self, deliveries: bool) -> np.ndarray:
        total = np.zeros(self.stock.shape[1], dtype=np.int64)
        for chunks in self.pending.values():
            for _node, lot, doses, delivery, _carried in chunks:
                keep = delivery == deliveries
                np.add.at(total, lot[keep], doses[keep])
        return total

    def check_conservation(self) -> dict[str, int]:
        """The cold chain's conservation check (:meth:`vaxsim.coldchain.ledger.Ledger.check`):
        for every lot at every node, opening + received = administered + wasted + shipped + on
        hand, and every dose shipped has arrived or is in transit. Raises
        :class:`~vaxsim.coldchain.errors.ConservationError` naming the lots and nodes that break
        it; returns the plan's supply summary (doses)."""
        book = self.book
        book.check(self.stock, None, np.asarray(self.hierarchy.ids, dtype=object), self.lots.ids)
        arrived = self.delivered - self.not_arrived()
        transit = self.in_transit()
        book.check_transit(arrived - book.opening.sum(axis=0), transit, None, self.lots.ids)
        return {
            "delivered": int(arrived.sum()),
            "administered": int(book.administered.sum()),
            "wasted_open_vial": int(book.wasted[OPEN_VIAL].sum()),
            "expired": int(book.wasted[EXPIRY].sum() + book.wasted[THAW_CLOCK].sum()),
            "expired_thaw_clock": int(book.wasted[THAW_CLOCK].sum()),
            "on_hand_at_end": int(self.stock.sum()),
            "in_transit_at_end": int(transit.sum()),
        }

    def booked(self, event: int, causes: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
        """The book's events of one kind (of ``causes``, for waste) as int64 columns ``node``,
        ``day``, ``lot``, ``partner``, ``doses``."""
        day, node, lot, kind, cause, partner, doses = self.book.events().T
        keep = kind == event
        if causes:
            keep &= np.isin(cause, causes)
        columns = {"node": node, "day": day, "lot": lot, "partner": partner, "doses": doses}
        return {name: values[keep] for name, values in columns.items()}


def _whole_doses(litres: float, per_dose: float) -> int:
    """Whole doses of ``per_dose`` litres that fit in ``litres`` (inf: no limit, a huge number)."""
    if not np.isfinite(litres):
        return int(np.iinfo(np.int64).max // 4)
    return int(np.floor(litres / per_dose + 1e-9))

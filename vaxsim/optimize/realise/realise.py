"""Realise the committed part of a window: the LPs' flows become whole doses, day by day.

This is the documented *rounding and repair* step (FORMULATION.md, "From LP to plan"):

- Shipments: each link and lot class keeps a running planned total over the window; what is
  sent at a period start is that total rounded *up* to whole doses (or whole vials), less what
  was already asked for, so an origin never holds more than its LP stock because of rounding.
  A request is cut to the room left in the destination store's temperature class that day
  (what does not fit is asked again at the next period start), and the origin gives it from the
  class's lots earliest use-by first (expiry or thaw clock), scaled down in proportion when its
  stock is short (it never goes negative); lots whose thaw clock would end at the destination
  before the period's days of use are not sent there.
- Doses: see :mod:`vaxsim.optimize.realise.vaccination_day` (whole people, whole vials, within people,
  stock and capacity on the day).

What the LP planned and what could be done are both logged, so the gap is visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.coldchain.lots import Lots
from vaxsim.coldchain.room import store_capacity
from vaxsim.coldchain.temperature import COLD
from vaxsim.optimize.lp.extract import SubSolution
from vaxsim.optimize.lp.problem import SubProblem
from vaxsim.optimize.realise.assemble import DistrictWindow, Window
from vaxsim.optimize.realise.ledger import PlanLedger, StoreRules
from vaxsim.optimize.realise.vaccination_day import Cells, Districts, DoseKinds, Records, vaccinate
from vaxsim.optimize.setup.context import Context
from vaxsim.optimize.setup.lot_classes import LotClasses
from vaxsim.optimize.setup.site_ids import SiteIds


@dataclass
class Repair:
    """What rounding and repair changed, in doses (planned − realised, summed over windows)."""

    shipped_planned: float = 0.0
    shipped: int = 0
    doses_planned: float = 0.0
    doses_given: int = 0
    per_window: list[dict[str, float]] = field(default_factory=list)


#: Fraction of a shipping unit below which a planned running total is solver noise, not a dose.
ROUNDING_TOLERANCE = 1e-3


class Realiser:
    """Carries the realised plan from window to window: ledger, people and plan rows."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.ledger = PlanLedger(ctx.hierarchy, Lots.from_model(ctx.model), ctx.days, cold_chain(ctx))
        self.people = Districts(ctx)
        if ctx.restart is not None:  # planning from a simulated state
            ctx.restart.start_ledger(self.ledger)
            ctx.restart.start_people(ctx, self.people)
        self.kinds = DoseKinds.from_context(ctx)
        self.cells = Cells.from_context(ctx)
        self.records = Records()
        self.repair = Repair()
        products, groups, steps = ctx.products, ctx.demand.size, ctx.steps.size
        self.first_kind = np.full((products, groups), -1, dtype=np.int64)
        self.next_kind = np.full((steps, products), -1, dtype=np.int64)
        for k in range(self.kinds.size):
            if self.kinds.group[k] >= 0:
                self.first_kind[self.kinds.product[k], self.kinds.group[k]] = k
            else:
                self.next_kind[self.kinds.step[k], self.kinds.product[k]] = k

    # ------------------------------------------------------------------ national stores

    def nation(self, window: Window, sub: SubProblem, solution: SubSolution, classes: LotClasses) -> None:
        """Ship the committed periods of the national plan (stores above the provinces), day by
        day, before the province plans are made from what it sent."""
        h = self.ctx.hierarchy
        nodes = h.nation
        upper = nodes[: len(nodes) - len(h.province_node)]
        children = np.flatnonzero(sub.parent >= 0)
        # A province node's stock on a day of this window is only known once the province
        # level is realised: shipments into provinces rely on the LP's storage rows (7) and on
        # the provinces' own repair (PlanLedger.relieve).
        into_upper = ~np.isin(nodes[children], h.province_node)
        shipper = _Shipper(
            self.ctx, self.ledger, classes, nodes[children], solution.ship[children], into_upper
        )
        depth = _depth(h.parent)
        levels = [upper[depth[upper] == d] for d in range(int(depth[upper].max()) + 1)]
        national = _NationalDays(shipper, levels, nodes[children][into_upper])
        for j in range(window.committed_days):
            frame = window.start + j
            # Stores pass most of what they receive on the same day: the room they free.
            leaving = shipper.leaving(j // window.period, frame) if j % window.period == 0 else None
            national.day(j, frame, window.period, leaving)
        self._log_shipping(shipper)

    # ------------------------------------------------------------------ provinces and districts

    def provinces(
        self,
        window: Window,
        subs: list[SubProblem],
        solutions: list[SubSolution],
        classes: LotClasses,
        dw: DistrictWindow,
    ) -> None:
        """Ship the committed periods of every province's plan and vaccinate day by day."""
        ctx, h, ledger, people = self.ctx, self.ctx.hierarchy, self.ledger, self.people
        D, K, H = len(ctx.model.districts), self.kinds.size, window.periods
        destinations, plans = [], []
        targets = np.zeros((D, K, H))
        for sub, sol in zip(subs, solutions, strict=True):
            members = h.members[sub.key]
            destinations.append(members[1:])
            plans.append(sol.ship[1:])
            districts = h.district_of[members[1:]]
            q, g = np.nonzero(self.first_kind >= 0)
            targets[districts[:, None], self.first_kind[q, g][None, :], :] += sol.dose1[:, q, g, :]
            s, q = np.nonzero(self.next_kind >= 0)
            targets[districts[:, None], self.next_kind[s, q][None, :], :] += sol.dosek[:, s, q, :]
        shipper = _Shipper(self.ctx, ledger, classes, np.concatenate(destinations), np.concatenate(plans))
        province_nodes, district_nodes = h.province_node, h.district_node
        planned_total = targets[:, :, : window.committed].sum()
        running = np.zeros((D, K))
        done = np.zeros((D, K), dtype=np.int64)
        given_total = 0
        for j in range(window.committed_days):
            frame = window.start + j
            active_p = province_nodes[frame + h.offset[province_nodes] < ctx.days]
            ledger.receive(active_p, frame)
            ledger.expire(active_p, frame)
            if j % window.period == 0:
                shipper.send(j // window.period, frame)
            else:
                shipper.retry(frame)
            day = frame + h.offset[district_nodes]
            active = day < ctx.days
            # Last repairs: a province store still over capacity sends the excess on, else gives
            # back what it received that day, else receives part of it a day later.
            ledger.repair(active_p, frame, district_nodes[active])
            ledger.receive(district_nodes[active], frame)
            ledger.expire(district_nodes[active], frame)
            people.start_day(frame, day, active)
            b = j // window.period
            today = ctx.capacity_on(np.arange(D), day[:, None])[:, 0]
            period_capacity = dw.capacity[:, b]
            share = np.where(
                period_capacity > 0, today / np.where(period_capacity > 0, period_capacity, 1), 0.0
            )
            running += targets[:, :, b] * share[:, None]
            wanted = np.clip(np.floor(running + 1e-6).astype(np.int64) - done, 0, None)
            # Next doses are booked (vaxsim.optimize.realise.follow_ups): everyone due today is asked
            # for, of the series' own product, whatever the rounded plan said.
            due = people.waiting_next(day) * active[:, None]  # [d, s]
            s, q = np.nonzero(self.next_kind >= 0)
            first_product = np.r_[True, s[1:] != s[:-1]]  # the series' own product first
            kind = self.next_kind[s[first_product], q[first_product]]
            wanted[:, kind] = np.maximum(wanted[:, kind], due[:, s[first_product]])
            given = vaccinate(frame, ctx, ledger, people, self.kinds, self.cells, wanted, self.records)
            done += given
            given_total += int(given.sum())
            self._snapshot(day, active)
        self._log_shipping(shipper)
        self.repair.doses_planned += planned_total
        self.repair.doses_given += given_total
        self.repair.per_window.append(
            {"window": window.index, "doses_planned": float(planned_total), "doses_given": given_total}
        )

    def _snapshot(self, day: np.ndarray, active: np.ndarray) -> None:
        """People still waiting (first dose) and overdue (next doses) at the end of the day."""
        people, records = self.people, self.records
        d, g = np.nonzero(people.backlog * active[:, None] > 0)
        records.waiting.append((d, day[d], g, people.backlog[d, g]))
        overdue = people.overdue(day) * active[:, None]
        people.overdue_person_days += int(overdue.sum())
        d, s = np.nonzero(overdue > 0)
        records.overdue.append((d, day[d], s, overdue[d, s]))

    def _log_shipping(self, shipper: _Shipper) -> None:
        self.repair.shipped_planned += shipper.planned
        self.repair.shipped += shipper.sent


def cold_chain(ctx: Context) -> StoreRules:
    """Where the realised ledger thaws lots and how many litres each store holds, as the plan
    states them: a store's capacity per class as the scenario gives it (none stated: no limit),
    and a thawable product kept thawed at a node whose own class has no room, either in the
    LP's storage (:mod:`vaxsim.optimize.setup.hierarchy`) or in the physical store the plan shows."""
    model, h = ctx.model, ctx.hierarchy
    store = SiteIds.from_model(model, h).node_store
    capacity = store_capacity(model.stores)  # inf = no limit stated
    own = ctx.temperature  # [q]
    in_own_class = (np.isfinite(capacity) & (capacity > 0))[store][:, own]  # [node, q]
    room_here = (h.storage[:, own] > 0) & in_own_class
    thaws = (ctx.thaw_days >= 0)[None, :] & ~room_here
    kept_in = np.where(in_own_class, own[None, :], COLD)
    return StoreRules(
        thaws=thaws,
        store=store,
        litres=capacity,
        kept_in=kept_in.astype(np.int64),
    )


def _depth(parent: np.ndarray) -> np.ndarray:
    """Depth of each node in its tree (roots 0); parents come before children."""
    depth = np.zeros(len(parent), dtype=np.int64)
    for n, p in enumerate(parent):
        if p >= 0:
            depth[n] = depth[p] + 1
    return depth


@dataclass
class _NationalDays:
    """The national stores' part of each realised day: ``levels`` of stores, parents first."""

    shipper: _Shipper
    levels: list[np.ndarray]
    children: np.ndarray  # nodes whose day's stock is known when their parent ships

    def day(self, j: int, frame: int, period: int, leaving: np.ndarray | None = None) -> None:
        """Day ``j`` of the window (frame day ``frame``): put away, write off, and at a period
        start ship, level by level (``leaving``: litres ``[node, τ]`` each store sends on later
        that day, the room it frees); a store still over capacity sends the excess on to
        ``children`` with room, else gives back what it received that day (:meth:`PlanLedger.take_back`)."""
        ledger, h = self.shipper.ledger, self.shipper.ctx.hierarchy
        for level in self.levels:  # parents ship before their children put away
            active = level[frame + h.offset[level] < self.shipper.ctx.days]
            ledger.receive(active, frame)
            ledger.expire(active, frame)
            if j % period == 0:
                self.shipper.send(j // period, frame, origins=level, leaving=leaving)
            below = self.children[np.isin(h.parent[self.children], active)]
            # A store above the provinces has no child whose room is known yet (the provinces
            # are realised after the nation), and what it was to send on today (the room its
            # receipts counted on) may be more than it held: it gives the excess back.
            ledger.repair(active, frame, below[frame + h.offset[below] < self.shipper.ctx.days])


class _Shipper:
    """Sends a window's planned shipments into ``destinations`` period by period; ``capped``
    (default all) marks the destinations whose store capacity is repaired against."""

    def __init__(
        self,
        ctx: Context,
        ledger: PlanLedger,
        classes: LotClasses,
        destinations: np.ndarray,
        plan: np.ndarray,
        capped: np.ndarray | None = None,
    ):
        self.ctx, self.ledger, self.classes = ctx, ledger, classes
        self.destinations = destinations
        self.capped = np.ones(len(destinations), dtype=bool) if capped is None else capped
        self.plan = plan  # [dest, c, b] doses
        self.running = np.zeros(plan.shape[:2])
        self.asked = np.zeros(plan.shape[:2], dtype=np.int64)
        #: Doses asked at the current period's start that the origin did not hold then.
        self.short = np.zeros(plan.shape[:2], dtype=np.int64)
        vials = ctx.options.planning.whole_vials
        self.unit = ctx.doses_per_vial[classes.product] if vials else np.ones(classes.size, dtype=np.int64)
        fefo = ledger.fefo
        self.lots = [fefo[classes.of_lot[fefo] == c] for c in range(classes.size)]
        self.planned = 0.0
        self.sent = 0

    def _request(self, period: int, frame: int, origins: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """``(live, running, whole, request)`` of period ``period`` without sending: the running
        totals and their whole units after the period, and what is asked ``[dest, c]``."""
        h = self.ctx.hierarchy
        arrive = frame + h.offset[self.destinations]
        live = arrive < self.ctx.days
        if origins is not None:
            live &= np.isin(h.parent[self.destinations], origins)
        running = self.running + self.plan[:, :, period] * live[:, None]
        # Rounded up: an origin keeps no fraction of a dose the LP sent on (at its capacity in
        # the LP, a kept fraction would put it over); the tolerance ignores solver noise.
        units = np.ceil(running / self.unit[None, :] - ROUNDING_TOLERANCE)
        whole = (np.maximum(units, 0) * self.unit[None, :]).astype(np.int64)
        request = np.where(live[:, None], np.clip(whole - self.asked, 0, None), 0)
        return live, running, whole, request

    def leaving(self, period: int, frame: int, credit: np.ndarray | None = None) -> np.ndarray:
        """Litres each node is to send on frame day ``frame`` (period ``period``'s start), by the
        temperature class they occupy there, ``[node, τ]``: the room a store frees later that
        day. Each request counts as far as its destination has room for it (plus ``credit``,
        litres ``[node, τ]`` the destination sends on in turn), as :meth:`send` will cut it."""
        ledger, h = self.ledger, self.ctx.hierarchy
        litres = np.zeros((h.size, 3))
        if period >= self.plan.shape[2]:
            return litres
        _, _, _, request = self._request(period, frame, None)
        asked = np.flatnonzero(request.any(axis=0))
        if not len(asked):
            return litres
        cold = ledger.cold
        rows = np.arange(len(self.destinations))
        origin = h.parent[self.destinations]
        room = ledger.litres_room(self.destinations, frame)
        if credit is not None:
            room = room + credit[self.destinations]
        room[~self.capped] = np.inf
        for c in asked:
            product = int(self.classes.product[c])
            per_dose = float(ledger.lots.litres_per_dose[product])
            klass = cold.kept_in[self.destinations, product]
            if per_dose > 0:
                fits = np.floor(np.maximum(room[rows, klass], 0) / (per_dose * self.unit[c]) + 1e-9)
                out = np.minimum(request[:, c], np.minimum(fits * self.unit[c], 2**62)).astype(np.int64)
            else:
                out = request[:, c]
            room[rows, klass] -= out * per_dose
            np.add.at(litres, (origin, cold.kept_in[origin, product]), out * per_dose)
        return litres

    def send(
        self,
        period: int,
        frame: int,
        origins: np.ndarray | None = None,
        leaving: np.ndarray | None = None,
    ) -> None:
        """Send period ``period``'s shipments (those leaving ``origins`` only, if given);
        ``leaving`` litres ``[node, τ]`` the destinations send on later that day."""
        if period >= self.plan.shape[2]:
            return
        live, running, whole, request = self._request(period, frame, origins)
        self.running = running
        self.planned += float((self.plan[:, :, period] * live[:, None]).sum())
        self.asked = np.where(live[:, None], np.maximum(self.asked, whole), self.asked)
        self.short[live] = 0
        self._ship(request, frame, leaving)

    def retry(self, frame: int) -> None:
        """On a day inside a period, send what the period's start could not because the origin
        did not hold it: the LP counts a delivery arriving during a period as there from its
        start, so it plans to send it on in that period, and without this the origin would
        keep it (over its capacity if the LP kept it full). Used in the province step only
        (FORMULATION.md section 7: above the provinces it cost the static plan 3.1 M doses)."""
        h = self.ctx.hierarchy
        live = frame + h.offset[self.destinations] < self.ctx.days
        request = np.where(live[:, None], self.short, 0)
        if request.any():
            self._ship(request, frame, None)

    def _ship(self, request: np.ndarray, frame: int, leaving: np.ndarray | None) -> None:
        """Send ``request [dest, c]`` doses on frame day ``frame``; what a full destination
        cannot take is asked again at the next period start, what the origin lacks on a later
        day of the period (:meth:`retry`)."""
        for c in np.flatnonzero(request.any(axis=0)):
            sent, full = self.ledger.ship(
                self.destinations,
                self.lots[c],
                request[:, c],
                frame,
                unit=int(self.unit[c]),
                cover_days=self.ctx.period,
                capped=self.capped,
                leaving=leaving,
            )
            self.sent += int(sent.sum())
            self.asked[:, c] -= full
            self.short[:, c] = np.where(request[:, c] > 0, request[:, c] - sent - full, self.short[:, c])

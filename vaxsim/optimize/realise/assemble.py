"""Make the sub-problems of one planning window from the plan realised so far.

The national sub-problem sees each province as one unit (its province node, district nodes and
sites pooled); each province's sub-problem sees its districts. District quantities are computed
once per window in each district's own time frame and summed per province for the nation, so
both levels agree on what is waiting and what was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.coldchain.fefo import order_by, run_starts
from vaxsim.coldchain.temperature import COLD
from vaxsim.optimize.lp.extract import SubSolution
from vaxsim.optimize.lp.problem import SubProblem
from vaxsim.optimize.realise.ledger import PlanLedger
from vaxsim.optimize.realise.vaccination_day import Districts
from vaxsim.optimize.setup.context import Context
from vaxsim.optimize.setup.lot_classes import LotClasses, lot_classes


@dataclass(frozen=True)
class Window:
    """A planning window: campaign frame days ``start`` to ``start + periods·period − 1``,
    of which the first ``committed`` periods are realised before re-planning."""

    index: int
    start: int
    periods: int
    committed: int
    period: int

    @property
    def days(self) -> int:
        return self.periods * self.period

    @property
    def committed_days(self) -> int:
        return self.committed * self.period


def windows(ctx: Context) -> list[Window]:
    """The rolling-horizon windows of a run, every ``replan`` days to the campaign's end."""
    P, result = ctx.period, []
    for index, start in enumerate(range(ctx.start, ctx.days, ctx.replan)):
        periods = min(ctx.horizon // P, -(-(ctx.days - start) // P))
        committed = min(ctx.replan // P, periods)
        result.append(Window(index, start, periods, committed, P))
    return result


@dataclass(frozen=True)
class DistrictWindow:
    """Per-district quantities of a window, each in the district's own frame.

    ``capacity [d, b]`` people, ``approvals [d, g, b]`` people, ``history [d, s, m]`` doses of
    the previous step ``m + 1`` periods before the window, ``pool0 [d, s]`` people eligible and
    not yet given each step.
    """

    capacity: np.ndarray
    approvals: np.ndarray
    history: np.ndarray
    pool0: np.ndarray


def _stock_by_class(stock: np.ndarray, of_lot: np.ndarray, classes: int) -> np.ndarray:
    """Doses on hand ``[node, lot class]`` (float) from ``stock [node, lot]`` (whole doses);
    lots of class -1 are left out. One sort and ``reduceat`` over the lots, not ``np.add.at``
    (5x faster; sums of whole doses are exact either way)."""
    by_class = np.zeros((stock.shape[0], classes))
    lots = np.flatnonzero(of_lot >= 0)
    if lots.size:
        lots = lots[order_by(of_lot[lots])]
        of_sorted = of_lot[lots]
        starts = np.flatnonzero(run_starts([of_sorted]))
        by_class[:, of_sorted[starts]] = np.add.reduceat(stock[:, lots], starts, axis=1)
    return by_class


def district_window(ctx: Context, people: Districts, window: Window) -> DistrictWindow:
    P, H, t0 = ctx.period, window.periods, window.start
    D = len(ctx.model.districts)
    offset = ctx.hierarchy.offset[ctx.hierarchy.district_node]
    first = t0 + offset  # [d] campaign day of each district's frame day t0
    grid = first[:, None] + np.arange(H * P)[None, :]
    capacity = ctx.capacity_on(np.arange(D), grid).reshape(D, H, P).sum(axis=2).astype(float)
    inside = grid < ctx.days
    approvals_all = ctx.demand.approvals
    days = np.clip(grid, 0, ctx.days - 1)
    approvals = np.where(
        inside[:, None, :],
        approvals_all[
            np.arange(D)[:, None, None], np.arange(approvals_all.shape[1])[None, :, None], days[:, None, :]
        ],
        0,
    )
    approvals = approvals.reshape(D, -1, H, P).sum(axis=3).astype(float)
    if t0 == 0:  # approvals before a district's first frame day
        early = np.cumsum(approvals_all, axis=2)
        before = np.where(first[:, None] > 0, early[np.arange(D), :, np.clip(first - 1, 0, None)], 0)
        approvals[:, :, 0] += before
    steps = ctx.steps
    depth = int(steps.max_periods.max()) + 1 if steps.size else 0
    history = np.zeros((D, steps.size, depth))
    pool0 = np.zeros((D, steps.size))
    if steps.size:
        cumulative = np.concatenate(
            [np.zeros((D, people.given.shape[1], 1), dtype=np.int64), np.cumsum(people.given, axis=2)], axis=2
        )

        def given_before(slot: np.ndarray, day: np.ndarray) -> np.ndarray:
            """Doses of history slot ``slot`` given on campaign days < ``day`` ``[d, ...]``."""
            return cumulative[np.arange(D)[:, None], slot, np.clip(day, 0, ctx.days)]

        for s in range(steps.size):
            prev = np.full(depth, steps.prev_slot[s])
            ends = first[:, None] - np.arange(depth)[None, :] * P
            history[:, s] = given_before(prev, ends) - given_before(prev, ends - P)
            start_eligible = first - int(steps.min_periods[s]) * P
            done = people.given_total[:, steps.slot[s]]
            pool0[:, s] = np.clip(
                given_before(np.array([steps.prev_slot[s]]), start_eligible[:, None])[:, 0] - done, 0, None
            )
    return DistrictWindow(capacity, approvals, history, pool0)


def window_classes(ctx: Context, ledger: PlanLedger, window: Window) -> LotClasses:
    """Lot classes of the window: lots on hand or in transit, and deliveries due in it."""
    last_day = window.start + window.days + int(ctx.hierarchy.offset.max())
    arrival = ctx.model.lots.arrival_day.to_numpy()
    in_play = (ledger.stock.sum(axis=0) > 0) | (ledger.in_transit() > 0)
    in_play |= ledger.awaited & (arrival < last_day)
    lots = ctx.model.lots
    if ctx.restart is not None:  # the simulated state's thaw clocks shorten some lots' lives
        lots = lots.assign(expiry_day=np.minimum(lots.expiry_day.to_numpy(), ledger.lots.expiry_day))
    return lot_classes(
        lots,
        list(ctx.model.products.id),
        ctx.model.dates[0],
        in_play,
        long_from_day=last_day,
        window_days=ctx.options.planning.class_window_days,
    )


def nation_problem(
    ctx: Context,
    ledger: PlanLedger,
    people: Districts,
    classes: LotClasses,
    window: Window,
    dw: DistrictWindow,
) -> SubProblem:
    """The national sub-problem of a window: stores above the provinces, provinces as units."""
    h = ctx.hierarchy
    nodes = h.nation
    province_of_district = ctx.model.districts.province.to_numpy()
    provinces = len(h.province_node)
    units = np.arange(len(nodes) - provinces, len(nodes))

    def per_province(values: np.ndarray) -> np.ndarray:
        out = np.zeros((provinces, *values.shape[1:]))
        np.add.at(out, province_of_district, values)
        return out

    # A province pools its province node and district nodes (stock, storage, deliveries).
    pooled = h.province_of.copy()
    pooled[np.isin(np.arange(h.size), nodes[: len(nodes) - provinces])] = -1
    local = np.full(h.size, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    into = np.where(pooled >= 0, local[h.province_node[np.maximum(pooled, 0)]], local)
    storage = np.zeros((len(nodes), 3))
    member = into >= 0
    np.add.at(storage, into[member], h.storage[member])
    # Doses in use wait at the districts, in the class their stores keep each product in.
    first_district = np.array(
        [
            h.district_node[province_of_district == p][0]
            if (province_of_district == p).any()
            else h.province_node[p]
            for p in range(provinces)
        ]
    )
    use_class = _storage_class(ctx, h.storage[first_district])
    sub = _subproblem(
        ctx,
        ledger,
        classes,
        window,
        name="nation",
        level="nation",
        key=-1,
        nodes=nodes,
        into=into,
        storage=storage,
        units=units,
        capacity=per_province(dw.capacity),
        approvals=per_province(dw.approvals),
        backlog0=per_province(people.backlog.astype(float)),
        eligible=per_province(ctx.demand.eligible.sum(axis=1).astype(float)),
        covered0=per_province(people.first_doses.astype(float)),
        history=per_province(dw.history),
        pool0=per_province(dw.pool0),
        planned_inflow=None,
        thaw_at_units=False,
    )
    sub.use_class = use_class
    return sub


def province_problem(
    ctx: Context,
    ledger: PlanLedger,
    people: Districts,
    classes: LotClasses,
    window: Window,
    dw: DistrictWindow,
    province: int,
    nation: SubSolution,
    nation_sub: SubProblem,
) -> SubProblem:
    """Province ``province``'s sub-problem: its province node and its districts as units.

    Supply into the province node: what the national plan has already sent (committed
    periods, now in the ledger as pending arrivals) and what it plans to send later.
    """
    h = ctx.hierarchy
    nodes = h.members[province]
    districts = h.district_of[nodes[1:]]
    local = np.full(h.size, -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    unit_of_nation = nation_sub.node_ids.index(h.ids[nodes[0]])
    planned = np.zeros((len(nodes), classes.size, window.periods))
    later = np.arange(window.committed, window.periods)
    planned[0][:, later] = nation.ship[unit_of_nation][:, later]
    name = f"province {ctx.model.provinces.id[province]} {ctx.model.provinces.name[province]}"
    return _subproblem(
        ctx,
        ledger,
        classes,
        window,
        name=name,
        level="province",
        key=province,
        nodes=nodes,
        into=local,
        storage=h.storage[nodes],
        units=np.arange(1, len(nodes)),
        capacity=dw.capacity[districts],
        approvals=dw.approvals[districts],
        backlog0=people.backlog[districts].astype(float),
        eligible=ctx.demand.eligible[districts].sum(axis=1).astype(float),
        covered0=people.first_doses[districts].astype(float),
        history=dw.history[districts],
        pool0=dw.pool0[districts],
        planned_inflow=planned,
        thaw_at_units=True,
    )


def _subproblem(
    ctx: Context,
    ledger: PlanLedger,
    classes: LotClasses,
    window: Window,
    *,
    name: str,
    level: str,
    key: int,
    nodes: np.ndarray,
    into: np.ndarray,
    storage: np.ndarray,
    units: np.ndarray,
    capacity: np.ndarray,
    approvals: np.ndarray,
    backlog0: np.ndarray,
    eligible: np.ndarray,
    covered0: np.ndarray,
    history: np.ndarray,
    pool0: np.ndarray,
    planned_inflow: np.ndarray | None,
    thaw_at_units: bool,
) -> SubProblem:
    """Common assembly. ``into[global node]`` is the local node whose stock a global node's
    stock counts in (-1 = outside the sub-problem)."""
    h, P, H, t0 = ctx.hierarchy, ctx.period, window.periods, window.start
    n = len(nodes)
    parent = np.array(
        [np.flatnonzero(nodes == h.parent[x])[0] if h.parent[x] in nodes else -1 for x in nodes]
    )
    offset = h.offset[nodes]
    C = classes.size
    # Stock on hand, pooled into local nodes, by class.
    by_class = _stock_by_class(ledger.stock, classes.of_lot, C)
    stock0 = np.zeros((n, C))
    counted = into >= 0
    np.add.at(stock0, into[counted], by_class[counted])
    # Arrivals during the window: deliveries and shipments already on their way.
    inflow = np.zeros((n, C, H))
    for frame, chunks in ledger.pending.items():
        b = (frame - t0) // P
        if not t0 <= frame < t0 + H * P:
            continue
        for node, lot, doses, delivery, _carried in chunks:
            target = into[node]
            c = classes.of_lot[lot]
            ok = (target >= 0) & (c >= 0)
            if level == "nation":
                ok &= delivery  # shipments inside the nation's own tree are decided here
            elif level == "province":
                ok &= delivery | (node == nodes[0])
            np.add.at(inflow, (target[ok], c[ok], b), doses[ok])
    if planned_inflow is not None:
        inflow += planned_inflow
    # Lots delivered to a node whose frame day is before t0 but not yet received are put away
    # at the window's first period.
    last_period = (classes.expiry[None, :] - (t0 + offset[:, None]) + 1) // P - 1
    products = ctx.products
    own = ctx.temperature
    thawable = ctx.thaw_days >= 0
    storage_class = _storage_class(ctx, storage)
    thawed = (storage_class == COLD) & (own[None, :] != COLD)
    if not thaw_at_units:
        thawed[units] = False
    link = np.full((n, H), np.inf)
    for i, x in enumerate(nodes):
        if parent[i] < 0:
            continue
        trip = h.link_litres[x]
        if h.link_weekly[x] and P == 1:
            days = t0 + h.offset[h.parent[x]] + np.arange(H)
            runs = ctx.sites.weekday[np.clip(days, 0, ctx.days - 1)] == h.link_weekday[x]
            link[i] = np.where(runs, trip, 0.0)
        else:
            trips = 1 if h.link_weekly[x] else P
            link[i] = trip * trips
    if ctx.restart is not None:
        # A re-plan's frames may start before the state's day (restart_start): nothing leaves
        # a store before that day.
        parent_offset = np.where(parent >= 0, h.offset[nodes[np.maximum(parent, 0)]], 0)
        departs = t0 + parent_offset[:, None] + np.arange(H)[None, :] * P
        link[(departs < ctx.restart.day) & (parent >= 0)[:, None]] = 0.0
    planning = ctx.options.planning
    ship_unit = (
        ctx.doses_per_vial.astype(float) if planning.whole_vials and planning.integer else np.ones(products)
    )
    steps = ctx.steps
    return SubProblem(
        name=name,
        level=level,
        key=key,
        start_day=t0,
        start_date=ctx.model.dates[0],
        period_days=P,
        periods=H,
        committed_periods=window.committed,
        node_ids=[h.ids[x] for x in nodes],
        node_names=[h.names[x] for x in nodes],
        parent=parent.astype(np.int64),
        offset=offset.astype(np.int64),
        lead=h.lead[nodes].astype(np.int64) * (parent >= 0),
        storage=storage,
        storage_class=storage_class.astype(np.int64),
        thawed=thawed,
        link_litres=link,
        unit_node=units.astype(np.int64),
        capacity=capacity,
        approvals=approvals,
        backlog0=backlog0,
        eligible=eligible,
        covered0=covered0,
        product_ids=list(ctx.model.products.id),
        volume=ctx.volume,
        allowance=ctx.allowance,
        thaw_periods=np.where(thawable, ctx.thaw_days // P, -1).astype(np.int64),
        ship_unit=ship_unit,
        class_ids=classes.ids,
        class_product=classes.product,
        class_expiry=classes.expiry,
        last_period=last_period.astype(np.int64),
        stock0=stock0,
        inflow=inflow,
        group_names=list(ctx.demand.classes.id),
        suitable=ctx.demand.suitable,
        priority=ctx.priority,
        step_product=steps.product,
        step_dose=steps.dose,
        step_prev=steps.prev,
        step_given=steps.given,
        step_min=steps.min_periods,
        step_max=steps.max_periods,
        history=history,
        pool0=pool0,
        reserve_share=ctx.reserve_share,
        weights=ctx.options.weights,
        integer=planning.integer,
        first_dose_until=ctx.first_dose_until,
        hold_follow_ups=planning.follow_up_in_plan,
        last_day=ctx.days - 1,
        show_up=ctx.show_up,
    )


def _storage_class(ctx: Context, storage: np.ndarray) -> np.ndarray:
    """Temperature class each product is kept in at nodes with ``storage`` litres ``[n, τ]``:
    its own where there is room in it, else thawed at +2..+8 °C if it may be, ``[n, q]``."""
    own = ctx.temperature
    room = storage[:, own] > 0  # [n, q] the product's own class has room
    thawable = ctx.thaw_days >= 0
    return np.where(room | ~thawable[None, :], own[None, :], COLD)

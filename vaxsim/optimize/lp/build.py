"""Build phase: a :class:`SubProblem` becomes a :class:`LinearProgram` (FORMULATION.md, in code).

Each block of variables and constraints is declared over its index grid with a mask of the
entries that can matter (a lot class before it appears or after it expires, a product nobody may
receive, a group nobody belongs to: no variable). Rows are filled with broadcast numpy arrays;
the only Python loops run over next-dose steps, products and interval offsets (a handful each).

Column blocks: ``stock[n,c,b]``, ``ship[n,c,b]`` (into ``n`` from its parent, in shipping
units), ``use[u,c,b]``, ``dose1[u,q,g,b]``, ``dosek[u,s,q,b]``, ``backlog[u,g,b]``,
``pool[u,s,b]``, ``overdue[u,s,b]``, ``overflow[n,τ,b]``, ``thaw_excess[n,q,b]``,
``reserve_short[q]``, ``lowest_coverage[0]``, ``owed_short[u,q,b]``.
Row blocks: ``balance``, ``use_link``, ``capacity``, ``backlog_balance``, ``pool_balance``,
``overdue_floor``, ``storage``, ``link``, ``thaw``, ``equity``, ``reserve``, ``owed_stock``.
"""

from __future__ import annotations

import numpy as np

from vaxsim.optimize.lp.lp import Builder, LinearProgram
from vaxsim.optimize.lp.problem import SubProblem

#: Objective terms that measure slack (things the plan cannot do); minimised first when the
#: solve is lexicographic.
SLACK_TERMS = ("overdue", "expiry", "overflow", "reserve", "owed")


def build(sub: SubProblem) -> LinearProgram:
    """The LP of ``sub``: minimise the weighted objective subject to FORMULATION.md (1)-(12)."""
    problems = sub.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return _Formulation(sub).build()


class _Formulation:
    def __init__(self, sub: SubProblem):
        self.sub = sub
        self.lp = Builder(sub.name)
        self.H = sub.periods
        self.b = np.arange(sub.periods)
        self.of_product = np.zeros((sub.classes, sub.products), dtype=bool)
        self.of_product[np.arange(sub.classes), sub.class_product] = True

    def build(self) -> LinearProgram:
        self._stock_and_flows()
        self._doses()
        self._balance()
        self._use_link_and_capacity()
        self._backlog()
        self._next_doses()
        self._storage()
        self._links()
        self._thaw_clock()
        self._equity()
        self._reserve()
        self._owed_stock()
        self._objective()
        return self.lp.build(slack_terms=SLACK_TERMS)

    # ------------------------------------------------------------------ variables

    def _stock_and_flows(self) -> None:
        sub, lp = self.sub, self.lp
        supply = sub.inflow.sum(axis=0)  # [c, b]
        # A class exists from the first period it is anywhere in the sub-problem.
        present = (np.cumsum(supply, axis=1) + sub.stock0.sum(axis=0)[:, None]) > 0
        self.alive = (self.b[None, None, :] <= sub.last_period[:, :, None]) & present[None, :, :]
        self.stock = lp.variables("stock", self.alive)
        has_parent = sub.parent >= 0
        ship_mask = self.alive & has_parent[:, None, None] & (sub.link_litres[:, None, :] > 0)
        self.ship = lp.variables("ship", ship_mask, integer=sub.integer)
        self.unit_of_ship = sub.ship_unit[sub.class_product][None, :, None]  # doses per shipping unit
        # Doses that can never be received: stock already expired, or inflow after expiry.
        expired_now = np.where(sub.last_period < 0, sub.stock0, 0.0).sum()
        late = (self.b[None, None, :] > sub.last_period[:, :, None]) & (sub.inflow > 0)
        self.expired_constant = float(expired_now + sub.inflow[late].sum())
        lp.offset += sub.weights.expiry * self.expired_constant
        # Product q is available at unit u in period b when one of its classes is alive there.
        alive_unit = self.alive[sub.unit_node]  # [u, c, b]
        self.product_alive = np.einsum("ucb,cq->uqb", alive_unit, self.of_product) > 0
        self.alive_unit = alive_unit

    def _doses(self) -> None:
        sub, lp = self.sub, self.lp
        open_capacity = sub.capacity > 0  # [u, b]
        cumulative = sub.backlog0[:, :, None] + np.cumsum(sub.approvals, axis=2)
        self.demand = cumulative > 0  # [u, g, b]
        mask1 = (
            sub.suitable[None, :, :, None]
            & self.product_alive[:, :, None, :]
            & self.demand[:, None, :, :]
            & open_capacity[:, None, None, :]
        )
        if sub.first_dose_until is not None:
            first_day = sub.period_first_day(sub.unit_node[:, None], np.arange(self.H)[None, :])  # [u, b]
            mask1 &= (first_day[:, None, :] <= sub.first_dose_until[None, :, None])[:, :, None, :]
        self.dose1 = lp.variables("dose1", mask1, integer=sub.integer)
        # Next doses: step s can be due once the previous dose can have been given m_min
        # periods earlier, or when people were already waiting or started before the window.
        U, S, H = sub.units, sub.steps, self.H
        due = np.zeros((U, S, H), dtype=bool)
        given = np.zeros((U, S, sub.products, H), dtype=bool)
        for s in range(S):
            earlier = sub.pool0[:, s] > 0
            if sub.history.size:
                earlier = earlier | (sub.history[:, s].sum(axis=-1) > 0)
            prev_exists = self._prev_mask(s, mask1, given)  # [u, b]
            m = int(sub.step_min[s])
            reachable = np.zeros((U, H), dtype=bool)
            if m < H:
                reachable[:, m:] = np.logical_or.accumulate(prev_exists, axis=1)[:, : H - m]
            due[:, s] = earlier[:, None] | reachable
            given[:, s] = (
                sub.step_given[s][None, :, None]
                & self.product_alive
                & due[:, s][:, None, :]
                & open_capacity[:, None, :]
            )
        self.due = due
        self.dosek = lp.variables("dosek", given, integer=sub.integer)
        self.mask1, self.maskk = mask1, given
        self.doses_exist = mask1.any(axis=2) | given.any(axis=1)  # [u, q, b]
        use_mask = self.alive_unit & self.doses_exist[:, sub.class_product, :]
        self.use = lp.variables("use", use_mask)

    def _prev_mask(self, s: int, mask1: np.ndarray, given: np.ndarray) -> np.ndarray:
        """[u, b]: the dose before step ``s`` may be given at (u, b)."""
        sub = self.sub
        prev = int(sub.step_prev[s])
        if prev < 0:
            return mask1[:, sub.step_product[s]].any(axis=1)
        return given[:, prev].any(axis=1)

    def _prev_columns(self, s: int) -> np.ndarray:
        """Columns of the dose before step ``s``: ``[u, k, b]`` (k = groups or products)."""
        sub = self.sub
        prev = int(sub.step_prev[s])
        if prev < 0:
            return self.dose1[:, sub.step_product[s]]
        return self.dosek[:, prev]

    def _history(self, s: int, periods_before: np.ndarray) -> np.ndarray:
        """Doses of the step before ``s`` given ``periods_before`` (>= 1) periods before the
        window, ``[u, len(periods_before)]``."""
        sub = self.sub
        depth = sub.history.shape[-1] if sub.history.ndim == 3 else 0
        periods_before = np.asarray(periods_before)
        out = np.zeros((sub.units, len(periods_before)))
        inside = (periods_before >= 1) & (periods_before <= depth)
        if inside.any():
            out[:, inside] = sub.history[:, s, periods_before[inside] - 1]
        return out

    # ------------------------------------------------------------------ constraints

    def _balance(self) -> None:
        """(1) Stock of class c at node n: previous + arrivals − shipments out − use."""
        sub, lp = self.sub, self.lp
        rhs = np.where(self.alive, sub.inflow, 0.0)
        rhs[:, :, 0] += np.where(self.alive[:, :, 0], sub.stock0, 0.0)
        rows = lp.constraints("balance", self.alive, lower=rhs, upper=rhs)
        lp.add(rows, self.stock, 1.0)
        previous = np.full_like(self.stock, -1)
        previous[:, :, 1:] = self.stock[:, :, :-1]
        lp.add(rows, previous, -1.0)
        lp.add(rows, self.ship, -self.unit_of_ship)
        child = np.flatnonzero(sub.parent >= 0)
        lp.add(rows[sub.parent[child]], self.ship[child], self.unit_of_ship)
        lp.add(rows[sub.unit_node], self.use, 1.0)
        self.balance_rows = rows

    def _use_link_and_capacity(self) -> None:
        """(2) Doses drawn from stock = doses given × (1 + open-vial allowance); (3) capacity."""
        sub, lp = self.sub, self.lp
        rows = lp.constraints("use_link", self.doses_exist, lower=0.0, upper=0.0)
        lp.add(rows[:, sub.class_product, :], self.use, 1.0)
        factor = -(1.0 + sub.allowance)
        lp.add(rows[:, :, None, :], self.dose1, factor[None, :, None, None])
        lp.add(rows[:, None, :, :], self.dosek, factor[None, None, :, None])
        any_dose = self.doses_exist.any(axis=1)  # [u, b]
        cap = lp.constraints("capacity", any_dose, upper=self.sub.capacity)
        lp.add(cap[:, None, None, :], self.dose1, 1.0)
        lp.add(cap[:, None, None, :], self.dosek, 1.0)

    def _backlog(self) -> None:
        """(4) People waiting for a first dose: previous + newly approved − first doses."""
        sub, lp = self.sub, self.lp
        self.backlog = lp.variables("backlog", self.demand)
        rhs = sub.approvals.astype(float).copy()
        rhs[:, :, 0] += sub.backlog0
        rows = lp.constraints("backlog_balance", self.demand, lower=rhs, upper=rhs)
        lp.add(rows, self.backlog, 1.0)
        previous = np.full_like(self.backlog, -1)
        previous[:, :, 1:] = self.backlog[:, :, :-1]
        lp.add(rows, previous, -1.0)
        lp.add(rows[:, None, :, :], self.dose1, 1.0)

    def _next_doses(self) -> None:
        """(5) Pool of people eligible for a next dose; (6) the overdue among them."""
        sub, lp = self.sub, self.lp
        self.pool = lp.variables("pool", self.due)
        self.overdue = lp.variables("overdue", self.due)
        pool_rows = lp.constraints("pool_balance", self.due, lower=0.0, upper=0.0)
        over_rows = lp.constraints("overdue_floor", self.due, lower=0.0)
        lp.add(pool_rows, self.pool, 1.0)
        previous = np.full_like(self.pool, -1)
        previous[:, :, 1:] = self.pool[:, :, :-1]
        lp.add(pool_rows, previous, -1.0)
        lp.add(pool_rows[:, :, None, :], self.dosek, 1.0)
        lp.shift_bounds(pool_rows[:, :, 0], sub.pool0)
        lp.add(over_rows, self.overdue, 1.0)
        lp.add(over_rows, self.pool, -1.0)
        for s in range(sub.steps):
            m, top = int(sub.step_min[s]), int(sub.step_max[s])
            # Newly eligible in period b: the previous dose given in period b - m.
            self._add_previous(pool_rows[:, s], s, [m], -1.0)
            # Not yet overdue: previous dose in periods (b - max, b - min].
            self._add_previous(over_rows[:, s], s, range(m, top), 1.0)
        self.pool_rows, self.over_rows = pool_rows, over_rows

    def _add_previous(self, rows: np.ndarray, s: int, offsets, coef: float) -> None:
        """Add ``coef`` × the doses of the step before ``s`` given ``d`` periods before period b
        to ``rows[u, b]``, for each ``d`` in ``offsets``; doses given before the window (the
        history) move to the rows' bounds."""
        prev = self._prev_columns(s)  # [u, k, b]
        H = self.H
        for d in offsets:
            if d < H:
                self.lp.add(rows[:, None, d:], prev[:, :, : H - d], coef)
            early = np.arange(min(d, H))
            self.lp.shift_bounds(rows[:, early], -coef * self._history(s, d - early))

    def _storage(self) -> None:
        """(7) Litres on hand per temperature class ≤ capacity + overflow (penalised slack); with
        periods longer than a day, a unit's litres include the period's use (its peak)."""
        sub, lp = self.sub, self.lp
        kept_at = sub.storage_class[:, sub.class_product]  # [n, c]
        volume = sub.volume[sub.class_product]  # [c]
        held = np.zeros((sub.nodes, 3, self.H), dtype=bool)
        for tau in range(3):
            held[:, tau] = (self.alive & (kept_at == tau)[:, :, None]).any(axis=1)
        mask = held & np.isfinite(sub.storage)[:, :, None]
        self.overflow = lp.variables("overflow", mask)
        rows = lp.constraints("storage", mask, upper=np.broadcast_to(sub.storage[:, :, None], mask.shape))
        node = np.arange(sub.nodes)[:, None, None]
        lp.add(rows[node, kept_at[:, :, None], self.b[None, None, :]], self.stock, volume[None, :, None])
        if sub.period_days > 1:
            # A period's shipments arrive on its first day and its doses are given over its days:
            # that first evening a unit still holds the period's use on top of its closing stock,
            # in the class its districts keep the product in (a national unit pools a province
            # store that keeps Pfizer ultra-cold with district stores that keep it thawed).
            units = sub.unit_node
            use_class = sub.storage_class[units] if sub.use_class is None else sub.use_class
            held_in = use_class[:, sub.class_product]  # [u, c]
            lp.add(
                np.where(held_in[:, :, None] >= 0, rows[units[:, None], np.maximum(held_in, 0)], -1),
                self.use,
                volume[None, :, None],
            )
        lp.add(rows, self.overflow, -1.0)
        self.storage_rows = rows

    def _links(self) -> None:
        """(8) Litres shipped on a link per period ≤ the link's capacity."""
        sub, lp = self.sub, self.lp
        finite = np.isfinite(sub.link_litres) & (sub.link_litres > 0) & (sub.parent >= 0)[:, None]
        mask = finite & (self.ship >= 0).any(axis=1)
        rows = lp.constraints("link", mask, upper=sub.link_litres)
        volume = (sub.volume * sub.ship_unit)[sub.class_product]
        lp.add(rows[:, None, :], self.ship, volume[None, :, None])
        self.link_rows = rows

    def _thaw_clock(self) -> None:
        """(9) Thawed stock must leave within the thaw clock: stock ≤ outflow of the next D periods."""
        sub, lp, H = self.sub, self.lp, self.H
        D = sub.thaw_periods  # [q]
        mask = np.zeros((sub.nodes, sub.products, H), dtype=bool)
        stock_q = np.einsum("ncb,cq->nqb", self.alive, self.of_product) > 0
        for q in range(sub.products):
            if D[q] < 0:
                continue
            ok = self.b + D[q] <= H - 1
            mask[:, q] = sub.thawed[:, q][:, None] & stock_q[:, q] & ok[None, :]
        self.thaw_excess = lp.variables("thaw_excess", mask)
        rows = lp.constraints("thaw", mask, upper=0.0)
        lp.add(rows[:, sub.class_product, :], self.stock, 1.0)
        lp.add(rows, self.thaw_excess, -1.0)
        child = np.flatnonzero(sub.parent >= 0)
        for q in np.flatnonzero(D >= 0):
            if not mask[:, q].any():
                continue
            classes = np.flatnonzero(sub.class_product == q)
            for d in range(1, int(D[q]) + 1):
                if d >= H:
                    break
                target = rows[:, q, : H - d]  # [n, b]
                lp.add(
                    target[sub.parent[child]][:, None, :],
                    self.ship[child][:, classes, d:],
                    -self.unit_of_ship[:, classes, :],
                )
                lp.add(target[sub.unit_node][:, None, :], self.use[:, classes, d:], -1.0)
        self.thaw_rows = rows

    def _equity(self) -> None:
        """(10) The lowest unit coverage (share of eligible people with a first dose).

        The variable is the coverage times the mean eligible people per unit, ``y = z·Ē``, so the
        rows ``(E_u/Ē)·y − Σ dose1_u ≤ covered0_u`` have coefficients near 1 (``z`` itself
        would need coefficients ``1/E_u`` ~ 1e-7, which slows the solvers)."""
        sub, lp = self.sub, self.lp
        counted = sub.eligible > 0
        use_equity = sub.weights.equity > 0 and counted.sum() >= 2
        self.mean_eligible = float(sub.eligible[counted].mean()) if counted.any() else 1.0
        self.lowest = lp.variables("lowest_coverage", np.array([use_equity]), upper=self.mean_eligible)
        if not use_equity:
            self.equity_rows = np.full(sub.units, -1)
            return
        rows = lp.constraints("equity", counted, upper=np.where(counted, sub.covered0, 0.0))
        lp.add(rows, self.lowest[0], sub.eligible / self.mean_eligible)
        lp.add(rows[:, None, None, None], self.dose1, -1.0)
        self.equity_rows = rows

    def _reserve(self) -> None:
        """(11) At the window's end, stock ≥ reserve share × people owed a next dose."""
        sub, lp, H = self.sub, self.lp, self.H
        series = np.unique(sub.step_product) if sub.steps else np.zeros(0, dtype=np.int64)
        mask = np.zeros(sub.products, dtype=bool)
        if sub.reserve_share > 0:
            mask[series] = True
        self.short = lp.variables("reserve_short", mask)
        rows = lp.constraints("reserve", mask, lower=0.0)
        if not mask.any():
            self.reserve_rows = rows
            return
        beyond = sub.last_period >= H  # [n, c] still usable after the window
        end_stock = np.where(beyond, self.stock[:, :, H - 1], -1)
        lp.add(rows[sub.class_product][None, :], end_stock, 1.0)
        lp.add(rows, self.short, 1.0)
        rho = sub.reserve_share
        for s in range(sub.steps):
            row = rows[sub.step_product[s]]
            lp.add(row, self.pool[:, s, H - 1], -rho)
            prev = self._prev_columns(s)
            m = int(sub.step_min[s])
            first = max(H - m, 0)
            lp.add(row, prev[:, :, first:], -rho)
            before = np.arange(max(m - H, 0), 0, -1)  # periods before the window still pending
            if len(before):
                lp.shift_bounds(row, rho * self._history(s, before).sum())
        self.reserve_rows = rows

    def _owed_stock(self) -> None:
        """(12) With follow-ups held: at the end of every period, each unit holds the doses
        (with their open-vial waste) of the next doses its people are owed: those eligible and
        not yet given it, and those still inside their minimum interval."""
        sub, lp = self.sub, self.lp
        mask = np.zeros((sub.units, sub.products, self.H), dtype=bool)
        if sub.hold_follow_ups and sub.steps:
            mask[:, np.unique(sub.step_product), :] = True
        self.owed_short = lp.variables("owed_short", mask)
        rows = lp.constraints("owed_stock", mask, lower=0.0)
        self.owed_rows = rows
        if not mask.any():
            return
        lp.add(rows[:, sub.class_product, :], self.stock[sub.unit_node], 1.0)
        lp.add(rows, self.owed_short, 1.0)
        for s in range(sub.steps):
            q = int(sub.step_product[s])
            factor = 1.0 + float(sub.allowance[q])
            lp.add(rows[:, q, :], self.pool[:, s, :], -factor)
            # Still inside the minimum interval: the dose before given 0 .. m - 1 periods ago.
            self._add_previous(rows[:, q], s, range(int(sub.step_min[s])), -factor)

    # ------------------------------------------------------------------ objective

    def _given_by_end(self) -> np.ndarray:
        """``[u, b]`` probability that a person booked for a next dose in period b gets it by the
        campaign's last day: with show-up share p, someone first booked on day t who does not
        come is due again the next day, so ``1 − (1 − p)^(last day − t + 1)``, averaged over the
        period's days (1 for a sub-problem without an end)."""
        sub, P = self.sub, self.sub.period_days
        if sub.last_day is None or sub.show_up >= 1.0:
            return np.ones((sub.units, self.H))
        first = sub.period_first_day(sub.unit_node[:, None], self.b[None, :])  # [u, b]
        left = sub.last_day - (first[:, :, None] + np.arange(P)) + 1  # days left, counting that day
        missed = (1.0 - sub.show_up) ** np.maximum(left, 0)
        return np.where(left > 0, 1.0 - missed, 0.0).mean(axis=2)

    def _objective(self) -> None:
        sub, lp, w, P, H = self.sub, self.lp, self.sub.weights, self.sub.period_days, self.H
        lp.cost("waiting", self.backlog, (sub.priority * P)[None, :, None])
        lp.cost("next_dose_wait", self.pool, w.next_dose_wait * P)
        lp.cost("overdue", self.overdue, w.overdue * P)
        expiring = (sub.last_period >= 0) & (sub.last_period <= H - 1)
        last = np.clip(sub.last_period, 0, H - 1)
        expired = np.where(expiring, np.take_along_axis(self.stock, last[:, :, None], axis=2)[:, :, 0], -1)
        lp.cost("expiry", expired, w.expiry)
        lp.cost("expiry", self.thaw_excess, w.expiry)
        allowance = w.open_vial * sub.allowance
        lp.cost("open_vial", self.dose1, allowance[None, :, None, None])
        lp.cost("open_vial", self.dosek, allowance[None, None, :, None])
        lp.cost("transport", self.ship, w.transport * self.unit_of_ship * sub.lead[:, None, None])
        lp.cost("overflow", self.overflow, w.overflow * P)
        lp.cost("reserve", self.short, w.reserve)
        lp.cost("owed", self.owed_short, w.overdue * P)
        lp.cost("equity", self.lowest, -w.equity * float(sub.eligible.sum()) / self.mean_eligible)
        middle = sub.period_first_day(sub.unit_node[:, None], self.b[None, :]) + (P - 1) / 2  # [u, b]
        shelf = np.clip(sub.class_expiry[None, :, None] - middle[:, None, :], 0, None) / 365.0
        lp.cost("fefo", self.use, w.fefo * shelf)
        # A reward per next dose: person-days alone favour late first doses over finishing series.
        # Weighted by the chance it is given before the campaign ends, so the LP does not start
        # series whose next doses are due on its last days when another order finishes them.
        lp.cost("completion", self.dosek, -w.completion * self._given_by_end()[:, None, None, :])

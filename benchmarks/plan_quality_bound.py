"""An upper bound on what any policy can achieve in a scenario: a small LP with perfect knowledge.

Used by ``bench_plan_quality.py`` to say how far each policy is from the best possible. The LP
maximises doses given over the campaign horizon (or first doses, or completed series) subject
only to constraints every simulated run must also satisfy, with everything else relaxed:

- **Supply, lot by lot**: a lot's doses are used at most once, only from its arrival day plus
  the shortest lead time from its arrival store down to any district store (doses are given at
  district sites only), and not after its expiry date. Transport schedules and capacities,
  store capacities, thaw clocks, open-vial losses, breakage and excursions are ignored.
- **Site capacity**: doses per unit (district, or the whole country) and period at most the sum
  of the unit's sites' people per day, as the simulation computes it
  (:func:`vaxsim.sim.capacity.weekly_pattern`, the capacity its bookings and walk-ins are taken
  from), over the days of the period. At national level capacity is pooled across districts.
- **People**: first doses to a demand class (:mod:`vaxsim.optimize.setup.demand`, priority group by
  the products it may have) in a unit by the end of a period at most the people the
  expected-value approval forecast (:func:`vaxsim.optimize.setup.demand.forecast_demand`) has made
  available by the period's last day; the larger of the forecasts under ``priority_first`` and
  ``pro_rata`` approval order is taken per class, and the total over classes is capped by the
  larger of the two totals.
- **Series**: next doses of a product (no mixing) by the end of a period at most the previous
  doses of that product given at least the minimum interval earlier. With weekly periods a
  dose in period ``n`` may lead to the next dose in period ``n + floor(min_days / 7)`` (the
  earliest the relaxation can prove). No drop-outs, no maximum interval, no no-shows.

Doses are continuous (no whole vials or people). Every constraint is implied by the
simulation's rules except the approvals: the simulation draws registrations at random, so a
seed's realised approvals can differ slightly from their expectation; the bound is a bound on
the expected-value campaign (the benchmark reports the largest realised share of it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from vaxsim.model import Model, compile_model
from vaxsim.optimize.lp.lp import LinearProgram
from vaxsim.optimize.lp.solvers import solve
from vaxsim.optimize.options import SolverOptions
from vaxsim.optimize.setup.demand import forecast_demand
from vaxsim.sim.capacity import weekly_pattern

#: What the bound LP can maximise.
OBJECTIVES = ("doses_given", "first_doses", "full_series")


@dataclass(frozen=True)
class Bound:
    """The bound LP's optima and shape. ``full_series_coverage`` is ``full_series`` over the
    whole population (the simulation's coverage denominator)."""

    level: str
    period_days: int
    doses_given: float
    first_doses: float
    full_series: float
    full_series_coverage: float
    doses_delivered: int
    people_available: int
    population: int
    rows: int
    columns: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class _Rows:
    """Constraint triplets collected row by row (rows are few enough for Python loops)."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, columns: np.ndarray, values: np.ndarray | float, lower: float, upper: float) -> None:
        columns = np.asarray(columns, dtype=np.int64)
        row = len(self.lower)
        self.r.append(np.full(len(columns), row, dtype=np.int64))
        self.c.append(columns)
        self.v.append(np.broadcast_to(np.asarray(values, dtype=float), columns.shape).copy())
        self.lower.append(lower)
        self.upper.append(upper)

    def matrix(self, columns: int) -> sparse.csr_matrix:
        if not self.lower:
            return sparse.csr_matrix((0, columns))
        return sparse.csr_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(len(self.lower), columns),
        )


def _lead_to_districts(model: Model) -> np.ndarray:
    """Shortest lead time (days) from every store down to any district store (inf: none)."""
    stores = len(model.stores)
    best = np.where(model.stores.level.to_numpy() == "district", 0.0, np.inf)
    links = model.links
    for _ in range(stores):  # Bellman-Ford on the reversed links
        changed = False
        for a, b, lead in zip(links.from_store, links.to_store, links.lead_time_days, strict=True):
            if best[b] + lead < best[a]:
                best[a] = best[b] + lead
                changed = True
        if not changed:
            break
    return best


def _approvals(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected approvals ``[district, class, day]`` (max over the two approval orders), the
    max of their per-day totals ``[district, day]``, and ``suitable[product, class]``."""
    forecasts = []
    for rule in ("priority_first", "pro_rata"):
        policies = model.scenario.policies.model_copy(update={"allocation": rule, "plan": None})
        variant = compile_model(model.scenario.model_copy(update={"policies": policies}))
        forecasts.append(forecast_demand(variant))
    first = forecasts[0]
    for other in forecasts[1:]:
        if other.approvals.shape != first.approvals.shape or not np.array_equal(
            other.suitable, first.suitable
        ):
            raise ValueError("the two approval orders give different demand classes")
    cumulative = np.max([np.cumsum(f.approvals, axis=2) for f in forecasts], axis=0)
    totals = np.max([np.cumsum(f.approvals.sum(axis=1), axis=1) for f in forecasts], axis=0)
    return cumulative, totals, first.suitable


def upper_bound(model: Model, level: str = "district", period_days: int = 1, threads: int = 1) -> Bound:
    """Solve the bound LP (see the module docstring) for each of :data:`OBJECTIVES`.

    ``level``: ``"district"`` (capacity and people per district) or ``"nation"`` (pooled).
    ``period_days``: 1 (daily) or 7 (weekly periods; the last period may be shorter).
    """
    started = time.perf_counter()
    if model.scenario.policies.mixing.allowed:
        raise ValueError("the bound assumes no mixing of products between doses")
    days = len(model.dates)
    period = int(period_days)
    periods = -(-days // period)
    first_day = np.arange(periods) * period
    last_day = np.minimum(first_day + period, days) - 1
    districts = len(model.districts)
    unit_of = np.arange(districts) if level == "district" else np.zeros(districts, dtype=np.int64)
    units = int(unit_of.max()) + 1 if districts else 0

    # Capacity per unit and period, from the simulation's own per-site daily capacity.
    patterns = {name: weekly_pattern(site_type) for name, site_type in model.site_types.items()}
    weekday = np.array([date.weekday() for date in model.dates])
    per_site_day = np.stack([patterns[name][weekday] for name in model.sites.type])  # [site, day]
    site_unit = unit_of[model.sites.district.to_numpy()]
    capacity = np.zeros((units, periods))
    period_of_day = np.arange(days) // period
    np.add.at(capacity, (site_unit[:, None], period_of_day[None, :]), per_site_day)

    # People: cumulative expected approvals by the last day of each period, per unit and class.
    cumulative, totals, suitable = _approvals(model)
    classes = cumulative.shape[1]
    approved = np.zeros((units, classes, days))
    np.add.at(approved, unit_of, cumulative)
    approved = approved[:, :, last_day]
    approved_total = np.zeros((units, days))
    np.add.at(approved_total, unit_of, totals)
    approved_total = approved_total[:, last_day]

    products = model.products
    series = products.series_doses.to_numpy(dtype=np.int64)
    lag = np.zeros((len(products), int(series.max()) if len(series) else 1), dtype=np.int64)
    for row in model.intervals.itertuples(index=False):
        lag[row.product, row.dose_number - 1] = int(row.min_days) // period

    # Columns: y[lot, unit, step, period] where the lot is usable, f[unit, product, class, period].
    lead = _lead_to_districts(model)
    lots = model.lots
    ready = lots.arrival_day.to_numpy() + lead[lots.store.to_numpy()]
    expiry = lots.expiry_day.to_numpy()
    column_lot: list[int] = []
    column_unit: list[int] = []
    column_step: list[int] = []
    column_period: list[int] = []
    for lot in range(len(lots)):
        usable = np.flatnonzero((last_day >= ready[lot]) & (first_day <= expiry[lot]))
        for u in range(units):
            for k in range(series[lots["product"].iat[lot]]):
                column_lot += [lot] * len(usable)
                column_unit += [u] * len(usable)
                column_step += [k] * len(usable)
                column_period += list(usable)
    y_lot, y_unit = np.array(column_lot, dtype=np.int64), np.array(column_unit, dtype=np.int64)
    y_step, y_period = np.array(column_step, dtype=np.int64), np.array(column_period, dtype=np.int64)
    y_product = lots["product"].to_numpy()[y_lot] if len(y_lot) else np.zeros(0, dtype=np.int64)
    ys = len(y_lot)
    f_index = np.full((units, len(products), classes, periods), -1, dtype=np.int64)
    mask = np.broadcast_to(suitable[None, :, :, None], f_index.shape)
    f_index[mask] = ys + np.arange(int(mask.sum()))
    columns = ys + int(mask.sum())

    rows = _Rows()
    inf = float("inf")
    # (1) each lot at most once
    order = np.argsort(y_lot, kind="stable")
    for lot, members in zip(*_groups(y_lot[order], order), strict=True):
        rows.add(members, 1.0, -inf, float(lots.doses.iat[lot]))
    # (2) capacity per unit and period
    key = y_unit * periods + y_period
    order = np.argsort(key, kind="stable")
    for cell, members in zip(*_groups(key[order], order), strict=True):
        rows.add(members, 1.0, -inf, float(capacity[cell // periods, cell % periods]))
    # (3) first doses of a product = the class split; (4) approvals; (5) series
    first = y_step == 0
    for u in range(units):
        for p in range(len(products)):
            for n in range(periods):
                ys_here = np.flatnonzero(first & (y_unit == u) & (y_product == p) & (y_period == n))
                fs_here = f_index[u, p, :, n]
                fs_here = fs_here[fs_here >= 0]
                if len(ys_here) or len(fs_here):
                    rows.add(
                        np.concatenate([ys_here, fs_here]),
                        np.r_[np.ones(len(ys_here)), -np.ones(len(fs_here))],
                        0.0,
                        0.0,
                    )
        for n in range(periods):
            upto = f_index[u, :, :, : n + 1]
            for c in range(classes):
                members = upto[:, c, :]
                members = members[members >= 0]
                if len(members):
                    rows.add(members, 1.0, -inf, float(approved[u, c, n]))
            members = upto[upto >= 0]
            if len(members):
                rows.add(members, 1.0, -inf, float(approved_total[u, n]))
        for p in range(len(products)):
            for k in range(1, series[p]):
                here = (y_unit == u) & (y_product == p)
                for n in range(periods):
                    later = np.flatnonzero(here & (y_step == k) & (y_period <= n))
                    if not len(later):
                        continue
                    earlier = np.flatnonzero(here & (y_step == k - 1) & (y_period <= n - lag[p, k]))
                    rows.add(
                        np.concatenate([later, earlier]),
                        np.r_[np.ones(len(later)), -np.ones(len(earlier))],
                        -inf,
                        0.0,
                    )
    matrix = rows.matrix(columns)
    last_step = series[y_product] - 1 if ys else np.zeros(0, dtype=np.int64)
    goals = {
        "doses_given": np.r_[np.ones(ys), np.zeros(columns - ys)],
        "first_doses": np.r_[(y_step == 0).astype(float), np.zeros(columns - ys)],
        "full_series": np.r_[(y_step == last_step).astype(float), np.zeros(columns - ys)],
    }
    optimum = {}
    for name, gain in goals.items():
        lp = LinearProgram(
            name=f"upper bound ({name})",
            cost=-gain,
            offset=0.0,
            matrix=matrix,
            row_lower=np.array(rows.lower),
            row_upper=np.array(rows.upper),
            col_lower=np.zeros(columns),
            col_upper=np.full(columns, inf),
            integer=np.zeros(columns, dtype=bool),
            terms={name: -gain},
            columns={},
            rows={},
        )
        solution = solve(lp, SolverOptions(solver="highs", threads=threads))
        optimum[name] = float(gain @ solution.x)
    population = model.total_population
    return Bound(
        level=level,
        period_days=period,
        doses_given=optimum["doses_given"],
        first_doses=optimum["first_doses"],
        full_series=optimum["full_series"],
        full_series_coverage=optimum["full_series"] / population if population else 0.0,
        doses_delivered=int(lots.doses.sum()),
        people_available=int(approved_total[:, -1].sum()) if periods else 0,
        population=population,
        rows=matrix.shape[0],
        columns=columns,
        seconds=time.perf_counter() - started,
    )


def _groups(sorted_keys: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct keys of ``sorted_keys`` and, for each, the entries of ``order`` that have it."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64), []
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return sorted_keys[starts], np.split(order, starts[1:])

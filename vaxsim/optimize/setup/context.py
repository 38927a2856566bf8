"""Everything fixed for one optimize run: the model's arrays in the optimizer's units.

Built once from the model and the options; every sub-problem and the realisation read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vaxsim.coldchain.temperature import CLASSES, COLD
from vaxsim.model import Model
from vaxsim.optimize.options import Options
from vaxsim.optimize.setup.demand import Demand
from vaxsim.optimize.setup.hierarchy import Hierarchy, build_hierarchy
from vaxsim.optimize.setup.open_vial import SESSION_FILL, open_vial_allowance
from vaxsim.optimize.setup.sites import SiteCalendar

if TYPE_CHECKING:
    from vaxsim.optimize.setup.restart import Restart

#: Scenarios with at most this many district-days are planned day by day by default.
DAILY_UP_TO_DISTRICT_DAYS = 20_000


@dataclass(frozen=True)
class Steps:
    """Next-dose steps: one per product with a series and dose number >= 2.

    ``product`` (the series' first-dose product), ``dose`` (2, 3, ...), ``prev`` (index of the
    step before, -1 = the first dose), ``given`` bool [s, q] products allowed for the dose,
    ``min_days``/``max_days`` the interval, ``min_periods``/``max_periods`` in planning periods,
    ``slot`` and ``prev_slot`` indices into the dose history (one slot per product and dose
    number of a series, :attr:`slot_product` and :attr:`slot_dose`).
    """

    product: np.ndarray
    dose: np.ndarray
    prev: np.ndarray
    given: np.ndarray
    min_days: np.ndarray
    max_days: np.ndarray
    min_periods: np.ndarray
    max_periods: np.ndarray
    slot: np.ndarray
    prev_slot: np.ndarray
    slot_product: np.ndarray
    slot_dose: np.ndarray

    @property
    def size(self) -> int:
        return len(self.product)

    @property
    def first_day(self) -> np.ndarray:
        """Days after the dose before from which each step is due: its minimum interval, at
        least 1 (no two doses of a series on one day)."""
        return np.maximum(self.min_days, 1)


@dataclass(frozen=True)
class Context:
    """Per-run constants (see the attributes' comments for units)."""

    model: Model
    options: Options
    demand: Demand
    sites: SiteCalendar
    hierarchy: Hierarchy
    period: int  # days per planning period
    horizon: int  # days of look-ahead per window
    replan: int  # days committed per window
    province_horizon: int  # days of look-ahead of the province LPs
    days: int  # campaign days
    volume: np.ndarray  # litres per dose [q]
    allowance: np.ndarray  # open-vial doses discarded per dose given [q]
    thaw_days: np.ndarray  # days an unopened vial may stay at 2-8 °C [q], -1 = not thawable
    doses_per_vial: np.ndarray  # [q]
    temperature: np.ndarray  # storage class index [q]
    steps: Steps
    district_capacity: np.ndarray  # people per district and campaign day [d, day]
    priority: np.ndarray  # cost per person-day waiting, per demand class [g]
    reserve_share: float
    first_dose_until: np.ndarray  # last campaign day a first dose of each product may be given [q]
    first_dose_wait: np.ndarray  # days from a first dose of each product to its next dose (0: none) [q]
    show_up: float  # share of people booked a day ahead who come (scenario's notification)
    series_doses: np.ndarray  # doses in each product's series [q]
    start: int = 0  # first campaign frame day planned (> 0 when restarting from a simulated state)
    restart: Restart | None = None  # the simulated state planned from (vaxsim.optimize.setup.restart)

    @property
    def products(self) -> int:
        return len(self.volume)

    def capacity_on(self, districts: np.ndarray, days: np.ndarray) -> np.ndarray:
        """People per district and day for arbitrary days (0 outside the campaign)."""
        days = np.asarray(days)
        inside = (days >= 0) & (days < self.days)
        clipped = np.clip(days, 0, self.days - 1)
        return np.where(inside, self.district_capacity[np.asarray(districts)[..., None], clipped], 0)


def province_horizon(options: Options, period: int, horizon: int, replan: int) -> int:
    """Days of look-ahead of the province LPs (``PlanningOptions.province_horizon_days``)."""
    days = options.planning.province_horizon_days or replan + 7
    return min(horizon, max(replan, -(-days // period) * period))


def planning_shape(model: Model, options: Options) -> tuple[int, int, int]:
    """Period, horizon and re-planning interval (days) for a run, defaults filled in."""
    planning = options.planning
    days = len(model.dates)
    period = planning.period_days
    if period is None:
        period = 1 if len(model.districts) * days <= DAILY_UP_TO_DISTRICT_DAYS else 7
    horizon = planning.horizon_days or (56 if period == 1 else 84)
    replan = planning.replan_every or min(horizon, 28 if period == 1 else 56)
    return period, horizon, replan


def next_dose_steps(model: Model, period: int) -> tuple[Steps, list[str]]:
    """The next-dose steps of the model's products and any interval that cannot be planned at
    this period length (a 7-day plan needs a whole number of weeks inside [min, max])."""
    products = model.products
    ids = list(products.id)
    mixing = model.scenario.policies.mixing
    partners = {(ids.index(a), ids.index(b)) for a, b in mixing.pairs} if mixing.allowed else set()
    rows, problems = [], []
    slots: dict[tuple[int, int], int] = {}
    for p, series in enumerate(products.series_doses):
        if series < 2:
            continue
        for k in range(1, int(series) + 1):
            slots[(p, k)] = len(slots)
    index: dict[tuple[int, int], int] = {}
    for row in model.intervals.sort_values(["product", "dose_number"]).itertuples():
        p, k = int(row.product), int(row.dose_number)
        lo, hi = int(row.min_days), int(row.max_days)
        if period == 1:
            lo_p, hi_p = lo, hi
        else:
            lo_p, hi_p = math.ceil(lo / period), hi // period
            if lo_p > hi_p:
                problems.append(
                    f"product {ids[p]}: dose {k} interval {lo}-{hi} days holds no whole number of "
                    f"{period}-day periods; plan with period_days=1"
                )
                hi_p = lo_p
        given = np.zeros(len(ids), dtype=bool)
        given[p] = True
        for a, b in partners:
            if a == p:
                given[b] = True
        index[(p, k)] = len(rows)
        rows.append((p, k, given, lo, hi, lo_p, hi_p, slots[(p, k)], slots[(p, k - 1)]))
    prev = [index.get((p, k - 1), -1) for p, k, *_ in rows]
    slot_keys = sorted(slots, key=slots.get)
    steps = Steps(
        product=np.array([r[0] for r in rows], dtype=np.int64),
        dose=np.array([r[1] for r in rows], dtype=np.int64),
        prev=np.array(prev, dtype=np.int64),
        given=np.array([r[2] for r in rows], dtype=bool).reshape(len(rows), len(ids)),
        min_days=np.array([r[3] for r in rows], dtype=np.int64),
        max_days=np.array([r[4] for r in rows], dtype=np.int64),
        min_periods=np.array([r[5] for r in rows], dtype=np.int64),
        max_periods=np.array([r[6] for r in rows], dtype=np.int64),
        slot=np.array([r[7] for r in rows], dtype=np.int64),
        prev_slot=np.array([r[8] for r in rows], dtype=np.int64),
        slot_product=np.array([p for p, _ in slot_keys], dtype=np.int64),
        slot_dose=np.array([k for _, k in slot_keys], dtype=np.int64),
    )
    return steps, problems


def make_context(model: Model, options: Options, demand: Demand) -> Context:
    """The run's constants (assumes the inputs were validated)."""
    period, horizon, replan = planning_shape(model, options)
    sites = SiteCalendar.from_model(model)
    hierarchy = build_hierarchy(model, sites)
    steps, _ = next_dose_steps(model, period)
    products = model.products
    daily = sites.sessions.astype(float)
    session_mean = float((daily**2).sum() / daily.sum()) if daily.sum() > 0 else 0.0
    doses_per_vial = products.doses_per_vial.to_numpy(dtype=np.int64)
    allowance = np.array([open_vial_allowance(int(d), SESSION_FILL * session_mean) for d in doses_per_vial])
    thaw = products.days_at_2_8c.to_numpy(dtype=float)
    temperature = np.array([CLASSES.index(c) for c in products.storage_class], dtype=np.int64)
    thaw_days = np.where(np.isnan(thaw) | (temperature == COLD), -1, np.nan_to_num(thaw)).astype(np.int64)
    reserve = options.planning.next_dose_reserve
    if reserve is None:
        policy = model.scenario.policies.second_dose_reserve
        reserve = policy.share if policy.rule == "hold_back" else 0.0
    groups = len(model.priority_groups)
    weights = np.array(options.weights.priority_weights(groups))
    return Context(
        model=model,
        options=options,
        demand=demand,
        sites=sites,
        hierarchy=hierarchy,
        period=period,
        horizon=horizon,
        replan=replan,
        province_horizon=province_horizon(options, period, horizon, replan),
        days=len(model.dates),
        volume=products.volume_litres_per_dose.to_numpy(dtype=float),
        allowance=allowance,
        thaw_days=thaw_days,
        doses_per_vial=doses_per_vial,
        temperature=temperature,
        steps=steps,
        district_capacity=sites.district_day_capacity(len(model.districts), np.arange(len(model.dates))),
        priority=weights[demand.classes.group.to_numpy(dtype=np.int64)],
        reserve_share=float(reserve),
        first_dose_until=first_dose_until(steps, len(products), len(model.dates), options),
        first_dose_wait=first_dose_wait(steps, len(products)),
        show_up=float(model.scenario.people.notification.expected_show_up(1)),
        series_doses=products.series_doses.to_numpy(dtype=np.int64),
    )


def first_dose_until(steps: Steps, products: int, days: int, options: Options) -> np.ndarray:
    """Last campaign day on which a first dose of each product may be given: with
    ``follow_up_in_plan``, the last day from which every later dose of its series is due inside
    the campaign (``days − 1 − Σ max(min interval, 1)``); otherwise the last day."""
    until = np.full(products, days - 1, dtype=np.int64)
    if options.planning.follow_up_in_plan:
        for s in range(steps.size):
            until[steps.product[s]] -= int(steps.first_day[s])
    return until


def first_dose_wait(steps: Steps, products: int) -> np.ndarray:
    """Days from a first dose of each product to the earliest day of its next dose (0 for a
    single-dose product), ``[q]``."""
    wait = np.zeros(products, dtype=np.int64)
    first = steps.prev < 0
    wait[steps.product[first]] = steps.first_day[first]
    return wait

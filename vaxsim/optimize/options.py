"""What the optimizer may be told: objective weights and run options, with their units.

Every weight is a cost in the objective, which is *minimised*; FORMULATION.md explains each
term. Defaults are deliberate, documented choices, not tuned constants: change them per run with
``optimize(..., weights=Weights(expiry=100))``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Solver = Literal["cbc", "highs"]
Method = Literal["auto", "simplex", "ipm"]

#: Above this many LP columns, ``method="auto"`` asks HiGHS for its interior-point solver
#: (with crossover); below it, dual simplex is as fast or faster (measured on vietnam-2021's
#: province LPs, see benchmarks/optimize.md).
IPM_ABOVE_COLUMNS = 4_000
#: Above this many LP columns, ``method="auto"`` asks CBC (Clp) for its barrier; below it,
#: primal simplex. CBC's default dual simplex took 4x longer on the national LP.
CBC_BARRIER_ABOVE_COLUMNS = 20_000


@dataclass(frozen=True)
class Weights:
    """Objective weights (costs per unit; the objective is minimised).

    - ``priority``: cost per person-day waiting for a first dose, per priority group in the
      scenario's order (highest priority first). ``None``: geometric, ``priority_ratio`` times
      the next group's, the last group 1.0.
    - ``priority_ratio``: ratio between consecutive groups when ``priority`` is ``None``.
    - ``next_dose_wait``: per person-day between becoming eligible for a next dose (minimum
      interval passed) and getting it.
    - ``overdue``: per person-day past the maximum interval without the next dose.
    - ``expiry``: per dose that expires, by date or by the thaw clock.
    - ``open_vial``: per dose expected to be discarded from opened vials.
    - ``transport``: per dose per day of transport lead time.
    - ``overflow``: per litre-day of stock above a store's capacity (storage slack).
    - ``reserve``: per dose short of the next-dose reserve at the end of a planning window.
    - ``equity``: per eligible person of the sub-problem, per unit of the lowest unit coverage
      (share of eligible people with a first dose); raising the worst-off province (or
      district) by 1 % of its people is worth ``0.01 * equity * eligible people``.
    - ``fefo``: per dose used, per year of shelf life it still had (a tie-break that prefers
      the earlier expiry when nothing else differs).
    - ``completion``: reward (a negative cost) per next dose given inside the planning window.
      Waiting is counted in person-days, which alone prefers a late first dose (it saves the
      rest of the horizon) to a next dose near the horizon's end (it saves a few days), and so
      leaves series unfinished when the supply is short; 100 makes a next dose worth 100
      days of first-dose waiting in the lowest group (50 and 150 did worse on the demo
      scenarios: ``benchmarks/plan_quality.md``). Near the campaign's end each next dose earns
      the reward times the chance its person comes on one of the days left (the scenario's
      expected show-up; FORMULATION.md §5).
    """

    priority: tuple[float, ...] | None = None
    priority_ratio: float = 1.5
    next_dose_wait: float = 1.0
    overdue: float = 20.0
    expiry: float = 50.0
    open_vial: float = 1.0
    transport: float = 0.001
    overflow: float = 100.0
    reserve: float = 2.0
    equity: float = 1.0
    fefo: float = 0.001
    completion: float = 100.0

    def priority_weights(self, groups: int) -> tuple[float, ...]:
        """Cost per person-day waiting, per priority group (highest priority first)."""
        if self.priority is not None:
            if len(self.priority) != groups:
                raise ValueError(f"weights.priority has {len(self.priority)} values for {groups} groups")
            return tuple(float(w) for w in self.priority)
        return tuple(float(self.priority_ratio ** (groups - 1 - i)) for i in range(groups))

    def problems(self) -> list[str]:
        """What is wrong with these weights (empty when they are usable)."""
        found = []
        for name in (
            "priority_ratio",
            "next_dose_wait",
            "overdue",
            "expiry",
            "open_vial",
            "transport",
            "overflow",
            "reserve",
            "equity",
            "fefo",
            "completion",
        ):
            value = getattr(self, name)
            if not value >= 0 or value == float("inf"):
                found.append(f"weights.{name} must be a finite number >= 0 (got {value})")
        if self.priority is not None and any(not w >= 0 for w in self.priority):
            found.append(f"weights.priority must be >= 0 (got {list(self.priority)})")
        return found


@dataclass(frozen=True)
class SolverOptions:
    """How each sub-problem is solved.

    ``time_limit`` is seconds per sub-problem; ``gap`` the relative optimality gap accepted for
    integer programs (LPs are solved to optimality); ``threads`` the number of sub-problems
    solved at once (one solver thread each; the single national problem gets them all);
    ``method`` the HiGHS LP algorithm.
    """

    solver: Solver = field(default_factory=lambda: default_solver())
    time_limit: float | None = None
    gap: float = 1e-4
    threads: int = 1
    method: Method = "auto"

    def problems(self) -> list[str]:
        found = []
        if self.solver not in ("cbc", "highs"):
            found.append(f"solver must be 'cbc' or 'highs' (got {self.solver!r})")
        elif self.solver == "highs" and not highs_available():
            found.append("solver 'highs' needs the highspy package: pip install 'vaxsim[highs]'")
        if self.time_limit is not None and not self.time_limit > 0:
            found.append(f"time_limit must be > 0 seconds (got {self.time_limit})")
        if not 0 <= self.gap < 1:
            found.append(f"gap must be in [0, 1) (got {self.gap})")
        if not isinstance(self.threads, int) or self.threads < 1:
            found.append(f"threads must be a whole number >= 1 (got {self.threads})")
        if self.method not in ("auto", "simplex", "ipm"):
            found.append(f"method must be 'auto', 'simplex' or 'ipm' (got {self.method!r})")
        return found


@dataclass(frozen=True)
class PlanningOptions:
    """The shape of the planning: resolution, rolling horizon, units of shipment.

    - ``period_days``: 1 (daily) or 7 (weekly) planning periods in the LPs; the committed plan
      is always realised day by day. ``None``: daily for small scenarios, weekly otherwise.
    - ``horizon_days``: look-ahead of each planning window (days, a multiple of the period).
    - ``replan_every``: days committed from each window before re-planning (a multiple of the
      period, at most ``horizon_days``).
    - ``province_horizon_days``: look-ahead of the province LPs (at least ``replan_every``, at
      most ``horizon_days``). The national LP has already looked ``horizon_days`` ahead to
      decide what each province receives, so a province LP needs little beyond what it
      commits; next doses due later are covered by the stock reserve. ``None``:
      ``replan_every + 7`` days (LP solve time grows faster than its number of periods).
    - ``whole_vials``: ship whole vials between stores (doses otherwise).
    - ``integer``: solve shipments and doses as integers (a MIP); otherwise the LP relaxation is
      solved and rounded and repaired while the plan is realised (see FORMULATION.md).
    - ``lexicographic``: first minimise the slack terms (unmet next doses, overflow, expiry,
      reserve), then the whole objective with that optimum held.
    - ``next_dose_reserve``: share of people owed a next dose whose dose is held in stock at
      the end of each window; ``None`` follows the scenario's ``second_dose_reserve`` policy.
    - ``class_window_days``: lots of one product whose expiry dates fall in the same window of
      this many days form one lot class (1 = same expiry date; lossless).
    - ``follow_up_in_plan``: every first-dose slot the plan publishes has its follow-up in
      the plan (invariant 8 of PLAN_FORMAT.md): first doses only on days from which the later
      doses are due inside the campaign, each next dose booked at its site on a day with room,
      first doses only where that room exists and the stock keeps back the booked next doses,
      and the LPs keep the owed next doses in stock (FORMULATION.md §7). ``False`` (the
      default, Viet Nam's 2021 practice of first doses first) plans first doses to the last
      day and next doses as the supply allows; their follow-ups are left to the next plan
      and deliveries, and plan.json says so (``summary.follow_ups``), so invariant 8 checks
      only that free slots are free. Measured in benchmarks/plan_quality.md: on the demo the
      guarantee cuts the plan's doses by 40 % (38,476 planned against 62,134) and the doses
      realised in simulation by about as much.
    """

    period_days: int | None = None
    horizon_days: int | None = None
    replan_every: int | None = None
    province_horizon_days: int | None = None
    whole_vials: bool = False
    integer: bool = False
    lexicographic: bool = False
    next_dose_reserve: float | None = None
    class_window_days: int = 1
    follow_up_in_plan: bool = False

    def problems(self) -> list[str]:
        found = []
        if self.period_days not in (None, 1, 7):
            found.append(f"period_days must be 1 or 7 (got {self.period_days})")
        period = self.period_days or 1
        for name in ("horizon_days", "replan_every", "province_horizon_days"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, int) or value < 1:
                found.append(f"{name} must be a whole number of days >= 1 (got {value})")
            elif value % period:
                found.append(f"{name} ({value}) must be a multiple of period_days ({period})")
        if (
            self.horizon_days is not None
            and self.replan_every is not None
            and self.replan_every > self.horizon_days
        ):
            found.append(
                f"replan_every ({self.replan_every}) must not exceed horizon_days ({self.horizon_days})"
            )
        if (
            self.province_horizon_days is not None
            and self.replan_every is not None
            and self.province_horizon_days < self.replan_every
        ):
            found.append(
                f"province_horizon_days ({self.province_horizon_days}) must be at least "
                f"replan_every ({self.replan_every})"
            )
        if self.next_dose_reserve is not None and not 0 <= self.next_dose_reserve <= 1:
            found.append(f"next_dose_reserve must be in [0, 1] (got {self.next_dose_reserve})")
        if not isinstance(self.class_window_days, int) or self.class_window_days < 1:
            found.append(f"class_window_days must be a whole number >= 1 (got {self.class_window_days})")
        return found


@dataclass(frozen=True)
class Progress:
    """One progress event: a sub-problem was solved (or a phase finished).

    ``done`` of ``total`` sub-problems so far; ``name`` e.g. ``"nation"`` or
    ``"province 79 Hồ Chí Minh"``; ``window`` the planning window's first and last dates.
    """

    done: int
    total: int
    level: str
    name: str
    window: tuple[str, str]
    status: str
    seconds: float


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class Options:
    """Everything :func:`vaxsim.optimize` was asked, in one object passed down the phases."""

    solver: SolverOptions = field(default_factory=SolverOptions)
    planning: PlanningOptions = field(default_factory=PlanningOptions)
    weights: Weights = field(default_factory=Weights)

    def problems(self) -> list[str]:
        return [*self.solver.problems(), *self.planning.problems(), *self.weights.problems()]


def highs_available() -> bool:
    """Is the ``highspy`` package importable?"""
    return importlib.util.find_spec("highspy") is not None


def default_solver() -> Solver:
    """HiGHS when ``highspy`` is installed (faster on every measured problem), else CBC."""
    return "highs" if highs_available() else "cbc"

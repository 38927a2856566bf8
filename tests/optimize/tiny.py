"""Hand-made sub-problems small enough to solve by hand: one store feeding one or two units.

``tiny()`` gives a store (node 0) with the stock, and ``units`` unit nodes under it (lead 0),
one product, one demand class, no next doses, no transport or tie-break costs, and every
array filled; tests override what they study with keyword arguments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.optimize.lp.build import build
from vaxsim.optimize.lp.extract import SubSolution, extract
from vaxsim.optimize.lp.problem import SubProblem
from vaxsim.optimize.lp.solvers import solve
from vaxsim.optimize.options import SolverOptions, Weights

#: Weights with only the terms a hand calculation needs: waiting (1 per person-period),
#: next-dose wait and overdue, expiry; no transport, FEFO tie-break, open vials, equity or
#: completion reward.
PLAIN = Weights(
    priority=(1.0,), transport=0.0, fefo=0.0, open_vial=0.0, equity=0.0, reserve=0.0, completion=0.0
)


def tiny(
    periods: int = 3,
    units: int = 1,
    classes: int = 1,
    stock0: float | np.ndarray = 20.0,
    capacity: float = 10.0,
    approvals0: float = 25.0,
    weights: Weights = PLAIN,
    **overrides,
) -> SubProblem:
    n = units + 1
    if np.ndim(stock0):
        store_stock = np.asarray(stock0, dtype=float)
    else:
        store_stock = np.zeros((n, classes))
        store_stock[0, 0] = stock0
    approvals = np.zeros((units, 1, periods))
    approvals[:, 0, 0] = approvals0
    values = dict(
        name="tiny",
        level="province",
        key=0,
        start_day=0,
        start_date=pd.Timestamp("2021-08-02"),
        period_days=1,
        periods=periods,
        committed_periods=periods,
        node_ids=["store"] + [f"unit-{u}" for u in range(units)],
        node_names=["Store"] + [f"Unit {u}" for u in range(units)],
        parent=np.array([-1] + [0] * units, dtype=np.int64),
        offset=np.zeros(n, dtype=np.int64),
        lead=np.zeros(n, dtype=np.int64),
        storage=np.full((n, 3), np.inf),
        storage_class=np.full((n, 1), 2, dtype=np.int64),
        thawed=np.zeros((n, 1), dtype=bool),
        link_litres=np.full((n, periods), np.inf),
        unit_node=np.arange(1, n, dtype=np.int64),
        capacity=np.full((units, periods), capacity),
        approvals=approvals,
        backlog0=np.zeros((units, 1)),
        eligible=np.full(units, 1000.0),
        covered0=np.zeros(units),
        product_ids=["vax"],
        volume=np.array([0.003]),
        allowance=np.zeros(1),
        thaw_periods=np.array([-1], dtype=np.int64),
        ship_unit=np.ones(1),
        class_ids=[f"vax/{c}" for c in range(classes)],
        class_product=np.zeros(classes, dtype=np.int64),
        class_expiry=np.full(classes, 365, dtype=np.int64),
        last_period=np.full((n, classes), 10_000, dtype=np.int64),
        stock0=store_stock,
        inflow=np.zeros((n, classes, periods)),
        group_names=["everyone"],
        suitable=np.ones((1, 1), dtype=bool),
        priority=np.array([1.0]),
        step_product=np.zeros(0, dtype=np.int64),
        step_dose=np.zeros(0, dtype=np.int64),
        step_prev=np.zeros(0, dtype=np.int64),
        step_given=np.zeros((0, 1), dtype=bool),
        step_min=np.zeros(0, dtype=np.int64),
        step_max=np.zeros(0, dtype=np.int64),
        history=np.zeros((units, 0, 0)),
        pool0=np.zeros((units, 0)),
        reserve_share=0.0,
        weights=weights,
    )
    values.update(overrides)
    return SubProblem(**values)


def two_dose(periods: int, min_periods: int, max_periods: int, **overrides) -> SubProblem:
    """``tiny`` with a two-dose series (second dose ``min..max`` periods after the first)."""
    values = dict(
        step_product=np.array([0], dtype=np.int64),
        step_dose=np.array([2], dtype=np.int64),
        step_prev=np.array([-1], dtype=np.int64),
        step_given=np.ones((1, 1), dtype=bool),
        step_min=np.array([min_periods], dtype=np.int64),
        step_max=np.array([max_periods], dtype=np.int64),
        history=np.zeros((overrides.get("units", 1), 1, max_periods + 1)),
        pool0=np.zeros((overrides.get("units", 1), 1)),
    )
    values.update(overrides)
    return tiny(periods=periods, **values)


def solved(sub: SubProblem, solver: str = "cbc", lexicographic: bool = False) -> SubSolution:
    """Build, solve and extract ``sub``."""
    from vaxsim.optimize.lp.solvers import solve_lexicographic

    lp = build(sub)
    options = SolverOptions(solver=solver)
    solution = solve_lexicographic(lp, options) if lexicographic else solve(lp, options)
    return extract(sub, lp, solution)

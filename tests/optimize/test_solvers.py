"""CBC and HiGHS give the same objective on the same sub-problems (within the gap)."""

from __future__ import annotations

import numpy as np
import pytest

import vaxsim
from tests.conftest import DEMO
from tests.optimize.tiny import solved, tiny, two_dose
from vaxsim.optimize import options as options_module
from vaxsim.optimize.lp.build import build
from vaxsim.optimize.lp.extract import extract
from vaxsim.optimize.lp.solvers import solve
from vaxsim.optimize.options import Options, PlanningOptions, SolverOptions, highs_available
from vaxsim.optimize.realise.assemble import (
    district_window,
    nation_problem,
    province_problem,
    window_classes,
    windows,
)
from vaxsim.optimize.realise.realise import Realiser
from vaxsim.optimize.setup.context import make_context
from vaxsim.optimize.setup.demand import forecast_demand

needs_highs = pytest.mark.skipif(not highs_available(), reason="highspy is not installed")


@needs_highs
@pytest.mark.parametrize(
    "sub",
    [
        tiny(),
        tiny(units=2, stock0=12.0, capacity=8.0, periods=4),
        two_dose(6, 2, 3, stock0=15.0, approvals0=10.0),
    ],
    ids=["one-unit", "two-units", "two-dose"],
)
def test_cbc_and_highs_agree_on_hand_made_instances(sub):
    assert solved(sub, "cbc").objective == pytest.approx(solved(sub, "highs").objective, rel=1e-7, abs=1e-6)


def demo_window(period_days: int = 1):
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    ctx = make_context(
        model, Options(planning=PlanningOptions(period_days=period_days)), forecast_demand(model)
    )
    realiser = Realiser(ctx)
    window = windows(ctx)[0]
    classes = window_classes(ctx, realiser.ledger, window)
    dw = district_window(ctx, realiser.people, window)
    nation = nation_problem(ctx, realiser.ledger, realiser.people, classes, window, dw)
    return ctx, realiser, window, classes, dw, nation


@needs_highs
@pytest.mark.parametrize("period_days", [1, 7])
def test_cbc_and_highs_agree_on_the_demo_sub_problems(period_days):
    ctx, realiser, window, classes, dw, nation = demo_window(period_days)
    lp = build(nation)
    cbc = solve(lp, SolverOptions(solver="cbc"))
    highs = solve(lp, SolverOptions(solver="highs", method="simplex"))
    ipm = solve(lp, SolverOptions(solver="highs", method="ipm"))
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-6)
    assert ipm.objective == pytest.approx(highs.objective, rel=1e-6)
    solution = extract(nation, lp, highs)
    province = province_problem(
        ctx, realiser.ledger, realiser.people, classes, window, dw, 0, solution, nation
    )
    lp = build(province)
    assert solve(lp, SolverOptions(solver="cbc")).objective == pytest.approx(
        solve(lp, SolverOptions(solver="highs")).objective, rel=1e-6
    )


@needs_highs
def test_integer_whole_vials_agree_within_the_gap():
    sub = tiny(stock0=25.0, approvals0=23.0, integer=True, ship_unit=np.array([10.0]))
    cbc, highs = solved(sub, "cbc"), solved(sub, "highs")
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-4)
    assert (cbc.ship % 10 == 0).all()  # whole vials of 10


def test_whole_vials_and_integers_give_an_integer_plan():
    # A MIP: a time limit and a loose gap keep the test short (the plan is feasible either way).
    plan = vaxsim.optimize(
        DEMO,
        planning=PlanningOptions(whole_vials=True, integer=True, period_days=7),
        appointments=False,
        time_limit=2.0,
        gap=0.05,
    )
    assert plan.column_problems() == []
    lines = plan.shipment_lines.merge(plan.shipments, on="shipment_id")
    store_lines = lines[lines.reason == "allocation"].merge(plan.lots[["lot_id", "product_id"]], on="lot_id")
    shipped = store_lines.groupby(["shipment_id", "product_id"]).doses.sum()
    per_vial = plan.products.set_index("product_id").doses_per_vial
    assert len(shipped) > 0
    assert (shipped % per_vial.reindex(shipped.index.get_level_values(1)).to_numpy() == 0).all()


@needs_highs
def test_objective_terms_add_up_to_the_solvers_objective():
    # LinearProgram.term_values sums without BLAS (einsum); the terms must still make the objective.
    sub = two_dose(6, 2, 3, stock0=15.0, approvals0=10.0)
    lp = build(sub)
    solution = solve(lp, SolverOptions(solver="highs"))
    terms = lp.term_values(solution.x)
    assert set(terms) == set(lp.terms)
    assert sum(terms.values()) + lp.offset == pytest.approx(solution.objective, rel=1e-9, abs=1e-6)
    assert terms["completion"] == pytest.approx(float(np.dot(lp.terms["completion"], solution.x)), rel=1e-12)


def test_default_solver_is_highs_when_installed_else_cbc(monkeypatch):
    monkeypatch.setattr(options_module, "highs_available", lambda: True)
    assert options_module.default_solver() == "highs" == SolverOptions().solver
    monkeypatch.setattr(options_module, "highs_available", lambda: False)
    assert options_module.default_solver() == "cbc" == SolverOptions().solver

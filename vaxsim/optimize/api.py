"""``vaxsim.optimize(scenario) -> Plan``: the optimizer's one public entry point.

Phases (each testable alone): check the inputs (:mod:`~vaxsim.optimize.validate`), forecast
demand (:mod:`~vaxsim.optimize.setup.demand`), fix the run's constants
(:mod:`~vaxsim.optimize.setup.context`), run the rolling horizon — for each window and level:
assemble, build, solve, extract, realise (:mod:`~vaxsim.optimize.rolling`) — and turn the
realised run into a plan (:mod:`~vaxsim.optimize.tables.to_plan`). FORMULATION.md has the maths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from vaxsim.coldchain.checks import checked_model
from vaxsim.model import Model
from vaxsim.optimize.options import (
    Method,
    Options,
    PlanningOptions,
    ProgressCallback,
    Solver,
    SolverOptions,
    Weights,
    default_solver,
)
from vaxsim.optimize.rolling import run
from vaxsim.optimize.setup.context import make_context, next_dose_steps, planning_shape
from vaxsim.optimize.setup.demand import demand_from_table, forecast_demand
from vaxsim.optimize.setup.hierarchy import HierarchyError, build_hierarchy
from vaxsim.optimize.setup.restart import check_state, restart_context
from vaxsim.optimize.setup.sites import SiteCalendar
from vaxsim.optimize.tables.to_plan import context_inputs_sha256, context_plan_id, to_plan
from vaxsim.optimize.validate import OptimizeError, check_inputs
from vaxsim.plan import Plan
from vaxsim.scenario import Scenario, load
from vaxsim.sim.state import CampaignState


def optimize(
    scenario: Scenario | Model | str | Path,
    *,
    solver: Solver | None = None,
    time_limit: float | None = None,
    gap: float = 1e-4,
    threads: int = 1,
    method: Method = "auto",
    weights: Weights | None = None,
    planning: PlanningOptions | None = None,
    demand: pd.DataFrame | None = None,
    appointments: bool | None = None,
    progress: ProgressCallback | None = None,
    state: CampaignState | None = None,
    before_solving: Callable[[str, str], None] | None = None,
) -> Plan:
    """Plan a campaign: lots down the store hierarchy and appointment capacity at every site.

    ``scenario``: a loaded :class:`~vaxsim.scenario.Scenario`, a compiled
    :class:`~vaxsim.model.Model`, or a scenario file path.
    ``solver``: ``"highs"`` (needs ``highspy``) or ``"cbc"`` (bundled with PuLP); ``None``:
    HiGHS when installed, else CBC (:func:`~vaxsim.optimize.options.default_solver`).
    ``time_limit``: seconds per sub-problem (``None``: none). ``gap``: relative optimality gap
    for integer programs. ``threads``: sub-problems solved at once (worker processes).
    ``method``: HiGHS LP algorithm (``"auto"`` picks by size). ``weights``: objective weights
    (:class:`~vaxsim.optimize.options.Weights`, costs per unit). ``planning``: periods, rolling
    horizon, whole vials, integers (:class:`~vaxsim.optimize.options.PlanningOptions`).
    ``demand``: a table of approved registrants (district, priority_group, age_band, date,
    persons) instead of the scenario's registration forecast. ``appointments``: one row per
    booked person (``None``: only for plans of up to a million doses). ``progress``: called with
    a :class:`~vaxsim.optimize.options.Progress` after each sub-problem. ``state``: a simulated
    :class:`~vaxsim.sim.state.CampaignState`; the plan then covers campaign days from
    ``state.day`` on and starts from the state's stock, shipments, people and bookings
    (:mod:`~vaxsim.optimize.setup.restart`, FORMULATION.md "Restarting from a simulated state").
    ``before_solving(plan_id, inputs_sha256)`` is called once the plan's id and inputs digest
    (which fix its revision in an output folder) are known and before any solve (the command
    line checks the bundle's destination there).

    Raises :class:`~vaxsim.optimize.validate.OptimizeError` listing every input problem before
    any model is built. Shortfalls are not errors: they are slack, reported in
    ``plan.findings`` and ``plan.summary``.
    """
    model = _model(scenario)
    options = Options(
        solver=SolverOptions(
            solver=solver or default_solver(), time_limit=time_limit, gap=gap, threads=threads, method=method
        ),
        planning=planning or PlanningOptions(),
        weights=weights or Weights(),
    )
    extra: list[str] = []
    if demand is not None:
        table, extra = demand_from_table(model, demand)
    period, _, _ = planning_shape(model, options)
    extra += next_dose_steps(model, period)[1]
    groups = len(model.priority_groups)
    if options.weights.priority is not None and len(options.weights.priority) != groups:
        extra.append(
            f"weights.priority has {len(options.weights.priority)} values for {groups} priority groups"
        )
    try:
        build_hierarchy(model, SiteCalendar.from_model(model))
    except HierarchyError as error:
        extra.append(f"store hierarchy: {error}")
    if state is not None:
        extra += check_state(model, state)
    check_inputs(model, options, extra)
    forecast = table if demand is not None else forecast_demand(model)
    if state is not None:
        ctx = restart_context(model, options, forecast, state)
    else:
        ctx = make_context(model, options, forecast)
    if before_solving is not None:
        before_solving(context_plan_id(ctx), context_inputs_sha256(ctx))
    result = run(ctx, progress)
    return to_plan(ctx, result, appointments=appointments)


def _model(scenario: Scenario | Model | str | Path) -> Model:
    if isinstance(scenario, Model):
        return scenario
    if isinstance(scenario, str | Path):
        scenario = load(scenario)
    if not isinstance(scenario, Scenario):
        raise OptimizeError(
            [f"expected a Scenario, a Model or a scenario path, got {type(scenario).__name__}"]
        )
    return checked_model(scenario)


__all__ = ["OptimizeError", "optimize"]

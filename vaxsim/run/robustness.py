"""How well a plan survives reality: re-simulate it over seeded replications.

Before a plan is exported, :func:`verify_plan` runs the plan-driven simulation
(:mod:`vaxsim.sim.plan_directives`) ``replications`` times with seeds ``seed, seed + 1, ...``
under the scenario's disturbances (no-shows, SMS failures, shipment delays, breakage,
temperature excursions) and reports, with 95 % confidence intervals over the replications:

- ``realised_share``: doses given / doses the plan booked;
- ``wastage_share``: doses wasted (every cause) / (doses given + wasted);
- ``stock_out_days``: district-days on which someone came and got no dose for lack of vaccine.

The result is a JSON-ready dict that the plan bundle records in its manifest (``robustness``).
"""

from __future__ import annotations

from typing import Any

from vaxsim.model import Model, compile_model
from vaxsim.plan import Plan
from vaxsim.run.simulate import simulate
from vaxsim.run.statistics import mean_and_interval
from vaxsim.scenario import Scenario


def verify_plan(
    scenario: Scenario | Model, plan: Plan, replications: int, seed: int | None = None
) -> dict[str, Any]:
    """Re-simulate ``plan`` ``replications`` times (site queues off: they do not change doses)
    and summarise the realised share of planned doses, wastage and stock-out days."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1 (got {replications})")
    model = scenario if isinstance(scenario, Model) else compile_model(scenario)
    first = model.scenario.campaign.seed if seed is None else seed
    seeds = [first + k for k in range(replications)]
    measured: dict[str, list[float]] = {"realised_share": [], "wastage_share": [], "stock_out_days": []}
    for replication_seed in seeds:
        results = simulate(model, replication_seed, site_queues=False, plan=plan)
        summary = results.summary()
        given, wasted = summary["doses_given"], summary["doses_wasted"]
        measured["realised_share"].append(summary["plan"]["realised_share"] or 0.0)
        measured["wastage_share"].append(wasted / (given + wasted) if given + wasted else 0.0)
        short = results.stock_outs[results.stock_outs.short > 0]
        measured["stock_out_days"].append(float(len(short.groupby(["date", "district"]))))
    return {
        "replications": replications,
        "seeds": seeds,
        "method": "plan-driven simulation under the scenario's disturbances; mean and 95 % "
        "Student-t confidence interval over replications",
        **{name: mean_and_interval(values) for name, values in measured.items()},
    }

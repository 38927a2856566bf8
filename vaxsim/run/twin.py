"""Digital-twin mode: re-plan every K days from the simulated state, and compare policies.

``vaxsim run SCENARIO --replan-every K`` plans the campaign (:func:`vaxsim.optimize`),
simulates it under the scenario's disturbances, and every ``K`` days hands the simulated
state (stock by lot and store, shipments on the road, people waiting, next doses due,
bookings: :class:`~vaxsim.sim.state.CampaignState`) back to the optimizer, which plans the rest
of the campaign from there; the simulation follows the new plan. :func:`compare_policies`
runs the same scenario and seed under the rule-based policies, the static plan and the
re-planned one, and puts their headline figures in one table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from vaxsim.model import Model, compile_model
from vaxsim.optimize import optimize
from vaxsim.plan import Plan
from vaxsim.plan.checked import checked
from vaxsim.plan.revisions import revise
from vaxsim.results.results import Results
from vaxsim.run.simulate import simulate
from vaxsim.scenario import Scenario
from vaxsim.sim.state import CampaignState


def replanner(
    model: Model, *, previous: Plan | None = None, check: bool = True, **optimize_options: Any
) -> Callable[[CampaignState], Plan]:
    """A function ``state -> Plan`` that re-optimizes ``model``'s campaign from ``state``; each
    re-plan is the next revision after ``previous`` (the plan being followed) or the re-plan
    before it.

    ``check``: each re-plan must pass :func:`vaxsim.plan.check` against the model before it is
    followed (:func:`vaxsim.plan.checked.checked`), as a static plan must; a re-plan the checker
    refuses stops the run with :class:`~vaxsim.plan.errors.PlanRefused`. The bundle carries
    what the re-plan starts from (``opening_stock``: the simulated stock, doses set aside and on
    the road, thaw clocks as ``use_by``), so the checker holds it to the same rules."""
    # The plan id and revision of the plan the next re-plan replaces.
    latest: list[tuple[str, int]] = [] if previous is None else [(previous.plan_id, previous.revision)]

    def replan(state: CampaignState) -> Plan:
        plan = optimize(model, state=state, **optimize_options)
        if latest:  # each re-plan is the next revision of the campaign's plan (vaxsim.plan.revisions)
            plan = revise(plan, *latest[-1])
        latest.append((plan.plan_id, plan.revision))
        return checked(plan, model) if check else plan

    return replan


def digital_twin(
    scenario: Scenario | Model,
    seed: int | None = None,
    *,
    replan_every: int,
    plan: Plan | None = None,
    site_queues: bool = False,
    workers: int | None = None,
    **optimize_options: Any,
) -> Results:
    """Simulate ``scenario`` following a plan that is re-optimized every ``replan_every`` days
    from the simulated state. ``plan`` is the first plan (default: optimized now; every plan
    made here is checked against the scenario before it is followed, :func:`replanner`);
    ``optimize_options`` go to :func:`vaxsim.optimize` (solver, time limit, ...)."""
    model = scenario if isinstance(scenario, Model) else compile_model(scenario)
    first = plan if plan is not None else checked(optimize(model, **optimize_options), model)
    return simulate(
        model,
        seed,
        site_queues=site_queues,
        workers=workers,
        plan=first,
        replan=replanner(model, previous=first, **optimize_options),
        replan_every=replan_every,
    )


def compare_policies(
    scenario: Scenario | Model,
    seed: int | None = None,
    *,
    replan_every: int,
    static: Plan | None = None,
    twin: Results | None = None,
    **optimize_options: Any,
) -> pd.DataFrame:
    """One row per policy on the same scenario and seed: the rule-based allocations
    (``priority_first``, ``pro_rata``), the static optimized plan, and the plan re-optimized
    every ``replan_every`` days. Columns: policy, doses_given, first_doses, coverage (at
    least one dose, full series), doses_wasted, wastage_share, missed_for_lack_of_vaccine,
    planned_doses, realised_share, seconds. ``static`` (the first plan) and ``twin`` (the
    re-planned run's results) are used as given when already computed."""
    model = scenario if isinstance(scenario, Model) else compile_model(scenario)
    rows = []

    def row(policy: str, run: Callable[[], Results]) -> None:
        started = time.perf_counter()
        summary = run().summary()
        given, wasted = summary["doses_given"], summary["doses_wasted"]
        plan = summary.get("plan", {})
        rows.append(
            {
                "policy": policy,
                "doses_given": given,
                "first_doses": summary["doses_by_dose_number"].get(1, 0),
                "coverage_at_least_one": summary["coverage_at_least_one"],
                "coverage_full_series": summary["coverage_full_series"],
                "doses_wasted": wasted,
                "wastage_share": wasted / (given + wasted) if given + wasted else 0.0,
                "missed_for_lack_of_vaccine": summary["missed_for_lack_of_vaccine"],
                "planned_doses": plan.get("planned_doses"),
                "realised_share": plan.get("realised_share"),
                "seconds": time.perf_counter() - started,
            }
        )

    for rule in ("priority_first", "pro_rata"):
        policies = model.scenario.policies.model_copy(update={"allocation": rule, "plan": None})
        ruled = compile_model(model.scenario.model_copy(update={"policies": policies}))
        row(rule, lambda ruled=ruled: simulate(ruled, seed, site_queues=False))
    static = static if static is not None else checked(optimize(model, **optimize_options), model)
    row("static plan", lambda: simulate(model, seed, site_queues=False, plan=static))
    row(
        f"re-planned every {replan_every} days",
        lambda: (
            twin
            if twin is not None
            else digital_twin(model, seed, replan_every=replan_every, plan=static, **optimize_options)
        ),
    )
    return pd.DataFrame(rows)

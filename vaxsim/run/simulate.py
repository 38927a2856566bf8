"""``vaxsim.simulate``: run a scenario's campaign and get tidy results."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from vaxsim.coldchain.checks import checked_model
from vaxsim.columns import labels
from vaxsim.errors import VaxsimError
from vaxsim.model import Model
from vaxsim.plan import Plan
from vaxsim.plan.checked import read_checked
from vaxsim.results.results import Results, build_results
from vaxsim.scenario import Scenario, load
from vaxsim.scenario.changes import with_changes
from vaxsim.sim.engine import Campaign
from vaxsim.sim.plan_directives import PlanDirectives
from vaxsim.sim.state import CampaignState, snapshot


def simulate(
    scenario: Scenario | Model | str | os.PathLike[str],
    seed: int | None = None,
    *,
    site_queues: bool = True,
    workers: int | None = None,
    on_day: Callable[[int], None] | None = None,
    plan: Plan | str | os.PathLike[str] | None = None,
    replan: Callable[[CampaignState], Plan] | None = None,
    replan_every: int | None = None,
) -> Results:
    """Simulate the campaign of ``scenario`` (a scenario file's path, a loaded scenario or a
    compiled model).

    A scenario object is validated again first (:func:`vaxsim.with_changes` with no changes),
    so one edited around validation raises :class:`~vaxsim.errors.ScenarioError` instead of
    running nonsense.

    ``seed`` defaults to ``campaign.seed``; the same scenario and seed give identical results.
    ``site_queues`` runs the per-person site kernel on every session (waits, crowding); without
    it only the campaign flow is simulated. ``workers``: processes for the site queues
    (``None`` = one per CPU, 1 = serial); results do not depend on it. ``on_day(day)`` is
    called after each simulated day (for progress bars).

    ``plan`` (a :class:`~vaxsim.plan.Plan` or the path of a plan bundle; by default
    ``policies.plan``, relative to the scenario file, when ``policies.allocation`` is ``plan``)
    runs the campaign on the plan's
    shipments and appointment slots instead of the rule-based policies
    (:mod:`vaxsim.sim.plan_directives`); the results then compare planned and realised doses
    (``plan_vs_realised`` and ``results.summary()["plan"]``). A bundle is first checked against
    the scenario (:func:`vaxsim.plan.checked.read_checked`) and refused with
    :class:`~vaxsim.plan.errors.PlanRefused` when anything is wrong; a ``Plan`` object is the
    caller's and is used as given.

    ``replan`` with ``replan_every`` (days) is the digital-twin mode: every ``replan_every``
    days the campaign's state (:class:`~vaxsim.sim.state.CampaignState`) is handed to
    ``replan``, and the plan it returns is followed from that day on (see
    :mod:`vaxsim.run.twin`). Planned doses are then, each day, those of the plan its people
    were booked under: a re-plan made on day D is followed from D + 1, so D counts the plan it
    replaces.
    """
    model = as_model(scenario)
    policies = model.scenario.policies
    if plan is None and policies.allocation == "plan":
        plan = policies.plan_path()
    if plan is not None and not isinstance(plan, Plan):
        plan = read_checked(plan, model)
    if replan is not None and (plan is None or not replan_every or replan_every < 1):
        raise VaxsimError("re-planning needs a first plan and replan_every >= 1 days")
    directives = PlanDirectives.from_plan(model, plan) if plan is not None else None
    followed = [(0, plan, directives)] if plan is not None else []
    seed = model.scenario.campaign.seed if seed is None else seed
    campaign = Campaign(model, seed, on_day=on_day, site_queues=site_queues, workers=workers, plan=directives)
    queues = campaign.site_queues
    try:
        if replan is not None:
            for day in range(replan_every, len(model.dates), replan_every):
                campaign.run(until_day=day)
                new_plan = replan(snapshot(campaign, day))
                directives = PlanDirectives.from_plan(model, new_plan)
                campaign.use_plan(directives, from_day=day)
                followed.append((day, new_plan, directives))
        record = campaign.run()
        # Everything that does not need the site queues is built while their workers finish.
        cold_chain = campaign.vaccine.results()
        sites, rows = _site_table(model, campaign)
        results = build_results(model, seed, record, pd.DataFrame(), sites, cold_chain)
        if queues is not None:
            results.waits, queue_sites = queues.tables()
            if len(queue_sites):
                results.sites = _with_queue_kpis(sites, rows, queue_sites)
    finally:
        if queues is not None:
            queues.close()
    chain = cold_chain.summary()
    results.info.update(
        {
            "doses_in_transit_at_end": chain["doses_in_transit_at_end"],
            "doses_in_stock_at_end": chain["doses_on_hand_at_end"],
            "vials_opened": chain["vials_opened"],
            "store_days_over_capacity": chain["store_days_over_capacity"],
        }
    )
    results.warnings = list(campaign.vaccine.chain.warnings)
    if followed:
        _compare_with_plans(results, model, followed)
    return results


def as_model(scenario: Scenario | Model | str | os.PathLike[str]) -> Model:
    """The compiled (and checked) model of a scenario file, a scenario (validated again) or a
    model."""
    return scenario if isinstance(scenario, Model) else checked_model(as_scenario(scenario))


def as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A scenario file loaded, or a scenario object validated again (both checked)."""
    return with_changes(scenario) if isinstance(scenario, Scenario) else load(scenario)


def _compare_with_plans(
    results: Results, model: Model, followed: list[tuple[int, Plan, PlanDirectives]]
) -> None:
    """Planned against realised doses per date, province, product and dose number; each day's
    planned doses are those of the plan in force when its people were booked. A re-plan made on
    day D is followed from D + 1 (:meth:`~vaxsim.sim.engine.Campaign.use_plan`): D's people were
    booked the evening before under the plan it replaces, so D counts that plan's doses.
    Counting the re-plan's (which leaves D to those bookings) left every re-plan day without
    planned doses: the demo twin's realised share read 106.8 %, about 4,000 doses "unplanned"."""
    keys = ["date", "province", "product", "dose_number"]
    pieces = []
    for k, (from_day, _, directives) in enumerate(followed):
        first = from_day + 1 if k else from_day
        last = followed[k + 1][0] if k + 1 < len(followed) else len(model.dates) - 1
        planned = directives.planned
        day = (pd.to_datetime(planned.date) - model.dates[0]).dt.days
        pieces.append(planned[(day >= first) & (day <= last)])
    planned = pd.concat(pieces, ignore_index=True)
    plan = followed[-1][1]
    realised = results.daily.groupby(keys, as_index=False).doses.sum().rename(columns={"doses": "realised"})
    table = planned.merge(realised, on=keys, how="outer").fillna({"planned": 0, "realised": 0})
    table = table.astype({"planned": "int64", "realised": "int64"}).sort_values(keys, ignore_index=True)
    results.plan_vs_realised = table
    planned, done = int(table.planned.sum()), int(table.realised.sum())
    results.info["plan"] = {
        "plan_id": plan.plan_id,
        "revision": plan.revision,
        "plans_followed": len(followed),
        "planned_doses": planned,
        "realised_doses": done,
        "realised_share": done / planned if planned else None,
    }


def _site_table(model: Model, campaign: Campaign) -> tuple[pd.DataFrame, np.ndarray]:
    """Per open site and day: visits, capacity and utilisation; and the table's row of each
    ``[day, site]`` (-1 where closed), for the site-queue KPIs that come later."""
    visits = campaign.record.site_visits
    capacity = campaign.site_capacity
    day, site = np.nonzero((visits > 0) | (capacity > 0))
    table = pd.DataFrame(
        {
            "date": model.dates[day],
            "site": labels(model.sites.id.to_numpy(), site),
            "visits": visits[day, site],
            "capacity": capacity[day, site],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["utilisation"] = table.visits / table.capacity
    rows = np.full(visits.shape, -1, dtype=np.int64)
    rows[day, site] = np.arange(len(table))
    return table, rows


def _with_queue_kpis(table: pd.DataFrame, rows: np.ndarray, queues: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the site queues' KPIs per site and day (NaN where no queue ran)."""
    at = rows[queues.day.to_numpy(), queues.site.to_numpy()]
    for column in queues.columns.drop(["day", "site"]):
        values = np.full(len(table), np.nan)
        values[at] = queues[column].to_numpy(dtype=float)
        table[column] = values
    table["mean_wait_minutes"] = table.mean_wait_minutes / table.visits
    return table

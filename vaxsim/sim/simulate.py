"""``vaxsim.simulate``: run a scenario's campaign and get tidy results."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from vaxsim.errors import VaxsimError
from vaxsim.model import Model, compile_model
from vaxsim.results.results import Results, build_results
from vaxsim.scenario import Scenario
from vaxsim.sim.engine import Campaign


def simulate(
    scenario: Scenario | Model,
    seed: int | None = None,
    *,
    site_queues: bool = True,
    workers: int | None = None,
    on_day: Callable[[int], None] | None = None,
) -> Results:
    """Simulate the campaign of ``scenario`` (a loaded scenario or a compiled model).

    ``seed`` defaults to ``campaign.seed``; the same scenario and seed give identical results.
    ``site_queues`` runs the per-person site kernel on every session (waits, crowding); without
    it only the campaign flow is simulated. ``workers``: processes for the site queues
    (``None`` = one per CPU, 1 = serial); results do not depend on it. ``on_day(day)`` is
    called after each simulated day (for progress bars).
    """
    model = scenario if isinstance(scenario, Model) else compile_model(scenario)
    if model.scenario.policies.allocation == "plan":
        raise VaxsimError(
            "policies.allocation 'plan' (a plan-driven simulation) is not available yet: "
            "use 'priority_first' or 'pro_rata'"
        )
    seed = model.scenario.campaign.seed if seed is None else seed
    campaign = Campaign(model, seed, on_day=on_day, site_queues=site_queues, workers=workers)
    queues = campaign.site_queues
    try:
        record = campaign.run()
        waits, queue_sites = queues.tables() if queues is not None else (pd.DataFrame(), None)
    finally:
        if queues is not None:
            queues.close()
    sites = _site_table(model, campaign, queue_sites)
    cold_chain = campaign.vaccine.results()
    results = build_results(model, seed, record, waits, sites, cold_chain)
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
    return results


def _site_table(model: Model, campaign: Campaign, queues: pd.DataFrame | None) -> pd.DataFrame:
    visits = campaign.record.site_visits
    capacity = campaign.site_capacity
    day, site = np.nonzero((visits > 0) | (capacity > 0))
    table = pd.DataFrame(
        {
            "day": day,
            "site": site,
            "visits": visits[day, site],
            "capacity": capacity[day, site],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["utilisation"] = table.visits / table.capacity
    if queues is not None and len(queues):
        table = table.merge(queues, on=["day", "site"], how="left")
        table["mean_wait_minutes"] = table.mean_wait_minutes / table.visits
    table.insert(0, "date", model.dates.date[table.pop("day").to_numpy()])
    table["site"] = model.sites.id.to_numpy()[table.site.to_numpy()]
    return table

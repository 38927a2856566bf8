"""The national site queues book people into the site type's slots the way `vaxsim site` does."""

from __future__ import annotations

import numpy as np

import vaxsim
from tests.conftest import ROOT
from vaxsim.sim.site_queues import SiteDay


def test_block_start_arrivals_follow_the_block_sizes():
    # The hub books hourly blocks of 120, 180, 180, 120 people in its morning: with punctual
    # people, 50 visitors arrive in blocks of 10, 15, 15, 10 at 08:00, 09:00, 10:00, 11:00.
    scenario = vaxsim.load(ROOT / "scenarios" / "clinic-hub.yaml",
                           overrides=["site_types.hub.punctuality_sd_minutes=0",
                                      "site_types.hub.punctuality_mean_minutes=0"])
    model = vaxsim.compile_model(scenario)
    site_day = SiteDay(model, seed=1, slot_minutes=30)
    hub = model.site_types["hub"]
    arrival = site_day._arrivals(np.random.default_rng(0), hub, np.array([0]), np.array([480.0]),
                                 np.array([720.0]), np.array([50]))
    times, counts = np.unique(arrival[:, 0], return_counts=True)
    np.testing.assert_array_equal(times, [480.0, 540.0, 600.0, 660.0])
    np.testing.assert_array_equal(counts, [10, 15, 15, 10])  # 50 × (120, 180, 180, 120) / 600

"""The national site queues book people into the site type's slots the way `vaxsim site` does."""

from __future__ import annotations

import numpy as np
import pytest

import vaxsim
from tests.conftest import ROOT
from vaxsim.sim.site_queues import SiteDay, SiteQueues


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


def test_injection_utilisation_stays_at_most_one_when_the_day_runs_late():
    # Far more people than the hub serves in its hours: injections run past closing, so all busy
    # minutes over the opening server-minutes (the old injection_utilisation) pass 1. Over the
    # opening hours the vaccinators are busy at most all the time and the work after closing is
    # reported apart; the working span (to the last injection) holds all of it.
    model = vaxsim.compile_model(vaxsim.load(ROOT / "scenarios" / "clinic-hub.yaml"))
    site_day = SiteDay(model, seed=2, slot_minutes=30)
    visits = np.zeros(len(model.sites), dtype=np.int64)
    visits[0] = 3000
    day = site_day(0, visits, np.full(len(visits), 6))
    row = SiteQueues.site_table([day.sites]).iloc[0]
    raw = day.sites.injection_busy_minutes[0] / day.sites.injection_server_minutes[0]
    assert raw > 1.0  # what the old injection_utilisation column showed
    assert 0 < row.injection_utilisation_open_hours <= 1.0
    assert row.injection_busy_after_close_minutes > 0
    assert 0 < row.injection_utilisation_working_span <= 1.0
    assert row.injection_utilisation_open_hours * day.sites.injection_server_minutes[0] == pytest.approx(
        day.sites.injection_busy_minutes[0] - row.injection_busy_after_close_minutes
    )

"""``simulate_site_day``: the call behind ``vaxsim site``."""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.sites import SiteDayResult, simulate_site_day
from vaxsim.sites.examples import commune_station


@pytest.mark.parametrize("engine", ["reference", "kernel"])
def test_a_commune_station_day(engine):
    result = simulate_site_day(commune_station(), booked_per_slot=8, slot_minutes=15,
                               doses_per_vial=10, show_up=0.9, walk_in_share=0.1, seed=7,
                               engine=engine)
    assert isinstance(result, SiteDayResult)
    assert result.engine == engine
    sessions = result.sessions
    assert list(sessions.session) == [0, 1]
    assert list(sessions.start) == [450.0, 810.0]
    assert (sessions.people > 100).all()
    # everyone stays at least the 30 minutes of observation after the injection
    injection_end = result.end[:, :, 3]
    assert np.nanmin(result.leave - injection_end) >= 30.0
    assert set(result.stations.station) == {"check_in", "data_entry", "screening", "injection"}


def test_bookings_per_session_and_per_slot():
    site_type = commune_station()  # sessions of 240 and 210 minutes: 16 and 14 slots of 15
    result = simulate_site_day(site_type, [[2] * 16, 0], 15, 10, show_up=1.0, seed=1)
    assert list(result.sessions.people) == [32, 0]


def test_clear_errors():
    site_type = commune_station()
    with pytest.raises(ValueError, match="unknown site engine 'fast'"):
        simulate_site_day(site_type, 8, 15, 10, engine="fast")
    with pytest.raises(ValueError, match="2 sessions"):
        simulate_site_day(site_type, [1, 2, 3], 15, 10)
    with pytest.raises(ValueError, match="doses_per_vial"):
        simulate_site_day(site_type, 8, 15, 0)

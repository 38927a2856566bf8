"""Little's law on simulated days: time-average people on site = arrival rate × mean time on site.

Over a window that contains every visit of a session, the integral of the people on site equals
the sum of the times on site, so L = (n / T) · W holds exactly; the left side comes from the
crowding sweep, the right side from per-person times: two different computations that must
agree to rounding. A second check uses theory for λ and a steady-state window.
"""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.sites import SessionPlan, draw_session_input, plan_site_day, poisson_arrivals
from vaxsim.sites import simulate_sessions as run_engine
from vaxsim.sites.examples import commune_station, queue_network


@pytest.mark.parametrize("engine", ["reference", "kernel"])
def test_littles_law_on_a_district_day(engine):
    rng = np.random.default_rng(5)
    plans = []
    for site in range(8):
        plans += plan_site_day(commune_station(preparers=site % 2), 6 + site, 15, 10, 0.9, 0.1,
                               rng, site=f"site_{site}")
    result = run_engine(draw_session_input(plans, rng), engine)
    sessions = result.sessions
    window = sessions.window_end - sessions.window_start
    arrival_rate = sessions.people / window  # people per minute
    np.testing.assert_allclose(sessions.mean_on_site, arrival_rate * sessions.time_on_site_mean,
                               rtol=1e-9)
    # the per-minute series averages to the same number (up to the one-minute grid)
    series = result.people_on_site(step_minutes=0.25).groupby(["site", "session"]).people_on_site
    np.testing.assert_allclose(series.mean().to_numpy(), sessions.mean_on_site, rtol=0.02)


def test_littles_law_in_steady_state_matches_theory():
    """M/M/10 at λ = 8/min, exponential service 1 min, fixed 30-minute observation: the mean
    time on site is Wq + 1 + 30 = 31.2046 min, so L = 8 × 31.2046 = 249.64 people. The
    average count on a half-minute grid over [120, 600) per replication is i.i.d. across
    replications; tolerance 4 SE plus 0.5 % for the grid sampling and what remains of the
    start from an empty site after 120 minutes (visits last about 31 minutes)."""
    site_type = queue_network([(10, 1.0)], observation_minutes=30.0)
    rng = np.random.default_rng(9)
    plans = [SessionPlan(f"rep_{r}", site_type, 0, poisson_arrivals(8.0, 0.0, 660.0, rng))
             for r in range(100)]
    result = run_engine(draw_session_input(plans, rng), "kernel")
    series = result.people_on_site(step_minutes=0.5)
    steady = series[(series.time >= 120) & (series.time < 600)]
    per_rep = steady.groupby("site").people_on_site.mean().to_numpy()
    theory = 8.0 * (0.2045900753982218 + 1.0 + 30.0)
    se = per_rep.std(ddof=1) / np.sqrt(per_rep.size)
    assert abs(per_rep.mean() - theory) < 4 * se + 0.005 * theory

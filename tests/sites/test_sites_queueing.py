"""Both site engines reproduce queueing theory: M/M/c (Erlang C) and tandem M/M/c (Jackson).

How the tolerances are sized. Each replication is an independent session: Poisson arrivals from
time 0 (empty system) to ``T``; only people arriving in ``[W, T - 30]`` are scored. The warm-up
``W = 120`` min removes the start from empty; the 30-minute end margin removes the end effect
of tandem stations (near ``T`` nobody who arrived later can overtake a scored person at a
multi-server station and join the next queue ahead of them, which would lower their waits).
Replication means are i.i.d., so their standard error SE = sd / sqrt(R) is honest even though
waits within a session are correlated. We assert
``|estimate - theory| < 4 SE + bias``: 4 SE makes a false alarm a < 1e-4 event whatever the
seed (the seeds are fixed, so the test is deterministic anyway). The bias allowance covers the
start from an empty system: the M/M/c relaxation time is about 1 / (c·μ·(1 - sqrt(ρ))²) ≈ 38 min
at ρ = 0.9, c = 10, so after W = 120 min the remaining transient is below e^-3 of Wq over a
fraction τ/(T - W) of the window: < 0.005 min here. We allow 0.01 min.
"""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.sites import SessionPlan, draw_session_input, poisson_arrivals, simulate_sessions
from vaxsim.sites.examples import queue_network
from vaxsim.sites.theory import erlang_c, mmc_mean_wait

BIAS = 0.01  # minutes, see the module docstring


def replications(stations, rate, sessions, minutes, engine, seed, walking=0.0):
    """Per-replication mean wait and share waiting at each station, for people arriving in
    [W, T - 30]: arrays of shape (sessions, stations)."""
    site_type = queue_network(stations, walking_minutes=walking)
    rng = np.random.default_rng(seed)
    plans = [
        SessionPlan(f"rep_{r}", site_type, 0, poisson_arrivals(rate, 0.0, minutes, rng))
        for r in range(sessions)
    ]
    result = simulate_sessions(draw_session_input(plans, rng), engine)
    scored = (result.arrival >= 120.0) & (result.arrival <= minutes - 30.0)  # NaN: False
    wait = np.where(scored[:, :, None], result.wait, np.nan)
    mean_wait = np.nanmean(wait, axis=1)
    share_waiting = np.nansum(wait > 0, axis=1) / scored.sum(axis=1)[:, None]
    return mean_wait, share_waiting


def assert_matches(estimates: np.ndarray, theory: float, bias: float) -> None:
    se = estimates.std(ddof=1) / np.sqrt(estimates.size)
    assert abs(estimates.mean() - theory) < 4 * se + bias, (estimates.mean(), theory, se)
    assert se < 0.1 * theory  # the check has power: SE is small next to the value


# Reference: 30 sessions x 480 min x 8-9/min ~ 110 000 people (~2.5 s each case).
# Kernel: 300 sessions x 720 min ~ 1.9 million people (< 1 s each case).
CASES = [("reference", 30, 600.0), ("kernel", 300, 840.0)]


@pytest.mark.parametrize(("engine", "sessions", "minutes"), CASES)
@pytest.mark.parametrize("rate", [8.0, 9.0])
def test_mmc_matches_erlang_c(engine, sessions, minutes, rate):
    mean_wait, share_waiting = replications([(10, 1.0)], rate, sessions, minutes, engine, 7)
    assert_matches(mean_wait[:, 0], mmc_mean_wait(10, rate, 1.0), BIAS)
    assert_matches(share_waiting[:, 0], erlang_c(10, rate, 1.0), BIAS)


TANDEM = [(10, 1.0), (6, 0.6), (5, 0.5)]  # loads 0.8, 0.8, 0.8 at 8 arrivals per minute


@pytest.mark.parametrize(("engine", "sessions", "minutes"),
                         [("reference", 20, 600.0), ("kernel", 300, 720.0)])
def test_tandem_stations_each_match_erlang_c(engine, sessions, minutes):
    """Jackson: with Poisson input, each exponential station in series is an M/M/c queue.
    Walking between stations is a constant delay, which keeps the flow Poisson."""
    rate = 8.0
    mean_wait, share_waiting = replications(TANDEM, rate, sessions, minutes, engine, 11,
                                            walking=1.0)
    for k, (servers, mean) in enumerate(TANDEM):
        assert_matches(mean_wait[:, k], mmc_mean_wait(servers, rate, 1.0 / mean), BIAS)
        assert_matches(share_waiting[:, k], erlang_c(servers, rate, 1.0 / mean), BIAS)

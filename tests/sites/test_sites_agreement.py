"""The SimPy reference and the vectorised kernel agree.

On the same :class:`SessionInput` they must give identical per-person times (both perform the
same floating-point operations in the same order, so the tolerance is essentially zero). On
independent seeds they must give the same distribution of waits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from vaxsim.scenario.sites import SiteType
from vaxsim.sites import (
    SessionPlan,
    booked_arrivals,
    draw_session_input,
    plan_site_day,
    simulate_kernel,
    simulate_reference,
)
from vaxsim.sites.examples import commune_station

TIMES = ("join", "seized", "start", "end", "leave", "task_start", "task_end")


def assert_same_times(reference, kernel) -> None:
    for name in TIMES:
        np.testing.assert_allclose(
            getattr(kernel, name), getattr(reference, name), rtol=1e-12, atol=1e-9,
            err_msg=f"{name} differs between reference and kernel",
        )
    np.testing.assert_array_equal(kernel.replaced, reference.replaced)


DISTRIBUTIONS = [
    {"kind": "fixed", "value": 1.0},
    {"kind": "exponential", "mean": 1.5},
    {"kind": "shifted_exponential", "shift": 0.4, "scale": 0.8},
    {"kind": "normal", "mean": 1.2, "sd": 0.8},
    {"kind": "lognormal", "mean": 2.0, "sd": 1.5},
    {"kind": "empirical", "values": [0.5, 1.0, 1.0, 3.0]},
]


@st.composite
def site_types(draw) -> SiteType:
    stations = draw(st.integers(1, 4))
    injection = draw(st.integers(0, stations - 1))
    return SiteType.model_validate({
        "sessions": [{"start": "07:00", "end": "09:00"}, {"start": "13:00", "end": "14:30"}],
        "stations": [
            {
                "name": f"desk_{k}",
                "role": "injection" if k == injection else "other",
                "servers": draw(st.integers(1, 4)),
                "service_minutes": draw(st.sampled_from(DISTRIBUTIONS)),
            }
            for k in range(stations)
        ],
        "walking_minutes": draw(st.sampled_from([0.0, 0.5, 2.0, *DISTRIBUTIONS])),
        "observation": {"minutes": draw(st.sampled_from([0.0, 15.0, 30.0, *DISTRIBUTIONS])),
                        "adverse_reaction_share": 0.2,
                        "adverse_reaction_extra_minutes": draw(st.sampled_from([30.0, *DISTRIBUTIONS]))},
        "preparation": preparation(draw),
        "arrival_in_slot": draw(st.sampled_from(["start", "uniform", "even", "bailey_welch"])),
        "punctuality_mean_minutes": draw(st.sampled_from([-5.0, 0.0, 3.0])),
        "punctuality_sd_minutes": draw(st.sampled_from([0.0, 5.0, 20.0])),
        "crowding_limit": draw(st.integers(1, 30)),
    })


def preparation(draw) -> dict:
    """Just in time or ahead of demand (ahead needs a preparer), batches of 1-3 vials."""
    preparers = draw(st.integers(0, 3))
    ahead = preparers > 0 and draw(st.booleans())
    return {"preparers": preparers, "minutes_per_vial": draw(st.sampled_from(DISTRIBUTIONS)),
            "mode": "ahead" if ahead else "just_in_time",
            "lead_minutes": draw(st.sampled_from([0.0, 10.0, 45.0])),
            "batch_vials": draw(st.integers(1, 3))}


@st.composite
def session_batches(draw):
    types = draw(st.lists(site_types(), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    plans = []
    for site in range(draw(st.integers(1, 4))):
        site_type = types[site % len(types)]
        for session in range(len(site_type.sessions)):
            booked = draw(st.integers(0, 4))
            start, end = (420.0, 540.0) if session == 0 else (780.0, 870.0)
            arrivals = booked_arrivals(start, end, booked, 10.0, 0.9, 0.1,
                                       site_type.punctuality_sd_minutes, rng,
                                       site_type.arrival_in_slot, site_type.punctuality_mean_minutes)
            # short in-use times make drawn-up doses expire and be replaced
            plans.append(SessionPlan(f"site_{site}", site_type, session, arrivals,
                                     draw(st.integers(1, 10)), draw(st.sampled_from([np.inf, 4.0, 20.0]))))
    return draw_session_input(plans, rng)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(session_batches())
def test_identical_times_on_random_batches(site_input):
    assert_same_times(simulate_reference(site_input), simulate_kernel(site_input))


def mixed_batch(seed: int):
    """Sites with different stations, servers, preparers and vial sizes, some sessions empty."""
    rng = np.random.default_rng(seed)
    small = SiteType.model_validate({
        "sessions": [{"start": "08:00", "end": "11:00"}],
        "stations": [
            {"name": "screening", "role": "screening", "servers": 1,
             "service_minutes": {"kind": "normal", "mean": 3.0, "sd": 1.0}},
            {"name": "injection", "role": "injection", "servers": 1,
             "service_minutes": {"kind": "fixed", "value": 1.5}},
        ],
        "preparation": {"preparers": 1, "minutes_per_vial": {"kind": "exponential", "mean": 4}},
        "crowding_limit": 10,
    })
    plans = []
    for site in range(6):
        plans += plan_site_day(commune_station(preparers=site % 3, injection_servers=1 + site),
                               6 + site, 15, [1, 5, 10, 20][site % 4], 0.9, 0.1, rng,
                               site=f"commune_{site}")
    plans += plan_site_day(small, 3, 20, 10, 0.9, 0.0, rng, site="mobile")
    plans.append(SessionPlan("empty", small, 0, np.array([]), 10))
    plans += plan_site_day(small, 0, 20, 10, 0.9, 0.0, rng, site="nobody-booked")
    return draw_session_input(plans, rng)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_identical_times_on_mixed_district(seed):
    site_input = mixed_batch(seed)
    assert site_input.count.min() == 0  # zero-people sessions are part of the batch
    assert len(set(site_input.station_count)) == 2  # sites with different station counts
    reference = simulate_reference(site_input)
    kernel = simulate_kernel(site_input)
    assert_same_times(reference, kernel)
    for table in ("stations", "sessions"):
        pd.testing.assert_frame_equal(getattr(reference, table), getattr(kernel, table))


def test_same_wait_distribution_on_independent_seeds():
    """Independent seeds: per-session statistics are i.i.d. across sessions, so comparing them
    is a valid two-sample test (pooled person waits are autocorrelated within a session and
    would overstate the evidence). 120 sessions per engine; KS at level 0.01; means of
    per-session percentiles within 4 standard errors of their difference."""
    site_type = commune_station(preparers=1, injection_servers=1)  # injection ~80 % busy

    def day(seed: int, engine):
        rng = np.random.default_rng(seed)
        plans = []
        for site in range(60):
            plans += plan_site_day(site_type, 8, 15, 10, 0.9, 0.05, rng, site=f"s{site}")
        return engine(draw_session_input(plans, rng))

    reference = day(101, simulate_reference)
    kernel = day(202, simulate_kernel)
    k = 3  # the injection station
    for result in (reference, kernel):
        assert result.input.injection[0] == k
    compared = [("screening", "wait_mean"), ("screening", "wait_p90")] + [
        ("injection", column) for column in ("wait_mean", "wait_p50", "wait_p90")
    ]
    for station, column in compared:
        query = f"station == '{station}'"
        ref = reference.stations.query(query)[column].to_numpy()
        ker = kernel.stations.query(query)[column].to_numpy()
        assert ker.mean() > 0.1, (station, column)  # a queue worth comparing
        assert stats.ks_2samp(ref, ker).pvalue > 0.01, (station, column)
        se = np.sqrt(ref.var(ddof=1) / ref.size + ker.var(ddof=1) / ker.size)
        assert abs(ref.mean() - ker.mean()) < 4 * se, (station, column)
    ref_site = reference.sessions.time_on_site_mean.to_numpy()
    ker_site = kernel.sessions.time_on_site_mean.to_numpy()
    assert stats.ks_2samp(ref_site, ker_site).pvalue > 0.01

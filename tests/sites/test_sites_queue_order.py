"""The queue-order kernel (national runs) against the person-order kernel.

With fixed service, preparation and observation times the two must give the same waits,
busy times and departures as multisets per session; with random times, the same distribution.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from vaxsim.scenario.sites import Preparation, SiteType
from vaxsim.sites import draw_session_input, plan_site_day, simulate_kernel
from vaxsim.sites.crowding import occupancy, peak_on_site
from vaxsim.sites.examples import commune_station
from vaxsim.sites.queue_order import SessionColumns, queue_order, simulate_queue_order


def fixed_site() -> SiteType:
    return SiteType.model_validate(
        {
            "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
            "stations": [
                {
                    "name": "check_in",
                    "role": "check_in",
                    "servers": 1,
                    "service_minutes": {"kind": "fixed", "value": 0.7},
                },
                {
                    "name": "screening",
                    "role": "screening",
                    "servers": 2,
                    "service_minutes": {"kind": "fixed", "value": 2.3},
                },
                {
                    "name": "injection",
                    "role": "injection",
                    "servers": 2,
                    "service_minutes": {"kind": "fixed", "value": 1.1},
                },
            ],
            "walking_minutes": 0.4,
            "observation": {"minutes": 30, "adverse_reaction_share": 0.0},
            "preparation": {"preparers": 1, "minutes_per_vial": {"kind": "fixed", "value": 2.0}},
            "punctuality_sd_minutes": 8,
        }
    )


def batch(site_type: SiteType, seed: int, sites: int = 12, booked: int | None = None):
    """Sessions of ``sites`` sites; ``booked`` people per slot (random per site if None)."""
    rng = np.random.default_rng(seed)
    plans = []
    for site in range(sites):
        per_slot = int(rng.integers(0, 14)) if booked is None else booked
        plans += plan_site_day(site_type, per_slot, 30, 10, 0.9, 0.05, rng, site=f"s{site}")
    return draw_session_input(plans, rng)


def sorted_rows(values: np.ndarray) -> np.ndarray:
    return np.sort(values, axis=-1)


PREPARATION_AHEAD = {"preparers": 2, "mode": "ahead", "lead_minutes": 20, "batch_vials": 2,
                     "minutes_per_vial": {"kind": "fixed", "value": 6.0}}


@pytest.mark.parametrize("ahead", [False, True])
def test_fixed_times_give_identical_multisets(ahead):
    site_type = fixed_site()
    if ahead:  # preparers working ahead of the arrivals, block-start bookings
        site_type = site_type.model_copy(update={
            "preparation": Preparation.model_validate(PREPARATION_AHEAD), "arrival_in_slot": "start",
        })
    inp = batch(site_type, seed=3)
    assert inp.ahead.all() == ahead
    person = simulate_kernel(inp)
    queue = simulate_queue_order(inp)
    for k in range(inp.max_stations):
        np.testing.assert_allclose(
            sorted_rows(queue.wait[k].T), sorted_rows(person.wait[:, :, k]), atol=1e-9, equal_nan=True
        )
        np.testing.assert_allclose(
            queue.busy[k], np.nansum(person.end - person.seized, axis=1)[:, k], atol=1e-9
        )
        np.testing.assert_allclose(
            queue.busy_after_close[k],
            (person.busy_server_minutes - person.busy_in_opening_hours)[:, k], atol=1e-9
        )
        last = np.nanmax(np.where(np.isnan(person.end), -np.inf, person.end), axis=1, initial=-np.inf)
        np.testing.assert_allclose(queue.last_end[k], last[:, k], atol=1e-9)
    assert (queue.busy_after_close > 0).any()  # late arrivals clipped to closing are served after it
    np.testing.assert_allclose(
        sorted_rows(queue.leave.T), sorted_rows(person.leave), atol=1e-9, equal_nan=True
    )


def test_random_times_give_the_same_distribution():
    # Same workload (10 booked per slot), independent draws. Waits within a session are
    # correlated, so compare per-session mean waits, which are independent across sessions.
    site_type = commune_station()
    person = simulate_kernel(batch(site_type, seed=1, sites=200, booked=10))
    queue = simulate_queue_order(batch(site_type, seed=2, sites=200, booked=10))
    a = np.nanmean(np.nansum(person.wait, axis=2) + 0 * person.arrival, axis=1)
    b = np.nanmean(np.nansum(queue.wait, axis=0).T + 0 * queue.leave.T, axis=1)
    # A two-sample KS test must not reject at the 1 % level, and the means agree within
    # 4 standard errors of their difference.
    assert stats.ks_2samp(a, b).pvalue > 0.01
    se = np.sqrt(a.var() / a.size + b.var() / b.size)
    assert abs(a.mean() - b.mean()) < 4 * se


def test_sessions_ordered_by_people_skip_padding_with_the_same_result():
    # Ordered most people first, each queue position only touches the sessions with someone
    # in it (fifo_servers' ``active``); the times must be those of the full rows.
    inp = batch(commune_station(), seed=5, sites=40)
    columns = SessionColumns.from_input(inp)
    order = np.argsort(-inp.count, kind="stable")
    assert np.any(np.diff(inp.count) > 0)  # the input order takes the full-row path
    ordered = SessionColumns(
        arrival=columns.arrival[:, order],
        service=columns.service[:, :, order],
        observation=columns.observation[:, order],
        preparation=columns.preparation[:, order],
        walking=columns.walking[:, :, order],
        replacement=columns.replacement[:, order],
        **{
            name: getattr(columns, name)[order]
            for name in ("count", "servers", "injection", "preparers", "doses_per_vial", "ahead",
                         "lead_minutes", "batch_vials", "in_use_minutes", "session_end")
        },
    )
    full, skipped = queue_order(columns), queue_order(ordered)
    np.testing.assert_array_equal(skipped.wait, full.wait[:, :, order])
    np.testing.assert_array_equal(skipped.busy, full.busy[:, order])
    np.testing.assert_array_equal(skipped.busy_after_close, full.busy_after_close[:, order])
    np.testing.assert_array_equal(skipped.last_end, full.last_end[:, order])
    np.testing.assert_array_equal(skipped.leave, full.leave[:, order])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 12))
def test_peak_on_site_counts_departures_first_at_equal_instants(seed, people):
    # Integer minutes make ties between arrivals and departures common.
    rng = np.random.default_rng(seed)
    count = rng.integers(0, people + 1, 6)
    real = np.arange(people)[None, :] < count[:, None]
    arrival = np.sort(np.where(real, rng.integers(0, 20, (6, people)), np.nan), axis=1)
    leave = np.where(real, arrival + rng.integers(0, 6, (6, people)), np.nan)
    swept = occupancy(arrival, leave, np.zeros(6), np.full(6, 30.0), np.full(6, 3)).peak
    np.testing.assert_array_equal(peak_on_site(arrival, leave), swept)

"""Clinic-study vocabulary: arrivals within a slot, preparation ahead of demand, utilisation.

Exact answers: a block booked for its slot's start and served by ``c`` servers with fixed
times (D/D/c), the same block with exponential service (person ``i`` of the block waits
``(i - c + 1) / (c μ)`` on average once all servers are busy: departures come at rate ``cμ``),
and preparers with more capacity than the vaccinators need (nobody waits for a dose).
"""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.scenario.sites import SiteType
from vaxsim.sites import SessionPlan, draw_session_input, simulate_sessions, simulate_site_day
from vaxsim.sites.arrivals import booked_arrivals, offset_in_slot, spread_over_slots

ENGINES = ["reference", "kernel"]


def block_clinic(servers: int, service: dict, preparation: dict | None = None) -> SiteType:
    """One injection station; hourly blocks booked for the block's start, punctual people."""
    return SiteType.model_validate({
        "sessions": [{"start": "08:00", "end": "10:00"}],
        "stations": [{"name": "vaccination", "role": "injection", "servers": servers,
                      "service_minutes": service}],
        "walking_minutes": 0.0,
        "observation": {"minutes": 15.0, "adverse_reaction_share": 0.0},
        "preparation": preparation or {"preparers": 0},
        "appointment_slot_minutes": 60,
        "arrival_in_slot": "start",
        "punctuality_sd_minutes": 0.0,
        "crowding_limit": 500,
    })


@pytest.mark.parametrize("engine", ENGINES)
def test_block_start_deterministic_batch_on_c_servers(engine):
    # 10 people at 08:00 and 10 at 09:00, 3 servers of 4 minutes: person i of a block waits
    # 4 × floor(i / 3) minutes, whatever the engine.
    site_type = block_clinic(3, {"kind": "fixed", "value": 4.0})
    result = simulate_site_day(site_type, 10, 30, doses_per_vial=1, engine=engine)
    assert np.all(result.arrival[0] == np.repeat([480.0, 540.0], 10))
    expected = np.tile(4.0 * (np.arange(10) // 3), 2)
    np.testing.assert_array_equal(result.wait[0, :, 0], expected)
    np.testing.assert_array_equal(result.leave[0], result.arrival[0] + expected + 4.0 + 15.0)


def test_block_start_exponential_batch_matches_the_closed_form():
    # D/M/c-type: a batch of 12 at once, 3 exponential servers of mean 2 minutes. Person i
    # (queue order = booking order) waits 0 for i < 3, else (i - 2) / (3 × 0.5) on average.
    site_type = block_clinic(3, {"kind": "exponential", "mean": 2.0})
    rng = np.random.default_rng(7)
    plans = [SessionPlan(f"day{r}", site_type, 0, booked_arrivals(480.0, 600.0, [12, 0], 60.0, 1.0, 0.0,
                                                                  0.0, rng, "start"))
             for r in range(4000)]
    result = simulate_sessions(draw_session_input(plans, rng), "kernel")
    waits = result.wait[:, :, 0]
    expected = np.maximum(np.arange(12) - 2, 0) / 1.5
    se = waits.std(axis=0, ddof=1) / np.sqrt(waits.shape[0])
    assert np.all(waits[:, :3] == 0.0)
    assert np.all(np.abs(waits.mean(axis=0)[3:] - expected[3:]) < 4 * se[3:])


@pytest.mark.parametrize("engine", ENGINES)
def test_preparers_ahead_of_demand_leave_no_vaccinator_waiting(engine):
    # 60 people at 08:00 on 4 vaccinators; 10 six-dose vials in batches of 2 (4 minutes a
    # batch) from 07:30 on 3 preparers: all drawn up by 07:38, before anyone arrives.
    ahead = {"preparers": 3, "mode": "ahead", "lead_minutes": 30, "batch_vials": 2,
             "minutes_per_vial": {"kind": "fixed", "value": 2.0}}
    site_type = block_clinic(4, {"kind": "fixed", "value": 1.0}, ahead)
    result = simulate_site_day(site_type, [[60, 0]], 30, doses_per_vial=6, engine=engine,
                               in_use_minutes=360.0)
    assert np.all(result.dose_wait[0] == 0.0)
    assert result.preparers.busy_minutes[0] == 20.0 and result.preparers.start[0] == 450.0
    assert np.nanmax(result.task_end) == 458.0 and result.sessions.doses_expired[0] == 0
    assert result.preparers.utilisation_working_span[0] == pytest.approx(20.0 / (3 * 8.0))
    # the same clinic preparing just in time makes the vaccinators wait for doses
    just_in_time = block_clinic(4, {"kind": "fixed", "value": 1.0}, {**ahead, "mode": "just_in_time"})
    late = simulate_site_day(just_in_time, [[60, 0]], 30, doses_per_vial=6, engine=engine)
    assert late.dose_wait[0].max() > 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_doses_past_their_in_use_time_are_replaced_and_counted(engine):
    # Drawn up from 07:00 (lead 60) but usable for 20 minutes only: every dose has expired by
    # 08:00, so each vaccinator draws up a fresh one (2 minutes, a new 6-dose vial each).
    ahead = {"preparers": 1, "mode": "ahead", "lead_minutes": 60, "batch_vials": 1,
             "minutes_per_vial": {"kind": "fixed", "value": 2.0}}
    site_type = block_clinic(2, {"kind": "fixed", "value": 1.0}, ahead)
    result = simulate_site_day(site_type, [[6, 0]], 30, doses_per_vial=6, engine=engine,
                               in_use_minutes=20.0)
    assert result.replaced[0, :6].all()
    session = result.sessions.iloc[0]
    assert session.doses_expired == 6 and session.vials_opened == 1 + 6
    assert session.doses_unused == 7 * 6 - 6
    np.testing.assert_array_equal(result.start[0, :6, 0], 480.0 + 2.0 + 3.0 * (np.arange(6) // 2))


def test_arrival_patterns_within_a_slot():
    rank, size = np.arange(4.0), np.full(4, 4)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(offset_in_slot("start", rank, size, 20.0, rng), np.zeros(4))
    np.testing.assert_array_equal(offset_in_slot("even", rank, size, 20.0, rng), [0, 5, 10, 15])
    np.testing.assert_array_equal(offset_in_slot("bailey_welch", rank, size, 20.0, rng), [0, 0, 5, 10])
    with pytest.raises(ValueError, match="unknown arrival_in_slot"):
        offset_in_slot("random", rank, size, 20.0, rng)
    # even appointments, with people 3 minutes early on average (and no spread)
    times = booked_arrivals(480.0, 540.0, [2, 3], 30.0, 1.0, 0.0, 0.0, rng, "even", -3.0)
    np.testing.assert_array_equal(times, [480.0, 492.0, 507.0, 517.0, 527.0])


def test_punctuality_mean_shifts_arrivals():
    rng = np.random.default_rng(1)
    times = booked_arrivals(480.0, 720.0, 200, 60.0, 1.0, 0.0, 2.0, rng, "start", 5.0)
    late = times - np.repeat(480.0 + 60.0 * np.arange(4), 200)
    assert abs(late.mean() - 5.0) < 4 * 2.0 / np.sqrt(late.size)


def test_people_spread_over_slots_by_block_size():
    # 10 people over 3 slots weighted 1:2:2 -> 2, 4, 4; ranks restart in each slot
    slot, rank, size = spread_over_slots(np.array([10]), 10, np.array([3.0]), np.array([[1.0], [2.0], [2.0]]))
    np.testing.assert_array_equal(slot[:, 0], [0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    np.testing.assert_array_equal(rank[:, 0], [0, 1, 0, 1, 2, 3, 0, 1, 2, 3])
    np.testing.assert_array_equal(size[:, 0], [2, 2, 4, 4, 4, 4, 4, 4, 4, 4])
    even, _, _ = spread_over_slots(np.array([10]), 10, np.array([3.0]))  # floor(j × 3 / 10)
    np.testing.assert_array_equal(even[:, 0], [0, 0, 0, 0, 1, 1, 1, 2, 2, 2])


def test_utilisation_never_above_one_when_work_runs_late():
    # 300 people booked at 08:00 on one 2-minute server: work runs far past 10:00
    site_type = block_clinic(1, {"kind": "fixed", "value": 2.0})
    result = simulate_site_day(site_type, [[300, 0]], 30, doses_per_vial=1, engine="kernel")
    row = result.stations.iloc[0]
    assert row.utilisation_open_hours == 1.0 and row.utilisation_working_span == 1.0
    assert row.busy_after_close_minutes == 600.0 - 120.0
    assert result.day_utilisation().utilisation_open_hours.max() <= 1.0

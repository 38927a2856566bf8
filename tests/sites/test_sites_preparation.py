"""Vial preparation: a slow preparer makes injection waits grow, with known answers.

One injection nurse serving 1 minute per person, one arrival every minute (minute 0, 1, 2, ...),
drawing up a vial takes 3 minutes. Vial v is requested when the first person who needs it joins
the injection queue.
"""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.scenario.sites import SiteType
from vaxsim.sites import SessionPlan, draw_session_input, simulate_sessions

PEOPLE = 20
ENGINES = ["reference", "kernel"]


def injection_only(preparers: int) -> SiteType:
    return SiteType.model_validate({
        "sessions": [{"start": "00:00", "end": "01:00"}],
        "stations": [{"name": "injection", "role": "injection", "servers": 1,
                      "service_minutes": {"kind": "fixed", "value": 1.0}}],
        "walking_minutes": 0.0,
        "observation": {"minutes": 30.0, "adverse_reaction_share": 0.0},
        "preparation": {"preparers": preparers,
                        "minutes_per_vial": {"kind": "fixed", "value": 3.0}},
    })


def run(preparers: int, doses_per_vial: int, engine: str):
    plan = SessionPlan("clinic", injection_only(preparers), 0,
                       np.arange(PEOPLE, dtype=float), doses_per_vial)
    return simulate_sessions(draw_session_input([plan], np.random.default_rng(0)), engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_one_slow_preparer_single_dose_vials_wait_grows(engine):
    # Vial v is asked for at minute v and the preparer finishes one every 3 minutes:
    # ready at 3(v+1), so person v is injected at 3(v+1) and waits 2v + 3 minutes.
    result = run(preparers=1, doses_per_vial=1, engine=engine)
    v = np.arange(PEOPLE)
    np.testing.assert_array_equal(result.start[0, :, 0], 3.0 * (v + 1))
    np.testing.assert_array_equal(result.wait[0, :, 0], 2.0 * v + 3.0)
    # the nurse is seized as soon as free (3v + 1 after the first) and waits for the dose
    np.testing.assert_array_equal(result.dose_wait[0], np.where(v == 0, 3.0, 2.0))
    np.testing.assert_array_equal(result.leave[0], 3.0 * (v + 1) + 1.0 + 30.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_preparers_halve_the_growth(engine):
    # Two preparers finish vials at 3, 4, 6, 7, 9, 10, ...: ready_v = 3 + v + floor(v / 2),
    # faster than the nurse, so person v waits ready_v - v = 3 + floor(v / 2).
    result = run(preparers=2, doses_per_vial=1, engine=engine)
    v = np.arange(PEOPLE)
    np.testing.assert_array_equal(result.wait[0, :, 0], 3.0 + v // 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_dose_vials_keep_up(engine):
    # A 5-dose vial every 3 minutes outpaces one arrival a minute: after the first vial
    # everyone waits exactly 3 minutes (the queue behind the first vial never grows).
    result = run(preparers=1, doses_per_vial=5, engine=engine)
    np.testing.assert_array_equal(result.wait[0, :, 0], np.full(PEOPLE, 3.0))
    assert result.sessions.vials_opened[0] == 4
    assert result.sessions.doses_unused[0] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_no_preparers_means_doses_ready_at_once(engine):
    result = run(preparers=0, doses_per_vial=10, engine=engine)
    np.testing.assert_array_equal(result.wait[0, :, 0], np.zeros(PEOPLE))
    np.testing.assert_array_equal(result.dose_wait[0], np.zeros(PEOPLE))
    assert result.sessions.vials_opened[0] == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_open_vial_leftovers(engine):
    plan = SessionPlan("clinic", injection_only(1), 0, np.arange(12, dtype=float), 5)
    result = simulate_sessions(draw_session_input([plan], np.random.default_rng(0)), engine)
    assert result.sessions.vials_opened[0] == 3
    assert result.sessions.doses_unused[0] == 3  # 3 vials x 5 doses - 12 people
    busy = result.stations.busy_server_minutes[0]
    # the nurse is held from seizing to the end of each injection, dose waits included
    assert busy == pytest.approx(np.nansum(result.end - result.seized))

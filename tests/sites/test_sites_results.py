"""Result tables on small days worked out by hand, and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.scenario.sites import SiteType
from vaxsim.sites import SessionPlan, draw_session_input, simulate_sessions, simulate_site_day
from vaxsim.sites.examples import commune_station
from vaxsim.sites.results import row_quantiles

ENGINES = ["reference", "kernel"]


def two_desks() -> SiteType:
    """Check-in (1 server, 2 min) then injection (1 server, 1 min); 1 min walk; 10 min watch."""
    return SiteType.model_validate({
        "sessions": [{"start": "08:00", "end": "08:10"}],
        "stations": [
            {"name": "check_in", "role": "check_in", "servers": 1,
             "service_minutes": {"kind": "fixed", "value": 2.0}},
            {"name": "injection", "role": "injection", "servers": 1,
             "service_minutes": {"kind": "fixed", "value": 1.0}},
        ],
        "walking_minutes": 1.0,
        "observation": {"minutes": 10.0, "adverse_reaction_share": 0.0},
        "preparation": {"preparers": 0},
        "crowding_limit": 2,
    })


@pytest.fixture(params=ENGINES)
def hand_day(request):
    # arrivals 480, 480, 481: check-in 480-482, 482-484, 484-486;
    # injection joins 483, 485, 487 -> served 483-484, 485-486, 487-488;
    # leave = end + 1 walk + 10 observation = 495, 497, 499.
    plan = SessionPlan("clinic", two_desks(), 0, np.array([480.0, 480.0, 481.0]), 10)
    return simulate_sessions(draw_session_input([plan], np.random.default_rng(0)), request.param)


def test_per_person_times(hand_day):
    np.testing.assert_array_equal(hand_day.start[0, :, 0], [480, 482, 484])
    np.testing.assert_array_equal(hand_day.wait[0, :, 0], [0, 2, 3])
    np.testing.assert_array_equal(hand_day.join[0, :, 1], [483, 485, 487])
    np.testing.assert_array_equal(hand_day.wait[0, :, 1], [0, 0, 0])
    np.testing.assert_array_equal(hand_day.leave[0], [495, 497, 499])
    people = hand_day.people
    assert list(people.time_on_site) == [15, 17, 18]
    assert list(people.wait_total) == [0, 2, 3]


def test_station_summary(hand_day):
    check_in = hand_day.stations.iloc[0]
    assert check_in.station == "check_in" and check_in.people == 3
    assert check_in.wait_mean == pytest.approx(5 / 3)
    assert check_in.wait_p50 == 2.0
    assert check_in.wait_p90 == pytest.approx(2.8)  # numpy linear: 2 + 0.8 × (3 - 2)
    assert check_in.busy_server_minutes == 6.0
    assert check_in.utilisation_open_hours == pytest.approx(6.0 / 10.0)
    assert check_in.utilisation_working_span == pytest.approx(6.0 / 6.0)  # 480 to 486
    assert np.isnan(check_in.dose_wait_mean)
    injection = hand_day.stations.iloc[1]
    assert injection.utilisation_open_hours == pytest.approx(0.3)
    assert injection.utilisation_working_span == pytest.approx(3.0 / 8.0)  # 480 to 488
    assert injection.dose_wait_mean == 0.0


def test_crowding(hand_day):
    session = hand_day.sessions.iloc[0]
    # on site: [480,495) [480,497) [481,499): 2 people from 480, 3 from 481 to 495
    assert session.peak_on_site == 3
    assert session.minutes_above_limit == 14.0  # above 2 people from 481 to 495
    assert session.window_start == 480.0 and session.window_end == 499.0
    assert session.mean_on_site == pytest.approx((15 + 17 + 18) / 19)
    assert session.overtime_minutes == 0.0  # last injection ends at 488, before 490
    assert session.vials_opened == 1 and session.doses_unused == 7
    series = hand_day.people_on_site(step_minutes=1.0)
    counts = dict(zip(series.time, series.people_on_site, strict=True))
    assert counts[480.0] == 2 and counts[481.0] == 3 and counts[495.0] == 2
    assert counts[497.0] == 1 and counts[499.0] == 0


def test_departures_before_arrivals_at_the_same_instant():
    # one person leaves at 495 as another arrives at 495: never 2 on site at once
    plan = SessionPlan("clinic", two_desks(), 0, np.array([480.0, 495.0]), 10)
    for engine in ENGINES:
        result = simulate_sessions(draw_session_input([plan], np.random.default_rng(0)), engine)
        assert result.leave[0, 0] == 495.0
        assert result.sessions.peak_on_site[0] == 1


def test_overtime_keeps_utilisation_at_most_one():
    plan = SessionPlan("clinic", two_desks(), 0, np.full(8, 480.0), 10)
    result = simulate_sessions(draw_session_input([plan], np.random.default_rng(0)), "kernel")
    # 8 check-ins of 2 min end at 496; the last injection ends at 498 (session closed at 490)
    assert result.sessions.overtime_minutes[0] == 8.0
    check_in = result.stations.iloc[0]
    assert check_in.utilisation_open_hours == 1.0  # busy all of 480-490; 6 minutes after
    assert check_in.busy_after_close_minutes == 6.0
    assert check_in.utilisation_working_span == 1.0  # 16 busy minutes over 480-496


@pytest.mark.parametrize("engine", ENGINES)
def test_sessions_without_people(engine):
    empty = SessionPlan("quiet", two_desks(), 0, np.array([]), 10)
    result = simulate_sessions(draw_session_input([empty, empty], np.random.default_rng(0)), engine)
    assert result.join.shape == (2, 0, 2)
    sessions = result.sessions
    assert list(sessions.people) == [0, 0]
    assert list(sessions.peak_on_site) == [0, 0]
    assert list(sessions.vials_opened) == [0, 0]
    assert sessions.time_on_site_mean.isna().all()
    assert result.stations.wait_mean.isna().all()
    assert result.people.empty and result.visits.empty


def test_row_quantiles_match_numpy():
    rng = np.random.default_rng(0)
    counts = np.array([0, 1, 2, 7, 10])
    values = np.full((5, 10, 3), np.nan)
    for s, n in enumerate(counts):
        values[s, :n] = rng.exponential(size=(n, 3))
    qs = (0.0, 0.5, 0.9, 0.99, 1.0)
    for q, got in zip(qs, row_quantiles(values, counts, qs), strict=True):
        assert np.isnan(got[0]).all()
        for s in range(1, 5):
            np.testing.assert_allclose(got[s], np.quantile(values[s, : counts[s]], q, axis=0))


def test_visits_table_is_tidy():
    result = simulate_site_day(commune_station(), 5, 15, 10, show_up=1.0, seed=3,
                               engine="kernel", site="bk-duc-xuan")
    visits = result.visits
    assert len(visits) == result.input.people * 4
    assert set(visits.station) == {"check_in", "data_entry", "screening", "injection"}
    assert (visits.wait >= 0).all() and (visits.service >= 0).all()
    assert (visits.site == "bk-duc-xuan").all()
    per_person = visits.groupby(["session", "person"]).wait.sum().to_numpy()
    np.testing.assert_allclose(per_person, result.people.wait_total.to_numpy())

"""The staffing search: fewest servers per station meeting a target, on common random numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vaxsim.sites.examples import commune_station
from vaxsim.sites.kernel import simulate_kernel
from vaxsim.sites.site_day import replicate_site_day
from vaxsim.sites.staffing import measure, parse_target, service_means, staff_for


def day_batch():
    site_type = commune_station(preparers=1, injection_servers=1)
    return site_type, replicate_site_day(site_type, 12, 15, 10, replications=8, seed=3)


def test_answer_meets_the_target_and_no_station_can_give_a_server_back():
    site_type, site_input = day_batch()
    target = parse_target("p90_time_in_clinic<=40", [s.name for s in site_type.stations])
    search = staff_for(site_input, target, service_means(site_type))
    answer = search.answer
    assert answer is not None and answer.value <= 40.0
    assert not search.path[0].met  # the offered-load start is not enough here
    for k, servers in enumerate(answer.servers):
        if servers == 1:
            continue
        fewer = np.array(answer.servers)
        fewer[k] -= 1
        staffed = np.where(site_input.servers > 0, fewer[None, :], 0)
        value = measure(simulate_kernel(dataclasses.replace(site_input, servers=staffed)), target.metric)
        assert value > 40.0, (k, answer.servers)


def test_staffing_is_deterministic_on_the_same_draws():
    site_type, site_input = day_batch()
    target = parse_target("mean_wait_injection<=1", [s.name for s in site_type.stations])
    first = staff_for(site_input, target, service_means(site_type))
    second = staff_for(site_input, target, service_means(site_type))
    assert first == second


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p90_time_in_clinic<45", "is not METRIC<=VALUE"),
        ("p80_wait<=3", "unknown metric"),
        ("p90_wait_triage<=3", "no station 'triage'"),
    ],
)
def test_bad_targets(text, message):
    with pytest.raises(ValueError, match=message):
        parse_target(text, ["check_in", "injection"])

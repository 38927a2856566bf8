"""Named random streams, re-seeded per day: common random numbers for paired what-ifs."""

from __future__ import annotations

import numpy as np

import vaxsim
from tests.conftest import DEMO
from vaxsim.sim.engine import Campaign
from vaxsim.sim.random import Streams


def test_a_days_numbers_do_not_depend_on_what_earlier_days_drew():
    few, many = Streams(7), Streams(7)
    for day in range(3):
        few.start_day(day)
        many.start_day(day)
        few["sms"].random(2)
        many["sms"].random(200)  # another decision: more people notified
    few.start_day(3)
    many.start_day(3)
    np.testing.assert_array_equal(few["sms"].random(5), many["sms"].random(5))


def test_streams_differ_by_name_day_and_seed():
    def draw(seed: int, day: int, name: str) -> float:
        streams = Streams(seed)
        streams.start_day(day)
        return float(streams[name].random())

    base = draw(1, 4, "sms")
    assert len({base, draw(1, 5, "sms"), draw(1, 4, "walk_ins"), draw(2, 4, "sms")}) == 4
    assert draw(1, 4, "sms") == base


def test_the_campaign_draws_each_day_from_that_days_streams():
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    campaign = Campaign(model, seed=3, site_queues=False)
    campaign.run(until_day=9)
    assert campaign.random.day == 8

"""Free stock sent store to store (``ColdChain.forward``): a plan's shipments between the
stores above the districts. Only free stock that is there moves, on the link's trips, within
the room of the vehicle and the receiving store; it lands as free stock, nobody's yet."""

from __future__ import annotations

import numpy as np
import pytest

from tests.coldchain import builders

NATIONAL, PROVINCE = 0, 1


def two_lots(days: int = 10, links=None, province_room=(100.0, 100.0, 2000.0)):
    """national → province → two district stores; AstraZeneca lots A (1000 doses) and B
    (500 doses) at the national store on day 0."""
    lots = [("AZ-A", 0, 1000, 0, 50, NATIONAL), ("AZ-B", 0, 500, 0, 60, NATIONAL)]
    m = builders.model(
        stores=[
            ("national", "national", -1, (2000.0, 2000.0, 20000.0)),
            ("province", "provincial", 0, province_room),
            ("district-a", "district", 1, (0.0, 20.0, 300.0)),
            ("district-b", "district", 1, (0.0, 20.0, 300.0)),
        ],
        lots=lots, products=[builders.ASTRAZENECA], district_stores=[2, 3], links=links, days=days,
    )
    return builders.chain(m)


def forward(chain, day: int, lot: int, doses: int) -> int:
    """Forward ``doses`` of ``lot`` national → province on ``day``; returns the doses not sent."""
    left = chain.forward(day, [NATIONAL], [PROVINCE], [lot], [doses])
    return int(left[0])


def stock(chain) -> dict[tuple[str, str, str], int]:
    table = chain.results().stock_on_hand()
    return table.groupby(["store", "lot", "owner"]).doses.sum().to_dict()


def test_forwarded_stock_lands_free_a_lead_time_later():
    chain = two_lots()
    assert forward(chain, 0, 0, 400) == 0
    chain.end_day(0)
    assert stock(chain) == {("national", "AZ-A", ""): 600, ("national", "AZ-B", ""): 500}
    road = chain.results().in_transit()
    assert road[["from", "to", "lot", "owner", "doses"]].values.tolist() == [
        ["national", "province", "AZ-A", "", 400]
    ]
    assert not chain.in_pipeline().any()  # free stock on the road is nobody's
    chain.end_day(1)
    assert stock(chain)[("province", "AZ-A", "")] == 400
    chain.check_conservation(1)


def test_only_free_stock_that_is_there_moves():
    chain = two_lots()
    chain.request(0, np.array([[300], [0]]))  # district a earmarks 300 doses, lot A first
    assert forward(chain, 0, 0, 1000) == 300  # 700 of lot A are free at the national store
    chain.end_day(2)
    assert stock(chain) == {
        ("province", "AZ-A", ""): 700,
        ("national", "AZ-B", ""): 500,
        ("district-a", "AZ-A", "d0"): 300,
    }


def test_nothing_leaves_on_a_day_without_a_trip():
    weekly = [(0, 1, 1, np.nan, "weekly", 3), (1, 2, 1, np.nan, "daily", 0), (1, 3, 1, np.nan, "daily", 0)]
    chain = two_lots(links=weekly)
    day = next(d for d in range(7) if chain.model.dates[d].weekday() != 3)
    assert forward(chain, day, 1, 200) == 200
    trip_day = next(d for d in range(7) if chain.model.dates[d].weekday() == 3)
    assert forward(chain, trip_day, 1, 200) == 0


def test_the_receiving_store_room_limits_what_is_sent():
    chain = two_lots(province_room=(100.0, 100.0, 2.04))  # 500 AstraZeneca doses of 4.08 cm³
    assert forward(chain, 0, 1, 500) == 0
    assert forward(chain, 1, 0, 100) == 100  # the province is full (500 on the road to it)


def test_a_forward_must_follow_a_link():
    chain = two_lots()
    with pytest.raises(ValueError, match="link"):
        chain.forward(0, [NATIONAL], [2], [0], [10])

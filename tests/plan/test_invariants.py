"""The eight invariants of PLAN_FORMAT.md: the fixture passes, each corruption fails with the
expected message naming file, line and key.

Corrupted plans are written with correct checksums, so only the broken invariant speaks.
"""

from __future__ import annotations

import pytest

import vaxsim
from tests.plan.conftest import NOW
from tests.plan.corrupt import line_of
from tests.plan.fixture import SCENARIO, fixture_plan
from vaxsim.plan.checker import check

D1_STADIUM = "cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults"
D2_DUC_XUAN = "cap-bk-duc-xuan-2021-09-06-0730-astrazeneca-d2-elderly"
D2_BEN_NGHE = "cap-q1-ben-nghe-2021-09-03-0730-astrazeneca-d2-frontline"


@pytest.fixture(scope="module")
def scenario():
    return vaxsim.load(SCENARIO)


def _messages(plan, tmp_path, scenario=None, rule=None) -> list[str]:
    found = check(plan.write(tmp_path, now=NOW), scenario)
    return [str(v) for v in found if rule is None or v.rule == rule]


def _set(table, key_column, key, column, value):
    index = table.index[table[key_column] == key][0]
    if isinstance(value, float) and table[column].dtype.kind == "i":
        table[column] = table[column].astype(float)
    table.loc[index, column] = value
    return int(index) + 2


def test_fixture_passes_every_invariant_and_the_scenario(tmp_path, scenario):
    assert _messages(fixture_plan(), tmp_path / "a") == []
    assert _messages(fixture_plan(), tmp_path / "b", scenario) == []


def test_1_booked_must_count_the_appointments(tmp_path):
    plan = fixture_plan()
    line = _set(plan.capacity, "capacity_id", D1_STADIUM, "booked", 17)
    assert _messages(plan, tmp_path, rule="invariant 1") == [
        f"tables/capacity.csv:{line}: capacity_id={D1_STADIUM}: booked 17 but 18 appointments"
    ]


def test_1_appointments_within_capacity(tmp_path):
    plan = fixture_plan()
    line = _set(plan.capacity, "capacity_id", D1_STADIUM, "capacity", 16)
    messages = _messages(plan, tmp_path, rule="invariant 1")
    assert f"tables/capacity.csv:{line}: capacity_id={D1_STADIUM}: booked 18 > capacity 16" in messages


def test_1_appointment_window_inside_its_session(tmp_path):
    plan = fixture_plan()
    appointment = plan.appointments.appointment_id[0]
    line = _set(plan.appointments, "appointment_id", appointment, "window_start", "2021-08-05T06:30:00+07:00")
    messages = _messages(plan, tmp_path, rule="invariant 1")
    assert len(messages) == 1
    assert messages[0].startswith(
        f"tables/appointments.csv:{line}: appointment_id={appointment}: window 2021-08-05T06:30:00+07:00.."
    )
    assert "is not inside its session 2021-08-05T07:00:00+07:00..2021-08-05T11:30:00+07:00" in messages[0]


def test_2_projection_must_balance(tmp_path):
    plan = fixture_plan()
    stock = plan.stock_projection
    index = stock.index[(stock.site_id == "q1-ben-nghe") & (stock.date == "2021-08-06")][0]
    stock.loc[index, "closing"] = 25
    messages = _messages(plan, tmp_path, rule="invariant 2")
    key = "site_id=q1-ben-nghe, date=2021-08-06, lot_id=astrazeneca-ABV5300"
    assert messages == [
        f"tables/stock_projection.csv:{index + 2}: {key}: closing 25 but opening 0 + received 40 "
        "− issued 0 − administered 20 − wasted 0 − expired 0 = 20",
        f"tables/stock_projection.csv:{index + 3}: site_id=q1-ben-nghe, date=2021-08-07, "
        "lot_id=astrazeneca-ABV5300: opening 20 but the stock carried over is 25",
    ]


def test_2_stock_never_negative_and_matches_shipments(tmp_path):
    plan = fixture_plan()
    lines = plan.shipment_lines
    index = lines.index[(lines.shipment_id == "shp-store-760-q1-ben-nghe-2021-08-05")][0]
    lines.loc[index, "doses"] = 4000
    messages = _messages(plan, tmp_path, rule="invariant 2")
    assert any(
        "site_id=store-760, date=2021-08-05, lot_id=astrazeneca-ABV5300: "
        "issued 40 but lots and shipments say 4000" in m
        for m in messages
    ), messages
    assert any(
        "site_id=q1-ben-nghe, date=2021-08-06" in m and "received 40 but lots and shipments say 4000" in m
        for m in messages
    )


def test_3_scheduled_doses_need_stock(tmp_path):
    plan = fixture_plan()
    line = _set(plan.capacity, "capacity_id", D2_BEN_NGHE, "capacity", 25)
    messages = _messages(plan, tmp_path, rule="invariant 3")
    assert messages == [
        f"tables/capacity.csv:{line}: site_id=q1-ben-nghe, service_date=2021-09-03, product_id=astrazeneca: "
        "25 doses scheduled > 20 in stock after open-vial losses"
    ]


def test_4_no_dose_after_expiry(tmp_path):
    plan = fixture_plan()
    plan.lots.loc[0, "expiry_date"] = "2021-08-20"
    messages = _messages(plan, tmp_path, rule="invariant 4")
    stock = plan.stock_projection
    index = stock.index[(stock.site_id == "bk-city-hospital") & (stock.date == "2021-08-26")][0]
    assert (
        f"tables/stock_projection.csv:{index + 2}: site_id=bk-city-hospital, date=2021-08-26, "
        "lot_id=pfizer-FA4598: 18 doses used after the lot expired on 2021-08-20"
    ) in messages


def test_4_thaw_clock_from_the_scenario(tmp_path):
    short = vaxsim.load(SCENARIO, overrides=["products.pfizer.days_at_2_8c=14"])
    messages = _messages(fixture_plan(), tmp_path, short, rule="invariant 4")
    stock = fixture_plan().stock_projection
    index = stock.index[(stock.site_id == "bk-city-hospital") & (stock.date == "2021-08-26")][0]
    assert (
        f"tables/stock_projection.csv:{index + 2}: site_id=bk-city-hospital, date=2021-08-26, "
        "lot_id=pfizer-FA4598: 18 doses used but only 0 are within the 14-day thaw clock"
    ) in messages


def test_5_next_dose_inside_the_interval(tmp_path):
    plan = fixture_plan()
    plan.products.loc[0, "min_interval_days"] = 25
    messages = _messages(plan, tmp_path, rule="invariant 5")
    assert len(messages) == 6 + 12 + 18  # every Pfizer second dose is 21 days after the first
    assert (
        messages[0]
        .split(": ", 2)[2]
        .endswith(
            "dose 2 on 2021-08-26 is 21 days after dose 1 on 2021-08-05, outside 25..28 days for pfizer"
        )
    )


def test_5_no_mixing_unless_the_scenario_allows_it(tmp_path, scenario):
    plan = fixture_plan()
    # One person's second dose moved to the AstraZeneca follow-up row (capacity and booking kept consistent).
    appointments, capacity = plan.appointments, plan.capacity
    moved = appointments.index[appointments.capacity_id == "cap-q1-stadium-2021-08-27-0700-pfizer-d2-adults"][
        0
    ]
    appointments.loc[moved, "capacity_id"] = D2_BEN_NGHE
    appointments.loc[moved, "window_start"] = "2021-09-03T07:30:00+07:00"
    appointments.loc[moved, "window_end"] = "2021-09-03T08:00:00+07:00"
    appointments.loc[moved, "notify_at"] = "2021-09-02T08:00:00+07:00"
    _set(capacity, "capacity_id", "cap-q1-stadium-2021-08-27-0700-pfizer-d2-adults", "booked", 17)
    _set(capacity, "capacity_id", D2_BEN_NGHE, "booked", 11)
    messages = _messages(plan, tmp_path / "a", rule="invariant 5")
    assert messages == [
        f"tables/appointments.csv:{moved + 2}: appointment_id={appointments.appointment_id[moved]}: "
        "dose 2 is astrazeneca after pfizer, and mixing is not allowed"
    ]
    mixing = vaxsim.load(SCENARIO, overrides=["policies.mixing.allowed=true"])
    # Allowed, and 28 days after the first dose is inside Pfizer's 21..28-day window.
    assert _messages(plan, tmp_path / "b", mixing, rule="invariant 5") == []


def test_6_cold_chain_volume(tmp_path):
    plan = fixture_plan()
    line = _set(plan.sites, "site_id", "bk-duc-xuan", "cold_chain_litres_2_8c", 0.1)
    assert line == 8
    messages = _messages(plan, tmp_path, rule="invariant 6")
    assert messages[0].endswith(
        "site_id=bk-duc-xuan, date=2021-08-09: 0.122 L of vaccine in 2-8c storage > capacity 0.1 L"
    )


def test_7_throughput_limit(tmp_path):
    plan = fixture_plan()
    _set(plan.sites, "site_id", "q1-ben-nghe", "max_doses_per_day", 15)
    messages = _messages(plan, tmp_path, rule="invariant 7")
    line = line_of(plan.capacity, "capacity_id", "cap-q1-ben-nghe-2021-08-06-0730-astrazeneca-d1-frontline")
    assert (
        f"tables/capacity.csv:{line}: site_id=q1-ben-nghe, service_date=2021-08-06: "
        "20 appointments opened > throughput limit 15 doses/day"
    ) in messages
    assert any("20 doses administered > throughput limit 15" in m for m in messages)


def test_8_free_slots_need_follow_up_capacity(tmp_path):
    plan = fixture_plan()
    _set(plan.capacity, "capacity_id", D2_DUC_XUAN, "capacity", 2)
    messages = _messages(plan, tmp_path, rule="invariant 8")
    line = line_of(plan.capacity, "capacity_id", "cap-bk-duc-xuan-2021-08-09-0730-astrazeneca-d1-elderly")
    assert messages == [
        f"tables/capacity.csv:{line}: capacity_id=cap-bk-duc-xuan-2021-08-09-0730-astrazeneca-d1-elderly: "
        "3 of 5 free slots have no dose 2 capacity reserved at bk-duc-xuan in 2021-09-06..2021-11-01"
    ]


def test_scenario_lots_sessions_and_crowding(tmp_path, scenario):
    plan = fixture_plan()
    plan.lots.loc[1, "lot_number"] = "XYZ999"
    line = _set(plan.capacity, "capacity_id", D2_DUC_XUAN, "session_start", "08:00")
    messages = _messages(plan, tmp_path, scenario, rule="scenario")
    assert (
        "tables/lots.csv:3: lot_id=astrazeneca-ABV5300: no delivery of astrazeneca lot XYZ999 in the scenario"
        in (messages)
    )
    assert (
        f"tables/capacity.csv:{line}: capacity_id={D2_DUC_XUAN}: session 08:00-11:30 is not one of "
        "the site type's sessions (07:30-11:30, 13:30-17:00)"
    ) in messages


def test_scenario_crowding_and_throughput(tmp_path):
    crowded = vaxsim.load(SCENARIO, overrides=["site_types.commune_station.crowding_limit=30"])
    plan = fixture_plan()
    line = _set(plan.capacity, "capacity_id", D2_DUC_XUAN, "capacity", 300)
    messages = _messages(plan, tmp_path, crowded, rule="scenario")
    key = "site_id=bk-duc-xuan, service_date=2021-09-06"
    assert messages == [
        # The crowding limit lowers the site type's daily capacity below the plan's.
        "tables/sites.csv:8: site_id=bk-duc-xuan: max_doses_per_day 382 but the scenario says 361",
        "tables/sites.csv:9: site_id=q1-ben-nghe: max_doses_per_day 382 but the scenario says 361",
        f"tables/capacity.csv:{line}: {key}, session_start=07:30: 300 appointments > session throughput 204",
        f"tables/capacity.csv:{line}: {key}, session_start=07:30: about 47 people on site (Little's law: "
        "300 people over 240 min, 37 min each) > crowding limit 30",
    ]


def test_scenario_link_lead_time(tmp_path, scenario):
    plan = fixture_plan()
    plan.shipments.loc[0, "arrival_date"] = "2021-08-02"
    messages = _messages(plan, tmp_path, scenario, rule="scenario")
    assert messages == [
        "tables/shipments.csv:2: shipment_id=shp-national-store-06-2021-08-02: "
        "arrives 0 day(s) after it leaves; the link takes 1"
    ]

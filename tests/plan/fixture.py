"""A small, consistent hand-made plan: two provinces (Bắc Kạn, Hồ Chí Minh City), one district each.

National store → provincial stores → district stores → four vaccination sites. Two products: a
6-dose Pfizer-like vaccine stored ultra-cold with a 31-day clock at +2..+8 °C once thawed (the
district stores have no ultra-cold room, so it thaws there), and a 10-dose AstraZeneca-like
+2..+8 °C vaccine. First-dose sessions in early August, second doses inside the interval window.

The stock projection is computed here from the lots, shipments and booked appointments (with
open-vial wastage and thaw-clock write-offs), so the plan passes every check by construction;
``fixture-scenario.yaml`` is the matching scenario. Tests corrupt copies of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd

from vaxsim.plan import Plan
from vaxsim.plan.tables import TABLES

SCENARIO = Path(__file__).with_name("fixture-scenario.yaml")
PERSON_KEY_SECRET = b"fixture-secret"
FIRST_DAY = dt.date(2021, 8, 2)
LAST_DAY = dt.date(2021, 9, 7)
THAW_DAYS = 31
TZ = "Asia/Ho_Chi_Minh"


def _frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TABLES[name].column_names)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


PRODUCTS = [
    # id, name, doses/vial, series, min, max, storage min/max °C, open-vial h, cm3/dose
    ("pfizer", "Pfizer-BioNTech (Comirnaty)", 6, 2, 21, 28, -90.0, -60.0, 6.0, 1.8),
    ("astrazeneca", "AstraZeneca (Vaxzevria)", 10, 2, 28, 84, 2.0, 8.0, 6.0, 4.08),
]
PRODUCT_CODES = [
    ("pfizer", "urn:vaxsim:product", "pfizer", "Pfizer-BioNTech (Comirnaty)"),
    ("pfizer", "http://hl7.org/fhir/sid/cvx", "208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"),
    ("pfizer", "https://www.gs1.org/gtin", "00359267100023", "Comirnaty 195 vial pack"),
    ("astrazeneca", "urn:vaxsim:product", "astrazeneca", "AstraZeneca (Vaxzevria)"),
    (
        "astrazeneca",
        "http://hl7.org/fhir/sid/cvx",
        "210",
        "COVID-19 vaccine, vector-nr, rS-ChAdOx1, PF, 0.5 mL",
    ),
    ("astrazeneca", "https://www.gs1.org/gtin", "05000456068253", "Vaxzevria 10 vial pack"),
]
DOSES_PER_VIAL = {"pfizer": 6, "astrazeneca": 10}
THAWS = {"pfizer"}  # ultra-cold products that thaw where there is no ultra-cold room

SITES = [
    # id, name, type, supply parent, admin parent, province, district, lat, lon, L 2-8, frozen, ult, max/day
    (
        "national",
        "National vaccine store",
        "national_store",
        None,
        None,
        None,
        None,
        21.0278,
        105.8342,
        20000.0,
        2000.0,
        2000.0,
        None,
    ),
    (
        "store-06",
        "Bắc Kạn provincial store",
        "provincial_store",
        "national",
        "06",
        "06",
        None,
        22.1470,
        105.8348,
        2000.0,
        100.0,
        100.0,
        None,
    ),
    (
        "store-79",
        "Hồ Chí Minh City provincial store",
        "provincial_store",
        "national",
        "79",
        "79",
        None,
        10.7769,
        106.7009,
        2000.0,
        100.0,
        100.0,
        None,
    ),
    (
        "store-058",
        "Thành phố Bắc Kạn district store",
        "district_store",
        "store-06",
        "058",
        "06",
        "058",
        22.1450,
        105.8350,
        300.0,
        20.0,
        0.0,
        None,
    ),
    (
        "store-760",
        "Quận 1 district store",
        "district_store",
        "store-79",
        "760",
        "79",
        "760",
        10.7756,
        106.7019,
        300.0,
        20.0,
        0.0,
        None,
    ),
    (
        "bk-city-hospital",
        "Bắc Kạn city mass site",
        "vaccination_site",
        "store-058",
        "058",
        "06",
        "058",
        22.1466,
        105.8312,
        60.0,
        None,
        None,
        969,  # the scenario's mass_site throughput (daily_capacity)
    ),
    (
        "bk-duc-xuan",
        "Phường Đức Xuân station",
        "vaccination_site",
        "store-058",
        "058",
        "06",
        "058",
        22.1538,
        105.8297,
        20.0,
        None,
        None,
        382,
    ),
    (
        "q1-ben-nghe",
        "Phường Bến Nghé station",
        "vaccination_site",
        "store-760",
        "760",
        "79",
        "760",
        10.7785,
        106.7040,
        20.0,
        None,
        None,
        382,
    ),
    (
        "q1-stadium",
        "Quận 1 stadium mass site",
        "vaccination_site",
        "store-760",
        "760",
        "79",
        "760",
        10.7730,
        106.6960,
        60.0,
        None,
        None,
        969,  # the scenario's mass_site throughput (daily_capacity)
    ),
]
LOTS = [
    ("pfizer-FA4598", "pfizer", "00359267100023", "FA4598", "2021-11-30", 1200, "national", "2021-08-02"),
    (
        "astrazeneca-ABV5300",
        "astrazeneca",
        "05000456068253",
        "ABV5300",
        "2021-12-31",
        2000,
        "national",
        "2021-08-02",
    ),
]
LOT_OF = {"pfizer": "pfizer-FA4598", "astrazeneca": "astrazeneca-ABV5300"}
# from, to, ship date, arrival date, {product: doses}
SHIPMENTS = [
    ("national", "store-06", "2021-08-02", "2021-08-03", {"pfizer": 120, "astrazeneca": 100}),
    ("national", "store-79", "2021-08-02", "2021-08-03", {"pfizer": 120, "astrazeneca": 100}),
    ("store-06", "store-058", "2021-08-03", "2021-08-04", {"pfizer": 120, "astrazeneca": 100}),
    ("store-79", "store-760", "2021-08-03", "2021-08-04", {"pfizer": 120, "astrazeneca": 100}),
    ("store-058", "bk-city-hospital", "2021-08-04", "2021-08-05", {"pfizer": 60}),
    ("store-058", "bk-duc-xuan", "2021-08-08", "2021-08-09", {"astrazeneca": 50}),
    ("store-760", "q1-ben-nghe", "2021-08-05", "2021-08-06", {"astrazeneca": 40}),
    ("store-760", "q1-stadium", "2021-08-05", "2021-08-06", {"pfizer": 48}),
]
# site, date, start, end, product, dose, group, capacity, booked, (capacity row whose people come back)
CAPACITY = [
    ("bk-city-hospital", "2021-08-05", "07:00", "11:30", "pfizer", 1, "frontline", 18, 12, None),
    ("bk-city-hospital", "2021-08-05", "13:00", "18:00", "pfizer", 1, "elderly", 12, 12, None),
    ("bk-city-hospital", "2021-08-26", "07:00", "11:30", "pfizer", 2, "frontline", 18, 6, 0),
    ("bk-city-hospital", "2021-08-26", "13:00", "18:00", "pfizer", 2, "elderly", 12, 12, 1),
    ("bk-duc-xuan", "2021-08-09", "07:30", "11:30", "astrazeneca", 1, "elderly", 20, 15, None),
    ("bk-duc-xuan", "2021-09-06", "07:30", "11:30", "astrazeneca", 2, "elderly", 20, 0, 4),
    ("q1-ben-nghe", "2021-08-06", "07:30", "11:30", "astrazeneca", 1, "frontline", 20, 20, None),
    ("q1-ben-nghe", "2021-09-03", "07:30", "11:30", "astrazeneca", 2, "frontline", 20, 10, 6),
    ("q1-stadium", "2021-08-06", "07:00", "11:30", "pfizer", 1, "adults", 24, 18, None),
    ("q1-stadium", "2021-08-27", "07:00", "11:30", "pfizer", 2, "adults", 24, 18, 8),
]
SLOT_MINUTES = 30
PEOPLE_PER_SLOT = 3
NOTICE_LEAD_MINUTES = 24 * 60  # the scenario's people.notification.lead_time_hours (default 24)


def capacity_id(site: str, date: str, start: str, product: str, dose: int, group: str) -> str:
    return f"cap-{site}-{date}-{start.replace(':', '')}-{product}-d{dose}-{group}"


def person_key(n: int) -> str:
    return hmac.new(PERSON_KEY_SECRET, f"person-{n}".encode(), hashlib.sha256).hexdigest()[:32]


def _instant(date: str, clock: str, minutes: int = 0) -> str:
    hours, mins = map(int, clock.split(":"))
    moment = dt.datetime.combine(_d(date), dt.time(hours, mins), dt.timezone(dt.timedelta(hours=7)))
    return (moment + dt.timedelta(minutes=minutes)).isoformat()


def _appointments() -> tuple[list[tuple], list[str]]:
    rows, ids, people_of = [], [], []
    next_person = 0
    for site, date, start, _end, product, dose, group, _cap, booked, back_from in CAPACITY:
        row_id = capacity_id(site, date, start, product, dose, group)
        ids.append(row_id)
        if back_from is None:
            people = list(range(next_person, next_person + booked))
            next_person += booked
        else:
            people = people_of[back_from][:booked]
        people_of.append(people)
        for k, person in enumerate(people):
            offset = (k // PEOPLE_PER_SLOT) * SLOT_MINUTES
            appointment = hashlib.sha256(f"{row_id}/{person}".encode()).hexdigest()[:20]
            rows.append(
                (
                    f"apt-{appointment}",
                    row_id,
                    person_key(person),
                    _instant(date, start, offset),
                    _instant(date, start, offset + SLOT_MINUTES),
                    _instant(date, start, offset - NOTICE_LEAD_MINUTES),
                )
            )
    return rows, ids


def _shipment_rows() -> tuple[list[tuple], list[tuple]]:
    shipments, lines = [], []
    for origin, destination, ship, arrive, doses in SHIPMENTS:
        shipment_id = f"shp-{origin}-{destination}-{ship}"
        shipments.append((shipment_id, origin, destination, ship, arrive, "planned", "allocation"))
        for line_no, (product, count) in enumerate(doses.items(), start=1):
            lines.append((shipment_id, line_no, LOT_OF[product], count))
    return shipments, lines


def _allocations() -> list[tuple]:
    province_of = {site[0]: (site[5], site[6]) for site in SITES}
    rows = []
    for site, date, _start, _end, product, dose, group, capacity, _booked, _back in CAPACITY:
        province, district = province_of[site]
        for origin, destination in ((province, district), (district, site)):
            rows.append(
                (
                    f"alloc-{origin}-{destination}-{date}-{product}-d{dose}-{group}",
                    origin,
                    destination,
                    date,
                    product,
                    dose,
                    group,
                    capacity,
                )
            )
    # Two sessions of a site on one day for the same product, dose and group share a row.
    merged: dict[str, list] = {}
    for row in rows:
        if row[0] in merged:
            merged[row[0]][7] += row[7]
        else:
            merged[row[0]] = list(row)
    return [tuple(row) for row in merged.values()]


def _thawed_at() -> dict[str, bool]:
    """Nodes without an ultra-cold room: an ultra-cold product thaws when it arrives there."""
    return {site[0]: not site[11] for site in SITES}


def _stock_projection() -> list[tuple]:
    received: dict[tuple, int] = defaultdict(int)
    issued: dict[tuple, int] = defaultdict(int)
    administered: dict[tuple, int] = defaultdict(int)
    wasted: dict[tuple, int] = defaultdict(int)
    thaw_day: dict[tuple, dt.date] = {}
    for lot_id, _product, _gtin, _number, _expiry, doses, site, arrival in LOTS:
        received[(site, _d(arrival), lot_id)] += doses
    thawed = _thawed_at()
    for origin, destination, ship, arrive, doses in SHIPMENTS:
        for product, count in doses.items():
            lot = LOT_OF[product]
            issued[(origin, _d(ship), lot)] += count
            received[(destination, _d(arrive), lot)] += count
            if product in THAWS and thawed[destination]:
                thaw_day[(destination, lot)] = thaw_day.get((origin, lot), _d(arrive))
    for site, date, _start, _end, product, _dose, _group, _cap, booked, _back in CAPACITY:
        lot = LOT_OF[product]
        administered[(site, _d(date), lot)] += booked
        vials = math.ceil(booked / DOSES_PER_VIAL[product])
        wasted[(site, _d(date), lot)] += vials * DOSES_PER_VIAL[product] - booked
    first_day: dict[tuple, dt.date] = {}
    for site, day, lot in received:
        first_day[(site, lot)] = min(day, first_day.get((site, lot), day))
    rows = []
    for (site, lot), start in first_day.items():
        closing = 0
        day = start
        while day <= LAST_DAY:
            key = (site, day, lot)
            opening = closing
            before = opening + received[key] - issued[key] - administered[key] - wasted[key]
            last_usable = (
                thaw_day[(site, lot)] + dt.timedelta(days=THAW_DAYS - 1) if (site, lot) in thaw_day else None
            )
            expired = before if last_usable is not None and day > last_usable else 0
            closing = before - expired
            rows.append(
                (
                    site,
                    day.isoformat(),
                    lot,
                    opening,
                    received[key],
                    issued[key],
                    administered[key],
                    wasted[key],
                    expired,
                    closing,
                )
            )
            day += dt.timedelta(days=1)
    order = {site[0]: i for i, site in enumerate(SITES)}
    rows.sort(key=lambda row: (order[row[0]], row[1], row[2]))
    return rows


def fixture_plan() -> Plan:
    """The consistent fixture plan (a fresh copy each call)."""
    shipments, lines = _shipment_rows()
    appointments, capacity_ids = _appointments()
    capacity = [
        (row_id, site, date, start, end, product, dose, group, cap, booked)
        for row_id, (site, date, start, end, product, dose, group, cap, booked, _back) in zip(
            capacity_ids, CAPACITY, strict=True
        )
    ]
    sites = [(*site[:9], "site" if site[7] is not None else None, TZ, *site[9:]) for site in SITES]
    return Plan(
        products=_frame("products", PRODUCTS),
        product_codes=_frame("product_codes", PRODUCT_CODES),
        sites=_frame("sites", sites),
        lots=_frame("lots", LOTS),
        shipments=_frame("shipments", shipments),
        shipment_lines=_frame("shipment_lines", lines),
        capacity=_frame("capacity", capacity),
        registrant_allocations=_frame("registrant_allocations", _allocations()),
        appointments=_frame("appointments", appointments),
        stock_projection=_frame("stock_projection", _stock_projection()),
        plan_id="fixture-2021-08",
        revision=2,
        supersedes="fixture-2021-08-r1",
        status="proposed",
        scenario={"name": "plan-fixture", "seed": 42, "sha256": "0" * 64},
        solver={"name": "hand-made", "status": "Optimal", "objective": 1234.5, "gap": 0.0, "seconds": 0.25},
        summary={"doses_planned": 201, "unmet_demand": 0, "objective_terms": {"coverage": -201.0}},
        findings=pd.DataFrame(
            {"constraint": ["capacity q1-ben-nghe 2021-08-06"], "binding": [True], "message": ["site full"]}
        ),
        log=pd.DataFrame(
            {"sub_problem": ["nation", "province 06"], "variables": [120, 80], "seconds": [0.1, 0.05]}
        ),
        robustness={},
    )

"""What a plan says about each place against the scenario: type, administrative codes, cold-room
litres and daily throughput (``vaxsim plan check --scenario``)."""

from __future__ import annotations

import math

import pandas as pd

from vaxsim.model import Model
from vaxsim.plan.invariants import Tables, path
from vaxsim.plan.violations import Violation
from vaxsim.sim.capacity import daily_capacity

RULE = "scenario"
CLASSES = (
    ("cold_chain_litres_2_8c", "cold_2_8", "capacity_litres_cold_2_8"),
    ("cold_chain_litres_frozen", "frozen", "capacity_litres_frozen"),
    ("cold_chain_litres_ult", "ultra_cold", "capacity_litres_ultra_cold"),
)
STORE_TYPES = {"national": "national_store", "regional": "regional_store", "provincial": "provincial_store"}


def _empty(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _litres(value) -> float:
    """Litres as stated; empty means none (0)."""
    return 0.0 if _empty(value) else float(value)


def _same(plan_value, scenario_value) -> bool:
    if scenario_value is None:
        return _empty(plan_value)
    return str(plan_value) == str(scenario_value)


def _expected_site(model: Model, index: int) -> dict:
    site = model.sites.iloc[index]
    site_type = model.scenario.site_types[site.type]
    district = str(model.districts.id.iloc[int(site.district)])
    expected = {
        "site_type": "mobile_team" if site.kind == "mobile" else "vaccination_site",
        "district_code": district,
        "admin_parent_id": district,
        "province_code": str(model.provinces.id.iloc[int(site.province)]),
        "max_doses_per_day": daily_capacity(site_type),
    }
    room = site_type.cold_chain_litres
    for column, field, _ in CLASSES:
        expected[column] = float(getattr(room, field))
    return expected


def _expected_store(model: Model, index: int) -> dict:
    store = model.stores.iloc[index]
    province = int(store.province)
    expected = {"province_code": str(model.provinces.id.iloc[province]) if province >= 0 else None}
    if str(store.level) in STORE_TYPES:
        expected["site_type"] = STORE_TYPES[str(store.level)]
    for column, _, field in CLASSES:
        expected[column] = float(store[field])
    return expected


def check_site_details(tables: Tables, model: Model) -> list[Violation]:
    """Each place's type, codes, litres per temperature class and (sites) daily throughput are
    the scenario's."""
    site_index = {str(i): k for k, i in enumerate(model.sites.id)}
    store_index = {str(i): k for k, i in enumerate(model.stores.id)}
    found = []
    for row in tables["sites"].itertuples():
        if row.site_id in site_index:
            expected = _expected_site(model, site_index[row.site_id])
        elif row.site_id in store_index:
            expected = _expected_store(model, store_index[row.site_id])
        else:
            continue  # reported by check_sites
        for column, value in expected.items():
            mine = getattr(row, column)
            if column.startswith("cold_chain_litres"):
                differs = not math.isclose(_litres(mine), value, rel_tol=1e-9, abs_tol=1e-9)
            else:
                differs = not _same(mine, value)
            if differs:
                message = f"{column} {mine} but the scenario says {value}"
                key = f"site_id={row.site_id}"
                found.append(Violation(path("sites"), int(row.csv_line), key, message, RULE))
    return found

"""The plan's reference tables: products, product codes, sites (stores and vaccination sites), lots.

They describe the world the plan acts in, straight from the compiled model; the movement and
booking tables refer to them by id. :class:`SiteIds` also maps every node of the optimizer's
hierarchy to the physical store that holds its stock (a virtual node, used where a province or
district has no store of its own, keeps its stock in the store that serves it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.model import Model
from vaxsim.optimize.setup.site_ids import SiteIds
from vaxsim.optimize.setup.sites import SiteCalendar
from vaxsim.plan.codes import scenario_codes
from vaxsim.plan.tables import TABLES

_STORE_TYPES = {
    "national": "national_store",
    "regional": "regional_store",
    "provincial": "provincial_store",
    "district": "district_store",
}


def products_table(model: Model) -> pd.DataFrame:
    """One row per product (PLAN_FORMAT.md ``products``)."""
    products = model.products
    scenario_products = model.scenario.products
    first = model.intervals[model.intervals.dose_number == 2].set_index("product")
    rows = []
    for q, product_id in enumerate(products.id):
        spec = scenario_products[product_id]
        low, high = spec.storage_temperature_c
        rows.append(
            {
                "product_id": str(product_id),
                "name": spec.name or str(product_id),
                "doses_per_vial": int(products.doses_per_vial[q]),
                "series_doses": int(products.series_doses[q]),
                "min_interval_days": int(first.min_days[q]) if q in first.index else None,
                "max_interval_days": int(first.max_days[q]) if q in first.index else None,
                "storage_min_c": float(low),
                "storage_max_c": float(high),
                "open_vial_hours": float(products.in_use_hours[q]),
                "packed_volume_cm3_per_dose": float(products.volume_litres_per_dose[q] * 1000),
            }
        )
    table = pd.DataFrame(rows, columns=TABLES["products"].column_names)
    for column in ("min_interval_days", "max_interval_days"):
        table[column] = table[column].astype("Int64")
    return table


def product_codes_table(model: Model) -> pd.DataFrame:
    """Each product's codes (:func:`vaxsim.plan.codes.scenario_codes`): its vaxsim id
    (``urn:vaxsim:product``), and its CDC CVX code and GS1 GTIN where the scenario states them."""
    rows = scenario_codes(model.scenario, [str(p) for p in model.products.id])
    return pd.DataFrame(rows, columns=TABLES["product_codes"].column_names)


def sites_table(model: Model, calendar: SiteCalendar, ids: SiteIds) -> pd.DataFrame:
    """Every store and vaccination site of the model (PLAN_FORMAT.md ``sites``).

    A store with no capacity stated (zero in every class) has no limit: its litres are empty.
    ``max_doses_per_day`` of a site is the sum of its sessions' capacities (throughput and
    crowding, :mod:`vaxsim.optimize.setup.sites`).
    """
    timezone = model.scenario.campaign.timezone
    stores, sites = model.stores, model.sites
    provinces, districts = model.provinces, model.districts
    province_code = provinces.id.astype(str).to_numpy()
    district_code = districts.id.astype(str).to_numpy()
    litres = stores[["capacity_litres_cold_2_8", "capacity_litres_frozen", "capacity_litres_ultra_cold"]]
    stated = litres.to_numpy(dtype=float).sum(axis=1) > 0
    store_district = _store_district(model)
    parent = stores.parent.to_numpy()
    store_province = stores.province.to_numpy()
    province_points = _province_points(model)
    store_rows = pd.DataFrame(
        {
            "site_id": ids.store,
            "name": stores.name.astype(str).to_numpy(),
            "site_type": [_STORE_TYPES.get(str(level), "provincial_store") for level in stores.level],
            "supply_parent_id": np.where(parent >= 0, ids.store[np.maximum(parent, 0)], None),
            "admin_parent_id": np.where(
                store_district >= 0,
                district_code[np.maximum(store_district, 0)],
                np.where(store_province >= 0, province_code[np.maximum(store_province, 0)], None),
            ),
            "province_code": np.where(
                store_province >= 0, province_code[np.maximum(store_province, 0)], None
            ),
            "district_code": np.where(
                store_district >= 0, district_code[np.maximum(store_district, 0)], None
            ),
            **_positions(store_province, [None] * len(stores), province_points),
            "timezone": timezone,
            "cold_chain_litres_2_8c": np.where(stated, litres.iloc[:, 0], np.nan),
            "cold_chain_litres_frozen": np.where(stated, litres.iloc[:, 1], np.nan),
            "cold_chain_litres_ult": np.where(stated, litres.iloc[:, 2], np.nan),
            "max_doses_per_day": pd.array([None] * len(stores), dtype="Int64"),
        }
    )
    positions = {
        s.id: (s.lat, s.lon) for s in model.scenario.sites if s.lat is not None and s.lon is not None
    }
    site_district = sites.district.to_numpy()
    kinds = sites.kind.astype(str).to_numpy()
    site_rows = pd.DataFrame(
        {
            "site_id": ids.site,
            "name": [str(n) if n else str(i) for n, i in zip(sites.name, sites.id, strict=True)],
            "site_type": np.where(kinds == "mobile", "mobile_team", "vaccination_site"),
            "supply_parent_id": ids.store[sites.store.to_numpy()],
            "admin_parent_id": district_code[site_district],
            "province_code": province_code[sites.province.to_numpy()],
            "district_code": district_code[site_district],
            **_positions(sites.province.to_numpy(), [positions.get(i) for i in sites.id], province_points),
            "timezone": timezone,
            "cold_chain_litres_2_8c": calendar.cold_litres[:, 2],
            "cold_chain_litres_frozen": calendar.cold_litres[:, 1],
            "cold_chain_litres_ult": calendar.cold_litres[:, 0],
            "max_doses_per_day": pd.array(calendar.daily, dtype="Int64"),
        }
    )
    table = pd.concat([store_rows, site_rows], ignore_index=True)
    return table[TABLES["sites"].column_names]


def _province_points(model: Model) -> np.ndarray:
    """``(lat, lon)`` of each province of the model (NaN where the scenario gives none)."""
    provinces = model.scenario.geography.provinces
    points = {p.id: (p.lat, p.lon) for p in provinces if p.lat is not None and p.lon is not None}
    rows = [points.get(str(p), (np.nan, np.nan)) for p in model.provinces.id]
    return np.array(rows, dtype=float).reshape(-1, 2)


def _positions(province: np.ndarray, own: list, province_points: np.ndarray) -> dict[str, object]:
    """``lat``, ``lon`` and ``lat_lon_source`` columns: a place's own position where known, else
    its province's point (stated as ``province``), else empty. ``province`` -1 = none."""
    known = np.array([o is not None for o in own], dtype=bool)
    in_province = (province >= 0) & ~np.isnan(province_points[np.maximum(province, 0), 0])
    fallback = province_points[np.maximum(province, 0)]
    lat = np.where(known, [o[0] if o else np.nan for o in own], np.where(in_province, fallback[:, 0], np.nan))
    lon = np.where(known, [o[1] if o else np.nan for o in own], np.where(in_province, fallback[:, 1], np.nan))
    source = np.where(known, "site", np.where(in_province, "province", None))
    return {"lat": lat.astype(float), "lon": lon.astype(float), "lat_lon_source": source.astype(object)}


def _store_district(model: Model) -> np.ndarray:
    """District of each store that serves exactly one district (-1 otherwise)."""
    result = np.full(len(model.stores), -1, dtype=np.int64)
    store = model.districts.store.to_numpy()
    users = np.bincount(store, minlength=len(model.stores))
    for d, s in enumerate(store):
        if users[s] == 1 and model.stores.level[s] == "district":
            result[s] = d
    return result


def lots_table(model: Model, ids: SiteIds, lot_id: np.ndarray) -> pd.DataFrame:
    """Every lot of the scenario's supply; ``gtin`` is the product's GTIN, or where the scenario
    states none its vaxsim product code (the ``urn:vaxsim:product`` code in product_codes)."""
    lots = model.lots
    dates = model.dates[0] + pd.to_timedelta(lots.expiry_day.to_numpy(), unit="D")
    arrival = model.dates[0] + pd.to_timedelta(lots.arrival_day.to_numpy(), unit="D")
    product = model.products.id.astype(str).to_numpy()[lots["product"].to_numpy()]
    return pd.DataFrame(
        {
            "lot_id": lot_id,
            "product_id": product,
            "gtin": [model.scenario.products[p].gtin or p for p in product],
            "lot_number": lots.id.astype(str).to_numpy(),
            "expiry_date": dates.strftime("%Y-%m-%d"),
            "doses": lots.doses.to_numpy(dtype=np.int64),
            "arrival_site_id": ids.store[lots.store.to_numpy()],
            "arrival_date": arrival.strftime("%Y-%m-%d"),
        },
        columns=TABLES["lots"].column_names,
    )

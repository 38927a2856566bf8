"""Small hand-made cold chains for the tests: stores, links, products, lots and districts.

Tables follow :class:`vaxsim.model.Model`; the rest of the model (people, sites, the scenario
object) comes from the demo scenario and is not read by the cold chain.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pandas as pd

import vaxsim
from tests.conftest import DEMO
from vaxsim.coldchain import ColdChain
from vaxsim.scenario.cold_chain import Disruptions
from vaxsim.scenario.policies import OpenVial
from vaxsim.sim.random import Streams

#: Products as the demo and vietnam scenarios state them (litres per dose = cm³ / 1000).
PFIZER = {"id": "pfizer", "doses_per_vial": 6, "storage_class": "ultra_cold", "days_at_2_8c": 31,
          "in_use_hours": 6.0, "volume_litres_per_dose": 0.0018}
ASTRAZENECA = {"id": "astrazeneca", "doses_per_vial": 10, "storage_class": "cold_2_8", "days_at_2_8c": None,
               "in_use_hours": 6.0, "volume_litres_per_dose": 0.00408}
UNLIMITED = (0.0, 0.0, 0.0)  # all-zero capacity: not stated, treated as unlimited


@lru_cache(maxsize=1)
def base_model() -> vaxsim.Model:
    return vaxsim.compile_model(vaxsim.load(DEMO))


def product_table(products: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [p["id"] for p in products],
        "doses_per_vial": [p["doses_per_vial"] for p in products],
        "series_doses": 1,
        "storage_class": [p["storage_class"] for p in products],
        "shelf_life_days": 180,
        "days_at_2_8c": [np.nan if p.get("days_at_2_8c") is None else p["days_at_2_8c"] for p in products],
        "in_use_hours": [p.get("in_use_hours", 6.0) for p in products],
        "volume_litres_per_dose": [p["volume_litres_per_dose"] for p in products],
        "min_age": 18,
        "max_age": np.nan,
    })


def model(
    stores: list[tuple[str, str, int, tuple[float, float, float]]],
    lots: list[tuple[str, int, int, int, int, int]],
    products: list[dict],
    district_stores: list[int],
    links: list[tuple[int, int, int, float, str, int]] | None = None,
    days: int = 60,
    start: str = "2021-08-02",
) -> vaxsim.Model:
    """A model with the given cold chain.

    ``stores``: (id, level, parent index or -1, (ultra_cold, frozen, cold_2_8) litres).
    ``lots``: (id, product, doses, arrival_day, expiry_day, store).
    ``links``: (from, to, lead_time_days, capacity_litres or NaN, schedule, weekday); default one
    daily link per parent → child with lead time 1 and no vehicle limit.
    ``district_stores``: the store of each district (one district per entry).
    """
    base = base_model()
    store_table = pd.DataFrame({
        "id": [s[0] for s in stores],
        "name": [s[0] for s in stores],
        "level": [s[1] for s in stores],
        "parent": np.array([s[2] for s in stores], dtype=np.int64),
        "province": np.zeros(len(stores), dtype=np.int64),
        "capacity_litres_ultra_cold": [float(s[3][0]) for s in stores],
        "capacity_litres_frozen": [float(s[3][1]) for s in stores],
        "capacity_litres_cold_2_8": [float(s[3][2]) for s in stores],
    })
    if links is None:
        links = [(s[2], i, 1, np.nan, "daily", 0) for i, s in enumerate(stores) if s[2] >= 0]
    link_table = pd.DataFrame({
        "from_store": np.array([link[0] for link in links], dtype=np.int64),
        "to_store": np.array([link[1] for link in links], dtype=np.int64),
        "lead_time_days": np.array([link[2] for link in links], dtype=np.int64),
        "capacity_litres": np.array([link[3] for link in links], dtype=float),
        "schedule": [link[4] for link in links],
        "weekday": np.array([link[5] for link in links], dtype=np.int64),
    })
    lot_table = pd.DataFrame({
        "id": [lot[0] for lot in lots],
        "product": np.array([lot[1] for lot in lots], dtype=np.int64),
        "doses": np.array([lot[2] for lot in lots], dtype=np.int64),
        "arrival_day": np.array([lot[3] for lot in lots], dtype=np.int64),
        "expiry_day": np.array([lot[4] for lot in lots], dtype=np.int64),
        "store": np.array([lot[5] for lot in lots], dtype=np.int64),
    })
    districts = pd.DataFrame({
        "id": [f"d{k}" for k in range(len(district_stores))],
        "name": [f"district {k}" for k in range(len(district_stores))],
        "province": np.zeros(len(district_stores), dtype=np.int64),
        "store": np.array(district_stores, dtype=np.int64),
    })
    return dataclasses.replace(
        base,
        dates=pd.date_range(start, periods=days, freq="D"),
        stores=store_table,
        links=link_table,
        lots=lot_table,
        products=product_table(products),
        districts=districts,
    )


def chain(
    m: vaxsim.Model,
    seed: int = 1,
    disruptions: Disruptions | None = None,
    open_vial: OpenVial | None = None,
) -> ColdChain:
    """A cold chain on ``m`` without disruptions and with plain open-vial rules unless given."""
    return ColdChain(
        m,
        Streams(seed),
        disruptions=disruptions or Disruptions(),
        open_vial=open_vial or OpenVial(),
    )


def three_tier(
    lots: list[tuple[str, int, int, int, int, int]],
    products: list[dict],
    district_capacity: tuple[float, float, float] = (0.0, 20.0, 300.0),
    days: int = 60,
) -> vaxsim.Model:
    """national (0) → provincial (1) → two district stores (2, 3), one district each."""
    return model(
        stores=[
            ("national", "national", -1, (2000.0, 2000.0, 20000.0)),
            ("province", "provincial", 0, (100.0, 100.0, 2000.0)),
            ("district-a", "district", 1, district_capacity),
            ("district-b", "district", 1, district_capacity),
        ],
        lots=lots,
        products=products,
        district_stores=[2, 3],
        days=days,
    )

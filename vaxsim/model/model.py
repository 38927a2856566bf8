"""The compiled model: a scenario as pandas tables and numpy arrays with documented units.

Engines and the optimizer read a :class:`Model`, never the YAML. Tables use positional
integer indices (row ``i`` of ``sites`` is site ``i`` everywhere), and each table keeps the
scenario's string ids in an ``id`` column for output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.model.population import population_by_group
from vaxsim.scenario import Scenario, scenario_hash
from vaxsim.scenario.cold_chain import StoreLevel
from vaxsim.scenario.ids import district_store_id, generated_site_id, provincial_store_id


@dataclass(frozen=True)
class Model:
    """A scenario compiled for computation.

    Attributes (tables are ``pandas.DataFrame`` with a ``RangeIndex``):

    - ``dates``: ``pandas.DatetimeIndex`` of the campaign days; day ``d`` is ``dates[d]``.
    - ``age_bands``: id, min_age, max_age (years; max_age NaN = no limit).
    - ``priority_groups``: id, name, opens_day (campaign day, may be < 0 or >= horizon).
    - ``provinces``: id, name, region, approval_capacity_per_day (people/day), store (index).
    - ``districts``: id, name, province (index), store (index).
    - ``population``: int64 ``[district, priority_group, age_band]``, people.
    - ``site_types``: the scenario's site types by id (objects, for the site models).
    - ``sites``: id, name, district, province (indices), type (id), kind, store (index).
    - ``products``: id, doses_per_vial, series_doses, storage_class, shelf_life_days,
      days_at_2_8c, in_use_hours, volume_litres_per_dose, min_age, max_age.
    - ``intervals``: product (index), dose_number (the dose it leads to, >= 2), min_days, max_days.
    - ``lots``: id (lot number), product (index), doses, arrival_day, expiry_day, store (index).
    - ``stores``: id, name, level, parent (index, -1 = none), province (index, -1 = none),
      capacity_litres_ultra_cold, capacity_litres_frozen, capacity_litres_cold_2_8.
    - ``links``: from_store, to_store (indices), lead_time_days, capacity_litres (NaN = no limit),
      schedule, weekday.
    """

    scenario: Scenario
    scenario_sha256: str
    dates: pd.DatetimeIndex
    age_bands: pd.DataFrame
    priority_groups: pd.DataFrame
    provinces: pd.DataFrame
    districts: pd.DataFrame
    population: np.ndarray
    site_types: dict
    sites: pd.DataFrame
    products: pd.DataFrame
    intervals: pd.DataFrame
    lots: pd.DataFrame
    stores: pd.DataFrame
    links: pd.DataFrame

    @property
    def total_population(self) -> int:
        return int(self.population.sum())

    def summary(self) -> dict[str, int]:
        """Counts of the main components, for manifests and the CLI."""
        return {
            "days": len(self.dates),
            "provinces": len(self.provinces),
            "districts": len(self.districts),
            "sites": len(self.sites),
            "stores": len(self.stores),
            "products": len(self.products),
            "lots": len(self.lots),
            "population": self.total_population,
            "doses_delivered": int(self.lots.doses.sum()),
        }


def compile_model(scenario: Scenario) -> Model:
    """Compile a validated scenario into a :class:`Model`."""
    campaign = scenario.campaign
    start = pd.Timestamp(campaign.start_date)
    # nanoseconds: the unit Parquet keeps, so saved tables read back with the same dtype
    dates = pd.date_range(start, periods=campaign.horizon_days, freq="D", unit="ns")
    people = scenario.people

    age_bands = pd.DataFrame(
        {
            "id": [b.id for b in people.age_bands],
            "min_age": [b.min_age for b in people.age_bands],
            "max_age": [np.nan if b.max_age is None else b.max_age for b in people.age_bands],
        }
    )
    priority_groups = pd.DataFrame(
        {
            "id": [g.id for g in people.priority_groups],
            "name": [g.name for g in people.priority_groups],
            "opens_day": [campaign.day_index(g.opens) for g in people.priority_groups],
        }
    )

    stores = _stores(scenario)
    store_index = {store_id: i for i, store_id in enumerate(stores.id)}
    provinces, districts = _admin(scenario, store_index)
    district_index = {district_id: i for i, district_id in enumerate(districts.id)}
    sites = _sites(scenario, districts, district_index)

    product_ids = list(scenario.products)
    products = pd.DataFrame(
        {
            "id": product_ids,
            "doses_per_vial": [p.doses_per_vial for p in scenario.products.values()],
            "series_doses": [p.series.doses for p in scenario.products.values()],
            "storage_class": [p.storage_class.value for p in scenario.products.values()],
            "shelf_life_days": [p.shelf_life_days for p in scenario.products.values()],
            "days_at_2_8c": [
                np.nan if p.days_at_2_8c is None else p.days_at_2_8c for p in scenario.products.values()
            ],
            "in_use_hours": [p.in_use_hours for p in scenario.products.values()],
            "volume_litres_per_dose": [
                p.packed_volume_cm3_per_dose / 1000 for p in scenario.products.values()
            ],
            "min_age": [p.min_age for p in scenario.products.values()],
            "max_age": [np.nan if p.max_age is None else p.max_age for p in scenario.products.values()],
        }
    )
    intervals = pd.DataFrame(
        [
            (k, n + 2, interval.min_days, interval.max_days)
            for k, product in enumerate(scenario.products.values())
            for n, interval in enumerate(product.series.intervals)
        ],
        columns=["product", "dose_number", "min_days", "max_days"],
    )
    product_index = {product_id: k for k, product_id in enumerate(product_ids)}
    deliveries = scenario.supply.deliveries
    lots = pd.DataFrame(
        {
            "id": [d.lot for d in deliveries],
            "product": np.array([product_index[d.product] for d in deliveries], dtype=np.int64),
            "doses": np.array([d.doses for d in deliveries], dtype=np.int64),
            "arrival_day": np.array([campaign.day_index(d.date) for d in deliveries], dtype=np.int64),
            "expiry_day": np.array([campaign.day_index(d.expiry) for d in deliveries], dtype=np.int64),
            "store": np.array([store_index[d.store] for d in deliveries], dtype=np.int64),
        }
    )
    links = _links(scenario, stores, store_index)
    return Model(
        scenario=scenario,
        scenario_sha256=scenario_hash(scenario),
        dates=dates,
        age_bands=age_bands,
        priority_groups=priority_groups,
        provinces=provinces,
        districts=districts,
        population=population_by_group(scenario),
        site_types=dict(scenario.site_types),
        sites=sites,
        products=products,
        intervals=intervals,
        lots=lots,
        stores=stores,
        links=links,
    )


def _stores(scenario: Scenario) -> pd.DataFrame:
    chain = scenario.cold_chain
    national = next(s.id for s in chain.stores if s.level is StoreLevel.NATIONAL)
    rows = [(s.id, s.name, s.level.value, s.parent, s.province, s.capacity_litres) for s in chain.stores]
    for province in scenario.geography.provinces:
        parent = province.parent_store or national
        if chain.provincial_store is not None:
            store = provincial_store_id(province.id)
            rows.append(
                (
                    store,
                    f"{province.name} provincial store",
                    StoreLevel.PROVINCIAL.value,
                    parent,
                    province.id,
                    chain.provincial_store.capacity_litres,
                )
            )
            parent = store
        if chain.district_store is not None:
            for district in province.districts:
                rows.append(
                    (
                        district_store_id(district.id),
                        f"{district.name} district store",
                        StoreLevel.DISTRICT.value,
                        parent,
                        province.id,
                        chain.district_store.capacity_litres,
                    )
                )
    ids = [row[0] for row in rows]
    index = {store_id: i for i, store_id in enumerate(ids)}
    provinces = {p.id: i for i, p in enumerate(scenario.geography.provinces)}
    return pd.DataFrame(
        {
            "id": ids,
            "name": [row[1] for row in rows],
            "level": [row[2] for row in rows],
            "parent": np.array([index.get(row[3], -1) for row in rows], dtype=np.int64),
            "province": np.array([provinces.get(row[4], -1) for row in rows], dtype=np.int64),
            "capacity_litres_ultra_cold": [row[5].ultra_cold for row in rows],
            "capacity_litres_frozen": [row[5].frozen for row in rows],
            "capacity_litres_cold_2_8": [row[5].cold_2_8 for row in rows],
        }
    )


def _admin(scenario: Scenario, store_index: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    chain = scenario.cold_chain
    national = next(s.id for s in chain.stores if s.level is StoreLevel.NATIONAL)
    default_capacity = scenario.people.approval.capacity_per_day
    province_rows = []
    district_rows = []
    for i, province in enumerate(scenario.geography.provinces):
        province_store = (
            provincial_store_id(province.id)
            if chain.provincial_store is not None
            else province.parent_store or national
        )
        capacity = province.approval_capacity_per_day
        province_rows.append(
            (
                province.id,
                province.name,
                province.region or "",
                default_capacity if capacity is None else capacity,
                store_index[province_store],
            )
        )
        for district in province.districts:
            store = district_store_id(district.id) if chain.district_store is not None else province_store
            district_rows.append((district.id, district.name, i, store_index[store]))
    provinces = pd.DataFrame(
        province_rows, columns=["id", "name", "region", "approval_capacity_per_day", "store"]
    )
    districts = pd.DataFrame(district_rows, columns=["id", "name", "province", "store"])
    return provinces, districts


def _sites(scenario: Scenario, districts: pd.DataFrame, district_index: dict[str, int]) -> pd.DataFrame:
    rows = [(s.id, s.name or s.id, district_index[s.district], s.type) for s in scenario.sites]
    k = 0
    for province in scenario.geography.provinces:
        for district in province.districts:
            for site_type, count in district.generated_sites.items():
                rows.extend(
                    (generated_site_id(district.id, site_type, n), "", k, site_type)
                    for n in range(1, count + 1)
                )
            k += 1
    district_of = np.array([row[2] for row in rows], dtype=np.int64)
    return pd.DataFrame(
        {
            "id": [row[0] for row in rows],
            "name": [row[1] for row in rows],
            "district": district_of,
            "province": districts.province.to_numpy()[district_of] if len(rows) else [],
            "type": [row[3] for row in rows],
            "kind": [scenario.site_types[row[3]].kind.value for row in rows],
            "store": districts.store.to_numpy()[district_of] if len(rows) else [],
        }
    )


def _links(scenario: Scenario, stores: pd.DataFrame, store_index: dict[str, int]) -> pd.DataFrame:
    """Explicit links, plus a default link from each store's parent to it."""
    chain = scenario.cold_chain
    rows = {
        (store_index[link.from_store], store_index[link.to_store]): (
            link.lead_time_days,
            link.capacity_litres,
            link.schedule,
            link.weekday,
        )
        for link in chain.links
    }
    defaults = chain.link_defaults
    for child, parent in enumerate(stores.parent):
        if parent >= 0 and (parent, child) not in rows:
            rows[(parent, child)] = (defaults.lead_time_days, defaults.capacity_litres, defaults.schedule, 0)
    keys = sorted(rows)
    return pd.DataFrame(
        {
            "from_store": np.array([a for a, _ in keys], dtype=np.int64),
            "to_store": np.array([b for _, b in keys], dtype=np.int64),
            "lead_time_days": [rows[key][0] for key in keys],
            "capacity_litres": [np.nan if rows[key][1] is None else rows[key][1] for key in keys],
            "schedule": [rows[key][2] for key in keys],
            "weekday": [rows[key][3] for key in keys],
        }
    )

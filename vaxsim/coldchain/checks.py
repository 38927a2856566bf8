"""Input checks for the cold chain.

Two kinds:

- :func:`model_problems` — what makes a compiled model impossible to simulate (negative
  capacities, unknown stores, lots expiring before they arrive, frozen products without a thaw
  clock, ...). The scenario checks catch all of these for scenario files; this guards models
  built or edited in code. :class:`~vaxsim.coldchain.ColdChain` raises
  :class:`~vaxsim.coldchain.errors.ColdChainInputError` listing them all.
- :func:`findings` — problems the scenario checks do not catch yet, as ``(path, message)``
  pairs in the format of :mod:`vaxsim.scenario.checks`. They need the compiled store network
  (routes), so they run when the model is compiled: :func:`checked_model` compiles a loaded
  scenario once and raises :class:`~vaxsim.errors.ScenarioError` naming file and line.
- :func:`capacity_warnings` — what will simulate but overflow (a lot larger than the room of
  its arrival store): warnings, not errors.
"""

from __future__ import annotations

import numpy as np

from vaxsim.coldchain.network import Network
from vaxsim.coldchain.temperature import CLASSES, COLD
from vaxsim.errors import Path, ScenarioError
from vaxsim.model import Model, compile_model
from vaxsim.scenario import Scenario
from vaxsim.scenario.load import located_problems, source_of

Finding = tuple[Path, str]


def model_problems(model: Model) -> list[str]:
    """Every reason the cold chain cannot simulate ``model`` (empty list = fine)."""
    problems: list[str] = []
    stores, links, lots, products = model.stores, model.links, model.lots, model.products
    n = len(stores)
    ids = stores.id.astype(str).to_numpy()
    for name in CLASSES:
        capacity = stores[f"capacity_litres_{name}"].to_numpy(dtype=float)
        for i in np.flatnonzero(~(capacity >= 0)):
            problems.append(f"store {ids[i]!r}: {name} capacity must be >= 0 litres (got {capacity[i]:g})")
    for end in ("from_store", "to_store"):
        index = links[end].to_numpy(dtype=np.int64)
        for i in np.flatnonzero((index < 0) | (index >= n)):
            problems.append(f"link {i}: {end} {index[i]} is not a known store")
    for i in np.flatnonzero(links.lead_time_days.to_numpy() < 0):
        problems.append(f"link {i}: lead_time_days must be >= 0")
    for i in np.flatnonzero(links.capacity_litres.to_numpy(dtype=float) < 0):
        problems.append(f"link {i}: capacity_litres must be >= 0 (NaN = no limit)")
    bad_schedule = ~links.schedule.isin(["daily", "weekly", "on_demand"]).to_numpy()
    for i in np.flatnonzero(bad_schedule):
        problems.append(f"link {i}: unknown schedule {links.schedule.iloc[i]!r}")

    known_classes = products.storage_class.isin(CLASSES).to_numpy()
    for k in np.flatnonzero(~known_classes):
        problems.append(
            f"product {products.id.iloc[k]!r}: storage class {products.storage_class.iloc[k]!r} "
            f"is not one of {list(CLASSES)}"
        )
    thaw = products.days_at_2_8c.to_numpy(dtype=float)
    frozen = known_classes & (products.storage_class.to_numpy() != CLASSES[COLD])
    for k in np.flatnonzero(frozen & ~(thaw >= 1)):
        problems.append(f"product {products.id.iloc[k]!r}: stored {products.storage_class.iloc[k]} "
                        "but has no days_at_2_8c (thaw clock)")
    for column, rule in (("doses_per_vial", 1), ("volume_litres_per_dose", 0), ("in_use_hours", 0)):
        values = products[column].to_numpy(dtype=float)
        low = ~(values >= rule) if rule else ~(values > 0)
        for k in np.flatnonzero(low):
            problems.append(f"product {products.id.iloc[k]!r}: {column} must be "
                            f"{'>= 1' if rule else '> 0'} (got {values[k]:g})")

    lot_ids = lots.id.astype(str).to_numpy()
    store = lots.store.to_numpy(dtype=np.int64)
    product = lots["product"].to_numpy(dtype=np.int64)
    for i in np.flatnonzero((store < 0) | (store >= n)):
        problems.append(f"lot {lot_ids[i]!r}: arrival store {store[i]} is not a known store")
    for i in np.flatnonzero((product < 0) | (product >= len(products))):
        problems.append(f"lot {lot_ids[i]!r}: product {product[i]} is not a known product")
    for i in np.flatnonzero(lots.expiry_day.to_numpy() < lots.arrival_day.to_numpy()):
        problems.append(f"lot {lot_ids[i]!r} expires (day {lots.expiry_day.iloc[i]}) before it arrives "
                        f"(day {lots.arrival_day.iloc[i]})")
    for i in np.flatnonzero(lots.doses.to_numpy() <= 0):
        problems.append(f"lot {lot_ids[i]!r}: doses must be >= 1")
    district_store = model.districts.store.to_numpy(dtype=np.int64)
    for k in np.flatnonzero((district_store < 0) | (district_store >= n)):
        district = model.districts.id.iloc[k]
        problems.append(f"district {district!r}: store {district_store[k]} is not a known store")
    return problems


def _store_path(model: Model, node: int) -> Path:
    listed = [s.id for s in model.scenario.cold_chain.stores]
    store_id = model.stores.id.iloc[node]
    if store_id in listed:
        return ("cold_chain", "stores", listed.index(store_id))
    level = model.stores.level.iloc[node]
    return ("cold_chain", "district_store" if level == "district" else "provincial_store")


def _district_path(model: Model, district: int) -> Path:
    province = model.districts.province.to_numpy()
    i = int(province[district])
    j = int(np.sum(province[:district] == i))
    return ("geography", "provinces", i, "districts", j)


def _link_path(model: Model, link: int) -> Path:
    ids = model.stores.id.to_numpy()
    pair = (ids[model.links.from_store.iloc[link]], ids[model.links.to_store.iloc[link]])
    for i, listed in enumerate(model.scenario.cold_chain.links):
        if (listed.from_store, listed.to_store) == pair:
            return ("cold_chain", "links", i)
    return ("cold_chain", "link_defaults")


def checked_model(scenario: Scenario) -> Model:
    """Compile ``scenario`` and check what needs its compiled store network (:func:`findings`).

    Raises :class:`~vaxsim.errors.ScenarioError` with the file and line of each problem.
    """
    model = compile_model(scenario)
    found = findings(model)
    if found:
        raise ScenarioError(located_problems(source_of(scenario), found))
    return model


def findings(model: Model) -> list[Finding]:
    """Problems of a scenario's cold chain that the scenario checks do not catch (see module)."""
    found: list[Finding] = []
    chain = model.scenario.cold_chain
    disruptions = chain.disruptions
    if disruptions.shipment_delay_probability > 0 and disruptions.shipment_delay_days is None:
        found.append((
            ("cold_chain", "disruptions", "shipment_delay_days"),
            f"shipment_delay_probability is {disruptions.shipment_delay_probability:g} but no "
            "shipment_delay_days distribution says how long a delay lasts",
        ))
    if model_problems(model):
        return found
    net = Network.from_model(model)
    ids = net.ids
    lot_stores = np.unique(model.lots.store.to_numpy(dtype=np.int64))
    if len(lot_stores):
        reached = (net.route_days[lot_stores][:, net.district_node] >= 0).any(axis=0)
        for k in np.flatnonzero(~reached):
            found.append((
                _district_path(model, int(k)),
                f"the store of district {model.districts.id.iloc[k]!r} ({ids[net.district_node[k]]!r}) "
                "cannot be reached by any link path from a store where vaccine arrives",
            ))
        serves = (net.route_days[:, np.unique(net.district_node)] >= 0).any(axis=1)
        for i, node in enumerate(model.lots.store.to_numpy(dtype=np.int64)):
            if not serves[node]:
                found.append((
                    ("supply", "deliveries", i, "store"),
                    f"no district store can be reached from {ids[node]!r}, so lot "
                    f"{model.lots.id.iloc[i]!r} can never be used",
                ))
    smallest = float(model.products.volume_litres_per_dose.min()) if len(model.products) else 0.0
    for link in np.flatnonzero(net.link_litres < smallest):
        found.append((
            _link_path(model, int(link)) + ("capacity_litres",),
            f"the link {ids[net.link_from[link]]!r} → {ids[net.link_to[link]]!r} carries "
            f"{net.link_litres[link]:g} L per trip, less than one dose of any product ({smallest:g} L)",
        ))
    product_class = np.array([CLASSES.index(c) for c in model.products.storage_class])
    seen: set[Path] = set()
    for node in np.unique(net.district_node):
        cannot = [
            str(model.products.id.iloc[p])
            for p, cls in enumerate(product_class)
            if net.capacity[node, cls] <= 0 and net.capacity[node, COLD] <= 0
        ]
        path = _store_path(model, int(node)) + ("capacity_litres",)
        if cannot and path not in seen:
            seen.add(path)
            found.append((
                path,
                f"district store {ids[node]!r} has no capacity to hold {', '.join(cannot)} "
                "(neither in the product's class nor at 2-8 °C)",
            ))
    return found


def capacity_warnings(model: Model) -> list[str]:
    """Lots larger than the capacity of their arrival store in the class they will occupy."""
    net = Network.from_model(model)
    lots, products = model.lots, model.products
    messages = []
    for row in lots.itertuples():
        cls = CLASSES.index(products.storage_class.iloc[row.product])
        if net.capacity[row.store, cls] <= 0:
            cls = COLD
        litres = row.doses * float(products.volume_litres_per_dose.iloc[row.product])
        if litres > net.capacity[row.store, cls]:
            messages.append(
                f"lot {row.id!r} ({litres:,.0f} L of {CLASSES[cls]}) is larger than the "
                f"{net.capacity[row.store, cls]:,.0f} L of {net.ids[row.store]!r}: it will overflow"
            )
    return messages

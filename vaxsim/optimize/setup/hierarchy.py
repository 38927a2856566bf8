"""The stock-holding nodes of a plan, arranged the way the decomposition uses them.

Every store of the model is a node. Each province gets a *province node* (its provincial store,
or a virtual node under a store it shares with other provinces) and each district a *district
node* (its district store, or a virtual node under its province's node when it has none); a
district node also holds its sites' fridges, which the sites fill each session day from it.

The national sub-problem is the tree above the province nodes, with province nodes as its
leaves (*units*); each province's sub-problem is its province node with its district nodes as
units. Each node's *offset* is the transport lead time from its root, in days: planning periods
of a node start that many days after the root's, so shipments arrive exactly when the receiving
node's period starts (see :mod:`vaxsim.optimize.lp.problem`).

A store whose capacity is zero in every temperature class has no capacity stated in the
scenario and is treated as unlimited; a zero in one class with room in another means no room in
that class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.coldchain.room import store_capacity
from vaxsim.model import Model
from vaxsim.optimize.setup.sites import SiteCalendar


class HierarchyError(ValueError):
    """The store tree has a shape the decomposition does not support."""


@dataclass(frozen=True)
class Hierarchy:
    """Nodes in an order where parents come first; arrays are per node unless noted.

    ``ids``, ``names``; ``kind`` (object): national, regional, provincial, district,
    province-virtual, district-virtual; ``store`` model store index (-1 = virtual); ``parent``;
    ``lead`` days from the parent; ``offset`` days from the root; ``storage`` float [n, τ]
    litres (inf = no limit); ``link_litres`` per trip into the node (inf = no limit);
    ``link_weekly`` and ``link_weekday`` (Monday = 0) for links that run once a week;
    ``province_node [province]``, ``district_node [district]``; ``province_of [n]`` and
    ``district_of [n]`` (-1 where none); ``nation`` the nodes of the national sub-problem
    (province nodes last); ``members[p]`` the nodes of province ``p``'s sub-problem (its
    province node first); ``notes`` what was simplified.
    """

    ids: list[str]
    names: list[str]
    kind: np.ndarray
    store: np.ndarray
    parent: np.ndarray
    lead: np.ndarray
    offset: np.ndarray
    storage: np.ndarray
    link_litres: np.ndarray
    link_weekly: np.ndarray
    link_weekday: np.ndarray
    province_node: np.ndarray
    district_node: np.ndarray
    province_of: np.ndarray
    district_of: np.ndarray
    nation: np.ndarray
    members: list[np.ndarray]
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.ids)

    def node_of_store(self) -> dict[int, int]:
        return {int(s): n for n, s in enumerate(self.store) if s >= 0}


def build_hierarchy(model: Model, sites: SiteCalendar) -> Hierarchy:
    """Arrange the model's stores into the nodes of the decomposition (module docstring)."""
    stores, links = model.stores, model.links
    store_parent = stores.parent.to_numpy()
    link = {
        (int(a), int(b)): row
        for a, b, row in zip(links.from_store, links.to_store, links.itertuples(index=False), strict=True)
    }
    province_store = model.provinces.store.to_numpy()
    district_store = model.districts.store.to_numpy()
    district_province = model.districts.province.to_numpy()
    users_p = np.bincount(province_store, minlength=len(stores))
    users_d = np.bincount(district_store, minlength=len(stores))

    # Nodes as rows: (id, name, kind, store, parent node key, lead, link row or None, province, district)
    rows: dict[str, dict] = {}

    def add(key, **values):
        rows[key] = values

    for s in range(len(stores)):
        add(
            f"store:{s}",
            id=str(stores.id[s]),
            name=str(stores.name[s] or stores.id[s]),
            kind=str(stores.level[s]),
            store=s,
            parent=f"store:{store_parent[s]}" if store_parent[s] >= 0 else None,
            link=link.get((int(store_parent[s]), s)),
            province=-1,
            district=-1,
        )
    province_key = []
    for p, s in enumerate(province_store):
        if stores.level[s] == "provincial" and users_p[s] == 1 and users_d[s] == 0:
            key = f"store:{s}"
            rows[key]["province"] = p
        else:
            key = f"province:{p}"
            add(
                key,
                id=f"province-{model.provinces.id[p]}",
                name=f"{model.provinces.name[p]} (at {stores.id[s]})",
                kind="province-virtual",
                store=-1,
                parent=f"store:{s}",
                link=None,
                province=p,
                district=-1,
            )
        province_key.append(key)
    district_key = []
    notes = []
    for d, s in enumerate(district_store):
        p = int(district_province[d])
        home = province_key[p]
        if stores.level[s] == "district" and users_d[s] == 1 and users_p[s] == 0:
            key = f"store:{s}"
            lead, trip = _path(model, link, s, int(province_store[p]))
            rows[key].update(parent=home, district=d, province=p, link=trip, lead=lead)
        else:
            key = f"district:{d}"
            add(
                key,
                id=f"district-{model.districts.id[d]}",
                name=f"{model.districts.name[d]} (sites)",
                kind="district-virtual",
                store=-1,
                parent=home,
                link=None,
                province=p,
                district=d,
            )
        district_key.append(key)

    # Keep the stores that lead to some province, then the province and district nodes.
    used = set(province_key) | set(district_key)
    for key in list(used):
        parent = rows[key]["parent"]
        while parent is not None and parent not in used:
            used.add(parent)
            parent = rows[parent]["parent"]
    for key, row in rows.items():
        if key not in used and row["store"] >= 0:
            notes.append(f"store {row['id']} supplies no province; left out of the plan")
    lots_at = set(model.lots.store.tolist())
    for s in lots_at:
        if f"store:{s}" not in used:
            raise HierarchyError(f"lots are delivered to store {stores.id[s]!r}, which supplies no province")
    ordered = _parents_first([k for k in rows if k in used], rows)
    index = {key: i for i, key in enumerate(ordered)}
    n = len(ordered)
    parent = np.array([index[rows[k]["parent"]] if rows[k]["parent"] is not None else -1 for k in ordered])
    lead = np.zeros(n, dtype=np.int64)
    link_litres = np.full(n, np.inf)
    weekly = np.zeros(n, dtype=bool)
    weekday = np.zeros(n, dtype=np.int64)
    for i, key in enumerate(ordered):
        row = rows[key]
        trip = row.get("link")
        if "lead" in row:
            lead[i] = row["lead"]
        elif trip is not None:
            lead[i] = int(trip.lead_time_days)
        if trip is not None:
            if not np.isnan(trip.capacity_litres):
                link_litres[i] = float(trip.capacity_litres)
            weekly[i] = trip.schedule == "weekly"
            weekday[i] = int(trip.weekday)
    offset = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if parent[i] >= 0:
            offset[i] = offset[parent[i]] + lead[i]
    storage = _storage(model, sites, ordered, rows)
    province_of = np.array([rows[k]["province"] for k in ordered], dtype=np.int64)
    district_of = np.array([rows[k]["district"] for k in ordered], dtype=np.int64)
    province_node = np.array([index[k] for k in province_key], dtype=np.int64)
    district_node = np.array([index[k] for k in district_key], dtype=np.int64)
    below = np.zeros(n, dtype=bool)
    below[district_node] = True
    below[province_node] = True
    nation = np.concatenate([np.flatnonzero(~below), province_node])
    members = [
        np.concatenate([[province_node[p]], district_node[district_province == p]])
        for p in range(len(province_node))
    ]
    for d in range(len(district_node)):
        if parent[district_node[d]] != province_node[district_province[d]]:
            raise HierarchyError(f"district {model.districts.id[d]} is not supplied from its province")
    return Hierarchy(
        ids=[rows[k]["id"] for k in ordered],
        names=[rows[k]["name"] for k in ordered],
        kind=np.array([rows[k]["kind"] for k in ordered], dtype=object),
        store=np.array([rows[k]["store"] for k in ordered], dtype=np.int64),
        parent=parent.astype(np.int64),
        lead=lead,
        offset=offset,
        storage=storage,
        link_litres=link_litres,
        link_weekly=weekly,
        link_weekday=weekday,
        province_node=province_node,
        district_node=district_node,
        province_of=province_of,
        district_of=district_of,
        nation=nation.astype(np.int64),
        members=members,
        notes=notes,
    )


def _path(model: Model, link: dict, store: int, top: int):
    """Lead days and the last link on the store tree from ``top`` down to ``store``."""
    parents = model.stores.parent.to_numpy()
    lead, node, final_hop = 0, store, None
    while node != top:
        up = int(parents[node])
        if up < 0:
            raise HierarchyError(
                f"store {model.stores.id[store]} is not below its province's store {model.stores.id[top]}"
            )
        row = link.get((up, node))
        lead += int(row.lead_time_days) if row is not None else 0
        final_hop = row if final_hop is None else final_hop
        node = up
    return lead, final_hop


def _parents_first(keys: list[str], rows: dict[str, dict]) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()
    remaining = list(keys)
    while remaining:
        progress = []
        for key in remaining:
            parent = rows[key]["parent"]
            if parent is None or parent in placed:
                order.append(key)
                placed.add(key)
                progress.append(key)
        if not progress:
            raise HierarchyError("the store tree has a cycle")
        remaining = [k for k in remaining if k not in placed]
    return order


def _storage(model: Model, sites: SiteCalendar, ordered: list[str], rows: dict[str, dict]) -> np.ndarray:
    """Litres per node and temperature class: the store's (unlimited if none is stated), plus
    the fridges of a district's sites on its district node."""
    capacity = store_capacity(model.stores)  # inf = none stated
    fridges = sites.district_cold_litres(len(model.districts))
    storage = np.full((len(ordered), 3), np.inf)
    for i, key in enumerate(ordered):
        row = rows[key]
        s, d = row["store"], row["district"]
        if s >= 0:
            storage[i] = capacity[s]
        if d >= 0:
            if s < 0:
                storage[i] = fridges[d] if fridges[d].sum() > 0 else np.inf
            elif np.isfinite(storage[i]).all():
                storage[i] = storage[i] + fridges[d]
    return storage

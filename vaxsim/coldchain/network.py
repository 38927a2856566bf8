"""The store network: stores with capacities per temperature class, links, routes, schedules.

Stores are the model's ``stores`` rows (node ``i`` is store ``i``). Capacities are litres per
temperature class; a store whose capacities are all zero has no stated capacity and is treated
as unlimited in every class (the scenario's default templates state none). Links carry stock
from one store to another with a lead time in days, a vehicle capacity in litres per trip
(NaN in the model = no limit) and a schedule: ``daily`` (one trip a day), ``weekly`` (one trip
on ``weekday``, Monday = 0) or ``on_demand`` (as many trips as the load needs, any day).

Routes are shortest paths by lead time (ties: fewest hops) over the links; ``next_hop[a, b]``
is the store after ``a`` on the way to ``b`` (``a`` itself when ``a == b``, -1 when ``b``
cannot be reached from ``a``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from vaxsim.coldchain.room import store_capacity
from vaxsim.model import Model

#: Weight of one day of lead time against one hop when choosing routes (hops break ties).
_DAY = 1024


@dataclass(frozen=True)
class Network:
    """Stores, links and routes as arrays (see the module docstring for the conventions).

    Per store: ``ids``, ``level``, ``province`` (-1 = none), ``capacity`` ``[node, class]``
    litres (``inf`` = unlimited). Per link: ``link_from``, ``link_to``, ``lead_days``,
    ``link_litres`` (``inf`` = no limit), ``on_demand``; ``departs[day, link]`` says whether a
    trip leaves that day. ``link_of[a, b]`` is the link from ``a`` to ``b`` (-1 = none).
    ``route_days[a, b]`` is the route's total lead time (``-1`` = unreachable).
    ``district_node[k]`` is district ``k``'s store.
    """

    ids: np.ndarray
    level: np.ndarray
    province: np.ndarray
    capacity: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    lead_days: np.ndarray
    link_litres: np.ndarray
    on_demand: np.ndarray
    departs: np.ndarray
    link_of: np.ndarray
    next_hop: np.ndarray
    route_days: np.ndarray
    district_node: np.ndarray

    @classmethod
    def from_model(cls, model: Model) -> Network:
        stores, links = model.stores, model.links
        n = len(stores)
        capacity = store_capacity(stores)
        link_from = links.from_store.to_numpy(dtype=np.int64)
        link_to = links.to_store.to_numpy(dtype=np.int64)
        lead = links.lead_time_days.to_numpy(dtype=np.int64)
        litres = links.capacity_litres.to_numpy(dtype=float)
        schedule = links.schedule.to_numpy(dtype=object)
        weekday = links.weekday.to_numpy(dtype=np.int64)
        day_of_week = np.asarray(model.dates.day_of_week, dtype=np.int64)
        departs = (schedule != "weekly")[None, :] | (day_of_week[:, None] == weekday[None, :])
        link_of = np.full((n, n), -1, dtype=np.int64)
        link_of[link_from, link_to] = np.arange(len(link_from))
        next_hop, route_days = _routes(n, link_from, link_to, lead)
        return cls(
            ids=stores.id.to_numpy(dtype=object),
            level=stores.level.to_numpy(dtype=object),
            province=stores.province.to_numpy(dtype=np.int64),
            capacity=capacity,
            link_from=link_from,
            link_to=link_to,
            lead_days=lead,
            link_litres=np.where(np.isnan(litres), np.inf, litres),
            on_demand=schedule == "on_demand",
            departs=departs,
            link_of=link_of,
            next_hop=next_hop,
            route_days=route_days,
            district_node=model.districts.store.to_numpy(dtype=np.int64),
        )

    @property
    def nodes(self) -> int:
        return len(self.ids)

    @property
    def links(self) -> int:
        return len(self.link_from)

    def reachable(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Whether ``target`` can be reached from ``source`` (elementwise)."""
        return self.route_days[source, target] >= 0


def _routes(
    n: int, link_from: np.ndarray, link_to: np.ndarray, lead: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``next_hop[a, b]`` and total lead days ``[a, b]`` of shortest routes (-1 = unreachable)."""
    if n == 0:
        empty = np.zeros((0, 0), dtype=np.int64)
        return empty, empty
    weight = lead.astype(float) * _DAY + 1.0
    graph = csr_matrix((weight, (link_from, link_to)), shape=(n, n))
    distance, predecessor = dijkstra(graph, directed=True, return_predecessors=True)
    reachable = np.isfinite(distance)
    source = np.broadcast_to(np.arange(n)[:, None], (n, n))
    hop = np.broadcast_to(np.arange(n)[None, :], (n, n)).copy()
    while True:  # walk back from the target until the predecessor is the source
        before = predecessor[source, np.maximum(hop, 0)]
        step = reachable & (before >= 0) & (before != source)
        if not step.any():
            break
        hop = np.where(step, before, hop)
    next_hop = np.where(reachable, hop, -1)
    days = np.where(reachable, np.floor_divide(np.where(reachable, distance, 0), _DAY), -1)
    return next_hop.astype(np.int64), days.astype(np.int64)

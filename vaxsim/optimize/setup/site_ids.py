"""Plan ids of a model's stores and vaccination sites, and the store holding each node's stock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.model import Model
from vaxsim.optimize.setup.hierarchy import Hierarchy
from vaxsim.plan.ids import place_ids


@dataclass(frozen=True)
class SiteIds:
    """Plan ids of stores (``store [model store]``) and vaccination sites (``site [model site]``),
    and ``node_store [hierarchy node]``, the model store holding each node's stock."""

    store: np.ndarray
    site: np.ndarray
    node_store: np.ndarray

    @classmethod
    def from_model(cls, model: Model, hierarchy: Hierarchy) -> SiteIds:
        store_ids, site_ids = place_ids(list(model.stores.id), list(model.sites.id))
        node_store = hierarchy.store.copy()
        province_store = model.provinces.store.to_numpy()
        district_store = model.districts.store.to_numpy()
        virtual_d = (node_store < 0) & (hierarchy.district_of >= 0)
        node_store[virtual_d] = district_store[hierarchy.district_of[virtual_d]]
        virtual_p = (node_store < 0) & (hierarchy.province_of >= 0)
        node_store[virtual_p] = province_store[hierarchy.province_of[virtual_p]]
        return cls(
            store=np.array(store_ids, dtype=object),
            site=np.array(site_ids, dtype=object),
            node_store=node_store,
        )

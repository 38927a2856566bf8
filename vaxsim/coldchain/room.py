"""Room in a store: litres free per temperature class.

The one store-room rule of the simulated cold chain and of the optimizer's realised plan: a
store's room in a class is its capacity less the litres on hand in that class, less the litres
on their way to it (arriving), plus the litres it is about to send on (leaving). Capacity is
``inf`` where the scenario sets no limit; the room may be negative (a store over capacity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.coldchain.temperature import CLASSES


def store_capacity(stores: pd.DataFrame) -> np.ndarray:
    """Litres ``[store, class]`` each store holds, from the model's ``capacity_litres_<class>``
    columns; a store that states no capacity in any class has no limit (``inf``)."""
    capacity = np.stack(
        [stores[f"capacity_litres_{name}"].to_numpy(dtype=float) for name in CLASSES], axis=1
    ).reshape(len(stores), len(CLASSES))
    capacity[(capacity == 0).all(axis=1)] = np.inf
    return capacity


def litres_by_class(stores: int, store: np.ndarray, klass: np.ndarray, litres: np.ndarray) -> np.ndarray:
    """Litres ``[store, class]`` of rows of stock (``store``, class index ``klass``, ``litres``)
    for ``stores`` stores."""
    cells = np.asarray(store, dtype=np.int64) * len(CLASSES) + np.asarray(klass, dtype=np.int64)
    total = np.bincount(cells, weights=litres, minlength=stores * len(CLASSES))
    return total.reshape(stores, len(CLASSES))


def free_litres(
    capacity: np.ndarray, on_hand: np.ndarray, arriving: np.ndarray, leaving: np.ndarray | float = 0.0
) -> np.ndarray:
    """Litres free per ``[store, class]``: ``capacity − on_hand − arriving + leaving`` (all litres
    per store and class; ``inf`` capacity stays ``inf``)."""
    return capacity - on_hand - arriving + leaving

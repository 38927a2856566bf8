"""Temperature classes of the cold chain, as integer indices into capacity arrays.

Capacities are kept as float arrays ``[node, class]`` in litres with the classes in the order
of :data:`CLASSES`. A product stored ultra-cold or frozen that is moved to a store without
capacity in its class is kept at +2..+8 °C from then on (its thaw clock runs), so stock is
always in its product's class or in :data:`COLD`.
"""

from __future__ import annotations

import numpy as np

#: Class names, as in the scenario (``Capacity`` fields, ``Product.storage_class``).
CLASSES: tuple[str, ...] = ("ultra_cold", "frozen", "cold_2_8")
ULTRA_COLD, FROZEN, COLD = 0, 1, 2
#: Class names as people read them (reports, findings).
CLASS_NAMES: tuple[str, ...] = ("ultra-cold", "frozen", "2–8 °C")


def class_index(names: object) -> np.ndarray:
    """Indices of class names (``"cold_2_8"`` → 2); raises ``ValueError`` on an unknown name."""
    values = np.asarray(names, dtype=object).ravel()
    lookup = {name: i for i, name in enumerate(CLASSES)}
    unknown = sorted({str(v) for v in values if v not in lookup})
    if unknown:
        raise ValueError(f"unknown storage class(es) {unknown}; expected one of {list(CLASSES)}")
    return np.array([lookup[v] for v in values], dtype=np.int64)

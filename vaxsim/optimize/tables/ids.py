"""Keyed ids for the plan's many rows; the id rule itself is shared (:mod:`vaxsim.plan.ids`).

The checker and the plan-driven simulation read plans with the same rule, so it lives with the
plan format and is imported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.optimize.tables.text_columns import hex_ids
from vaxsim.plan.ids import ID_RULE, digest, plan_id, unique_ids  # noqa: F401  (the shared id rule)


def keyed_ids(prefix: str, *columns: np.ndarray):
    """Ids ``<prefix>-<16 hex digits>`` of distinct rows of ``columns`` (natural key parts), as
    a text column (:func:`~vaxsim.optimize.tables.text_columns.hex_ids`: Arrow strings with pandas 3).

    The digits combine pandas' 64-bit SipHash (fixed key, vectorised in C) of each part, so a
    million rows take about a second where SHA-256 per row in Python took several. Two rows
    with the same id are an error, never a silent merge.
    """
    if not columns or len(columns[0]) == 0:
        return np.zeros(0, dtype=object)
    hashes = np.zeros(len(columns[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            values = np.asarray(column)
            part = pd.util.hash_array(values if values.dtype.kind in "iuO" else values.astype(object))
            hashes = (hashes * np.uint64(0x100000001B3)) ^ part
    ordered = np.sort(hashes)
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError(f"{prefix}: two rows have the same key or the same hash")
    # Written as Arrow text from the hashes' bytes: a fifth of the time of an f-string per row
    # and its conversion to Arrow in the table (text_columns).
    return hex_ids(prefix, hashes)

"""Lot classes: lots the planning window cannot tell apart, planned as one.

Inside one window, two lots of the same product are interchangeable when both stay usable past
the window's last day: each product's *long-dated* lots form one class. Lots that expire inside
the window keep their expiry: lots of one product whose expiry dates fall in the same
``window_days`` form a class whose expiry is the earliest of theirs (with ``window_days = 1``,
the same date, nothing is lost). The realised plan draws each class's doses from its lots
first-expiry-first-out, so the choice among long-dated lots is FEFO too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LotClasses:
    """``ids`` (``<product>/long`` or ``<product>/exp-<date>``), ``product`` int64 [c],
    ``expiry`` int64 [c] last usable campaign day (earliest of the members), ``of_lot`` int64
    [lot] class of each model lot (-1 = not in this window: used up, expired or arriving
    later)."""

    ids: list[str]
    product: np.ndarray
    expiry: np.ndarray
    of_lot: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ids)


def lot_classes(
    lots: pd.DataFrame,
    product_ids: list[str],
    start_date: pd.Timestamp,
    in_play: np.ndarray,
    long_from_day: int,
    window_days: int = 1,
) -> LotClasses:
    """Classes of the lots ``in_play`` (bool per lot) for a window whose last day, in any node's
    frame, is ``long_from_day - 1``."""
    product = lots["product"].to_numpy(dtype=np.int64)
    expiry = lots["expiry_day"].to_numpy(dtype=np.int64)
    keys: dict[tuple[int, int], list[int]] = {}
    for lot in np.flatnonzero(in_play):
        bucket = -1 if expiry[lot] >= long_from_day else int(expiry[lot] // window_days)
        keys.setdefault((int(product[lot]), bucket), []).append(int(lot))
    ordered = sorted(keys, key=lambda k: (k[0], k[1] if k[1] >= 0 else np.iinfo(np.int64).max))
    of_lot = np.full(len(lots), -1, dtype=np.int64)
    ids, cls_product, cls_expiry = [], [], []
    for c, key in enumerate(ordered):
        members = keys[key]
        of_lot[members] = c
        first = int(expiry[members].min())
        cls_product.append(key[0])
        cls_expiry.append(first)
        label = "long" if key[1] < 0 else f"exp-{(start_date + pd.Timedelta(days=first)).date()}"
        ids.append(f"{product_ids[key[0]]}/{label}")
    return LotClasses(
        ids=ids,
        product=np.array(cls_product, dtype=np.int64),
        expiry=np.array(cls_expiry, dtype=np.int64),
        of_lot=of_lot,
    )

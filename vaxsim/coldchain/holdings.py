"""Stock on hand: a sparse table of doses per store, owner, lot and thaw day.

One row holds the doses of one lot at one store (``node``) that share an owner and a thaw day.
``owner`` is the district the doses are earmarked for (-1 = free stock of the store, not yet
allocated); earmarked stock at a store other than its district's store is waiting to travel on.
``thaw`` is the day the stock left its product's frozen class for +2..+8 °C
(:data:`~vaxsim.coldchain.lots.NOT_THAWED` if it has not). Rows are only ever appended,
reduced or merged, so a national run keeps tens of thousands of rows, not one object per dose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.coldchain.lots import NOT_THAWED
from vaxsim.numeric import sum_by

_COLUMNS = ("node", "owner", "lot", "thaw", "doses")


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Holdings:
    """Parallel int64 arrays ``node``, ``owner``, ``lot``, ``thaw``, ``doses`` (one row each)."""

    node: np.ndarray = field(default_factory=_empty)
    owner: np.ndarray = field(default_factory=_empty)
    lot: np.ndarray = field(default_factory=_empty)
    thaw: np.ndarray = field(default_factory=_empty)
    doses: np.ndarray = field(default_factory=_empty)

    def __len__(self) -> int:
        return len(self.doses)

    def append(
        self, node: np.ndarray, owner: np.ndarray, lot: np.ndarray, thaw: np.ndarray, doses: np.ndarray
    ) -> None:
        """Add rows (arrays broadcast to the length of ``doses``); zero-dose rows are skipped."""
        doses = np.asarray(doses, dtype=np.int64)
        keep = doses > 0
        if not keep.any():
            return
        new = [np.broadcast_to(np.asarray(v, dtype=np.int64), doses.shape)[keep]
               for v in (node, owner, lot, thaw, doses)]
        for name, values in zip(_COLUMNS, new, strict=True):
            setattr(self, name, np.concatenate([getattr(self, name), values]))

    def remove(self, rows: np.ndarray, doses: np.ndarray) -> None:
        """Take ``doses`` from ``rows`` (a row may repeat); never below zero."""
        taken = sum_by(rows, doses, len(self))
        if np.any(taken > self.doses):
            raise ValueError("taking more doses than a holding has")
        self.doses = self.doses - taken

    def select(self, mask: np.ndarray) -> np.ndarray:
        """Indices of rows with stock where ``mask`` holds."""
        return np.flatnonzero(mask & (self.doses > 0))

    def compact(self, nodes: int, owners: int, lots: int) -> None:
        """Merge rows with the same store, owner, lot and thaw day; drop empty rows.

        Rows end sorted by (node, owner, lot, thaw), so the result does not depend on the order
        in which rows were added.
        """
        keep = self.doses > 0
        node, owner, lot, thaw, doses = (getattr(self, name)[keep] for name in _COLUMNS)
        thaw_code = np.where(thaw == NOT_THAWED, 0, thaw + 1)
        thaw_codes = int(thaw_code.max(initial=0)) + 1
        if nodes * (owners + 1) * max(lots, 1) * thaw_codes >= 2**62:  # pragma: no cover
            raise OverflowError("holdings key does not fit in 64 bits")
        key = ((node * (owners + 1) + owner + 1) * lots + lot) * thaw_codes + thaw_code
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        self.node, self.owner, self.lot, self.thaw = node[first], owner[first], lot[first], thaw[first]
        self.doses = sum_by(inverse, doses, len(unique))

"""The ledger: every receipt, issue, administration and waste, per lot, store and day.

One event book for the simulated cold chain and for the optimizer's realised plan. Events are
kept as compact int64 arrays (one row per day, store, lot, partner and kind, summed) and as
running totals ``[store, lot]`` per kind, so the conservation identity of DESIGN.md

    opening + received = administered + wasted (all causes) + shipped out + on hand

can be checked for every lot at every store every day, exactly, in a millisecond (``opening``
is the stock a run starts with, from a simulated state; zero otherwise). ``partner`` is the
other store of a receipt or shipment, or the site of a session an administration or an
open-vial waste happened at (-1 = a delivery into the country, or nothing).
:func:`verify_table` checks the same identity again from the tidy table alone, as an
independent second count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.coldchain.errors import ConservationError
from vaxsim.coldchain.fefo import sum_by_keys

EVENTS: tuple[str, ...] = ("received", "shipped", "administered", "wasted")
RECEIVED, SHIPPED, ADMINISTERED, WASTED = range(4)
#: Causes of waste (ledger ``cause`` column; empty for the other events).
CAUSES: tuple[str, ...] = ("open_vial", "expiry", "thaw_clock", "excursion", "breakage")
OPEN_VIAL, EXPIRY, THAW_CLOCK, EXCURSION, BREAKAGE = range(5)
#: How many failing lot-store pairs a ConservationError spells out.
SHOWN_BREAKS = 10


class Ledger:
    """Events and running totals of one run (``nodes`` stores × ``lots`` lots)."""

    def __init__(self, nodes: int, lots: int):
        self.nodes = nodes
        self.lots = lots
        self.opening = np.zeros((nodes, lots), dtype=np.int64)
        self.received = np.zeros((nodes, lots), dtype=np.int64)
        self.shipped = np.zeros((nodes, lots), dtype=np.int64)
        self.administered = np.zeros((nodes, lots), dtype=np.int64)
        self.wasted = np.zeros((len(CAUSES), nodes, lots), dtype=np.int64)
        self._parts: list[np.ndarray] = []

    def record(
        self,
        day: int | np.ndarray,
        event: int,
        node: np.ndarray,
        lot: np.ndarray,
        doses: np.ndarray,
        cause: int = -1,
        partner: np.ndarray | int = -1,
    ) -> None:
        """Book ``doses`` of ``lot`` at ``node`` (arrays of equal length) as ``event`` on
        campaign ``day`` (one day, or one per row)."""
        doses = np.asarray(doses, dtype=np.int64)
        if np.any(doses < 0):
            raise ValueError("ledger events must be non-negative doses")
        self._book(day, event, node, lot, doses, cause, partner)

    def amend(
        self,
        day: int | np.ndarray,
        event: int,
        node: np.ndarray,
        lot: np.ndarray,
        doses: np.ndarray,
        partner: np.ndarray | int = -1,
    ) -> None:
        """Take back ``doses`` of events booked before (a receipt or shipment found not to
        happen after all, e.g. a realised plan's shipment cut back to a store's room): booked
        as negative events, so the tidy table and the running totals net to what happened."""
        doses = np.asarray(doses, dtype=np.int64)
        if np.any(doses < 0):
            raise ValueError("amend takes back a positive number of doses")
        self._book(day, event, node, lot, -doses, -1, partner)

    def open_with(self, on_hand: np.ndarray) -> None:
        """Start the run with stock ``on_hand[node, lot]`` (doses) already in the stores."""
        self.opening += np.asarray(on_hand, dtype=np.int64)

    def _book(self, day, event, node, lot, doses, cause, partner) -> None:
        if not len(doses) or not doses.any():
            return
        node = np.asarray(node, dtype=np.int64)
        lot = np.asarray(lot, dtype=np.int64)
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), doses.shape)
        partner = np.broadcast_to(np.asarray(partner, dtype=np.int64), doses.shape)
        (day, node, lot, partner), summed = sum_by_keys([day, node, lot, partner], doses)
        keep = summed != 0
        day, node, lot, partner, summed = day[keep], node[keep], lot[keep], partner[keep], summed[keep]
        target = {RECEIVED: self.received, SHIPPED: self.shipped, ADMINISTERED: self.administered}
        into = self.wasted[cause] if event == WASTED else target[event]
        np.add.at(into.reshape(-1), node * self.lots + lot, summed)  # flat: far faster than (node, lot)
        rows = np.empty((len(summed), 7), dtype=np.int64)
        rows[:, 0], rows[:, 1], rows[:, 2] = day, node, lot
        rows[:, 3] = event
        rows[:, 4] = cause if event == WASTED else -1
        rows[:, 5] = partner
        rows[:, 6] = summed
        self._parts.append(rows)

    def write_off(
        self,
        day: int | np.ndarray,
        node: np.ndarray,
        lot: np.ndarray,
        doses: np.ndarray,
        clock_binds: np.ndarray,
    ) -> None:
        """Book stock past its use-by day as wasted: cause ``thaw_clock`` where its thaw clock
        ended before its expiry date (``clock_binds``, :func:`~vaxsim.coldchain.lots.thaw_clock_binds`),
        else ``expiry``."""
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), np.shape(doses))
        clock_binds = np.asarray(clock_binds, dtype=bool)
        for cause, which in ((THAW_CLOCK, clock_binds), (EXPIRY, ~clock_binds)):
            self.record(day[which], WASTED, node[which], lot[which], doses[which], cause=cause)

    def events(self) -> np.ndarray:
        """All events as an int64 array with columns day, node, lot, event, cause, partner, doses."""
        if not self._parts:
            return np.zeros((0, 7), dtype=np.int64)
        if len(self._parts) > 1:
            self._parts = [np.concatenate(self._parts)]
        return self._parts[0]

    def check(self, on_hand: np.ndarray, day: int | None, node_ids: np.ndarray, lot_ids: np.ndarray) -> None:
        """Raise :class:`ConservationError` unless the identity holds for every store and lot
        and no stock is negative."""
        wasted = self.wasted.sum(axis=0)
        outflow = self.administered + wasted + self.shipped + on_hand
        difference = self.opening + self.received - outflow
        broken = np.argwhere((difference != 0) | (on_hand < 0))
        if not len(broken):
            return
        breaks = [
            {
                "lot": str(lot_ids[lot]),
                "node": str(node_ids[node]),
                "received": int(self.opening[node, lot] + self.received[node, lot]),
                "administered": int(self.administered[node, lot]),
                "wasted": int(wasted[node, lot]),
                "shipped": int(self.shipped[node, lot]),
                "on_hand": int(on_hand[node, lot]),
                "difference": int(difference[node, lot]),
            }
            for node, lot in broken[:SHOWN_BREAKS]
        ]
        raise ConservationError(day, breaks, total=len(broken))

    def check_transit(
        self, delivered: np.ndarray, in_transit: np.ndarray, day: int | None, lot_ids: np.ndarray
    ) -> None:
        """Raise :class:`ConservationError` unless every dose shipped (per lot) has landed or is
        in transit: ``delivered[lot]`` doses of the receipts came into the country (not from
        another store), ``in_transit[lot]`` doses are on the road."""
        landed = self.received.sum(axis=0) - np.asarray(delivered, dtype=np.int64)
        in_transit = np.asarray(in_transit, dtype=np.int64)
        off = self.shipped.sum(axis=0) - landed - in_transit
        if not np.any(off != 0):
            return
        lot = int(np.flatnonzero(off)[0])
        raise ConservationError(
            day,
            [{"lot": str(lot_ids[lot]), "node": "in transit",
              "received": int(self.shipped[:, lot].sum()), "administered": 0, "wasted": 0,
              "shipped": int(landed[lot]), "on_hand": int(in_transit[lot]), "difference": int(off[lot])}],
        )


def verify_table(ledger: pd.DataFrame, stock: pd.DataFrame) -> None:
    """Check the identity from the tidy tables alone, for every store and lot.

    ``ledger`` has columns store, lot, event, doses; ``stock`` has store, lot, doses on hand
    at the end. Raises :class:`ConservationError` naming the first failing pairs.
    """
    flows = ledger.pivot_table(index=["store", "lot"], columns="event", values="doses", aggfunc="sum",
                               fill_value=0)
    flows = flows.reindex(columns=list(EVENTS), fill_value=0)
    on_hand = stock.groupby(["store", "lot"]).doses.sum()
    table = flows.join(on_hand.rename("on_hand"), how="outer").fillna(0).astype(np.int64)
    table["difference"] = table.received - (table.administered + table.wasted + table.shipped + table.on_hand)
    broken = table[table.difference != 0]
    if not len(broken):
        return
    breaks = [
        {
            "lot": lot,
            "node": store,
            "received": int(row.received),
            "administered": int(row.administered),
            "wasted": int(row.wasted),
            "shipped": int(row.shipped),
            "on_hand": int(row.on_hand),
            "difference": int(row.difference),
        }
        for (store, lot), row in broken.head(SHOWN_BREAKS).iterrows()
    ]
    raise ConservationError(None, breaks, total=len(broken))

"""The lot ledger of a plan: whole doses of every lot at every node, day by day.

Stock only changes through the movements recorded here (received, issued, administered,
wasted from opened vials, expired), so the conservation identity of DESIGN.md holds by
construction and :meth:`Ledger.check_conservation` verifies it at the end. Issues are
first-expiry-first-out within a lot class; a lot is never issued before it has arrived (it is
not in stock) nor after its expiry date (it is written off the day after).

Time: every node works in its own frame (see :mod:`vaxsim.optimize.problem`); frame day ``F``
at node ``n`` is campaign day ``F + offset[n]``. A shipment leaving its origin on frame day
``F`` arrives on frame day ``F`` of its destination, so pending arrivals are keyed by frame day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vaxsim.optimize.hierarchy import Hierarchy
from vaxsim.optimize.ordered import pour, scale_to

EVENTS = ("received", "issued", "administered", "wasted", "expired")


class ConservationError(AssertionError):
    """The ledger lost or created doses: a bug, never a user error."""


@dataclass
class Movements:
    """Columns of recorded movements (node or site, campaign day, lot, doses), appended in chunks."""

    chunks: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, kind: str, where: np.ndarray, day: np.ndarray, lot: np.ndarray, doses: np.ndarray) -> None:
        where, day, lot, doses = np.broadcast_arrays(
            np.asarray(where, dtype=np.int64),
            np.asarray(day, dtype=np.int64),
            np.asarray(lot, dtype=np.int64),
            np.asarray(doses, dtype=np.int64),
        )
        keep = doses != 0
        if keep.any():
            self.chunks[kind].append((where[keep], day[keep], lot[keep], doses[keep]))

    def table(self, kind: str) -> pd.DataFrame:
        parts = self.chunks.get(kind, [])
        if not parts:
            return pd.DataFrame({c: np.zeros(0, dtype=np.int64) for c in ("where", "day", "lot", "doses")})
        return pd.DataFrame(
            {
                "where": np.concatenate([p[0] for p in parts]),
                "day": np.concatenate([p[1] for p in parts]),
                "lot": np.concatenate([p[2] for p in parts]),
                "doses": np.concatenate([p[3] for p in parts]),
            }
        )

    def total(self, kind: str) -> int:
        return int(sum(p[3].sum() for p in self.chunks.get(kind, [])))


class Ledger:
    """Stock ``[node, lot]`` (int64 doses), pending arrivals and every movement.

    ``nodes`` movements are keyed by hierarchy node; ``sites`` movements by model site index
    (sites receive their session doses from their district node each day and keep nothing
    overnight). ``shipments`` holds store-to-store lines: origin, destination, ship day,
    arrival day, lot, doses.
    """

    def __init__(self, hierarchy: Hierarchy, lots: pd.DataFrame, days: int):
        self.hierarchy = hierarchy
        self.days = days
        self.offset = hierarchy.offset
        self.lot_product = lots["product"].to_numpy(dtype=np.int64)
        self.lot_expiry = lots["expiry_day"].to_numpy(dtype=np.int64)
        self.lot_doses = lots["doses"].to_numpy(dtype=np.int64)
        self.stock = np.zeros((hierarchy.size, len(lots)), dtype=np.int64)
        #: Lots by product, then expiry: the first-expiry-first-out order.
        self.fefo = np.lexsort((np.arange(len(lots)), self.lot_expiry, self.lot_product))
        #: Lots delivered into the campaign and not yet put away.
        self.awaited = np.zeros(len(lots), dtype=bool)
        # Pending arrivals by frame day: (node, lot, doses, is_delivery) arrays.
        self.pending: dict[int, list[tuple[np.ndarray, ...]]] = defaultdict(list)
        self.nodes = Movements()
        self.sites = Movements()
        self.shipments: list[tuple[np.ndarray, ...]] = []
        node_of_store = hierarchy.node_of_store()
        arrival = lots["arrival_day"].to_numpy(dtype=np.int64)
        store = lots["store"].to_numpy(dtype=np.int64)
        inside = (arrival >= 0) & (arrival < days)
        #: Doses per lot delivered during the campaign.
        self.delivered = np.where(inside, self.lot_doses, 0)
        self.awaited[inside] = True
        for lot in np.flatnonzero(inside):
            node = node_of_store[int(store[lot])]
            frame = max(int(arrival[lot] - self.offset[node]), 0)
            self.pending[frame].append(
                (np.array([node]), np.array([lot]), np.array([self.lot_doses[lot]]), np.array([True]))
            )

    # ------------------------------------------------------------------ daily movements

    def day_of(self, nodes: np.ndarray, frame: int) -> np.ndarray:
        """Campaign day of frame day ``frame`` at each of ``nodes``."""
        return frame + self.offset[nodes]

    def receive(self, nodes: np.ndarray, frame: int) -> None:
        """Put away what arrives at ``nodes`` on frame day ``frame``."""
        chunks = self.pending.get(frame)
        if not chunks:
            return
        node, lot, doses, delivery = (np.concatenate([c[k] for c in chunks]) for k in range(4))
        here = np.isin(node, nodes)
        if not here.any():
            return
        np.add.at(self.stock, (node[here], lot[here]), doses[here])
        self.awaited[lot[here & delivery]] = False
        day = self.day_of(node[here], frame)
        self.nodes.add("received", node[here], day, lot[here], doses[here])
        rest = ~here
        if rest.any():
            self.pending[frame] = [(node[rest], lot[rest], doses[rest], delivery[rest])]
        else:
            del self.pending[frame]

    def expire(self, nodes: np.ndarray, frame: int) -> None:
        """Write off lots past their expiry date at ``nodes`` on frame day ``frame``."""
        day = self.day_of(nodes, frame)
        held = self.stock[nodes]
        gone = (self.lot_expiry[None, :] < day[:, None]) & (held > 0)
        if not gone.any():
            return
        row, lot = np.nonzero(gone)
        self.nodes.add("expired", nodes[row], day[row], lot, held[row, lot])
        self.stock[nodes[row], lot] = 0

    def ship(
        self, destinations: np.ndarray, lots_in_order: np.ndarray, doses: np.ndarray, frame: int
    ) -> np.ndarray:
        """Send ``doses[i]`` of one lot class (its lots ``lots_in_order``, earliest expiry first)
        from each destination's parent to ``destinations[i]`` on frame day ``frame``.

        Requests beyond an origin's stock are scaled down in proportion. Returns the doses
        actually sent per request.
        """
        destinations = np.asarray(destinations, dtype=np.int64)
        doses = np.asarray(doses, dtype=np.int64)
        sent = np.zeros(len(destinations), dtype=np.int64)
        ask = doses > 0
        if not ask.any() or len(lots_in_order) == 0:
            return sent
        request = np.flatnonzero(ask)
        origin = self.hierarchy.parent[destinations[request]]
        order = np.argsort(origin, kind="stable")
        request, origin = request[order], origin[order]
        origins, rank = np.unique(origin, return_inverse=True)
        usable = self.lot_expiry[lots_in_order][None, :] >= self.day_of(origins, frame)[:, None]
        held = np.where(usable, self.stock[origins][:, lots_in_order], 0)
        wanted = scale_to(held.sum(axis=1), rank, doses[request])
        supply_group = np.repeat(np.arange(len(origins)), len(lots_in_order))
        i, j, amount = pour(supply_group, held.ravel(), rank, wanted, len(origins))
        if not len(amount):
            return sent
        from_node = origins[i // len(lots_in_order)]
        lot = lots_in_order[i % len(lots_in_order)]
        to_node = destinations[request[j]]
        np.add.at(self.stock, (from_node, lot), -amount)
        ship_day = self.day_of(from_node, frame)
        arrive_day = self.day_of(to_node, frame)
        self.nodes.add("issued", from_node, ship_day, lot, amount)
        self.pending[frame].append((to_node, lot, amount, np.zeros(len(amount), dtype=bool)))
        self.shipments.append((from_node, to_node, ship_day, arrive_day, lot, amount))
        np.add.at(sent, request[j], amount)
        return sent

    def in_transit(self) -> np.ndarray:
        """Doses per lot shipped but not yet arrived (arriving after the campaign)."""
        return self._pending(deliveries=False)

    def _pending(self, deliveries: bool) -> np.ndarray:
        total = np.zeros(self.stock.shape[1], dtype=np.int64)
        for chunks in self.pending.values():
            for _node, lot, doses, delivery in chunks:
                keep = delivery == deliveries
                np.add.at(total, lot[keep], doses[keep])
        return total

    def check_conservation(self) -> dict[str, int]:
        """Per lot: delivered = administered + wasted + expired + on hand + in transit.

        Raises :class:`ConservationError` naming the first lot that breaks it.
        """
        lots = self.stock.shape[1]

        def per_lot(movements: Movements, kind: str) -> np.ndarray:
            table = movements.table(kind)
            return np.bincount(table.lot, weights=table.doses, minlength=lots).astype(np.int64)

        administered = per_lot(self.sites, "administered")
        wasted = per_lot(self.sites, "wasted")
        expired = per_lot(self.nodes, "expired")
        on_hand = self.stock.sum(axis=0)
        transit = self.in_transit()
        accounted = administered + wasted + expired + on_hand + transit
        arrived = self.delivered - self._pending(deliveries=True)
        if np.any(accounted != arrived) or np.any(self.stock < 0):
            bad = int(np.flatnonzero((accounted != arrived) | (self.stock < 0).any(axis=0))[0])
            raise ConservationError(
                f"lot {bad}: arrived {arrived[bad]}, accounted {accounted[bad]} "
                f"(administered {administered[bad]}, wasted {wasted[bad]}, expired {expired[bad]}, "
                f"on hand {on_hand[bad]}, in transit {transit[bad]})"
            )
        return {
            "delivered": int(arrived.sum()),
            "administered": int(administered.sum()),
            "wasted_open_vial": int(wasted.sum()),
            "expired": int(expired.sum()),
            "on_hand_at_end": int(on_hand.sum()),
            "in_transit_at_end": int(transit.sum()),
        }

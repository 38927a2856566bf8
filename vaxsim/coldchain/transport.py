"""Stock on the road: shipments between stores and how a day's trips are loaded.

A shipment row is doses of one lot, earmarked for one district (``owner``), travelling on one
link, with its thaw day, departure day and arrival day. Loading follows first expiry, first out
within each vehicle, limited by the vehicle's litres per trip and by the room left in the
receiving store's temperature class (stock on hand plus stock already on its way there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.coldchain.fefo import load_in_order, order_by

_COLUMNS = ("link", "owner", "lot", "thaw", "doses", "depart", "arrive")


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class InTransit:
    """Parallel int64 arrays, one row per shipment piece (see the module docstring)."""

    link: np.ndarray = field(default_factory=_empty)
    owner: np.ndarray = field(default_factory=_empty)
    lot: np.ndarray = field(default_factory=_empty)
    thaw: np.ndarray = field(default_factory=_empty)
    doses: np.ndarray = field(default_factory=_empty)
    depart: np.ndarray = field(default_factory=_empty)
    arrive: np.ndarray = field(default_factory=_empty)

    def __len__(self) -> int:
        return len(self.doses)

    def add(self, **columns: np.ndarray) -> None:
        """Append rows given as keyword arrays of equal length (zero-dose rows skipped)."""
        keep = np.asarray(columns["doses"]) > 0
        for name in _COLUMNS:
            values = np.asarray(columns[name], dtype=np.int64)[keep]
            setattr(self, name, np.concatenate([getattr(self, name), values]))

    def pop_arriving(self, day: int) -> dict[str, np.ndarray]:
        """Remove and return the rows arriving on or before ``day`` (as a dict of arrays)."""
        due = self.arrive <= day
        rows = {name: getattr(self, name)[due] for name in _COLUMNS}
        for name in _COLUMNS:
            setattr(self, name, getattr(self, name)[~due])
        return rows


def load_trips(
    link: np.ndarray,
    to_class: np.ndarray,
    priority: tuple[np.ndarray, ...],
    doses: np.ndarray,
    litres_per_dose: np.ndarray,
    vehicle_room: np.ndarray,
    store_room: np.ndarray,
) -> np.ndarray:
    """Whole doses each candidate row may load today.

    ``link`` is each row's link, ``to_class`` its (receiving store, class) cell index,
    ``priority`` the keys ordering rows within a vehicle (earliest use-by first).
    ``vehicle_room[link]`` and ``store_room[cell]`` are litres (``inf`` = no limit). Both limits
    hold for the returned doses: rows fill their vehicle in priority order, then the receiving
    room in the same order.
    """
    taken = np.zeros(len(doses), dtype=np.int64)
    if not len(doses):
        return taken
    by_vehicle = order_by(link, *priority)
    loaded = np.zeros(len(doses), dtype=np.int64)
    loaded[by_vehicle] = load_in_order(
        link[by_vehicle], doses[by_vehicle], litres_per_dose[by_vehicle], vehicle_room
    )
    by_store = order_by(to_class, *priority)
    taken[by_store] = load_in_order(
        to_class[by_store], loaded[by_store], litres_per_dose[by_store], store_room
    )
    return taken

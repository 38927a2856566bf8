"""Lots and the product facts the cold chain needs, as arrays indexed by lot.

A lot is whole doses of one product with one expiry date, arriving on one day at one store.
Days are campaign day indices (day 0 = the start date). ``expiry_day`` is the last day a lot
may be used. A product stored ultra-cold or frozen that is moved to +2..+8 °C on day ``t``
(its *thaw day*) may be used until day ``t + days_at_2_8c - 1`` and until its expiry,
whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.coldchain.temperature import COLD, class_index
from vaxsim.model import Model

#: Thaw day of stock that has never left its product's storage class.
NOT_THAWED = np.int64(2**40)


def thaw_clock_end(thaw_day: np.ndarray, thaw_days: np.ndarray) -> np.ndarray:
    """Last usable day of stock thawed on ``thaw_day`` that may stay ``thaw_days`` days at
    +2..+8 °C (the thaw clock; :data:`NOT_THAWED` stays not thawed). The one thaw-clock rule of
    the simulated cold chain and the optimizer's realised plan."""
    thaw_day = np.asarray(thaw_day, dtype=np.int64)
    return np.where(thaw_day != NOT_THAWED, thaw_day + thaw_days - 1, NOT_THAWED)


def use_by_day(expiry_day: np.ndarray, thaw_day: np.ndarray, thaw_days: np.ndarray) -> np.ndarray:
    """Last usable day of stock expiring on ``expiry_day`` and thawed on ``thaw_day``
    (:data:`NOT_THAWED` = frozen) that may stay ``thaw_days`` days thawed: its expiry or the end
    of its thaw clock, whichever comes first (arrays broadcast)."""
    return np.minimum(expiry_day, thaw_clock_end(thaw_day, thaw_days))


def thaw_clock_binds(thaw_day: np.ndarray, thaw_days: np.ndarray, expiry_day: np.ndarray) -> np.ndarray:
    """Whether stock thawed on ``thaw_day`` (days usable thawed ``thaw_days``) reaches the end of
    its thaw clock before its ``expiry_day``: its write-off is then ``thaw_clock`` waste, not
    ``expiry`` (the cold chain's and the realised plan's one cause rule)."""
    return thaw_clock_end(thaw_day, thaw_days) < expiry_day


def thaw_key(thaw_day: np.ndarray) -> np.ndarray:
    """Thaw days as a compact sort key (-1 = not thawed), for ordering rows."""
    return np.where(thaw_day == NOT_THAWED, -1, thaw_day)


@dataclass(frozen=True)
class Lots:
    """Lot and product arrays (units in the names: days, litres, hours).

    Per lot: ``ids``, ``product``, ``doses``, ``arrival_day``, ``expiry_day``, ``store``.
    Per product: ``product_ids``, ``doses_per_vial``, ``storage_class`` (index into
    :data:`~vaxsim.coldchain.temperature.CLASSES`), ``thaw_days`` (days usable at +2..+8 °C
    after leaving the product's class; 0 for products stored at +2..+8 °C),
    ``in_use_hours`` (an opened vial's life), ``litres_per_dose`` (packed volume).
    """

    ids: np.ndarray
    product: np.ndarray
    doses: np.ndarray
    arrival_day: np.ndarray
    expiry_day: np.ndarray
    store: np.ndarray
    product_ids: np.ndarray
    doses_per_vial: np.ndarray
    storage_class: np.ndarray
    thaw_days: np.ndarray
    in_use_hours: np.ndarray
    litres_per_dose: np.ndarray

    @classmethod
    def from_model(cls, model: Model) -> Lots:
        lots, products = model.lots, model.products
        thaw = products.days_at_2_8c.to_numpy(dtype=float)
        return cls(
            ids=lots.id.to_numpy(dtype=object),
            product=lots["product"].to_numpy(dtype=np.int64),
            doses=lots.doses.to_numpy(dtype=np.int64),
            arrival_day=lots.arrival_day.to_numpy(dtype=np.int64),
            expiry_day=lots.expiry_day.to_numpy(dtype=np.int64),
            store=lots.store.to_numpy(dtype=np.int64),
            product_ids=products.id.to_numpy(dtype=object),
            doses_per_vial=products.doses_per_vial.to_numpy(dtype=np.int64),
            storage_class=class_index(products.storage_class.to_numpy()),
            thaw_days=np.where(np.isnan(thaw), 0, thaw).astype(np.int64),
            in_use_hours=products.in_use_hours.to_numpy(dtype=float),
            litres_per_dose=products.volume_litres_per_dose.to_numpy(dtype=float),
        )

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def products(self) -> int:
        return len(self.product_ids)

    def use_by(self, lot: np.ndarray, thaw_day: np.ndarray) -> np.ndarray:
        """Last usable day of stock of ``lot`` thawed on ``thaw_day`` (:data:`NOT_THAWED` = frozen)."""
        return use_by_day(self.expiry_day[lot], thaw_day, self.thaw_days[self.product[lot]])

    def thaw_clock_binds(self, lot: np.ndarray, thaw_day: np.ndarray) -> np.ndarray:
        """Whether the thaw clock, not the lot's expiry, sets the use-by day (cause of waste)."""
        return thaw_clock_binds(thaw_day, self.thaw_days[self.product[lot]], self.expiry_day[lot])

    def storage_class_of(self, lot: np.ndarray, thaw_day: np.ndarray) -> np.ndarray:
        """Class the stock occupies: +2..+8 °C once thawed, else its product's class."""
        return np.where(thaw_day != NOT_THAWED, COLD, self.storage_class[self.product[lot]])

    def litres(self, lot: np.ndarray, doses: np.ndarray) -> np.ndarray:
        """Packed volume in litres of ``doses`` doses of ``lot``."""
        return doses * self.litres_per_dose[self.product[lot]]

"""Random mishaps of the cold chain: shipment delays, temperature excursions, breakage.

Each kind of mishap draws from its own named stream, so turning one on does not change the
others' numbers. Delays and excursions take a fixed number of draws per day (one per link, one
per store), whatever the stock, so the same seed gives the same mishaps in every what-if.

- **Delays** (stream ``coldchain.delays``): each day, each link's trip is late with
  ``shipment_delay_probability``; the extra days are drawn from ``shipment_delay_days`` (values
  read as days, rounded up to whole days). A vehicle breakdown is a delay: the scenario gives one
  probability and one distribution for both. Every piece on a late trip arrives late together.
- **Excursions** (stream ``coldchain.excursions``): each store-day has an excursion with
  ``excursion_probability_per_store_day``; it hits one temperature class of the store, drawn
  uniformly among the classes holding stock that day, and destroys all of that class's stock.
- **Breakage** (stream ``coldchain.breakage``): each shipment piece that lands loses a
  Binomial(doses, ``breakage_share``) number of doses.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vaxsim.scenario.cold_chain import Disruptions
from vaxsim.sites.service_times import sample

Streams = Callable[[str], np.random.Generator]


class Mishaps:
    """Draws the mishaps of :class:`~vaxsim.scenario.cold_chain.Disruptions`, day by day."""

    def __init__(self, disruptions: Disruptions, streams: Streams, links: int, stores: int):
        self.disruptions = disruptions
        self.links = links
        self.stores = stores
        self._streams = streams  # asked each time: a run's streams change from day to day

    def delay_days(self) -> np.ndarray:
        """Extra days per link for today's trips (int64, zeros when delays are off)."""
        p = self.disruptions.shipment_delay_probability
        dist = self.disruptions.shipment_delay_days
        if p <= 0 or dist is None or not self.links:
            return np.zeros(self.links, dtype=np.int64)
        rng = self._streams("coldchain.delays")
        late = rng.random(self.links) < p
        extra = np.ceil(sample(dist, rng, self.links) - 1e-9)
        return np.where(late, np.maximum(extra, 0), 0).astype(np.int64)

    def excursions(self, occupied: np.ndarray) -> np.ndarray:
        """Class hit per store today (-1 = none), given ``occupied[store, class]`` (bool)."""
        hit = np.full(self.stores, -1, dtype=np.int64)
        p = self.disruptions.excursion_probability_per_store_day
        if p <= 0 or not self.stores:
            return hit
        rng = self._streams("coldchain.excursions")
        happens = rng.random(self.stores) < p
        pick = rng.random(self.stores)
        classes = occupied.sum(axis=1)
        nth = np.minimum((pick * classes).astype(np.int64), np.maximum(classes - 1, 0))
        # index of the nth occupied class: first class whose running count exceeds nth
        running = np.cumsum(occupied, axis=1)
        chosen = np.argmax(running > nth[:, None], axis=1)
        return np.where(happens & (classes > 0), chosen, -1)

    def broken(self, doses: np.ndarray) -> np.ndarray:
        """Doses broken in transit for each landing shipment piece."""
        share = self.disruptions.breakage_share
        doses = np.asarray(doses, dtype=np.int64)
        if share <= 0 or not len(doses):
            return np.zeros(len(doses), dtype=np.int64)
        return self._streams("coldchain.breakage").binomial(doses, share).astype(np.int64)

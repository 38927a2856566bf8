"""Named random streams: one ``SeedSequence(seed)``, one independent Generator per name and day.

A stream's numbers depend only on the seed, the stream's name and, once the run has started
its days (:meth:`Streams.start_day`), the day: never on which other streams exist, in which
order they are created, or how many numbers earlier days drew. So two runs of one seed that
decide differently (a plan and a rule, a re-plan and a static plan) meet the same registrations,
no-shows, delays and breakage from the next day on, and their paired difference measures the
decisions rather than a reshuffle of every later draw (common random numbers): on demo-district
the twin's paired difference in doses given against the static plan had a standard deviation of
about 75 doses over seeds when the streams ran on from one day to the next.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The Generator of stream ``name`` under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


class Streams:
    """Lazily created named streams of one seed: ``streams["registration"]``; from
    :meth:`start_day` on, the stream of that name and day."""

    def __init__(self, seed: int):
        self.seed = seed
        self.day: int | None = None
        self._generators: dict[str, np.random.Generator] = {}

    def start_day(self, day: int) -> None:
        """Draw the day's numbers from streams of their own (``name/day-N``)."""
        self.day = int(day)
        self._generators.clear()

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._generators:
            key = name if self.day is None else f"{name}/day-{self.day}"
            self._generators[name] = stream(self.seed, key)
        return self._generators[name]

"""Named random streams: one ``SeedSequence(seed)``, one independent Generator per name.

A stream's numbers depend only on the seed and the stream's name, never on which other
streams exist or in which order they are created, so adding a stream does not change the
others' results.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The Generator of stream ``name`` under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


class Streams:
    """Lazily created named streams of one seed: ``streams["registration"]``."""

    def __init__(self, seed: int):
        self.seed = seed
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._generators:
            self._generators[name] = stream(self.seed, name)
        return self._generators[name]

"""Deterministic plan ids that follow the FHIR id rule ``[A-Za-z0-9\\-.]{1,64}``.

An id is made from its natural key, so re-running the same plan gives the same ids and a
re-export updates records instead of duplicating them. Readable ids are kept where the key
already fits the rule; characters outside it become ``-``, and an id that would be too long,
or would collide with another after that substitution, ends in a short hash of its key.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd

ID_RULE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_OUTSIDE = re.compile(r"[^A-Za-z0-9\-.]")


def digest(text: str, length: int = 12) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def plan_id(text: str) -> str:
    """``text`` made valid: outside characters become ``-``; too long ends in a hash."""
    clean = _OUTSIDE.sub("-", text) or "x"
    if len(clean) <= 64:
        return clean
    return f"{clean[:51]}-{digest(text)}"


def unique_ids(texts: list[str], keys: list[str] | None = None) -> list[str]:
    """Valid ids made from ``texts``, distinct for distinct ``keys`` (default: the texts):
    where two ids would collide, each ends in a hash of its key."""
    keys = texts if keys is None else keys
    ids = [plan_id(t) for t in texts]
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    return [i if seen[i] == 1 else f"{i[:51]}-{digest(k)}" for i, k in zip(ids, keys, strict=True)]


def keyed_ids(prefix: str, *columns: np.ndarray) -> np.ndarray:
    """Ids ``<prefix>-<16 hex digits>`` of distinct rows of ``columns`` (natural key parts).

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
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    nibbles = ((hashes[:, None] >> shifts[None, :]) & np.uint64(0xF)).astype(np.int64)
    digits = _HEX[nibbles].view(f"<U{len(shifts)}").ravel()
    return np.char.add(f"{prefix}-", digits).astype(object)


_HEX = np.array(list("0123456789abcdef"))

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
    """Ids ``<prefix>-<hash>`` of the rows of ``columns`` (natural key parts), vectorised
    enough for a million rows: the parts are joined as text and hashed once each."""
    if not columns or len(columns[0]) == 0:
        return np.zeros(0, dtype=object)
    text = np.asarray(columns[0]).astype(str).astype(object)
    for column in columns[1:]:
        text = text + "|" + np.asarray(column).astype(str).astype(object)
    return np.array([f"{prefix}-{digest(t, 16)}" for t in text], dtype=object)

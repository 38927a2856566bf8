"""Deterministic ids that follow the FHIR id rule ``[A-Za-z0-9\\-.]{1,64}`` (PLAN_FORMAT.md).

An id is made from its natural key, so re-running the same plan gives the same ids and a
re-export updates records instead of duplicating them. Readable ids are kept where the key
already fits the rule; characters outside it become ``-``, and an id that would be too long,
or would collide with another after that substitution, ends in a short hash of its key.

:func:`place_ids` is the one mapping from a scenario's store and site ids to a plan's
``site_id``: the optimizer writes plans with it, and the checker and the plan-driven
simulation read them back with it (a scenario site ``001-commune_station-1`` is
``001-commune-station-1`` in a plan).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vaxsim.model import Model

#: The FHIR id rule, which every plan id follows (datapackage.json states it as a pattern).
ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
ID_RULE = re.compile(ID_PATTERN)
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


def key_id(*parts: object) -> str:
    """The id of the natural key ``parts`` joined with ``-`` (exports' ids of plan rows, such as
    a FHIR Slot per capacity row and status): the key itself where it fits the rule; otherwise
    made valid and ended in a hash of the key, so two keys never share an id."""
    text = "-".join(str(part) for part in parts)
    if ID_RULE.match(text):
        return text
    return f"{(_OUTSIDE.sub('-', text)[:51].rstrip('-') or 'id')}-{digest(text)}"


def unique_ids(texts: list[str], keys: list[str] | None = None) -> list[str]:
    """Valid ids made from ``texts``, distinct for distinct ``keys`` (default: the texts):
    where two ids would collide, each ends in a hash of its key."""
    keys = texts if keys is None else keys
    ids = [plan_id(t) for t in texts]
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    return [i if seen[i] == 1 else f"{i[:51]}-{digest(k)}" for i, k in zip(ids, keys, strict=True)]


def lot_ids(product_ids: Sequence[str], lot_numbers: Sequence[str]) -> list[str]:
    """Plan ids of a scenario's lots (in their order): ``<product>-<lot number>`` made valid,
    distinct for distinct lots. The checker recomputes them from a bundle's ``lots`` table, which
    lists every lot of the scenario."""
    keys = [f"{p}-{n}" for p, n in zip(product_ids, lot_numbers, strict=True)]
    return unique_ids(keys)


def model_lot_ids(model: Model) -> list[str]:
    """Plan ids of a compiled scenario's lots, in its order (:func:`lot_ids`)."""
    product = model.products.id.astype(str).to_numpy()[model.lots["product"].to_numpy()]
    return lot_ids(product.tolist(), model.lots.id.astype(str).tolist())


def place_ids(store_ids: Sequence[str], site_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Plan ids of a scenario's stores and vaccination sites (in their order), distinct even
    where two scenario ids differ only in characters outside the rule."""
    keys = [f"store:{s}" for s in store_ids] + [f"site:{s}" for s in site_ids]
    ids = unique_ids([str(s) for s in store_ids] + [str(s) for s in site_ids], keys)
    return ids[: len(store_ids)], ids[len(store_ids) :]


def with_plan_ids(model: Model) -> Model:
    """``model`` with its stores' and sites' ids replaced by their plan ids."""
    stores, sites = place_ids(list(model.stores.id), list(model.sites.id))
    return replace(model, stores=model.stores.assign(id=stores), sites=model.sites.assign(id=sites))

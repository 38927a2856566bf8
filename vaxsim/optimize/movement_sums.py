"""The realised ledger's movements summed per key, a window at a time, for the plan's movement tables.

The ledger (:class:`~vaxsim.optimize.ledger.Ledger`) and the day records
(:class:`~vaxsim.optimize.vaccination_day.Records`) only ever append chunks of movements. The
shipment lines and the stock projection (:mod:`vaxsim.optimize.plan_stock`) are sums of those
movements per key, so the chunks of the windows already realised can be summed while the next
window's national LP solves (:mod:`vaxsim.optimize.rolling` gives that work the idle core), and
the plan tables at the end only add the last window's chunks and the partial sums together.
Integer sums do not depend on the grouping, so the tables are the same as from all chunks at
once (vietnam-2021: 2.4 M stock events summed into ~0.6 M rows).

Two sums are kept, as int64 columns:

- stock events per (``where``, ``lot``, ``day``, ``column``): ``where`` a row of the plan's
  sites table (stores first, then sites), ``column`` an index in :data:`COLUMNS`; a move between
  two hierarchy nodes kept in one physical store is no stock movement of that store, so it is
  taken back out (issued and received less its doses);
- shipment lines per (``origin``, ``destination``, ``ship_day``, ``arrive_day``, ``reason``,
  ``lot``), moves between two physical stores or to a site, ``reason`` an index in
  :data:`REASONS`.

Before answering, every chunk summed earlier is checked to be still there, the same object
with the same doses; if not (code that changed the ledger in place), everything is summed again
from the ledger as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np

from vaxsim.optimize.ledger import Ledger
from vaxsim.optimize.plan_reference import SiteIds
from vaxsim.optimize.vaccination_day import Records

#: Stock movements in the stock projection, in its column order.
EVENTS = ("received", "issued", "administered", "wasted", "expired")
#: Columns of a stock event: the movements, then the opening stock of a re-plan.
COLUMNS = (*EVENTS, "initial")
#: Why stock moves, as codes in the order of the strings (so a sort by code is a sort by name).
REASONS = ("allocation", "session supply")

_NODE_EVENTS = ("received", "issued", "expired")
_SITE_EVENTS = ("received", "administered", "wasted")


@dataclass(frozen=True)
class Moves:
    """Transfers as int64 columns: ``origin`` and ``destination`` (rows of the plan's sites
    table), ``ship_day`` and ``arrive_day`` (campaign days), ``lot``, ``doses`` and ``reason``
    (index in :data:`REASONS`)."""

    origin: np.ndarray
    destination: np.ndarray
    ship_day: np.ndarray
    arrive_day: np.ndarray
    lot: np.ndarray
    doses: np.ndarray
    reason: np.ndarray

    def where(self, mask: np.ndarray) -> Moves:
        """The moves where ``mask`` is true."""
        return Moves(*(getattr(self, f.name)[mask] for f in fields(self)))


def moves(shipments: list[tuple], supply: list[tuple], ids: SiteIds) -> Moves:
    """Store-to-store allocations (chunks of ``Ledger.shipments``), then the daily session supply
    from a district's store to each of its sites (chunks of ``Records.site_supply``, same-day
    delivery)."""
    parts = []
    if shipments:
        origin, destination, ship_day, arrive_day, lot, doses = _columns(shipments, 6)
        parts.append(
            (ids.node_store[origin], ids.node_store[destination], ship_day, arrive_day, lot, doses, 0)
        )
    if supply:
        node, site, day, lot, doses = _columns(supply, 5)
        parts.append((ids.node_store[node], len(ids.store) + site, day, day, lot, doses, 1))
    if not parts:
        return Moves(*(np.zeros(0, dtype=np.int64) for _ in range(7)))
    columns = [np.concatenate([np.asarray(part[k], dtype=np.int64) for part in parts]) for k in range(6)]
    reason = np.concatenate([np.full(len(part[0]), part[6], dtype=np.int64) for part in parts])
    return Moves(*columns, reason)


def sorted_sums(keys: list[np.ndarray], values: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """``values`` summed per distinct row of the int64 ``keys`` columns, rows sorted by the keys
    (the rows and order of a sorted pandas groupby). One stable sort of a single int64 key when
    the key columns' ranges fit in one (pandas' multi-key groupby took 2-3x as long), else a
    lexicographic sort of the columns."""
    values = np.asarray(values, dtype=np.int64)
    keys = [np.asarray(k, dtype=np.int64) for k in keys]
    if not len(values):
        return keys, values
    low = [int(k.min()) for k in keys]
    spans = [int(k.max()) - lo + 1 for k, lo in zip(keys, low, strict=True)]
    if np.prod([float(x) for x in spans]) < 2.0**62:
        key = np.zeros(len(values), dtype=np.int64)
        for k, lo, span in zip(keys, low, spans, strict=True):
            key = key * span + (k - lo)
        order = np.argsort(key, kind="stable")
        starts = run_starts([key[order]])
    else:
        order = np.lexsort(keys[::-1])
        starts = run_starts([k[order] for k in keys])
    first = np.flatnonzero(starts)
    sums = np.add.reduceat(values[order], first)
    at = order[first]
    return [k[at] for k in keys], sums


def run_starts(columns: list[np.ndarray]) -> np.ndarray:
    """True where the row of ``columns`` (sorted, same non-zero length) differs from the one
    before it."""
    starts = np.zeros(len(columns[0]), dtype=bool)
    starts[0] = True
    for column in columns:
        starts[1:] |= column[1:] != column[:-1]
    return starts


class MovementSums:
    """Stock events and shipment lines of a ledger summed so far (module docstring)."""

    def __init__(self, ids: SiteIds):
        self.ids = ids
        self._reset()

    def _reset(self) -> None:
        self._seen: dict[str, list[tuple]] = {}  # source -> the chunks summed, in order
        self._doses: dict[str, int] = {}  # source -> their doses, to notice a chunk changed
        self._stock: list[tuple[np.ndarray, ...]] = []  # (where, lot, day, column, doses)
        self._lines: list[tuple[np.ndarray, ...]] = []  # (origin, ..., lot, doses)

    def add(self, ledger: Ledger, records: Records) -> None:
        """Sum the chunks appended since the last call (into one partial sum per call)."""
        new = {name: chunks[len(self._seen.get(name, ())) :] for name, chunks in _sources(ledger, records)}
        if not any(new.values()):
            return
        parts = []
        for kind in _NODE_EVENTS:
            where, day, lot, doses = _columns(new[f"nodes.{kind}"], 4)
            parts.append((kind, self.ids.node_store[where], day, lot, doses))
        for kind in _SITE_EVENTS:
            where, day, lot, doses = _columns(new[f"sites.{kind}"], 4)
            parts.append((kind, len(self.ids.store) + where, day, lot, doses))
        moved = moves(new["shipments"], new["site_supply"], self.ids)
        inside = moved.where(moved.origin == moved.destination)
        parts.append(("issued", inside.origin, inside.ship_day, inside.lot, -inside.doses))
        parts.append(("received", inside.destination, inside.arrive_day, inside.lot, -inside.doses))
        where, lot, day, column, doses = stacked(parts)
        keys, doses = sorted_sums([where, lot, day, column], doses)
        self._stock.append((*keys, doses))
        between = moved.where(moved.origin != moved.destination)
        keys = [between.origin, between.destination, between.ship_day, between.arrive_day]
        keys, doses = sorted_sums([*keys, between.reason, between.lot], between.doses)
        self._lines.append((*keys, doses))
        for name, chunks in new.items():
            self._seen.setdefault(name, []).extend(chunks)
            self._doses[name] = self._doses.get(name, 0) + _total(chunks)

    def stock_events(self, ledger: Ledger, records: Records) -> tuple[np.ndarray, ...]:
        """``(where, lot, day, column, doses)`` of every chunk of ``ledger`` and ``records``
        (partial sums: a key may repeat)."""
        self._catch_up(ledger, records)
        return tuple(np.concatenate(c) for c in zip(*self._stock, strict=True))

    def lines(self, ledger: Ledger, records: Records) -> tuple[np.ndarray, ...]:
        """``(origin, destination, ship_day, arrive_day, reason, lot, doses)`` of the moves
        between two physical stores or to a site (partial sums: a key may repeat)."""
        self._catch_up(ledger, records)
        return tuple(np.concatenate(c) for c in zip(*self._lines, strict=True))

    def _catch_up(self, ledger: Ledger, records: Records) -> None:
        """Sum what is new; start again if a chunk summed before is gone or changed."""
        for name, chunks in _sources(ledger, records):
            seen = self._seen.get(name, [])
            unchanged = len(chunks) >= len(seen) and all(a is b for a, b in zip(chunks, seen, strict=False))
            if not unchanged or _total(seen) != self._doses.get(name, 0):
                self._reset()
                break
        self.add(ledger, records)
        if not self._stock:  # nothing at all: one empty partial sum
            empty = np.zeros(0, dtype=np.int64)
            self._stock.append((empty,) * 5)
            self._lines.append((empty,) * 7)


def stacked(parts: list[tuple]) -> tuple[np.ndarray, ...]:
    """``parts`` (column name in :data:`COLUMNS`, where, day, lot, doses) as five int64 columns:
    where, lot, day, column (index in :data:`COLUMNS`) and doses."""
    where = np.concatenate([np.asarray(part[1], dtype=np.int64) for part in parts])
    day = np.concatenate([np.asarray(part[2], dtype=np.int64) for part in parts])
    lot = np.concatenate([np.asarray(part[3], dtype=np.int64) for part in parts])
    doses = np.concatenate([np.asarray(part[4], dtype=np.int64) for part in parts])
    column = np.concatenate([np.full(len(part[1]), COLUMNS.index(part[0]), dtype=np.int64) for part in parts])
    return where, lot, day, column, doses


def _sources(ledger: Ledger, records: Records) -> Iterator[tuple[str, list[tuple]]]:
    """Every chunk list the movement tables read, by name."""
    for kind in _NODE_EVENTS:
        yield f"nodes.{kind}", ledger.nodes.chunks.get(kind, [])
    for kind in _SITE_EVENTS:
        yield f"sites.{kind}", ledger.sites.chunks.get(kind, [])
    yield "shipments", ledger.shipments
    yield "site_supply", records.site_supply


def _columns(chunks: list[tuple], width: int) -> list[np.ndarray]:
    """The chunks' ``width`` columns concatenated, int64."""
    if not chunks:
        return [np.zeros(0, dtype=np.int64) for _ in range(width)]
    return [np.concatenate([c[k] for c in chunks]).astype(np.int64, copy=False) for k in range(width)]


def _total(chunks: list[tuple]) -> int:
    """Doses (the last column) of ``chunks``."""
    return int(sum(int(np.sum(c[-1])) for c in chunks))

"""The plan's movement tables from the realised lot ledger: shipments, their lines, stock projection.

Everything here is read from :class:`~vaxsim.optimize.realise.ledger.PlanLedger`, whose conservation check
has passed, so the tables agree with each other by construction:

- ``shipments``: one per (origin, destination, ship day) — store-to-store allocations, and the
  daily session supply from a district's store to each of its sites (same-day delivery).
  Moves between two hierarchy nodes kept in the same physical store are not shipments and are
  left out of both tables.
- ``stock_projection``: one row per (site or store, date, lot) on which that lot moves there;
  on a day without a row the stock is the previous row's closing. opening + received − issued
  − administered − wasted − expired = closing, and closing ≥ 0.

The published columns keep their names; the event book's events map onto them here: a store's
``received`` and ``shipped`` are its ``received`` and ``issued``, its expiry and thaw-clock
waste its ``expired``; a session's doses, booked at its district's store with the site as
partner, are ``issued`` by the store and ``received`` by the site, which ``administered`` them
or ``wasted`` them in opened vials.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from vaxsim.coldchain.fefo import cumulative_before, run_starts, sum_by_keys
from vaxsim.coldchain.ledger import ADMINISTERED, EXPIRY, OPEN_VIAL, RECEIVED, SHIPPED, THAW_CLOCK, WASTED
from vaxsim.optimize.realise.ledger import PlanLedger
from vaxsim.optimize.realise.vaccination_day import Records
from vaxsim.optimize.setup.restart import Restart
from vaxsim.optimize.setup.site_ids import SiteIds
from vaxsim.optimize.tables.ids import keyed_ids
from vaxsim.optimize.tables.text_columns import text_take
from vaxsim.plan.tables import TABLES

#: The plan's stock_projection columns of movements (PLAN_FORMAT.md).
EVENTS = ("received", "issued", "administered", "wasted", "expired")


def _dates(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of campaign days (vectorised through the unique days)."""
    days = np.asarray(days, dtype=np.int64)
    unique, inverse = np.unique(days, return_inverse=True)
    text = (start + pd.to_timedelta(unique, unit="D")).strftime("%Y-%m-%d").to_numpy(dtype=object)
    return text[inverse]


def _date_column(start: pd.Timestamp, days: np.ndarray):
    """:func:`_dates` as a table's text column (:mod:`~vaxsim.optimize.tables.text_columns`)."""
    unique, inverse = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    return text_take(_dates(start, unique), inverse)


#: Why stock moves, as codes in the order of the strings (so a sort by code is a sort by name).
REASONS = ("allocation", "session supply")


@dataclass(frozen=True)
class Moves:
    """Every transfer as int64 columns: ``origin`` and ``destination`` (rows of the plan's sites
    table, stores first, then sites), ``ship_day`` and ``arrive_day`` (campaign days), ``lot``,
    ``doses`` and ``reason`` (index in :data:`REASONS`)."""

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


def _moves(ledger: PlanLedger, records: Records, ids: SiteIds) -> Moves:
    """Store-to-store allocations (the ledger's shipments), then the daily session supply from a
    district's store to each of its sites (same-day delivery). Plain arrays, no frame: both
    tables of this module read them."""
    parts = []
    stores = len(ids.store)
    if ledger.shipments:
        cols = [np.concatenate([s[k] for s in ledger.shipments]).astype(np.int64) for k in range(6)]
        origin, destination, ship_day, arrive_day, lot, doses = cols
        parts.append(
            (ids.node_store[origin], ids.node_store[destination], ship_day, arrive_day, lot, doses, 0)
        )
    if records.site_supply:
        cols = [np.concatenate([s[k] for s in records.site_supply]).astype(np.int64) for k in range(5)]
        node, site, day, lot, doses = cols
        parts.append((ids.node_store[node], stores + site, day, day, lot, doses, 1))
    if not parts:
        return Moves(*(np.zeros(0, dtype=np.int64) for _ in range(7)))
    columns = [np.concatenate([np.asarray(part[k], dtype=np.int64) for part in parts]) for k in range(6)]
    reason = np.concatenate([np.full(len(part[0]), part[6], dtype=np.int64) for part in parts])
    return Moves(*columns, reason)


def shipment_tables(
    ledger: PlanLedger, records: Records, ids: SiteIds, lot_id: np.ndarray, start: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``shipments`` and ``shipment_lines`` (one line per lot, in first-expiry order of lot index)."""
    empty = (
        pd.DataFrame(columns=TABLES["shipments"].column_names),
        pd.DataFrame(columns=TABLES["shipment_lines"].column_names),
    )
    moves = _moves(ledger, records, ids)
    moves = moves.where(moves.origin != moves.destination)
    if not len(moves.doses):
        return empty
    # One line per shipment (origin, destination, ship day, arrival day, reason) and lot.
    keys, doses = sum_by_keys(
        [moves.origin, moves.destination, moves.ship_day, moves.arrive_day, moves.reason, moves.lot],
        moves.doses,
    )
    # A line given back in full (PlanLedger.take_back) nets to nothing: no line, no shipment.
    keep = doses != 0
    if not keep.any():
        return empty
    origin_row, destination_row, ship_day, arrive_day, reason, lot = (k[keep] for k in keys)
    doses = doses[keep]
    head = run_starts([origin_row, destination_row, ship_day, arrive_day, reason])
    heads = np.flatnonzero(head)
    site_id = np.concatenate([ids.store, ids.site])
    origin, destination = origin_row[heads], destination_row[heads]
    shipment_id = keyed_ids("shp", site_id[origin], site_id[destination], _dates(start, ship_day[heads]))
    # Text columns taken in Arrow from their distinct values (text_columns: the same columns).
    shipments = pd.DataFrame(
        {
            "shipment_id": shipment_id,
            "from_site_id": text_take(site_id, origin),
            "to_site_id": text_take(site_id, destination),
            "ship_date": _date_column(start, ship_day[heads]),
            "arrival_date": _date_column(start, arrive_day[heads]),
            "status": text_take(np.array(["planned"], dtype=object), np.zeros(len(heads), dtype=np.int64)),
            "reason": text_take(np.array(REASONS, dtype=object), reason[heads]),
        },
        columns=TABLES["shipments"].column_names,
    )
    which = np.cumsum(head) - 1  # the shipment of each line
    line_no = np.arange(len(doses), dtype=np.int64) - heads[which] + 1
    shipment_lines = pd.DataFrame(
        {
            "shipment_id": shipment_id[which],
            "line_no": line_no,
            "lot_id": text_take(lot_id, lot),
            "doses": doses,
        },
        columns=TABLES["shipment_lines"].column_names,
    )
    return shipments, shipment_lines


def stock_projection(
    ledger: PlanLedger,
    records: Records,
    ids: SiteIds,
    lot_id: np.ndarray,
    start: pd.Timestamp,
    restart: Restart | None = None,
) -> pd.DataFrame:
    """``stock_projection`` (module docstring), sorted by site, lot and date.

    With ``restart`` (a plan from a simulated state), each store's first row for a lot it holds
    on the state's day opens with the state's stock, and the doses set aside for appointments
    already booked leave as ``issued`` that day."""
    parts = []
    if restart is not None:
        node, lot = np.nonzero(restart.on_hand)
        parts.append(
            ("initial", ids.node_store[node], np.full(len(lot), restart.day), lot, restart.on_hand[node, lot])
        )
        node, lot = np.nonzero(restart.reserved)
        parts.append(
            ("issued", ids.node_store[node], np.full(len(lot), restart.day), lot, restart.reserved[node, lot])
        )
        # Doses on the road set aside for those appointments: received when they arrive (in the
        # node's frame, as the ledger receives the rest) and issued the same day.
        node, lot, day, _ = restart.arriving
        aside = restart.reserved_on_arrival > 0
        node, lot, doses = node[aside], lot[aside], restart.reserved_on_arrival[aside]
        offset = ledger.offset[node]
        arrival = np.maximum(day[aside] - offset, restart.start) + offset
        for kind in ("received", "issued"):
            parts.append((kind, ids.node_store[node], arrival, lot, doses))
    parts += _book_parts(ledger, ids)
    # Moves inside one physical store are not stock movements of that store.
    moves = _moves(ledger, records, ids)
    inside = moves.where(moves.origin == moves.destination)
    if len(inside.doses):
        parts.append(("issued", inside.origin, inside.ship_day, inside.lot, -inside.doses))
        parts.append(("received", inside.destination, inside.arrive_day, inside.lot, -inside.doses))
    if sum(len(part[1]) for part in parts) == 0:
        return pd.DataFrame(columns=TABLES["stock_projection"].column_names)
    # Summed per (where, lot, day, column) with one sort of an integer key, then spread into one
    # row per (where, lot, day); columns: the events, then the opening stock ("initial"). Each
    # movement is one entry, not a row of six (a dense block per movement took twice as long).
    columns = [*EVENTS, "initial"]
    where, lot, day, column, doses = _stacked(parts, columns)
    keys, doses = sum_by_keys([where, lot, day, column], doses)
    where, lot, day, column = keys
    row = np.cumsum(run_starts([where, lot, day])) - 1
    sums = np.zeros((int(row[-1]) + 1, len(columns)), dtype=np.int64)
    sums[row, column] = doses
    first = np.flatnonzero(np.diff(row, prepend=-1))
    where, lot, day = where[first], lot[first], day[first]
    keep = (sums != 0).any(axis=1)
    where, lot, day, sums = where[keep], lot[keep], day[keep], sums[keep]
    event = {name: sums[:, k] for k, name in enumerate(EVENTS)}
    change = event["received"] - event["issued"] - event["administered"] - event["wasted"] - event["expired"]
    step = change + sums[:, -1]
    pair = where * (int(lot.max()) + 1 if len(lot) else 1) + lot
    closing = cumulative_before(pair, step) + step
    site_id = np.concatenate([ids.store, ids.site])
    table = pd.DataFrame(
        {
            "site_id": text_take(site_id, where),
            "date": _date_column(start, day),
            "lot_id": text_take(lot_id, lot),
            "opening": closing - change,
            **{name: np.ascontiguousarray(event[name]) for name in EVENTS},
            "closing": closing,
        }
    )
    return table[TABLES["stock_projection"].column_names]


def opening_stock(
    restart: Restart | None,
    ids: SiteIds,
    lot_id: np.ndarray,
    start: pd.Timestamp,
    expiry_day: np.ndarray,
    offset: np.ndarray,
) -> pd.DataFrame:
    """``opening_stock`` of a re-plan (empty without ``restart``): per physical store and lot, the
    state's doses on hand and set aside on the restart day, and the doses on the road (stock
    earmarked for a district and not yet at its store included) and set aside for bookings
    per day the ledger receives them (:meth:`Restart.start_ledger`: not before the restart day plus the
    node's ``offset``, its frame lag in days); ``use_by`` is the lot's expiry cut to the
    state's earliest thaw-clock end."""
    if restart is None:
        return pd.DataFrame(columns=TABLES["opening_stock"].column_names)
    node, lot = np.nonzero((restart.on_hand != 0) | (restart.reserved != 0))
    arriving_node, arriving_lot, arriving_day, arriving_doses = restart.arriving
    arriving_node = np.asarray(arriving_node, dtype=np.int64)
    where = np.concatenate([ids.node_store[node], ids.node_store[arriving_node]])
    lots = np.concatenate([lot, arriving_lot]).astype(np.int64)
    arrives = np.maximum(arriving_day, restart.start + offset[arriving_node])
    day = np.concatenate([np.full(len(lot), restart.day), arrives]).astype(np.int64)
    zeros = np.zeros(len(arriving_lot), dtype=np.int64)
    amounts = np.stack(
        [
            np.concatenate([restart.on_hand[node, lot], zeros]),
            np.concatenate([restart.reserved[node, lot], restart.reserved_on_arrival]),
            np.concatenate([np.zeros(len(lot), dtype=np.int64), arriving_doses]),
        ],
        axis=1,
    ).astype(np.int64)
    keys = pd.DataFrame({"where": where, "lot": lots, "day": day})
    sums = pd.DataFrame(amounts, columns=["on_hand", "reserved", "in_transit"]).groupby(
        [keys["where"], keys["lot"], keys["day"]], sort=True
    ).sum().reset_index()
    site_id = np.concatenate([ids.store, ids.site])
    use_by = np.minimum(np.asarray(expiry_day, dtype=np.int64), restart.use_by)
    return pd.DataFrame(
        {
            "site_id": site_id[sums["where"].to_numpy()],
            "lot_id": lot_id[sums["lot"].to_numpy()],
            "date": _dates(start, sums["day"].to_numpy()),
            "on_hand": sums.on_hand.to_numpy(),
            "reserved": sums.reserved.to_numpy(),
            "in_transit": sums.in_transit.to_numpy(),
            "use_by": _dates(start, use_by[sums["lot"].to_numpy()]),
        },
        columns=TABLES["opening_stock"].column_names,
    )


def _book_parts(ledger: PlanLedger, ids: SiteIds) -> list[tuple]:
    """The event book's events as stock_projection parts (column name, plan site row, day, lot,
    doses): the module docstring's mapping."""
    stores = len(ids.store)
    parts = []
    for column, event, causes in (
        ("received", RECEIVED, ()),
        ("issued", SHIPPED, ()),
        ("expired", WASTED, (EXPIRY, THAW_CLOCK)),
    ):
        e = ledger.booked(event, causes)
        parts.append((column, ids.node_store[e["node"]], e["day"], e["lot"], e["doses"]))
    for column, event, causes in (("administered", ADMINISTERED, ()), ("wasted", WASTED, (OPEN_VIAL,))):
        e = ledger.booked(event, causes)
        site = stores + e["partner"]
        parts.append(("issued", ids.node_store[e["node"]], e["day"], e["lot"], e["doses"]))
        parts.append(("received", site, e["day"], e["lot"], e["doses"]))
        parts.append((column, site, e["day"], e["lot"], e["doses"]))
    return parts


def _stacked(parts: list[tuple], columns: list[str]) -> tuple[np.ndarray, ...]:
    """``parts`` (column name, where, day, lot, doses) as five int64 columns: where, lot, day,
    column (index in ``columns``) and doses."""
    where = np.concatenate([np.asarray(part[1], dtype=np.int64) for part in parts])
    day = np.concatenate([np.asarray(part[2], dtype=np.int64) for part in parts])
    lot = np.concatenate([np.asarray(part[3], dtype=np.int64) for part in parts])
    doses = np.concatenate([np.asarray(part[4], dtype=np.int64) for part in parts])
    column = np.concatenate([np.full(len(part[1]), columns.index(part[0]), dtype=np.int64) for part in parts])
    return where, lot, day, column, doses

"""The plan's movement tables from the realised lot ledger: shipments, their lines, stock projection.

Everything here is read from :class:`~vaxsim.optimize.ledger.Ledger`, whose conservation check
has passed, so the tables agree with each other by construction:

- ``shipments``: one per (origin, destination, ship day) — store-to-store allocations, and the
  daily session supply from a district's store to each of its sites (same-day delivery).
  Moves between two hierarchy nodes kept in the same physical store are not shipments and are
  left out of both tables.
- ``stock_projection``: one row per (site or store, date, lot) on which that lot moves there;
  on a day without a row the stock is the previous row's closing. opening + received − issued
  − administered − wasted − expired = closing, and closing ≥ 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.optimize.ids import keyed_ids
from vaxsim.optimize.ledger import Ledger
from vaxsim.optimize.movement_sums import (
    COLUMNS,
    EVENTS,
    REASONS,
    MovementSums,
    run_starts,
    sorted_sums,
    stacked,
)
from vaxsim.optimize.ordered import cumsum_within
from vaxsim.optimize.plan_reference import SiteIds
from vaxsim.optimize.restart import Restart
from vaxsim.optimize.text_columns import text_take
from vaxsim.optimize.vaccination_day import Records
from vaxsim.plan.tables import TABLES


def _dates(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of campaign days (vectorised through the unique days)."""
    days = np.asarray(days, dtype=np.int64)
    unique, inverse = np.unique(days, return_inverse=True)
    text = (start + pd.to_timedelta(unique, unit="D")).strftime("%Y-%m-%d").to_numpy(dtype=object)
    return text[inverse]


def _date_column(start: pd.Timestamp, days: np.ndarray):
    """:func:`_dates` as a table's text column (:mod:`~vaxsim.optimize.text_columns`)."""
    unique, inverse = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    return text_take(_dates(start, unique), inverse)


def shipment_tables(
    ledger: Ledger,
    records: Records,
    ids: SiteIds,
    lot_id: np.ndarray,
    start: pd.Timestamp,
    sums: MovementSums | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``shipments`` and ``shipment_lines`` (one line per lot, in first-expiry order of lot index).

    ``sums``: the movements summed so far (:mod:`~vaxsim.optimize.movement_sums`), if any."""
    empty = (
        pd.DataFrame(columns=TABLES["shipments"].column_names),
        pd.DataFrame(columns=TABLES["shipment_lines"].column_names),
    )
    *keys, doses = (sums if sums is not None else MovementSums(ids)).lines(ledger, records)
    if not len(doses):
        return empty
    # One line per shipment (origin, destination, ship day, arrival day, reason) and lot.
    keys, doses = sorted_sums(keys, doses)
    # A line given back in full (Ledger.take_back) nets to nothing: no line, no shipment.
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
    ledger: Ledger,
    records: Records,
    ids: SiteIds,
    lot_id: np.ndarray,
    start: pd.Timestamp,
    restart: Restart | None = None,
    sums: MovementSums | None = None,
) -> pd.DataFrame:
    """``stock_projection`` (module docstring), sorted by site, lot and date.

    With ``restart`` (a plan from a simulated state), each store's first row for a lot it holds
    on the state's day opens with the state's stock, and the doses set aside for appointments
    already booked leave as ``issued`` that day. ``sums``: the movements summed so far
    (:mod:`~vaxsim.optimize.movement_sums`), if any."""
    events = (sums if sums is not None else MovementSums(ids)).stock_events(ledger, records)
    if restart is not None:
        node, lot = np.nonzero(restart.on_hand)
        day = np.full(len(lot), restart.day)
        parts = [("initial", ids.node_store[node], day, lot, restart.on_hand[node, lot])]
        node, lot = np.nonzero(restart.reserved)
        day = np.full(len(lot), restart.day)
        parts.append(("issued", ids.node_store[node], day, lot, restart.reserved[node, lot]))
        events = tuple(np.concatenate(pair) for pair in zip(events, stacked(parts), strict=True))
    where, lot, day, column, doses = events
    if not len(doses):
        return pd.DataFrame(columns=TABLES["stock_projection"].column_names)
    # Summed per (where, lot, day, column) with one sort of an integer key, then spread into one
    # row per (where, lot, day); columns: the events, then the opening stock ("initial"). Each
    # movement is one entry, not a row of six (a dense block per movement took twice as long).
    keys, doses = sorted_sums([where, lot, day, column], doses)
    where, lot, day, column = keys
    row = np.cumsum(run_starts([where, lot, day])) - 1
    sums = np.zeros((int(row[-1]) + 1, len(COLUMNS)), dtype=np.int64)
    sums[row, column] = doses
    first = np.flatnonzero(np.diff(row, prepend=-1))
    where, lot, day = where[first], lot[first], day[first]
    keep = (sums != 0).any(axis=1)
    where, lot, day, sums = where[keep], lot[keep], day[keep], sums[keep]
    event = {name: sums[:, k] for k, name in enumerate(EVENTS)}
    change = event["received"] - event["issued"] - event["administered"] - event["wasted"] - event["expired"]
    step = change + sums[:, -1]
    pair = where * (int(lot.max()) + 1 if len(lot) else 1) + lot
    closing = cumsum_within(step, pair)
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

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
from vaxsim.optimize.ordered import cumsum_within
from vaxsim.optimize.plan_reference import SiteIds
from vaxsim.optimize.restart import Restart
from vaxsim.optimize.vaccination_day import Records
from vaxsim.plan.tables import TABLES

EVENTS = ("received", "issued", "administered", "wasted", "expired")


def _dates(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of campaign days (vectorised through the unique days)."""
    days = np.asarray(days, dtype=np.int64)
    unique, inverse = np.unique(days, return_inverse=True)
    text = (start + pd.to_timedelta(unique, unit="D")).strftime("%Y-%m-%d").to_numpy(dtype=object)
    return text[inverse]


def _moves(ledger: Ledger, records: Records, ids: SiteIds) -> pd.DataFrame:
    """Every transfer as (origin, destination, ship day, arrival day, lot, doses, reason), with
    origins and destinations as rows of the plan's sites table (stores first, then sites)."""
    parts = []
    stores = len(ids.store)
    if ledger.shipments:
        cols = [np.concatenate([s[k] for s in ledger.shipments]) for k in range(6)]
        parts.append(
            pd.DataFrame(
                {
                    "origin": ids.node_store[cols[0]],
                    "destination": ids.node_store[cols[1]],
                    "ship_day": cols[2],
                    "arrive_day": cols[3],
                    "lot": cols[4],
                    "doses": cols[5],
                    "reason": "allocation",
                }
            )
        )
    if records.site_supply:
        cols = [np.concatenate([s[k] for s in records.site_supply]) for k in range(5)]
        parts.append(
            pd.DataFrame(
                {
                    "origin": ids.node_store[cols[0]],
                    "destination": stores + cols[1],
                    "ship_day": cols[2],
                    "arrive_day": cols[2],
                    "lot": cols[3],
                    "doses": cols[4],
                    "reason": "session supply",
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["origin", "destination", "ship_day", "arrive_day", "lot", "doses", "reason"]
        )
    return pd.concat(parts, ignore_index=True)


def shipment_tables(
    ledger: Ledger, records: Records, ids: SiteIds, lot_id: np.ndarray, start: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``shipments`` and ``shipment_lines`` (one line per lot, in first-expiry order of lot index)."""
    moves = _moves(ledger, records, ids)
    moves = moves[moves.origin != moves.destination]
    site_id = np.concatenate([ids.store, ids.site])
    if moves.empty:
        return (
            pd.DataFrame(columns=TABLES["shipments"].column_names),
            pd.DataFrame(columns=TABLES["shipment_lines"].column_names),
        )
    keys = ["origin", "destination", "ship_day", "arrive_day", "reason"]
    lines = moves.groupby([*keys, "lot"], sort=True, as_index=False)["doses"].sum()
    # A line given back in full (Ledger.take_back) nets to nothing: no line, no shipment.
    lines = lines[lines.doses != 0].reset_index(drop=True)
    if lines.empty:
        return (
            pd.DataFrame(columns=TABLES["shipments"].column_names),
            pd.DataFrame(columns=TABLES["shipment_lines"].column_names),
        )
    heads = lines.drop_duplicates(keys)[keys].reset_index(drop=True)
    origin = site_id[heads.origin.to_numpy(dtype=np.int64)]
    destination = site_id[heads.destination.to_numpy(dtype=np.int64)]
    ship_date = _dates(start, heads.ship_day.to_numpy())
    shipment_id = keyed_ids("shp", origin, destination, ship_date)
    shipments = pd.DataFrame(
        {
            "shipment_id": shipment_id,
            "from_site_id": origin,
            "to_site_id": destination,
            "ship_date": ship_date,
            "arrival_date": _dates(start, heads.arrive_day.to_numpy()),
            "status": "planned",
            "reason": heads.reason.to_numpy(),
        },
        columns=TABLES["shipments"].column_names,
    )
    which = lines.groupby(keys, sort=True).ngroup().to_numpy()
    line_no = lines.groupby(keys, sort=True).cumcount().to_numpy() + 1
    shipment_lines = pd.DataFrame(
        {
            "shipment_id": shipment_id[which],
            "line_no": line_no.astype(np.int64),
            "lot_id": lot_id[lines.lot.to_numpy(dtype=np.int64)],
            "doses": lines.doses.to_numpy(dtype=np.int64),
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
) -> pd.DataFrame:
    """``stock_projection`` (module docstring), sorted by site, lot and date.

    With ``restart`` (a plan from a simulated state), each store's first row for a lot it holds
    on the state's day opens with the state's stock, and the doses set aside for appointments
    already booked leave as ``issued`` that day."""
    stores = len(ids.store)
    parts = []
    initial = None
    if restart is not None:
        node, lot = np.nonzero(restart.on_hand)
        initial = (ids.node_store[node], lot, np.full(len(lot), restart.day), restart.on_hand[node, lot])
        node, lot = np.nonzero(restart.reserved)
        parts.append(
            ("issued", ids.node_store[node], np.full(len(lot), restart.day), lot, restart.reserved[node, lot])
        )
    for kind in ("received", "issued", "expired"):
        table = ledger.nodes.table(kind)
        parts.append((kind, ids.node_store[table["where"].to_numpy()], table.day, table.lot, table.doses))
    for kind in ("received", "administered", "wasted"):
        table = ledger.sites.table(kind)
        parts.append((kind, stores + table["where"].to_numpy(), table.day, table.lot, table.doses))
    # Moves inside one physical store are not stock movements of that store.
    moves = _moves(ledger, records, ids)
    inside = moves[moves.origin == moves.destination]
    if len(inside):
        parts.append(("issued", inside.origin.to_numpy(), inside.ship_day, inside.lot, -inside.doses))
        parts.append(
            ("received", inside.destination.to_numpy(), inside.arrive_day, inside.lot, -inside.doses)
        )
    # Summed per (where, lot, day) with one sort of an integer key (a pandas groupby of the
    # concatenated frames took 2-3x as long); columns: the events, then the opening stock.
    columns = [*EVENTS, "initial"]
    wheres, lots, days, values = [], [], [], []
    for kind, where, day, lot, doses in parts:
        wheres.append(np.asarray(where, dtype=np.int64))
        lots.append(np.asarray(lot, dtype=np.int64))
        days.append(np.asarray(day, dtype=np.int64))
        block = np.zeros((len(wheres[-1]), len(columns)), dtype=np.int64)
        block[:, columns.index(kind)] = np.asarray(doses, dtype=np.int64)
        values.append(block)
    if initial is not None:
        where, lot, day, doses = initial
        wheres.append(np.asarray(where, dtype=np.int64))
        lots.append(np.asarray(lot, dtype=np.int64))
        days.append(np.asarray(day, dtype=np.int64))
        block = np.zeros((len(wheres[-1]), len(columns)), dtype=np.int64)
        block[:, -1] = np.asarray(doses, dtype=np.int64)
        values.append(block)
    if not wheres or sum(len(w) for w in wheres) == 0:
        return pd.DataFrame(columns=TABLES["stock_projection"].column_names)
    where, lot, day = np.concatenate(wheres), np.concatenate(lots), np.concatenate(days)
    value = np.concatenate(values)
    day0 = int(day.min())
    span_day, span_lot = int(day.max()) - day0 + 1, int(lot.max()) + 1
    key = (where * span_lot + lot) * span_day + (day - day0)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sums = np.add.reduceat(value[order], first, axis=0)
    where, lot, day = where[order][first], lot[order][first], day[order][first]
    keep = (sums != 0).any(axis=1)
    where, lot, day, sums = where[keep], lot[keep], day[keep], sums[keep]
    event = {name: sums[:, k] for k, name in enumerate(EVENTS)}
    change = event["received"] - event["issued"] - event["administered"] - event["wasted"] - event["expired"]
    step = change + sums[:, -1]
    pair = where * span_lot + lot
    closing = cumsum_within(step, pair)
    site_id = np.concatenate([ids.store, ids.site])
    table = pd.DataFrame(
        {
            "site_id": site_id[where],
            "date": _dates(start, day),
            "lot_id": lot_id[lot],
            "opening": closing - change,
            **{name: np.ascontiguousarray(event[name]) for name in EVENTS},
            "closing": closing,
        }
    )
    return table[TABLES["stock_projection"].column_names]

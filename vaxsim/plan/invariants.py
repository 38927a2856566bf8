"""The eight invariants of PLAN_FORMAT.md, checked on a bundle's tables without optimizer code.

Each ``invariant_N`` takes the typed tables (one DataFrame per table with the CSV line of each
row in ``csv_line``; rows with schema errors are left out, they are reported once by the schema
check) and the :class:`Rules` (from the products table, or from the scenario when one is given),
and returns the violations, each naming the file, line and key of the offending row.

Where a rule needs a reading of the format, the reading is stated in the function's docstring.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from vaxsim.plan.violations import Violation, key_text

Tables = dict[str, pd.DataFrame]


def path(name: str) -> str:
    return f"tables/{name}.csv"


@dataclass(frozen=True)
class Rules:
    """What the invariants compare against.

    ``intervals[(product, dose)]``: ``(min_days, max_days)`` before dose ``dose`` (≥ 2) after the
    previous dose (``None`` = unbounded). ``mixing_allowed`` / ``mixing_pairs`` (empty = any
    pair): whether a next dose may be of another product. ``thaw_days[product]``: days an
    ultra-cold or frozen product stays usable at +2..+8 °C once thawed (scenario only).
    ``follow_ups_reserved``: the plan promises every free first-dose slot its follow-up
    (``summary.follow_ups`` in plan.json; a plan that does not say so is held to it).
    ``restart``: the plan starts from a simulated state (``summary.restart`` in plan.json) on
    ``restart_date``, so its stock opens with what the state carried over (``opening_stock``):
    lots that arrived before that day are in the opening stock, not in the projection.
    """

    intervals: dict[tuple[str, int], tuple[int | None, int | None]] = field(default_factory=dict)
    mixing_allowed: bool = False
    mixing_pairs: frozenset[tuple[str, str]] = frozenset()
    thaw_days: dict[str, int] = field(default_factory=dict)
    follow_ups_reserved: bool = True
    restart: bool = False
    restart_date: str | None = None

    def may_mix(self, first: str, second: str) -> bool:
        if first == second:
            return True
        return self.mixing_allowed and (not self.mixing_pairs or (first, second) in self.mixing_pairs)


def rules_from_products(tables: Tables) -> Rules:
    """Rules stated by the plan itself: each product's interval applies before every later dose."""
    intervals = {}
    for row in tables["products"].itertuples():
        for dose in range(2, int(row.series_doses) + 1):
            intervals[(row.product_id, dose)] = (row.min_interval_days, row.max_interval_days)
    return Rules(intervals=intervals)


def _v(table: str, line: int, key: str, message: str, number: int) -> Violation:
    return Violation(path(table), int(line), key, message, f"invariant {number}")


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# 1. Appointments per capacity row ≤ capacity; booked = count of appointments.


def invariant_1(tables: Tables, rules: Rules) -> list[Violation]:
    """Appointments per capacity row ≤ capacity, and ``booked`` equals their count.

    Every appointment in the table is a booked one (the format has no appointment status).
    Also checked here, because an appointment is only a booking if it fits its row: its window
    lies inside the row's session on the service date (local time of the site), starts before
    it ends, and its SMS notice (if any) comes before the window.
    """
    capacity, appointments, sites = tables["capacity"], tables["appointments"], tables["sites"]
    found = []
    counts = appointments.groupby("capacity_id").size().to_dict()
    for row in capacity.itertuples():
        key = f"capacity_id={row.capacity_id}"
        count = int(counts.get(row.capacity_id, 0))
        if row.booked > row.capacity:
            found.append(
                _v("capacity", row.csv_line, key, f"booked {row.booked} > capacity {row.capacity}", 1)
            )
        if count != row.booked:
            found.append(
                _v("capacity", row.csv_line, key, f"booked {row.booked} but {count} appointments", 1)
            )
        elif count > row.capacity:
            found.append(
                _v("capacity", row.csv_line, key, f"{count} appointments > capacity {row.capacity}", 1)
            )
    found += _appointment_windows(capacity, appointments, sites)
    return found


def _appointment_windows(
    capacity: pd.DataFrame, appointments: pd.DataFrame, sites: pd.DataFrame
) -> list[Violation]:
    """Appointments whose window is not inside their session, or whose notice comes after it."""
    zones = dict(zip(sites.site_id, sites.timezone, strict=True))
    slots = capacity.set_index("capacity_id")[["site_id", "service_date", "session_start", "session_end"]]
    joined = appointments.join(slots, on="capacity_id", how="inner")
    if joined.empty:
        return []
    joined = joined.assign(zone=joined.site_id.map(zones))
    session_start = pd.Series(pd.NaT, index=joined.index, dtype="datetime64[ns, UTC]")
    session_end = session_start.copy()
    found = []
    for zone, rows in joined.groupby("zone", sort=False):
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            for row in rows.itertuples():
                found.append(
                    _v(
                        "appointments",
                        row.csv_line,
                        f"appointment_id={row.appointment_id}",
                        f"site {row.site_id} has no known time zone {zone!r}",
                        1,
                    )
                )
            continue
        for column, target in (("session_start", session_start), ("session_end", session_end)):
            local = pd.to_datetime(rows.service_date + " " + rows[column], format="%Y-%m-%d %H:%M")
            target[rows.index] = local.dt.tz_localize(str(zone)).dt.tz_convert("UTC")
    start = pd.to_datetime(joined.window_start, utc=True, format="ISO8601")
    end = pd.to_datetime(joined.window_end, utc=True, format="ISO8601")
    notify = pd.to_datetime(joined.notify_at, utc=True, format="ISO8601")
    known = session_start.notna()
    outside = known & ~((session_start <= start) & (start < end) & (end <= session_end))
    for row in joined[outside].itertuples():
        local_start = session_start[row.Index].tz_convert(zones[row.site_id]).isoformat()
        local_end = session_end[row.Index].tz_convert(zones[row.site_id]).isoformat()
        found.append(
            _v(
                "appointments",
                row.csv_line,
                f"appointment_id={row.appointment_id}",
                f"window {row.window_start}..{row.window_end} is not inside its session "
                f"{local_start}..{local_end} ({row.capacity_id})",
                1,
            )
        )
    late = notify.notna() & (notify > start)
    for row in joined[late].itertuples():
        found.append(
            _v(
                "appointments",
                row.csv_line,
                f"appointment_id={row.appointment_id}",
                f"notice at {row.notify_at} after the window starts",
                1,
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# 2. Stock never goes negative, and the stock projection agrees with the movements.


def expected_flows(
    tables: Tables, restart_date: str | None = None
) -> tuple[dict[tuple, int], dict[tuple, int], dict[tuple, tuple[str, int]]]:
    """Doses received and issued per (site, date, lot) according to lots, shipments and (for a
    re-plan from ``restart_date``) the opening stock's doses on the road and set aside, and the
    first table and CSV line that say so (for messages): ``received, issued, where``."""
    received: dict[tuple, int] = defaultdict(int)
    issued: dict[tuple, int] = defaultdict(int)
    where: dict[tuple, tuple[str, int]] = {}
    lots = tables["lots"]
    for site, date, lot, doses in zip(
        lots.arrival_site_id.tolist(), lots.arrival_date.tolist(), lots.lot_id.tolist(), lots.doses.tolist(),
        strict=True,
    ):
        if restart_date is None or date >= restart_date:  # earlier: in the opening stock
            received[(site, date, lot)] += int(doses)
    opening = tables["opening_stock"] if restart_date is not None else tables["opening_stock"].iloc[:0]
    for row in opening.itertuples():
        flow_key = (row.site_id, row.date, row.lot_id)
        received[flow_key] += int(row.in_transit)
        issued[flow_key] += int(row.reserved)
        where.setdefault(flow_key, ("opening_stock", int(row.csv_line)))
    live = live_shipments(tables)
    lines = tables["shipment_lines"]
    for shipment, lot, doses, csv_line in zip(
        lines.shipment_id.tolist(), lines.lot_id.tolist(), lines.doses.tolist(), lines.csv_line.tolist(),
        strict=True,
    ):
        head = live.get(shipment)
        if head is None:
            continue
        arrive = (head.to_site_id, head.arrival_date, lot)
        leave = (head.from_site_id, head.ship_date, lot)
        received[arrive] += int(doses)
        issued[leave] += int(doses)
        where.setdefault(arrive, ("shipment_lines", csv_line))
        where.setdefault(leave, ("shipment_lines", csv_line))
    return received, issued, where


def opening_on_hand(tables: Tables, rules: Rules) -> dict[tuple[str, str], int]:
    """Doses of each (site, lot) on hand when a re-plan starts (empty for a plan from the start)."""
    if rules.restart_date is None:
        return {}
    opening = tables["opening_stock"]
    on_hand = opening[opening.date == rules.restart_date].groupby(["site_id", "lot_id"]).on_hand.sum()
    return {key: int(doses) for key, doses in on_hand.items()}


def live_shipments(tables: Tables) -> dict:
    """Shipments that are not cancelled, by id (rows as named tuples)."""
    shipments = tables["shipments"]
    live = shipments[shipments.status != "cancelled"]
    return {row.shipment_id: row for row in live.itertuples(index=False)}


def invariant_2(tables: Tables, rules: Rules) -> list[Violation]:
    """Stock never goes negative at any site, on any day, for any lot.

    Read as a ledger: each row balances (opening + received − issued − administered − wasted −
    expired = closing), no flow exceeds what is on hand, the opening is the previous row's
    closing for that site and lot (0 on its first row: a plan carries every movement since the
    lot arrived; a re-plan's opens with its ``opening_stock``), and ``received`` / ``issued``
    equal the lot arrivals and the lines of shipments that are not cancelled (and a re-plan's
    doses on the road and set aside). On a day without a row the stock is the last closing.
    """
    stock = tables["stock_projection"]
    found = []
    received, issued, where = expected_flows(tables, rules.restart_date)
    carried = opening_on_hand(tables, rules)
    seen = set()
    for (site, lot), rows in _groups(stock.sort_values(["site_id", "lot_id", "date"]), ("site_id", "lot_id")):
        previous = carried.get((site, lot), 0)
        for row in rows:
            balance = row.opening + row.received - row.issued - row.administered - row.wasted - row.expired
            if balance != row.closing:
                found.append(
                    _v(
                        "stock_projection",
                        row.csv_line,
                        key_text(("site_id", "date", "lot_id"), (site, row.date, lot)),
                        f"closing {row.closing} but opening {row.opening} + received {row.received} − issued "
                        f"{row.issued} − administered {row.administered} − wasted {row.wasted} − expired "
                        f"{row.expired} = {balance}",
                        2,
                    )
                )
            elif row.opening + row.received - row.issued < 0:
                found.append(
                    _v(
                        "stock_projection",
                        row.csv_line,
                        key_text(("site_id", "date", "lot_id"), (site, row.date, lot)),
                        f"issues {row.issued} with only "
                        f"{row.opening + row.received} on hand: stock goes negative",
                        2,
                    )
                )
            if row.opening != previous:
                found.append(
                    _v(
                        "stock_projection",
                        row.csv_line,
                        key_text(("site_id", "date", "lot_id"), (site, row.date, lot)),
                        f"opening {row.opening} but the stock carried over is {previous}",
                        2,
                    )
                )
            previous = row.closing
            flow_key = (site, row.date, lot)
            seen.add(flow_key)
            for name, expected in (("received", received), ("issued", issued)):
                want = expected.get(flow_key, 0)
                if getattr(row, name) != want:
                    found.append(
                        _v(
                            "stock_projection",
                            row.csv_line,
                            key_text(("site_id", "date", "lot_id"), (site, row.date, lot)),
                            f"{name} {getattr(row, name)} but lots and shipments say {want}",
                            2,
                        )
                    )
    lot_lines = dict(zip(tables["lots"].lot_id.tolist(), tables["lots"].csv_line.tolist(), strict=True))
    for expected, name in ((received, "received"), (issued, "issued")):
        for flow_key, doses in expected.items():
            if flow_key not in seen and doses:
                site, date, lot = flow_key
                table, line = where.get(flow_key, ("lots", int(lot_lines[lot])))
                found.append(
                    _v(
                        table,
                        line,
                        key_text(("site_id", "date", "lot_id"), flow_key),
                        f"{doses} doses {name} but stock_projection has no row for it",
                        2,
                    )
                )
    return found


def _groups(frame: pd.DataFrame, keys: tuple[str, ...]):
    """``(key, rows)`` of a frame sorted by ``keys`` (rows as named tuples), in sorted key order:
    what ``frame.groupby(list(keys))`` gives, without a DataFrame per group. Rows with a missing
    key are left out, as ``groupby`` leaves them out."""
    order = frame.sort_values(list(keys), kind="stable")
    known = order[list(keys)].notna().all(axis=1).to_numpy()
    order = order[known]
    key_columns = [order[k].tolist() for k in keys]
    current = None
    rows: list = []
    for values, row in zip(zip(*key_columns, strict=True), order.itertuples(), strict=True):
        if values != current:
            if rows:
                yield current, rows
            current, rows = values, []
        rows.append(row)
    if rows:
        yield current, rows


# ---------------------------------------------------------------------------------------------
# Stock on hand per site, lot and day, from a sparse projection.


class StockLookup:
    """Stock of each (site, lot) on any date from the projection's rows (last closing between rows)."""

    def __init__(self, stock: pd.DataFrame):
        self.by_site_lot: dict[tuple[str, str], tuple[list[str], list]] = {}
        self.lots_at: dict[str, set[str]] = defaultdict(set)
        for (site, lot), rows in _groups(stock.sort_values("date"), ("site_id", "lot_id")):
            self.by_site_lot[(site, lot)] = ([row.date for row in rows], rows)
            self.lots_at[site].add(lot)

    def row(self, site: str, lot: str, date: str):
        """The projection row of that day, or ``None``."""
        dates, rows = self.by_site_lot.get((site, lot), ([], []))
        i = bisect.bisect_left(dates, date)
        return rows[i] if i < len(dates) and dates[i] == date else None

    def closing_before(self, site: str, lot: str, date: str) -> int:
        dates, rows = self.by_site_lot.get((site, lot), ([], []))
        i = bisect.bisect_left(dates, date)
        return int(rows[i - 1].closing) if i else 0

    def usable(self, site: str, lot: str, date: str) -> int:
        """Doses of the lot usable for vaccination at the site that day: what is on hand after
        receipts, issues, expiry and open-vial losses."""
        row = self.row(site, lot, date)
        if row is None:
            return self.closing_before(site, lot, date)
        return int(row.opening + row.received - row.issued - row.expired - row.wasted)


def invariant_3(tables: Tables, rules: Rules) -> list[Violation]:
    """Doses scheduled at a site on a day ≤ projected stock there (after open-vial losses).

    Doses scheduled = the capacity opened for the product at the site that day (every opened
    appointment may be taken); projected stock = Σ over the product's lots of opening + received −
    issued − expired − wasted (the last closing on a day without a row).
    """
    lookup = StockLookup(tables["stock_projection"])
    product_of = dict(zip(tables["lots"].lot_id, tables["lots"].product_id, strict=True))
    found = []
    capacity = tables["capacity"]
    lots_of: dict[tuple, list[str]] = {}
    daily = capacity.groupby(["site_id", "service_date", "product_id"], sort=False).agg(
        scheduled=("capacity", "sum"), line=("csv_line", "first")
    )
    for (site, date, product), scheduled, line in zip(
        daily.index.tolist(), daily.scheduled.tolist(), daily.line.tolist(), strict=True
    ):
        scheduled = int(scheduled)
        lots = lots_of.get((site, product))
        if lots is None:
            lots = [lot for lot in lookup.lots_at.get(site, ()) if product_of.get(lot) == product]
            lots_of[(site, product)] = lots
        available = sum(lookup.usable(site, lot, date) for lot in lots)
        if scheduled > available:
            found.append(
                _v(
                    "capacity",
                    line,
                    key_text(("site_id", "service_date", "product_id"), (site, date, product)),
                    f"{scheduled} doses scheduled > {available} in stock after open-vial losses",
                    3,
                )
            )
    return found


# ---------------------------------------------------------------------------------------------
# 4. No dose from a lot after its expiry date (or after its thawed shelf life).


def storage_class(storage_max_c: float) -> str:
    """Temperature class of a product from its highest storage temperature (°C)."""
    if storage_max_c <= -60:
        return "ult"
    if storage_max_c <= -15:
        return "frozen"
    return "2_8c"


def has_room(site, klass: str) -> bool:
    """Whether a sites row states storage (> 0 litres) in a temperature class."""
    value = getattr(site, f"cold_chain_litres_{klass}")
    return value is not None and not pd.isna(value) and value > 0


def thaw_dates(tables: Tables, rules: Rules) -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    """For thawing products: (site, lot) → [(thaw date, arrival date, doses)] of the batches
    received there.

    A batch thaws when it arrives at a node with no room in its product's temperature class; a
    batch sent on from a thawed node keeps the earliest thaw date that node holds for the lot
    (conservative: the checker cannot tell which batch was sent).
    """
    products = tables["products"].set_index("product_id")
    sites = {row.site_id: row for row in tables["sites"].itertuples(index=False)}
    product_of = dict(zip(tables["lots"].lot_id.tolist(), tables["lots"].product_id.tolist(), strict=True))
    klass = {p: storage_class(row.storage_max_c) for p, row in products.iterrows()}
    events = []
    for row in tables["lots"].itertuples():
        events.append((row.arrival_date, None, row.arrival_site_id, row.lot_id, int(row.doses)))
    live = live_shipments(tables)
    for row in tables["shipment_lines"].itertuples():
        head = live.get(row.shipment_id)
        if head is not None:
            events.append((head.arrival_date, head.from_site_id, head.to_site_id, row.lot_id, int(row.doses)))
    batches: dict[tuple[str, str], list[tuple[str, str, int]]] = defaultdict(list)
    if rules.restart_date is not None:
        _opening_batches(tables, rules, events, batches)
    for arrival, origin, destination, lot, doses in sorted(
        events, key=lambda e: (e[0], str(e[1]), e[2], e[3])
    ):
        if lot not in product_of or destination not in sites:
            continue
        product = product_of[lot]
        if product not in rules.thaw_days or klass.get(product) == "2_8c":
            continue
        if has_room(sites[destination], klass[product]):
            continue
        carried = batches.get((origin, lot)) if origin is not None else None
        thawed = min(date for date, _, _ in carried) if carried else arrival
        batches[(destination, lot)].append((thawed, arrival, doses))
    return batches


def last_use_dates(tables: Tables, rules: Rules) -> dict[str, str]:
    """Each lot's last usable date: its expiry, or for a re-plan the earlier ``use_by`` its
    opening stock gives it (the simulated state's thaw clocks)."""
    last = dict(zip(tables["lots"].lot_id, tables["lots"].expiry_date, strict=True))
    if rules.restart_date is not None:
        for lot, use_by in tables["opening_stock"].groupby("lot_id").use_by.min().items():
            last[lot] = min(str(use_by), last.get(lot, str(use_by)))
    return last


def _opening_batches(tables: Tables, rules: Rules, events: list, batches: dict) -> None:
    """A re-plan's opening stock in :func:`thaw_dates`: doses on hand are a batch whose clock
    ends on the lot's ``use_by`` (thawed ``days`` − 1 before it); doses on the road arrive like
    a delivery (they thaw on arrival where there is no room)."""
    sites = {row.site_id: row for row in tables["sites"].itertuples(index=False)}
    products = tables["products"].set_index("product_id")
    product_of = dict(zip(tables["lots"].lot_id.tolist(), tables["lots"].product_id.tolist(), strict=True))
    for row in tables["opening_stock"].itertuples():
        if row.in_transit:
            events.append((row.date, None, row.site_id, row.lot_id, int(row.in_transit)))
        product = product_of.get(row.lot_id)
        if not row.on_hand or product not in rules.thaw_days or row.site_id not in sites:
            continue
        klass = storage_class(products.storage_max_c[product])
        if klass == "2_8c" or has_room(sites[row.site_id], klass):
            continue
        thawed = (_date(str(row.use_by)) - dt.timedelta(days=rules.thaw_days[product] - 1)).isoformat()
        batches[(row.site_id, row.lot_id)].append((thawed, row.date, int(row.on_hand)))


def invariant_4(tables: Tables, rules: Rules) -> list[Violation]:
    """No dose is scheduled from a lot after its expiry date (or after its thawed shelf life).

    Expiry: no dose administered or shipped from a lot after its ``expiry_date`` (a re-plan:
    its ``opening_stock.use_by`` where that is earlier). Thaw clock
    (when the scenario gives ``days_at_2_8c``): at a node without room in the product's class,
    batches are used first-expiring-first; doses administered or issued on a day must fit in
    the batches still inside their clock (thaw date + days − 1), net of what was used before.
    """
    found = []
    expiry = last_use_dates(tables, rules)
    product_of = dict(zip(tables["lots"].lot_id, tables["lots"].product_id, strict=True))
    stock = tables["stock_projection"]
    for site, date, lot, administered, issued, csv_line in zip(
        *(stock[c].tolist() for c in ("site_id", "date", "lot_id", "administered", "issued", "csv_line")),
        strict=True,
    ):
        limit = expiry.get(lot)
        used = administered + issued
        if limit is not None and date > limit and used > 0:
            found.append(
                _v(
                    "stock_projection",
                    csv_line,
                    key_text(("site_id", "date", "lot_id"), (site, date, lot)),
                    f"{used} doses used after the lot expired on {limit}",
                    4,
                )
            )
    lines_of = defaultdict(list)
    for line in tables["shipment_lines"].itertuples():
        lines_of[line.shipment_id].append(line)
    for row in tables["shipments"].itertuples():
        if row.status == "cancelled":
            continue
        for line in lines_of.get(row.shipment_id, ()):
            limit = expiry.get(line.lot_id)
            if limit is not None and row.arrival_date > limit:
                found.append(
                    _v(
                        "shipment_lines",
                        line.csv_line,
                        key_text(("shipment_id", "line_no"), (line.shipment_id, line.line_no)),
                        f"lot {line.lot_id} arrives on {row.arrival_date}, after its expiry {limit}",
                        4,
                    )
                )
    if not rules.thaw_days:
        return found
    batches = thaw_dates(tables, rules)
    for (site, lot), rows in _groups(stock.sort_values("date"), ("site_id", "lot_id")):
        if (site, lot) not in batches:
            continue
        days = rules.thaw_days[product_of[lot]]
        ends = sorted(
            ((_date(thawed) + dt.timedelta(days=days - 1)).isoformat(), arrival, doses)
            for thawed, arrival, doses in batches[(site, lot)]
        )
        consumed = 0  # doses taken so far, from the earliest-ending batches first
        for row in rows:
            used = int(row.administered + row.issued)
            # Doses of batches whose clock ended before today are gone (written off), not usable.
            gone = sum(doses for end, arrival, doses in ends if end < row.date and arrival <= row.date)
            live = sum(doses for end, arrival, doses in ends if end >= row.date and arrival <= row.date)
            usable = live - max(0, consumed - gone)
            if used > usable:
                found.append(
                    _v(
                        "stock_projection",
                        row.csv_line,
                        key_text(("site_id", "date", "lot_id"), (site, row.date, lot)),
                        f"{used} doses used but only {max(usable, 0)} are within the {days}-day thaw clock",
                        4,
                    )
                )
            consumed += used + int(row.wasted)
    return found


# ---------------------------------------------------------------------------------------------
# 5. Next dose inside the interval window, same product unless mixing is allowed.


def invariant_5(tables: Tables, rules: Rules) -> list[Violation]:
    """A next-dose appointment falls inside the product's interval window after the previous
    dose, of the same product unless the scenario allows mixing.

    People are followed by ``person_key``; their appointments are ordered by dose number. A
    person booked twice for one dose number, or for dose n + 1 after a dose n − 1 without dose
    n, is also reported. A first booked dose > 1 (earlier doses given before the plan) is fine.
    """
    capacity = tables["capacity"].set_index("capacity_id")
    appointments = tables["appointments"]
    appointments = appointments[appointments.capacity_id.isin(capacity.index)]
    if appointments.empty:
        return []
    joined = appointments.join(capacity[["service_date", "product_id", "dose_number"]], on="capacity_id")
    joined = joined.sort_values(["person_key", "dose_number", "service_date", "csv_line"], kind="stable")
    previous = joined.groupby("person_key", sort=False)[
        ["appointment_id", "service_date", "product_id", "dose_number"]
    ].shift(1)
    has_previous = previous.dose_number.notna()
    joined = joined[has_previous]
    previous = previous[has_previous]
    if joined.empty:
        return []
    dose = joined.dose_number.astype("int64")
    before = previous.dose_number.astype("int64")
    days = (pd.to_datetime(joined.service_date) - pd.to_datetime(previous.service_date)).dt.days
    found = []
    for row, prev_id, prev_date, prev_product, prev_dose, n, gap in zip(
        joined.itertuples(),
        previous.appointment_id,
        previous.service_date,
        previous.product_id,
        before,
        dose,
        days,
        strict=True,
    ):
        key = f"appointment_id={row.appointment_id}"
        message = None
        if n == prev_dose:
            message = f"person {row.person_key} is booked twice for dose {n} (also {prev_id})"
        elif n != prev_dose + 1:
            message = f"dose {n} booked after dose {prev_dose} without dose {prev_dose + 1}"
        elif not rules.may_mix(prev_product, row.product_id):
            message = f"dose {n} is {row.product_id} after {prev_product}, and mixing is not allowed"
        else:
            low, high = rules.intervals.get((prev_product, int(n)), (None, None))
            if (low is not None and gap < low) or (high is not None and gap > high):
                message = (
                    f"dose {n} on {row.service_date} is {gap} days after dose {prev_dose} on {prev_date}, "
                    f"outside {low}..{high} days for {prev_product}"
                )
        if message:
            found.append(_v("appointments", row.csv_line, key, message, 5))
    return found


# ---------------------------------------------------------------------------------------------
# 6. Cold-chain volume ≤ capacity per temperature class.


def invariant_6(tables: Tables, rules: Rules) -> list[Violation]:
    """Cold-chain volume at each store and site ≤ its capacity, per temperature class.

    Volume of a day = Σ over lots of the closing stock × packed volume per dose (cm³ → litres).
    A lot counts in its product's class where the node has room in that class, else at
    +2..+8 °C (thawed). A class whose capacity is not stated (empty) has no limit. A re-plan
    may hold up to the volume it was handed where that is above capacity (:func:`_carried_litres`).
    """
    sites = tables["sites"].set_index("site_id")
    stock = _placed(tables["stock_projection"], tables)
    if stock.empty:
        return []
    stock = stock.sort_values(["site_id", "lot_id", "date"])
    # Volume changes where a lot's closing changes; a running sum per site and class gives the
    # volume held at the end of every day that has a row (stock carries over between rows).
    previous = stock.groupby(["site_id", "lot_id"]).closing.shift(fill_value=0)
    stock = stock.assign(change=(stock.closing - previous) * stock.litres)
    daily = stock.groupby(["site_id", "where", "date"]).agg(
        change=("change", "sum"), line=("csv_line", "min")
    )
    daily["volume"] = daily.groupby(level=[0, 1]).change.cumsum()
    found = []
    limits = {
        where: sites[f"cold_chain_litres_{where}"].to_dict() for where in daily.index.unique(level=1).tolist()
    }
    carried = _carried_litres(tables) if rules.restart else {}
    for (site, where, date), volume, line in zip(
        daily.index.tolist(), daily.volume.tolist(), daily.line.tolist(), strict=True
    ):
        limit = limits[where][site]
        if limit is None or pd.isna(limit):
            continue
        limit = max(limit, carried.get((site, where), 0.0))
        if volume > limit + 1e-9:
            found.append(
                _v(
                    "stock_projection",
                    line,
                    key_text(("site_id", "date"), (site, date)),
                    f"{volume:.3f} L of vaccine in {where.replace('_', '-')} storage "
                    f"> capacity {limit:g} L",
                    6,
                )
            )
    return found


def _placed(table: pd.DataFrame, tables: Tables) -> pd.DataFrame:
    """Rows of a stock table (``site_id``, ``lot_id``) of known products and sites, with the
    temperature class each lot occupies there (``where``: its product's class where the site
    has room in it, else +2..+8 °C) and its ``litres`` per dose."""
    products = tables["products"].set_index("product_id")
    klass = {p: storage_class(row.storage_max_c) for p, row in products.iterrows()}
    litres = {p: row.packed_volume_cm3_per_dose / 1000.0 for p, row in products.iterrows()}
    product_of = dict(zip(tables["lots"].lot_id, tables["lots"].product_id, strict=True))
    site_rows = {row.site_id: row for row in tables["sites"].itertuples(index=False)}
    product = table.lot_id.map(product_of)
    table = table[product.isin(list(klass)) & table.site_id.isin(list(site_rows))]
    product = table.lot_id.map(product_of)
    own = product.map(klass)
    room = pd.Series(
        [has_room(site_rows[site], k) for site, k in zip(table.site_id, own, strict=True)], index=table.index
    )
    return table.assign(where=own.where(room, "2_8c"), litres=product.map(litres))


def _carried_litres(tables: Tables) -> dict[tuple[str, str], float]:
    """Litres per (store, class) a re-plan starts from (``opening_stock``: on hand and on the
    road). The simulated state may hold more than a store's capacity (stock that could not
    move on); a re-plan cannot undo that on its first day, so it may hold up to what it was
    handed, never more."""
    opening = tables.get("opening_stock")
    if opening is None or opening.empty:
        return {}
    opening = _placed(opening, tables)
    volume = (opening.on_hand + opening.in_transit) * opening.litres
    return volume.groupby([opening.site_id, opening["where"]]).sum().to_dict()


# ---------------------------------------------------------------------------------------------
# 7. Daily doses at a site ≤ its throughput limit (crowding limits need the scenario).


def invariant_7(tables: Tables, rules: Rules) -> list[Violation]:
    """Daily doses at a site ≤ its throughput limit ``max_doses_per_day``.

    Both the capacity opened that day and the doses the projection administers are compared.
    Crowding limits are not in the plan: they are checked against the scenario's site types
    (``vaxsim plan check --scenario``).
    """
    limits = tables["sites"].set_index("site_id").max_doses_per_day.to_dict()
    found = []
    for (site, date), total, line in _sums(tables["capacity"], ["site_id", "service_date"], "capacity"):
        limit = limits.get(site)
        total = int(total)
        if limit is not None and not pd.isna(limit) and total > limit:
            found.append(
                _v(
                    "capacity",
                    line,
                    key_text(("site_id", "service_date"), (site, date)),
                    f"{total} appointments opened > throughput limit {int(limit)} doses/day",
                    7,
                )
            )
    for (site, date), total, line in _sums(tables["stock_projection"], ["site_id", "date"], "administered"):
        limit = limits.get(site)
        total = int(total)
        if limit is not None and not pd.isna(limit) and total > limit:
            found.append(
                _v(
                    "stock_projection",
                    line,
                    key_text(("site_id", "date"), (site, date)),
                    f"{total} doses administered > throughput limit {int(limit)} doses/day",
                    7,
                )
            )
    return found


def _sums(frame: pd.DataFrame, keys: list[str], column: str):
    """``(key, sum of column, csv_line of the group's first row)`` per group, in order of first
    appearance (``groupby(keys, sort=False)``)."""
    totals = frame.groupby(keys, sort=False).agg(total=(column, "sum"), line=("csv_line", "first"))
    return zip(totals.index.tolist(), totals.total.tolist(), totals.line.tolist(), strict=True)


# ---------------------------------------------------------------------------------------------
# 8. Every published free slot is really bookable.


def invariant_8(tables: Tables, rules: Rules) -> list[Violation]:
    """Every published free slot is really bookable: capacity − booked > 0 (a row with no free
    slot publishes none), and, when the plan reserves follow-ups (``Rules.follow_ups_reserved``),
    a free slot for dose n < series has a follow-up reserved.

    Follow-up: free capacity for dose n + 1 of the same product at the same site inside the
    interval window after the slot's date. Free first-dose slots are matched, earliest date
    first, to the earliest free follow-up capacity in their window (optimal when all windows
    have the same length); a row whose free slots cannot all be matched is reported.
    """
    if not rules.follow_ups_reserved:
        return []  # first doses first: no follow-up is promised, and a row without free slots publishes none
    capacity = tables["capacity"]
    series = dict(zip(tables["products"].product_id, tables["products"].series_doses, strict=True))
    found = []
    free = capacity.assign(free=capacity.capacity - capacity.booked)
    keys = ["site_id", "product_id", "dose_number"]
    offered = free[free.free > 0]
    supplies: dict[tuple, list] = defaultdict(list)
    for site, product, dose, date, doses in zip(
        *(offered[c].tolist() for c in (*keys, "service_date", "free")), strict=True
    ):
        supplies[(site, product, dose)].append((date, int(doses)))
    # Groups without a free slot report nothing: only the others are walked (same rows, same order).
    free = free[free.groupby(keys, sort=False).free.transform("max") > 0]
    for (site, product, dose), rows in free.groupby(keys, sort=False):
        if product not in series or dose >= series[product]:
            continue
        low, high = rules.intervals.get((product, int(dose) + 1), (None, None))
        low = 0 if low is None else int(low)
        supply = sorted(supplies.get((site, product, dose + 1), ()))
        remaining = [doses for _, doses in supply]
        dates = [_date(date) for date, _ in supply]
        for row in rows.sort_values("service_date").itertuples():
            if row.free <= 0:
                continue
            start = _date(row.service_date) + dt.timedelta(days=low)
            end = None if high is None else _date(row.service_date) + dt.timedelta(days=int(high))
            need = int(row.free)
            for i, date in enumerate(dates):
                if need == 0:
                    break
                if date < start or (end is not None and date > end) or remaining[i] == 0:
                    continue
                take = min(need, remaining[i])
                remaining[i] -= take
                need -= take
            if need:
                window = f"{start}..{end or 'no limit'}"
                found.append(
                    _v(
                        "capacity",
                        row.csv_line,
                        f"capacity_id={row.capacity_id}",
                        f"{need} of {int(row.free)} free slots have no dose {dose + 1} capacity reserved at "
                        f"{site} in {window}",
                        8,
                    )
                )
    return found


INVARIANTS: tuple[Callable[[Tables, Rules], list[Violation]], ...] = (
    invariant_1,
    invariant_2,
    invariant_3,
    invariant_4,
    invariant_5,
    invariant_6,
    invariant_7,
    invariant_8,
)
"""The eight invariants in the order of PLAN_FORMAT.md."""

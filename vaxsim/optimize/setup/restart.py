"""Restart: plan the rest of a campaign from a simulated state (digital-twin mode).

A :class:`~vaxsim.sim.state.CampaignState` at the start of campaign day ``day`` becomes the
optimizer's starting point instead of a new campaign (rules in FORMULATION.md, "Restarting
from a simulated state"):

- stock: every state row is on hand on ``day`` at the hierarchy node of its store (a district's
  own node when the store is its district store, the district's node for a site); a lot's
  expiry in the ledger becomes the earliest ``use_by`` the state gives it (thaw clocks);
  shipments on the road arrive at their destination node on their date; scenario deliveries
  before ``day`` are dropped (what is left of them is in the state), later ones arrive as usual;
- bookings: doses for appointments already booked are set aside from the district store's
  stock on ``day`` (earliest ``use_by`` first), and their persons are taken off the district's
  capacity on their dates; a booked dose with a later one in its series enters the dose
  history on its booked day, so that later dose is planned;
- first doses: people waiting become available on ``max(ready, district's first planned
  day)``; the forecast's approvals from ``day + processing_days + 1`` on are the future ones
  (earlier forecast approvals are people the state already holds);
- next doses: people due enter the dose history as if given the previous dose ``min_days``
  before ``due_from``, so interval windows, eligibility and overdue counts follow as for people
  the optimizer vaccinated itself.

Units: doses, persons, campaign days (day 0 = the scenario's start date).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vaxsim.coldchain.fefo import cumulative_before
from vaxsim.coldchain.lots import NOT_THAWED
from vaxsim.coldchain.network import Network
from vaxsim.model import Model
from vaxsim.optimize.options import Options
from vaxsim.optimize.setup.context import Context, Steps, make_context
from vaxsim.optimize.setup.demand import Demand
from vaxsim.optimize.setup.hierarchy import Hierarchy

if TYPE_CHECKING:
    from vaxsim.optimize.realise.ledger import PlanLedger
    from vaxsim.optimize.realise.vaccination_day import Districts, DoseKinds
    from vaxsim.sim.state import CampaignState

#: Columns read from each state table.
STATE_COLUMNS = {
    "stock": ("store", "lot", "product", "owner", "use_by", "doses"),
    "in_transit": ("from", "to", "lot", "product", "owner", "arrives", "doses"),
    "waiting": ("district", "priority_group", "age_band", "persons", "ready"),
    "due": ("district", "product", "dose_number", "due_from", "persons"),
    "booked": ("date", "district", "product", "dose_number", "persons"),
    "vial_use": ("product", "doses_given", "open_vial_wasted"),
    "drawn": ("date", "district", "product", "doses"),
}


@dataclass(frozen=True)
class Restart:
    """A simulated state in the optimizer's indices.

    ``day`` campaign day; ``start`` the first frame day planned (:func:`restart_start`);
    ``date``; ``digest`` hex SHA-256 of the state's tables;
    ``on_hand`` int64 ``[node, lot]`` doses on hand on ``day`` (the state's stock);
    ``reserved`` int64 ``[node, lot]`` of them set aside for appointments already booked;
    ``use_by`` int64 ``[lot]`` last usable campaign day; ``arriving`` (node, lot, campaign day,
    doses) rows on the road, ``reserved_on_arrival`` int64 doses of each of them set aside for
    appointments already booked when they arrive; ``due`` (district, step, history day, persons) rows;
    ``booked_capacity`` int64 ``[district, day]`` persons already booked.
    """

    day: int
    start: int
    date: object
    digest: str
    on_hand: np.ndarray
    reserved: np.ndarray
    use_by: np.ndarray
    arriving: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    reserved_on_arrival: np.ndarray
    due: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    booked_capacity: np.ndarray
    allowance: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """What the plan starts from (for ``plan.summary["restart"]``)."""
        return {
            "from_simulated_state": True,
            "day": int(self.day),
            "date": str(self.date),
            "state_sha256": self.digest,
            "stock_on_hand": int(self.on_hand.sum()),
            "reserved_for_bookings": int(self.reserved.sum() + self.reserved_on_arrival.sum()),
            "in_transit": int(self.arriving[3].sum()),
            "next_doses_due": int(self.due[3].sum()),
            "persons_booked": int(self.booked_capacity.sum()),
            "open_vial_allowance": {str(q): round(float(a), 6) for q, a in self.allowance.items()},
        }

    # ------------------------------------------------------------------ applying it

    def start_ledger(self, ledger: PlanLedger) -> None:
        """Replace the new campaign's stock by the state's: on hand minus reservations, shipments
        on the road, scenario deliveries from ``day`` on only, expiry cut to ``use_by``."""
        offset = ledger.offset
        early = ledger.awaited & (ledger.lots.doses > 0)
        for frame in list(ledger.pending):
            kept = []
            for node, lot, doses, delivery, carried in ledger.pending[frame]:
                arrival = frame + offset[node]
                keep = ~(delivery & (arrival < self.day))
                if keep.any():
                    kept.append((node[keep], lot[keep], doses[keep], delivery[keep], carried[keep]))
                early[lot[keep & delivery]] = False
            if kept:
                ledger.pending[frame] = kept
            else:
                del ledger.pending[frame]
        for frame in [f for f in ledger.pending if f < self.start]:  # due at a lagging node's frame
            ledger.pending[self.start].extend(ledger.pending.pop(frame))  # before the start: at start
        ledger.delivered = np.where(early, 0, ledger.delivered)
        ledger.awaited &= ~early
        ledger.open_with(self.on_hand - self.reserved)
        ledger.cap_use_by(self.use_by)
        node, lot, day, doses = self.arriving
        held_node, held_lot = np.nonzero(self.on_hand)
        ledger.allow_carried(
            np.r_[held_node, node], np.r_[held_lot, lot], np.r_[self.on_hand[held_node, held_lot], doses]
        )
        doses = doses - self.reserved_on_arrival
        start = self.start
        frames = np.maximum(day - offset[node], start)
        for frame in np.unique(frames):
            on = frames == frame
            ledger.pending[int(frame)].append(
                (
                    node[on],
                    lot[on],
                    doses[on],
                    np.ones(int(on.sum()), dtype=bool),
                    np.full(int(on.sum()), NOT_THAWED),
                )
            )
        ledger.awaited[lot] = True
        ledger.delivered = ledger.delivered + (self.on_hand - self.reserved).sum(axis=0)
        np.add.at(ledger.delivered, lot, doses)

    def start_people(self, ctx: Context, people: Districts) -> None:
        """Put the people due a next dose into the dose history (module docstring)."""
        district, step, history, persons = self.due
        np.add.at(people.given, (district, ctx.steps.prev_slot[step], history), persons)
        people.follow_ups.enter_history(step, district, history, persons)


# ---------------------------------------------------------------------- reading a state


def check_state(model: Model, state: CampaignState) -> list[str]:
    """Every problem of ``state`` against ``model``: missing columns, unknown ids, negative or
    fractional quantities, dates outside the campaign."""
    problems: list[str] = []
    days = len(model.dates)
    if not isinstance(state.day, int | np.integer) or not 0 <= int(state.day) < days:
        problems.append(f"state day {state.day!r} is outside the campaign (0..{days - 1})")
    stores = set(map(str, model.stores.id)) | set(map(str, model.sites.id))
    lots = set(map(str, model.lots.id))
    districts = set(map(str, model.districts.id))
    products = set(map(str, model.products.id))
    groups = set(map(str, model.priority_groups.id))
    bands = set(map(str, model.age_bands.id))
    known = {
        "store": stores, "from": stores, "to": stores, "lot": lots, "product": products,
        "owner": districts | {""}, "district": districts, "priority_group": groups, "age_band": bands,
    }  # fmt: skip
    for name, columns in STATE_COLUMNS.items():
        table = getattr(state, name)
        missing = [c for c in columns if c not in table.columns]
        if missing:
            problems.append(f"state.{name} lacks column(s) {', '.join(missing)}")
            continue
        for column in columns:
            values = table[column]
            if column in known:
                unknown = sorted(set(values.astype(str)) - known[column])
                if unknown:
                    problems.append(
                        f"state.{name}: unknown {column} id(s) {', '.join(map(repr, unknown[:5]))}"
                    )
            elif column in ("doses", "persons", "dose_number", "doses_given", "open_vial_wasted"):
                numbers = pd.to_numeric(values, errors="coerce")
                bad = numbers.isna() | (numbers < 0) | (numbers != np.floor(numbers))
                if bad.any():
                    problems.append(
                        f"state.{name}: {column} must be whole numbers >= 0 "
                        f"({int(bad.sum())} row(s), e.g. {values[bad].iloc[0]!r})"
                    )
            else:  # dates
                parsed = pd.to_datetime(values.astype(str), errors="coerce")
                if parsed.isna().any():
                    problems.append(f"state.{name}: {int(parsed.isna().sum())} invalid {column} date(s)")
    if not problems and len(state.due):
        ids = list(model.products.id)
        series = {
            (ids[p], k) for p, k in zip(model.intervals["product"], model.intervals.dose_number, strict=True)
        }
        for p, k in set(
            zip(state.due["product"].astype(str), state.due.dose_number.astype(int), strict=True)
        ):
            if (p, k) not in series:
                problems.append(f"state.due: product {p!r} has no dose {k} in its series")
    return problems


def state_digest(state: CampaignState) -> str:
    """Hex SHA-256 of the state's day and tables (rows in a canonical order)."""
    h = hashlib.sha256(str(int(state.day)).encode())
    for name in (*STATE_COLUMNS, "registered", "vaccinated"):
        table = getattr(state, name)
        table = table[sorted(table.columns)].astype(str)
        table = table.sort_values(list(table.columns)).reset_index(drop=True)
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


def read_state(
    model: Model, hierarchy: Hierarchy, steps: Steps, state: CampaignState, period: int = 1
) -> Restart:
    """The state in the optimizer's indices (assumes :func:`check_state` found nothing);
    ``period`` days per planning period (:func:`restart_start`)."""
    start = model.dates[0]
    days, day = len(model.dates), int(state.day)
    lot_index = {str(x): i for i, x in enumerate(model.lots.id)}
    district_index = {str(x): i for i, x in enumerate(model.districts.id)}
    product_index = {str(x): i for i, x in enumerate(model.products.id)}
    node_of = _node_of_store(model, hierarchy)

    def campaign_day(values: pd.Series) -> np.ndarray:
        return (pd.to_datetime(values.astype(str)) - start).dt.days.to_numpy(dtype=np.int64)

    def nodes(stores: pd.Series, owners: pd.Series) -> np.ndarray:
        pairs = pd.DataFrame({"store": stores.astype(str), "owner": owners.astype(str)})
        unique = pairs.drop_duplicates()
        found = [node_of(s, o) for s, o in zip(unique.store, unique.owner, strict=True)]
        index = pd.MultiIndex.from_frame(unique)
        return pd.Series(found, index=index).reindex(pd.MultiIndex.from_frame(pairs)).to_numpy(dtype=np.int64)

    lots = len(model.lots)
    on_hand = np.zeros((hierarchy.size, lots), dtype=np.int64)
    use_by = np.full(lots, np.iinfo(np.int64).max // 4, dtype=np.int64)
    reserved = np.zeros_like(on_hand)
    stock_lot = state.stock.lot.astype(str).map(lot_index).to_numpy(dtype=np.int64)
    np.minimum.at(use_by, stock_lot, campaign_day(state.stock.use_by))
    held, arriving = _stock_rows(model, hierarchy, state, nodes, lot_index, campaign_day)
    node, lot, doses, _ = held
    np.add.at(on_hand, (node, lot), doses)
    start_frame = restart_start(hierarchy, day, period)
    taken = _reserve_for_bookings(model, hierarchy, state, held, arriving, days, use_by, start_frame)
    np.add.at(reserved, (node, lot), taken[: len(node)])
    due = state.due
    step_of = {(int(p), int(k)): s for s, (p, k) in enumerate(zip(steps.product, steps.dose, strict=True))}
    if len(due):
        step = np.array(
            [
                step_of[(product_index[str(p)], int(k))]
                for p, k in zip(due["product"], due.dose_number, strict=True)
            ],
            dtype=np.int64,
        )
        history = np.clip(campaign_day(due.due_from) - steps.min_days[step], 0, days - 1)
        due_rows = (
            due.district.astype(str).map(district_index).to_numpy(dtype=np.int64),
            step,
            history,
            due.persons.to_numpy(dtype=np.int64),
        )
    else:
        due_rows = tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
    owed = _owed_after_bookings(state, days, step_of, product_index, district_index, campaign_day)
    due_rows = tuple(np.concatenate([a, b]) for a, b in zip(due_rows, owed, strict=True))
    booked_capacity = np.zeros((len(model.districts), days), dtype=np.int64)
    booked = state.booked
    if len(booked):
        when = campaign_day(booked.date)
        inside = (when >= 0) & (when < days)
        d = booked.district.astype(str).map(district_index).to_numpy(dtype=np.int64)
        np.add.at(booked_capacity, (d[inside], when[inside]), booked.persons.to_numpy(dtype=np.int64)[inside])
    return Restart(
        day=day,
        start=start_frame,
        date=model.dates[day].date(),
        digest=state_digest(state),
        on_hand=on_hand,
        reserved=reserved,
        use_by=use_by,
        arriving=arriving,
        reserved_on_arrival=taken[len(node) :],
        due=due_rows,
        booked_capacity=booked_capacity,
    )


def _owed_after_bookings(
    state: CampaignState,
    days: int,
    step_of: dict[tuple[int, int], int],
    product_index: dict[str, int],
    district_index: dict[str, int],
    campaign_day: Callable[[pd.Series], np.ndarray],
) -> tuple[np.ndarray, ...]:
    """(district, step, history day, persons) of the next doses owed to people booked for a
    dose on or after the state's day whose series has a later dose: their booked day is their
    dose's day in the history. The state counts them neither as waiting nor as due, so without
    this a re-plan gave their later doses' vaccine to others (demo-district: the day-28 re-plan
    never planned the second doses of the 1,500 people booked for a first dose that day).
    ``step_of[(product, dose index)]``, the id indices and ``campaign_day`` are
    :func:`read_state`'s."""
    booked = state.booked
    empty = tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
    if not len(booked):
        return empty
    day = campaign_day(booked.date)
    product = booked["product"].astype(str).map(product_index).to_numpy(dtype=np.int64)
    step = np.array(
        [step_of.get((p, int(k) + 1), -1) for p, k in zip(product, booked.dose_number, strict=True)],
        dtype=np.int64,
    )
    keep = (step >= 0) & (day >= int(state.day)) & (day < days)
    if not keep.any():
        return empty
    district = booked.district.astype(str).map(district_index)
    return (
        district.to_numpy(dtype=np.int64)[keep],
        step[keep],
        day[keep],
        booked.persons.to_numpy(dtype=np.int64)[keep],
    )


def restart_start(hierarchy: Hierarchy, day: int, period: int = 1) -> int:
    """The first frame day a plan from the state at the start of campaign ``day`` plans: with
    daily periods, the one whose most distant district's frame starts on ``day + 1`` (never
    after ``day``); with longer periods, ``day`` (a shipment leaves at a period's start, so an
    earlier start would hold every store's first shipments back a whole period).

    A district's frame lags its lead time from the root (FORMULATION.md §1); starting the
    frames on ``day`` left a district's days ``day + 1 .. day + lead − 1`` without any plan
    (the simulation books a day's people the evening before, so ``day`` itself has its
    bookings). No shipment leaves a store before ``day`` (the sub-problems' links are shut)."""
    if period > 1 or not len(hierarchy.district_node):
        return day
    lag = int(hierarchy.offset[hierarchy.district_node].max())
    return max(0, min(day, day + 1 - lag))


def restart_demand(
    model: Model, demand: Demand, state: CampaignState, hierarchy: Hierarchy, start: int
) -> Demand:
    """Approvals from the state's waiting people plus the forecast's future approvals
    (module docstring); everything before a district's first planned day (its frame day
    ``start``, :func:`restart_start`) is zero."""
    day = int(state.day)
    D, G, T = demand.approvals.shape
    delay = model.scenario.people.approval.processing_days + 1
    approvals = demand.approvals.copy()
    approvals[:, :, : min(day + delay, T)] = 0
    first = start + hierarchy.offset[hierarchy.district_node]
    first = np.clip(first, day, T - 1)  # [d]
    waiting = state.waiting
    if len(waiting):
        groups = {str(x): i for i, x in enumerate(model.priority_groups.id)}
        bands = {str(x): i for i, x in enumerate(model.age_bands.id)}
        class_of = _class_of_group_band(model, demand)
        d = waiting.district.astype(str).map({str(x): i for i, x in enumerate(model.districts.id)})
        g = waiting.priority_group.astype(str).map(groups).to_numpy(dtype=np.int64)
        b = waiting.age_band.astype(str).map(bands).to_numpy(dtype=np.int64)
        d = d.to_numpy(dtype=np.int64)
        k = class_of[g, b]
        ready = (pd.to_datetime(waiting.ready.astype(str)) - model.dates[0]).dt.days.to_numpy(dtype=np.int64)
        ready = np.clip(np.maximum(ready, first[d]), 0, T - 1)
        ok = k >= 0  # people in classes the optimizer does not serve (not eligible) are left out
        np.add.at(approvals, (d[ok], k[ok], ready[ok]), waiting.persons.to_numpy(dtype=np.int64)[ok])
    # Nothing before each district's first planned day: move it there.
    before = np.arange(T)[None, :] < first[:, None]  # [d, t]
    moved = (approvals * before[:, None, :]).sum(axis=2)
    approvals = approvals * ~before[:, None, :]
    approvals[np.arange(D), :, first] += moved
    return Demand(demand.classes, demand.suitable, approvals, demand.eligible)


def _class_of_group_band(model: Model, demand: Demand) -> np.ndarray:
    """Demand class index per (priority group, age band), -1 where none."""
    result = np.full((len(model.priority_groups), len(model.age_bands)), -1, dtype=np.int64)
    bands = {str(x): i for i, x in enumerate(model.age_bands.id)}
    for k, row in enumerate(demand.classes.itertuples()):
        for band in str(row.bands).split("+"):
            if band in bands:
                result[int(row.group), bands[band]] = k
    return result


def _node_of_store(model: Model, hierarchy: Hierarchy):
    """``(store or site id, owner district id) -> hierarchy node``."""
    by_store = hierarchy.node_of_store()
    store_index = {str(x): i for i, x in enumerate(model.stores.id)}
    site_district = dict(zip(map(str, model.sites.id), model.sites.district, strict=True))
    district_index = {str(x): i for i, x in enumerate(model.districts.id)}
    district_store = model.districts.store.to_numpy()
    district_node = hierarchy.district_node

    def node_of(store: str, owner: str) -> int:
        if store in site_district:  # stock kept at a site belongs to its district's store
            return int(district_node[site_district[store]])
        s = store_index[store]
        d = district_index.get(owner)
        if d is not None and district_store[d] == s:
            return int(district_node[d])
        return int(by_store[s])

    return node_of


def _booked_need(model: Model, state: CampaignState) -> np.ndarray:
    """Doses ``[district, product]`` the appointments booked on or after the state's day draw:
    the persons booked, and on the state's day the open-vial leftovers of its sessions too
    (``state.drawn``: whole vials; counting only the persons left a district short by them,
    and the next day's next doses waited)."""
    booked_today, booked_later = _on_the_day_and_after(model, state.booked, "persons", int(state.day))
    drawn_today, _ = _on_the_day_and_after(model, state.drawn, "doses", int(state.day))
    return np.maximum(booked_today, drawn_today) + booked_later


def _on_the_day_and_after(
    model: Model, table: pd.DataFrame, column: str, day: int
) -> tuple[np.ndarray, np.ndarray]:
    """``table[column]`` summed ``[district, product]`` over its rows dated campaign ``day``,
    and over those dated after it."""
    totals = np.zeros((2, len(model.districts), len(model.products)), dtype=np.int64)
    if len(table):
        when = (pd.to_datetime(table.date.astype(str)) - model.dates[0]).dt.days.to_numpy()
        district = table.district.astype(str).map({str(x): i for i, x in enumerate(model.districts.id)})
        product = table["product"].astype(str).map({str(x): i for i, x in enumerate(model.products.id)})
        keep = when >= day
        np.add.at(
            totals,
            ((when > day)[keep].astype(np.int64), district.to_numpy(dtype=np.int64)[keep],
             product.to_numpy(dtype=np.int64)[keep]),
            table[column].to_numpy(dtype=np.int64)[keep],
        )  # fmt: skip
    return totals[0], totals[1]


def _stock_rows(model: Model, hierarchy: Hierarchy, state: CampaignState, nodes, lot_index, campaign_day):
    """The state's vaccine as ``(held, arriving)`` rows in the optimizer's indices: held
    ``(node, lot, doses, use_by day)`` on hand on the state's day; arriving ``(node, lot, day,
    doses)`` on the road. Stock earmarked for a district (on hand above its store, or on the
    road) is on its way there in the simulation, so it arrives at the district's node after the
    rest of its route (:attr:`vaxsim.coldchain.network.Network.route_days`)."""
    network = Network.from_model(model)
    store_index = {str(x): i for i, x in enumerate(model.stores.id)}
    district_index = {str(x): i for i, x in enumerate(model.districts.id)}
    district_store = model.districts.store.to_numpy()
    stock, moving = state.stock, state.in_transit

    def toward_district(store: pd.Series, owner: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(district, days left on the route) of earmarked rows not yet at their district's
        store; district -1 elsewhere."""
        district = owner.astype(str).map(district_index).fillna(-1).to_numpy(dtype=np.int64)
        at = store.astype(str).map(store_index).fillna(-1).to_numpy(dtype=np.int64)
        away = (district >= 0) & (at >= 0)
        away[away] &= district_store[district[away]] != at[away]
        days_left = np.zeros(len(at), dtype=np.int64)
        days_left[away] = np.maximum(network.route_days[at[away], network.district_node[district[away]]], 0)
        return np.where(away, district, -1), days_left

    def rows(table: pd.DataFrame, store: str, day: np.ndarray | int) -> tuple[np.ndarray, ...]:
        """(node, lot, doses, arrival day, earmarked and on its way) of each row of ``table``."""
        lot = table.lot.astype(str).map(lot_index).to_numpy(dtype=np.int64)
        district, days_left = toward_district(table[store], table.owner)
        node = nodes(table[store], table.owner).copy() if len(table) else np.zeros(0, dtype=np.int64)
        going = district >= 0
        node[going] = hierarchy.district_node[district[going]]
        return node, lot, table.doses.to_numpy(dtype=np.int64), day + days_left, going

    node, lot, doses, arrive, going = rows(stock, "store", int(state.day))
    held = (node[~going], lot[~going], doses[~going], campaign_day(stock.use_by)[~going])
    m_node, m_lot, m_doses, m_arrive, _ = rows(moving, "to", campaign_day(moving.arrives))
    arriving = (
        np.concatenate([node[going], m_node]),
        np.concatenate([lot[going], m_lot]),
        np.concatenate([arrive[going], m_arrive]),
        np.concatenate([doses[going], m_doses]),
    )
    return held, arriving


def _reserve_for_bookings(
    model: Model,
    hierarchy: Hierarchy,
    state: CampaignState,
    held: tuple[np.ndarray, ...],
    arriving: tuple[np.ndarray, ...],
    days: int,
    use_by: np.ndarray,
    start_frame: int,
) -> np.ndarray:
    """Doses of each stock row, ``held`` then ``arriving`` (:func:`_stock_rows`), set aside for
    the booked appointments on or after the state's day (``use_by`` [lot]: the lot's last usable
    campaign day in the plan, its earliest in the state; ``start_frame``: the plan's first
    frame day, :func:`restart_start`).

    Per district and product, from the rows at the district's node, on hand before on the road,
    earliest use-by or arrival first, at most what is there. The simulation gives booked people
    this vaccine before anyone else, so a plan must not count it again. A lot past its use-by
    on the state's day (a thaw clock that ended the day before in some store: the plan's
    ledger writes the lot off everywhere) serves no booking, nor does a lot on the road that
    arrives after its use-by: the plan would use it too late (vietnam-2021's re-plans of 27
    December 2021, seeds 1 and 2, issued Pfizer arriving at district stores on 30 December
    whose lot's earliest thaw clock in the state ended on 27 and 29 December)."""
    district_of_node = np.full(hierarchy.size, -1, dtype=np.int64)
    district_of_node[hierarchy.district_node] = np.arange(len(model.districts))
    district = district_of_node[np.concatenate([held[0], arriving[0]])]
    # Reserved doses leave the plan's stock the day they are there: on hand, the state's day;
    # on the road, their arrival in the plan (its node's frame, not before the first frame day).
    offset = hierarchy.offset[arriving[0]]
    on_arrival = np.maximum(arriving[2] - offset, start_frame) + offset
    issued = np.concatenate([np.full(len(held[0]), state.day), on_arrival])
    district[use_by[np.concatenate([held[1], arriving[1]])] < issued] = -1
    rank = np.concatenate([held[3], days + arriving[2]])
    lots = np.concatenate([held[1], arriving[1]])
    doses = np.concatenate([held[2], arriving[3]])
    need = _booked_need(model, state)
    products = need.shape[1]
    group = np.where(district >= 0, district * products + model.lots["product"].to_numpy()[lots], -1)
    order = np.lexsort((rank, group))
    order = order[group[order] >= 0]
    taken = np.zeros(len(doses), dtype=np.int64)
    before = cumulative_before(group[order], doses[order])
    taken[order] = np.clip(need.ravel()[group[order]] - before, 0, doses[order])
    return taken


def restart_context(model: Model, options: Options, forecast: Demand, state: CampaignState) -> Context:
    """The run's constants for a plan from ``state``: windows from :func:`restart_start`, demand from
    the state's people and later forecast approvals, capacity net of bookings already made."""
    ctx = make_context(model, options, forecast)
    restart = read_state(model, ctx.hierarchy, ctx.steps, state, ctx.period)
    demand = restart_demand(model, forecast, state, ctx.hierarchy, restart.start)
    day_doses = float(ctx.district_capacity.sum()) / max(ctx.days, 1)
    allowance = observed_allowance(model, state, ctx.allowance, day_doses)
    restart = replace(restart, allowance=dict(zip(map(str, model.products.id), allowance, strict=True)))
    capacity = np.clip(ctx.district_capacity - restart.booked_capacity, 0, None)
    capacity[:, : restart.day] = 0  # a district whose frame starts before the state's day
    end_show_up(capacity, float(model.scenario.people.notification.expected_show_up(1)))
    return replace(
        ctx,
        demand=demand,
        start=restart.start,
        restart=restart,
        district_capacity=capacity,
        allowance=allowance,
        province_horizon=restart_province_horizon(ctx, restart.start),
    )


#: The campaign's last days, on which a re-plan counts its sites' places at the expected show-up.
END_SHOW_UP_DAYS = 2


def end_show_up(capacity: np.ndarray, show_up: float) -> None:
    """Count the district capacity ``[district, day]`` of the campaign's last
    :data:`END_SHOW_UP_DAYS` days at the share of booked people who come (in place).

    A site gives a dose to each person who comes, and books at most as many people as it has
    places: a day booked full gives the show-up share of its places. Earlier in the campaign
    those who did not come are booked again on a later day (and the next re-plan plans them);
    on the last day they cannot come back, and those who miss the day before take the last
    day's places. Counted in full, the twin's last re-plans planned the campaign's last two
    days full of second doses (demo-late-deliveries: the people given a first dose on days
    30-31, due on days 58-59) that no-shows then left undone, and spread the first doses over
    the districts as if those places would all be used."""
    end = capacity[:, -END_SHOW_UP_DAYS:]
    end[...] = np.floor(end * show_up)


def restart_province_horizon(ctx: Context, start: int) -> int:
    """Days of look-ahead of a re-plan's province LPs: to the campaign's end when the national
    LP's first window reaches it (``PlanningOptions.province_horizon_days`` unset), else as a
    plan from the start. The province LPs choose each district's doses and reward a next dose
    only inside their window; a re-plan is followed only until the next one, so its first
    window decides. Seeing ``replan_every + 7`` days, the twin's re-plan of day 14 on
    demo-late-deliveries did not see the second doses of first doses given on days 30-31
    (due on the last days): it gave half the Pfizer first doses on day 43, too late for a
    second, and the AstraZeneca first doses on days 43-47 instead of days 30-31."""
    if ctx.options.planning.province_horizon_days is not None:
        return ctx.province_horizon
    left = ctx.days - start
    if left > ctx.horizon:
        return ctx.province_horizon
    return min(ctx.horizon, max(ctx.province_horizon, -(-left // ctx.period) * ctx.period))


def observed_allowance(
    model: Model, state: CampaignState, prior: np.ndarray, prior_doses: float
) -> np.ndarray:
    """Open-vial doses discarded per dose given, ``[product]``, for a plan from ``state``: the
    campaign's own so far (``state.vial_use``), with the LPs' prior ``prior[q]``
    (:mod:`vaxsim.optimize.setup.open_vial`) counted as ``prior_doses`` doses given (one day of
    the sites' capacity), so a product given a few times only keeps about the prior.

    The prior prices sessions half full of one product; the realisation pours each day's doses
    into whole sessions and the simulation's walk-ins fill opened vials, so a plan-driven
    campaign loses fewer (demo-district: 1.8 % and 0.8 % where the prior says 3.0 % and 1.7 %).
    Priced at the prior, the plan being followed, continued from the state, was infeasible in
    the re-plan's LPs (FORMULATION.md §9), and each re-plan kept back stock it did not need."""
    given = np.zeros(len(prior))
    wasted = np.zeros(len(prior))
    use = state.vial_use
    if len(use):
        index = {str(x): i for i, x in enumerate(model.products.id)}
        product = use["product"].astype(str).map(index).to_numpy(dtype=np.int64)
        np.add.at(given, product, use.doses_given.to_numpy(dtype=float))
        np.add.at(wasted, product, use.open_vial_wasted.to_numpy(dtype=float))
    return (wasted + prior * prior_doses) / (given + prior_doses)


def prior_doses(
    restart: Restart, kinds: DoseKinds, steps: Steps
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stand-in bookings (district, day, kind, persons) for the earlier doses of the people the
    state says are due, so the plan's next doses find whom they are owed to
    (:func:`~vaxsim.optimize.tables.series.split_by_person`). Dose 1 is booked under the first demand
    class the product suits (the state does not say which); doses 2..k−1 on the same day."""
    district, step, history, persons = restart.due
    rows: list[tuple[np.ndarray, ...]] = []
    for s in np.unique(step):
        mine = step == s
        chain, p = [], int(steps.prev[s])
        while p >= 0:  # the steps before this one, back to dose 2
            chain.append(p)
            p = int(steps.prev[p])
        product = int(steps.product[s])
        first = np.flatnonzero((kinds.group >= 0) & (kinds.product == product))
        later = [np.flatnonzero((kinds.step == c) & (kinds.product == product)) for c in chain]
        for candidates in (first, *later):
            if not len(candidates):
                continue
            kind = np.full(int(mine.sum()), int(candidates[0]), dtype=np.int64)
            rows.append((district[mine], history[mine], kind, persons[mine]))
    if not rows:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))
    return tuple(np.concatenate([r[k] for r in rows]).astype(np.int64) for k in range(4))

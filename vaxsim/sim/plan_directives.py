"""What a plan tells the simulated campaign to do: when to send vaccine and how many slots to open.

A plan-driven run executes the optimizer's plan (:class:`vaxsim.plan.Plan`) inside the
simulation instead of the rule-based policies, under the scenario's disturbances (shipment
delays, breakage, temperature excursions, no-shows), and compares what was planned with what
was realised.

Operations follow a plan the way a district health centre would, and so does the engine
(:class:`vaxsim.sim.engine.Campaign`):

- **Shipments.** The plan's shipments between the stores above the districts (national store
  to regional depots, depots to provincial stores) are made as the plan dates them, from the
  free stock of their lots at the store they leave (:meth:`vaxsim.coldchain.ColdChain.forward`):
  free stock travels store to store on the link's trips and lands as free stock. What is not
  there yet (a late truck upstream), finds no trip or no room is tried again the next day, until
  a re-plan. vietnam-2021's static plan sends what the national store has no room for to the
  regional depots early (16 M doses there at the end); a run that kept that stock at the
  national store overfilled its ultra-cold room by up to 27 % in December. The plan's shipments
  into each district store say how many doses of each product should reach it on which day:
  the cold chain is asked for them on the day they leave the store above (earmarked from the
  nearest free stock, first expiry first out), so a delayed truck or a destroyed store shows up
  as stock that arrives late or not at all. Doses asked for and not found are asked for again
  the next day (until a re-plan, which asks for what it needs).
- **Top-ups.** A district whose people due a next dose outnumber the doses of their product it
  has, expects within the booking horizon or is about to receive from the plan asks for the
  difference, from stock the plan will not ask for (its later shipments beyond later
  deliveries): the plan shipped next doses for its own first doses, and people vaccinated on
  other days or in other numbers are due other doses. What it was sent before and still
  waits upstream (for a truck, or for room in a full store on its way) counts as its own: asked
  for again, each day's top-up was earmarked and held back behind the same full store.
- **Slots.** The plan's capacity rows (site, date, session, product, dose number, priority
  group) give the doses the plan expects per district and day. Not everyone booked comes, so
  the district books more people than that: the slots divided by the share expected to show up
  a day after the SMS (:meth:`~vaxsim.scenario.people.Notification.expected_show_up`), never
  more than the sites can serve. The engine books its own registrants into them (priority
  groups first, next doses before first doses), so who fills a slot follows the simulated
  queue, not the plan's names. First doses are booked the evening before their day, as the
  plan notifies its appointments (``notify_at``): the people waiting on a day get that day's
  slots. A first-dose slot is for the product the plan gives there (its shipments bring that
  product, and the people's next doses will need it again). The plan's next-dose slots are
  kept for people due a next dose until the evening before their day, when those still free
  are opened to first doses (a slot left empty helps nobody).
- **Next doses at the same site.** A person given a dose books the next one with it, at the
  same site, on the earliest day of the interval window where the plan has a next-dose slot of
  that site left (:class:`~vaxsim.sim.returns.Returns`, plan-format invariant 8); their doses
  are then counted against what first doses may be promised before that day. People who find
  no slot (the plan leaves them without the dose) are counted (``backlog.no_return_slot``:
  the plan's follow-up promise, checked), and are outside the plan: due once the minimum
  interval has passed, they are booked after the plan's people, from the vaccine it does not
  need (and top-ups for it), until a re-plan, which plans their doses, takes them in. People
  vaccinated beyond the plan's slots of a dose (surplus
  vaccine, walk-ins) book no plan slot: due once the minimum interval has passed, they are
  served like the plan's people, from the district's stock (top-ups allowed). With every
  disturbance off, everyone is in the plan's slots, so the run gives the plan's doses exactly.
- **Surplus vaccine.** The evening before a day, a district opens more appointments (up to
  what its sites serve) for the vaccine on hand that the plan never needs: doses left by
  no-shows and missed bookings are given before their thaw clock or expiry ends. What the
  plan's slots from that day on draw on before its later shipments arrive, the doses it loses
  in its own open vials, and whatever its stock projection holds in the district that
  morning (``stock_kept``) are kept: a plan (a re-plan above all) may ship next doses weeks
  before their day, and giving them away as first doses left its second doses without
  vaccine.
- **Sites and sessions.** A district's people of a product go to the plan's sessions of that
  product (site, session) in proportion to their slots, so vials are opened where the plan
  opens them; people beyond the slots (surplus vaccine, people booked again) join those vials
  rather than open one more at another session for a few (spread over every session of the
  district, they cost demo-district about 250 of its 62,000 doses). A product the plan gives
  nowhere in the district that day goes to its sites in proportion to the plan's slots there;
  where it opens none that day (people booked under an earlier plan), to its largest sites
  until their capacity holds them. After a re-plan, people booked under the old plan keep its
  sites.
- **Reserves.** The plan already decided how much stock each district keeps for next doses
  (its shipments), so the rule-based hold-back (``second_dose_reserve``) does not apply.

With every disturbance off (:func:`vaxsim.scenario.disturbances.without_disturbances`) a
plan-driven run gives exactly the plan's doses per district, product, dose number, day and site
(``tests/sim/test_plan_driven.py``: demo-district, short supply, late deliveries, 1-2 h vial
in-use times). People outside the plan cost the national static plan little: vietnam-2021,
seed 1, one saved HiGHS plan (141.5 M planned), 143,777,196 doses against 143,792,604 when
they were served like the plan's people (2026-12-07, shared machine).

Measured in ``benchmarks/plan_quality.md`` (each rule's effect on vietnam-2021, seed 1, the same
HiGHS plan): booking over the show-up and no hold-back 106.6 M → 119.3 M doses; next-dose slots
kept, people sent where the plan opens sessions (open-vial waste 9.8 M → 2.2 M) and surplus
vaccine offered 130.1 M; first-dose slots by product, shipments asked again and top-ups
135.9 M (planned: 143.0 M; pro_rata: 143.0 M).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.coldchain.sessions import PlannedSessions, SessionLayout
from vaxsim.errors import VaxsimError
from vaxsim.model import Model
from vaxsim.plan import Plan
from vaxsim.plan.ids import model_lot_ids, with_plan_ids
from vaxsim.scenario.base import minutes_of_day


@dataclass(frozen=True)
class PlanDirectives:
    """A plan in the engine's indices.

    ``requests[day]``: doses ``[district, product]`` to earmark on ``day``; ``forwards[day]``:
    the plan's shipments between stores above the districts leaving on ``day``; ``capacity[district,
    day]``: appointment slots the plan opens; ``appointments[district, day]``: people the
    district books into them (the slots over the expected show-up), of which
    ``next_appointments[district, day]`` are kept for next doses and
    ``first_appointments[district, day, product]`` are first doses of that product;
    ``site_slots[day, site]``: the plan's slots per site (its people go where the plan opens
    sessions); ``stock_kept[district, day, product]``: doses a district must hold on the
    morning of ``day`` for the plan's slots from that day on, its later shipments counted
    (what surplus appointments may not give away); ``sessions[day]``: the plan's sessions of
    the day (the people of a district fill them first); ``return_slots[(product, dose
    index)][day, site]``: the plan's slots of each dose (dose index 0 = first dose): people
    given a dose in them book their next one into its next-dose slots there;
    ``needed_from_stock[day, product]``: doses of the free stock on ``day`` that the plan's
    later shipments still need (what top-ups may not take); ``planned``: the plan's slots (its
    planned doses) per date, province, product and dose number (the yardstick for what was
    realised).
    """

    requests: dict[int, np.ndarray]
    forwards: dict[int, Forwards]
    capacity: np.ndarray
    appointments: np.ndarray
    next_appointments: np.ndarray
    first_appointments: np.ndarray
    site_slots: np.ndarray
    needed_from_stock: np.ndarray
    stock_kept: np.ndarray
    planned: pd.DataFrame
    sessions: dict[int, PlannedSessions]
    return_slots: dict[tuple[int, int], np.ndarray]

    @classmethod
    def from_plan(cls, model: Model, plan: Plan) -> PlanDirectives:
        """Translate ``plan`` for ``model``; a plan made for another scenario is an error."""
        model = with_plan_ids(model)  # the plan names stores and sites by their plan ids
        _check_matches(model, plan)
        days = len(model.dates)
        start = model.dates[0]
        products = {pid: k for k, pid in enumerate(model.products.id)}
        districts = len(model.districts)

        def day_of(dates: pd.Series) -> np.ndarray:
            stamps = pd.to_datetime(dates.astype(str))
            return ((stamps - start) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)

        # Shipments into district stores, as doses per district, product and arrival day,
        # asked for on their ship day: the plan's shipments above the districts bring the
        # stock to the store they leave from.
        store_index = {sid: k for k, sid in enumerate(model.stores.id)}
        district_of_store = {int(store): d for d, store in enumerate(model.districts.store)}
        lines = plan.shipment_lines.merge(plan.shipments, on="shipment_id").merge(
            plan.lots[["lot_id", "product_id"]], on="lot_id"
        )
        to_store = lines.to_site_id.map(store_index)
        into_district = to_store.map(district_of_store)
        forwards = _forwards(model, lines[to_store.notna() & into_district.isna()], store_index, day_of)
        lines = lines[into_district.notna()]
        requests: dict[int, np.ndarray] = {}
        arrivals = np.zeros((districts, days + 1, len(products)), dtype=np.int64)
        if len(lines):
            district = into_district[lines.index].to_numpy(dtype=np.int64)
            ask_on = np.clip(day_of(lines.ship_date), 0, days - 1)
            product = lines.product_id.map(products).to_numpy(dtype=np.int64)
            arrive_on = np.clip(day_of(lines.arrival_date), 0, days)
            np.add.at(arrivals, (district, arrive_on, product), lines.doses.to_numpy(dtype=np.int64))
            for day in np.unique(ask_on):
                wanted = np.zeros((districts, len(products)), dtype=np.int64)
                here = ask_on == day
                np.add.at(wanted, (district[here], product[here]), lines.doses.to_numpy(dtype=np.int64)[here])
                requests[int(day)] = wanted

        # Slots per district and day, and the doses the plan books (per province).
        slots = plan.capacity
        site_district = slots.site_id.map(dict(zip(model.sites.id, model.sites.district, strict=True)))
        district = site_district.to_numpy(dtype=np.int64)
        day = day_of(slots.service_date)
        inside = (day >= 0) & (day < days)
        slots_open = slots.capacity.to_numpy(dtype=np.int64)
        site_slots = np.zeros((days, len(model.sites)), dtype=np.int64)
        site = slots.site_id.map({sid: k for k, sid in enumerate(model.sites.id)}).to_numpy(dtype=np.int64)
        np.add.at(site_slots, (day[inside], site[inside]), slots_open[inside])
        sessions = _sessions(model, slots, day, site, slots.product_id.map(products), inside)
        first_slots = np.zeros((districts, days, len(products)), dtype=np.int64)
        is_first = inside & (slots.dose_number.to_numpy(dtype=np.int64) == 1)
        slot_product = slots.product_id.map(products).to_numpy(dtype=np.int64)
        np.add.at(
            first_slots, (district[is_first], day[is_first], slot_product[is_first]), slots_open[is_first]
        )
        next_slots = np.zeros((districts, days), dtype=np.int64)
        is_next = inside & (slots.dose_number.to_numpy(dtype=np.int64) > 1)
        np.add.at(next_slots, (district[is_next], day[is_next]), slots_open[is_next])
        capacity = first_slots.sum(axis=2) + next_slots
        return_slots = _return_slots(slots, day, site, slot_product, inside, days, len(model.sites))
        use = np.zeros((districts, days + 1, len(products)), dtype=np.int64)
        np.add.at(use, (district[inside], day[inside], slot_product[inside]), slots_open[inside])
        _add_site_waste(use, model, plan, day_of, products)

        # Doses of the free stock on each day that the plan's later shipments still need: what
        # it asks for from the next day on beyond what deliveries bring after that day.
        asked = np.zeros((days + 1, len(products)), dtype=np.int64)
        for ask_on, doses in requests.items():
            asked[ask_on] = doses.sum(axis=0)
        asked_later = np.cumsum(asked[::-1], axis=0)[::-1][1:]  # [day]: asked on day + 1 or later
        lots = model.lots[(model.lots.arrival_day >= 0) & (model.lots.arrival_day < days)]
        arriving = np.zeros((days + 1, len(products)), dtype=np.int64)
        np.add.at(arriving, (lots.arrival_day.to_numpy(), lots["product"].to_numpy()), lots.doses.to_numpy())
        arriving_later = np.cumsum(arriving[::-1], axis=0)[::-1][1:]  # [day]: arriving after day
        needed_from_stock = np.maximum(asked_later - arriving_later, 0)
        province = model.districts.province.to_numpy()[district]
        planned = (
            slots.assign(province=model.provinces.id.to_numpy()[province])
            .groupby(["service_date", "province", "product_id", "dose_number"], as_index=False)
            .capacity.sum()
            .rename(columns={"service_date": "date", "product_id": "product", "capacity": "planned"})
        )
        planned["date"] = pd.to_datetime(planned.date.astype(str))
        show_up = model.scenario.people.notification.expected_show_up(1)

        def booked_for(slots_open: np.ndarray) -> np.ndarray:
            return np.ceil(slots_open / max(show_up, 1e-9) - 1e-9).astype(np.int64)

        return cls(
            requests=requests,
            forwards=forwards,
            capacity=capacity,
            appointments=booked_for(capacity),
            next_appointments=booked_for(next_slots),
            first_appointments=booked_for(first_slots),
            site_slots=site_slots,
            needed_from_stock=needed_from_stock,
            stock_kept=np.maximum(
                _stock_kept(use, arrivals), _plan_on_hand(model, plan, day_of, products, arrivals)
            ),
            planned=planned,
            sessions=sessions,
            return_slots=return_slots,
        )


@dataclass(frozen=True)
class Forwards:
    """Shipments of free stock store to store (int64 arrays, one row per line): ``doses`` of
    ``lot`` from store ``origin`` to the next store ``target`` (the engine's indices)."""

    origin: np.ndarray
    target: np.ndarray
    lot: np.ndarray
    doses: np.ndarray

    def __add__(self, other: Forwards) -> Forwards:
        return Forwards(*(np.concatenate([getattr(self, k), getattr(other, k)]) for k in _FORWARD_COLUMNS))

    def only(self, keep: np.ndarray) -> Forwards:
        """The lines where ``keep`` holds."""
        return Forwards(*(getattr(self, k)[keep] for k in _FORWARD_COLUMNS))


_FORWARD_COLUMNS = ("origin", "target", "lot", "doses")


def _forwards(
    model: Model, lines: pd.DataFrame, store_index: dict, day_of: Callable[[pd.Series], np.ndarray]
) -> dict[int, Forwards]:
    """The plan's shipment ``lines`` between stores above the districts, by ship day."""
    if not len(lines):
        return {}
    lot_index = {lot: k for k, lot in enumerate(model_lot_ids(model))}
    ship_on = day_of(lines.ship_date)
    inside = (ship_on >= 0) & (ship_on < len(model.dates))
    columns = (
        lines.from_site_id.map(store_index).to_numpy(dtype=np.int64),
        lines.to_site_id.map(store_index).to_numpy(dtype=np.int64),
        lines.lot_id.map(lot_index).to_numpy(dtype=np.int64),
        lines.doses.to_numpy(dtype=np.int64),
    )
    by_day = _rows_by_day(ship_on, inside)
    return {day: Forwards(*(column[rows] for column in columns)) for day, rows in by_day.items()}


def _return_slots(
    slots: pd.DataFrame, day: np.ndarray, site: np.ndarray, product: np.ndarray, inside: np.ndarray,
    days: int, sites: int,
) -> dict[tuple[int, int], np.ndarray]:
    """The plan's slots ``[(product, dose index)][day, site]`` (int32: a national plan has ten
    thousand sites): where people come back for next doses, and who was vaccinated in the
    plan's slots."""
    dose_index = slots.dose_number.to_numpy(dtype=np.int64) - 1
    result = {}
    for p, k in sorted(set(zip(product[inside].tolist(), dose_index[inside].tolist(), strict=True))):
        mine = inside & (product == p) & (dose_index == k)
        room = np.zeros((days, sites), dtype=np.int32)
        np.add.at(room, (day[mine], site[mine]), slots.capacity.to_numpy(dtype=np.int32)[mine])
        result[(p, k)] = room
    return result


def _sessions(
    model: Model, slots: pd.DataFrame, day: np.ndarray, site: np.ndarray, product: pd.Series,
    inside: np.ndarray,
) -> dict[int, PlannedSessions]:
    """The plan's capacity rows as sessions per day (:class:`PlannedSessions`, rows of the
    scenario's session layout), in the plan's order."""
    layout = SessionLayout.from_model(model)
    # A national plan has ~700,000 capacity rows but a handful of session start times.
    times, time_of_row = np.unique(slots.session_start.astype(str).to_numpy(), return_inverse=True)
    start = np.array([minutes_of_day(value) for value in times], dtype=np.int64)[time_of_row]
    row = layout.row_of(site, start) if len(slots) else np.zeros(0, dtype=np.int64)
    if np.any(inside & (row < 0)):
        bad = slots[inside & (row < 0)].iloc[0]
        raise VaxsimError(
            f"plan capacity row {bad.capacity_id}: site {bad.site_id} has no session starting at "
            f"{bad.session_start} in the scenario"
        )
    product = product.to_numpy(dtype=np.int64)
    count = slots.capacity.to_numpy(dtype=np.int64)
    return {
        d: PlannedSessions(row=row[mine], product=product[mine], slots=count[mine])
        for d, mine in _rows_by_day(day, inside).items()
    }


def _rows_by_day(day: np.ndarray, inside: np.ndarray) -> dict[int, np.ndarray]:
    """Indices of the rows where ``inside`` holds, per ``day``, in the plan's order within a day."""
    kept = np.flatnonzero(inside)
    kept = kept[np.argsort(day[kept], kind="stable")]
    days, first = np.unique(day[kept], return_index=True)
    return dict(zip(days.tolist(), np.split(kept, first[1:]) if len(kept) else [], strict=True))


def _add_site_waste(
    use: np.ndarray, model: Model, plan: Plan, day_of: Callable[[pd.Series], np.ndarray], products: dict
) -> None:
    """Add to ``use[district, day, product]`` the doses the plan loses at its vaccination sites
    (the rest of its open vials, its stock projection's ``wasted``): the plan shipped them, and
    they are not vaccine it never needs."""
    projection = plan.stock_projection
    site_district = dict(zip(model.sites.id, model.sites.district, strict=True))
    district = projection.site_id.map(site_district)
    rows = projection[district.notna() & (projection.wasted > 0)]
    if not len(rows):
        return
    product = rows.lot_id.map(dict(zip(plan.lots.lot_id, plan.lots.product_id, strict=True))).map(products)
    day = day_of(rows.date)
    inside = (day >= 0) & (day < use.shape[1])
    np.add.at(
        use,
        (
            district[rows.index].to_numpy(dtype=np.int64)[inside],
            day[inside],
            product.to_numpy(dtype=np.int64)[inside],
        ),
        rows.wasted.to_numpy(dtype=np.int64)[inside],
    )


def _plan_on_hand(
    model: Model, plan: Plan, day_of: Callable[[pd.Series], np.ndarray], products: dict, arrivals: np.ndarray
) -> np.ndarray:
    """Doses ``[district, day, product]`` the plan itself holds in a district (its store and
    sites) on the morning of ``day``, that day's arrivals included: its stock projection's
    closing stock of the day before. What it holds beyond its slots' needs (next doses of
    people vaccinated near the horizon's end, say) is not surplus either."""
    held = np.zeros_like(arrivals)
    projection = plan.stock_projection
    if not len(projection):
        return held
    district_of = dict(zip(model.sites.id, model.sites.district, strict=True))
    district_of.update({model.stores.id[int(store)]: d for d, store in enumerate(model.districts.store)})
    rows = projection.assign(district=projection.site_id.map(district_of)).dropna(subset=["district"])
    rows = rows.sort_values(["site_id", "lot_id", "date"], kind="stable")
    # Closing stock per (node, lot) as changes on the days of its rows, summed up to each day.
    change = rows.closing - rows.groupby(["site_id", "lot_id"]).closing.shift(fill_value=0)
    product = rows.lot_id.map(dict(zip(plan.lots.lot_id, plan.lots.product_id, strict=True))).map(products)
    day = np.clip(day_of(rows.date) + 1, 0, held.shape[1] - 1)  # closing of day t: morning of t + 1
    np.add.at(
        held,
        (rows.district.to_numpy(dtype=np.int64), day, product.to_numpy(dtype=np.int64)),
        change.to_numpy(dtype=np.int64),
    )
    return np.cumsum(held, axis=1) + arrivals


def _stock_kept(use: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
    """Doses ``[district, day, product]`` a district must hold on the morning of ``day`` (that
    day's arrivals included) for the plan's slots from ``day`` on, later arrivals counted:
    ``use[day] + max(0, max_t sum_{u=day+1..t} (use[u] - arrivals[u]))``, by a backward scan."""
    later = np.zeros_like(use)
    for day in range(use.shape[1] - 2, -1, -1):
        later[:, day] = np.maximum(use[:, day + 1] - arrivals[:, day + 1] + later[:, day + 1], 0)
    return use + later


def _check_matches(model: Model, plan: Plan) -> None:
    """Every product, site and store the plan names must exist in the scenario."""
    problems = []
    unknown_products = set(plan.products.product_id) - set(model.products.id)
    if unknown_products:
        problems.append(f"products {sorted(unknown_products)} are not in the scenario")
    places = set(model.sites.id) | set(model.stores.id)
    unknown_sites = set(plan.capacity.site_id) - set(model.sites.id)
    if unknown_sites:
        problems.append(f"capacity rows name sites not in the scenario: {sorted(unknown_sites)[:5]}")
    shipped_to = set(plan.shipments.to_site_id) | set(plan.shipments.from_site_id)
    if shipped_to - places:
        problems.append(f"shipments name stores not in the scenario: {sorted(shipped_to - places)[:5]}")
    if problems:
        scenario = plan.scenario.get("name", "another scenario")
        raise VaxsimError(
            f"plan {plan.plan_id or '(unnamed)'} (made for {scenario}) does not fit scenario "
            f"{model.scenario.campaign.name!r}: " + "; ".join(problems)
        )

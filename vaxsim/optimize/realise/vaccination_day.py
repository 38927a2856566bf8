"""One day of vaccination in every district: the plan's share of the day, made whole and real.

For each district, on its campaign day (its frame day, see :mod:`vaxsim.optimize.realise.ledger`):

1. Newly approved people join the district's waiting list; people whose minimum interval has
   passed become eligible for their next dose.
2. The day's share of the period's planned doses (in proportion to the day's capacity) is
   added to a running target per *dose kind* (product × dose number × demand class, or product
   × next-dose step); whole doses are what the running target has reached and not yet given.
3. Doses are granted in service order (next doses first, then first doses by priority) within
   the people waiting, the usable stock of each product (lots not past expiry) and the day's
   capacity. With ``follow_up_in_plan``, first doses only on days from which their later
   doses are due inside the campaign, and only from the stock left once the booked next doses
   and today's starters' next doses are kept back.
4. Next doses go to the site of the previous dose (:mod:`vaxsim.optimize.realise.follow_ups`) and
   fill its sessions first; with ``follow_up_in_plan`` a first dose is given only where its
   next dose has room booked at its site (:mod:`vaxsim.optimize.realise.follow_up_room`). The other
   granted doses fill the district's session cells (site × session) in order, largest sites
   first and the others taking turns by day, product after product, so each session opens
   vials of as few products as possible. Each (session,
   product) opens whole vials; the doses left in its last vial are the planned open-vial
   wastage. Where stock cannot cover the vials, the last sessions' doses are cut.
5. Doses are drawn from the district node's lots first-expiry-first-out; each session's lots
   give its administered doses first and its wastage after.

Targets not reached carry over to the next day within the planning window; the next window
re-plans from what was actually done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.coldchain.fefo import clip_in_order, draw_for_sessions, order_by, pour, run_starts
from vaxsim.coldchain.sessions import draw_order
from vaxsim.coldchain.vials import doses_drawn, session_vials
from vaxsim.optimize.realise.follow_up_room import FollowUpRoom
from vaxsim.optimize.realise.follow_ups import FollowUps
from vaxsim.optimize.realise.ledger import PlanLedger
from vaxsim.optimize.setup.context import Context
from vaxsim.scenario.base import minutes_of_day


@dataclass(frozen=True)
class DoseKinds:
    """The kinds of dose a district gives: ``product``, ``dose`` number, demand class
    ``group`` (-1 for next doses), next-dose ``step`` (-1 for first doses), history ``slot``
    (-1 when no later dose depends on it); ``service`` (order in which limits are granted) and
    ``fill`` (order in which sessions are filled, product after product)."""

    product: np.ndarray
    dose: np.ndarray
    group: np.ndarray
    step: np.ndarray
    slot: np.ndarray
    service: np.ndarray
    fill: np.ndarray

    @property
    def size(self) -> int:
        return len(self.product)

    @classmethod
    def from_context(cls, ctx: Context) -> DoseKinds:
        steps = ctx.steps
        pairs = zip(steps.slot_product, steps.slot_dose, strict=True)
        first_slot = {int(p): s for s, (p, k) in enumerate(pairs) if k == 1}
        rows = []
        for s in range(steps.size):
            for q in np.flatnonzero(steps.given[s]):
                rows.append((int(q), int(steps.dose[s]), -1, s, int(steps.slot[s])))
        suitable = ctx.demand.suitable
        for g in range(suitable.shape[1]):
            for q in np.flatnonzero(suitable[:, g]):
                rows.append((int(q), 1, g, -1, first_slot.get(int(q), -1)))
        product = np.array([r[0] for r in rows], dtype=np.int64)
        dose = np.array([r[1] for r in rows], dtype=np.int64)
        return cls(
            product=product,
            dose=dose,
            group=np.array([r[2] for r in rows], dtype=np.int64),
            step=np.array([r[3] for r in rows], dtype=np.int64),
            slot=np.array([r[4] for r in rows], dtype=np.int64),
            service=np.arange(len(rows)),
            fill=np.lexsort((np.arange(len(rows)), -dose, product)),
        )


@dataclass(frozen=True)
class Cells:
    """Session cells of every site (site × session), grouped by district.

    ``site``, ``session``, ``district``, ``capacity [cell, weekday]`` people (0 when closed),
    ``minutes`` (the session's length), ``tier`` (0 for the district's largest sites, 1 for
    the others) and ``turn`` (position among the district's sites of its tier), used to rotate
    which sites open first each day.
    """

    site: np.ndarray
    session: np.ndarray
    district: np.ndarray
    capacity: np.ndarray
    minutes: np.ndarray
    tier: np.ndarray
    turn: np.ndarray
    tier_size: np.ndarray

    @classmethod
    def from_context(cls, ctx: Context) -> Cells:
        cal = ctx.sites
        sites, sessions = cal.sessions.shape
        daily = cal.daily
        district = cal.district
        biggest = np.zeros(district.max() + 1 if len(district) else 0, dtype=np.int64)
        np.maximum.at(biggest, district, daily)
        tier = (daily < biggest[district]).astype(np.int64)
        order = np.lexsort((np.arange(sites), tier, district))
        turn = np.zeros(sites, dtype=np.int64)
        key = district[order] * 2 + tier[order]
        starts = np.searchsorted(key, key, side="left")
        turn[order] = np.arange(sites) - starts
        size = np.bincount(key, minlength=2 * len(biggest))[district * 2 + tier]
        site = np.repeat(np.arange(sites), sessions)
        session = np.tile(np.arange(sessions), sites)
        open_on = cal.open_on[site]  # [cell, weekday]
        capacity = np.where(open_on, cal.sessions[site, session][:, None], 0)
        keep = cal.sessions[site, session] > 0
        minutes = session_minutes(cal.session_start, cal.session_end)[site, session]
        return cls(
            site=site[keep],
            session=session[keep],
            district=district[site][keep],
            capacity=capacity[keep],
            minutes=minutes[keep],
            tier=tier[site][keep],
            turn=turn[site][keep],
            tier_size=size[site][keep],
        )

    def order_on(self, day_of_district: np.ndarray) -> np.ndarray:
        """Cell order for the day: by district, tier, rotated turn, session."""
        day = day_of_district[self.district]
        rotated = (self.turn - day) % np.maximum(self.tier_size, 1)
        if not len(rotated):
            return np.zeros(0, dtype=np.int64)
        # One int64 key sorted stably: the order np.lexsort of the four gives, in less time.
        turns = int(self.tier_size.max()) if len(self.tier_size) else 1
        sessions = int(self.session.max()) + 1
        key = ((self.district * 2 + self.tier) * max(turns, 1) + rotated) * sessions + self.session
        return np.argsort(key, kind="stable")


@dataclass
class Records:
    """Rows of the plan collected day by day (column arrays in chunks)."""

    # site, session, day, kind, doses, source site and source day (next doses' cohort, else -1)
    capacity: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    allocations: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # district, day, kind, persons
    waiting: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # district, day, class, people
    overdue: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # district, day, step, people
    site_supply: list[tuple[np.ndarray, ...]] = field(default_factory=list)  # node, site, day, lot, doses


class Districts:
    """People of every district: waiting for a first dose, and the dose history of series."""

    def __init__(self, ctx: Context):
        D = len(ctx.model.districts)
        self.ctx = ctx
        self.backlog = np.zeros((D, ctx.demand.size), dtype=np.int64)
        slots = len(ctx.steps.slot_product)
        self.given = np.zeros((D, slots, ctx.days), dtype=np.int64)
        self.given_total = np.zeros((D, slots), dtype=np.int64)
        self.first_doses = np.zeros(D, dtype=np.int64)
        self.overdue_person_days = 0
        self.approved = 0
        cal = ctx.sites
        room = None
        if ctx.options.planning.follow_up_in_plan:
            room = FollowUpRoom(ctx.steps, (cal.sessions.sum(axis=1)[:, None] * cal.open_on)[:, cal.weekday])
        self.follow_ups = FollowUps(ctx.steps, cal.sessions.shape[0], room)
        self.sessions = np.maximum((cal.sessions > 0).sum(axis=1), 1)  # sessions a day per site
        self.minutes = session_minutes(cal.session_start, cal.session_end).max(axis=1)  # longest, per site
        self.in_use = ctx.model.products.in_use_hours.to_numpy(dtype=float) * 60.0  # minutes per product

    def start_day(self, frame: int, day: np.ndarray, active: np.ndarray) -> None:
        """Approvals at the start of each district's day."""
        approvals = self.ctx.demand.approvals
        rows = np.flatnonzero(active)
        if frame == 0:
            for d in rows:  # approvals before a district's first frame day (campaign start)
                self.backlog[d] += approvals[d, :, : day[d]].sum(axis=1)
                self.approved += int(approvals[d, :, : day[d]].sum())
        today = approvals[rows, :, day[rows]]
        self.backlog[rows] += today
        self.approved += int(today.sum())

    def waiting_next(self, day: np.ndarray) -> np.ndarray:
        """People due each next-dose step by their district's ``day`` (booked that day or
        before) and not yet given it, ``[d, s]``."""
        return self.follow_ups.ready(day, len(day))

    def owed(self, districts: int) -> np.ndarray:
        """Doses each district keeps for the next doses booked, ``[d, q]``: whole vials for each
        cohort waiting for a next dose of the series of ``q`` (a cohort is booked at one site
        on one day, so it opens its own vials in each of the site's sessions at worst, and a
        vial serves only the people who come within its in-use time), for each dose it still
        has to come."""
        owed = np.zeros((districts, self.ctx.products), dtype=np.int64)
        steps, vial, series = self.ctx.steps, self.ctx.doses_per_vial, self.ctx.series_doses
        for s, queue in enumerate(self.follow_ups.queues):
            q = int(steps.product[s])
            # A cohort's people may be spread over its site's sessions, each opening a vial.
            site = queue.site
            sessions = np.where(site >= 0, self.sessions[np.maximum(site, 0)], self.sessions.max())
            minutes = np.where(site >= 0, self.minutes[np.maximum(site, 0)], self.minutes.max(initial=0))
            drawn = doses_drawn(queue.waiting, vial[q], minutes, self.in_use[q], sessions)
            doses = np.where(queue.waiting > 0, drawn, 0)
            doses = doses * (series[q] - steps.dose[s] + 1)
            owed[:, q] += np.bincount(queue.district, weights=doses, minlength=districts).astype(np.int64)
        return owed

    def overdue(self, day: np.ndarray) -> np.ndarray:
        """People past the maximum interval without the next dose on each district's ``day``,
        ``[d, s]``."""
        return self.follow_ups.past_window(day, len(day))


def vaccinate(
    frame: int,
    ctx: Context,
    ledger: PlanLedger,
    people: Districts,
    kinds: DoseKinds,
    cells: Cells,
    wanted: np.ndarray,
    records: Records,
) -> np.ndarray:
    """Give the doses of frame day ``frame`` in every district (module docstring).

    ``wanted`` int64 ``[d, kind]`` are the whole doses the plan asks for today. Returns the
    doses given ``[d, kind]``.
    """
    h = ctx.hierarchy
    D, K, Q = wanted.shape[0], kinds.size, ctx.products
    nodes = h.district_node
    day = frame + h.offset[nodes]
    active = day < ctx.days
    given = np.zeros((D, K), dtype=np.int64)
    if not active.any() or K == 0:
        return given
    # First doses only on days from which the later doses are due inside the campaign.
    too_late = (kinds.group >= 0)[None, :] & (day[:, None] > ctx.first_dose_until[kinds.product][None, :])
    want = np.where(active[:, None] & ~too_late, wanted, 0)

    # 3. Limits in service order: people, stock, capacity.
    G, S = ctx.demand.size, ctx.steps.size
    district = np.repeat(np.arange(D), K)
    kind = np.tile(kinds.service, D)
    first = kinds.group[kind] >= 0
    key = np.where(first, district * G + kinds.group[kind], D * G + district * S + kinds.step[kind])
    limit = np.concatenate([people.backlog.ravel(), people.waiting_next(day).ravel()])
    flat = clip_in_order(want[district, kind], key, limit)
    use_by = ledger.use_by(nodes)  # [d, lot]; no thaw clock changes before the lots are drawn
    usable = usable_stock(ledger, nodes, day, Q, use_by)  # [d, q]
    follow_ups = people.follow_ups
    # Stock: next doses first. With follow-ups held, first doses only as far as the stock also
    # keeps back every booked next dose (whole vials per cohort) and the next doses of today's
    # starters: x starters of an n-dose series need x doses today and (n - 1) x later, from
    # lots still usable then.
    by_stock = district * Q + kinds.product[kind]
    next_doses = clip_in_order(np.where(first, 0, flat), by_stock, usable.ravel())
    if follow_ups.room is not None:
        owed = people.owed(D)
        lasting = usable_stock(ledger, nodes, day, Q, use_by, ctx.first_dose_wait)
        later = np.maximum(ctx.series_doses - 1, 1)
        left = np.minimum((lasting - owed) // later, (usable - owed) // (later + 1))
        left = np.where(ctx.series_doses > 1, left, usable - owed)
    else:
        left = usable
    first_doses = clip_in_order(np.where(first, flat, 0), by_stock, left.ravel())
    flat = np.where(first, first_doses, next_doses)
    capacity = np.where(active, ctx.capacity_on(np.arange(D), day[:, None])[:, 0], 0)
    flat = clip_in_order(flat, district, capacity)
    granted = np.zeros((D, K), dtype=np.int64)
    granted[district, kind] = flat

    # 4. Fill session cells: next doses at the site of the dose before (vaxsim.optimize.
    # follow_ups), then first doses (and next doses of unsited cohorts) product after product.
    order = cells.order_on(day)
    weekday = ctx.sites.weekday[np.clip(day, 0, ctx.days - 1)]
    cell_cap = np.where(
        active[cells.district[order]], cells.capacity[order, weekday[cells.district[order]]], 0
    )
    room = np.bincount(cells.site[order], weights=cell_cap, minlength=follow_ups.sites).astype(np.int64)
    cohorts = follow_ups.take_day(
        kinds.service[kinds.step[kinds.service] >= 0], kinds.step, day, granted, room
    )
    fill_rank = np.empty(K, dtype=np.int64)
    fill_rank[kinds.fill] = np.arange(K)
    at_site = np.flatnonzero(cohorts.site >= 0)
    at_site = at_site[np.lexsort((at_site, fill_rank[cohorts.kind[at_site]], cohorts.site[at_site]))]
    position_site = cells.site[order]
    by_site = np.argsort(position_site, kind="stable")
    i, j, placed = pour(
        cohorts.site[at_site],
        cohorts.persons[at_site],
        position_site[by_site],
        cell_cap[by_site],
        follow_ups.sites,
    )
    placed_position, placed_source = by_site[j], at_site[i]
    cell_cap = cell_cap - np.bincount(placed_position, weights=placed, minlength=len(order)).astype(np.int64)
    # The rest pours into the district's cells in today's order, product after product: first
    # doses as granted, next doses of unsited cohorts as taken.
    d_first, k_first = np.nonzero(np.where(kinds.group >= 0, granted, 0))
    unsited = np.flatnonzero(cohorts.site < 0)
    rest_district = np.concatenate([d_first, cohorts.district[unsited]])
    rest_kind = np.concatenate([k_first, cohorts.kind[unsited]])
    rest_source = np.concatenate([np.full(len(d_first), -1), unsited])
    rest_persons = np.concatenate([granted[d_first, k_first], cohorts.persons[unsited]])
    rest = np.lexsort((rest_source, fill_rank[rest_kind], rest_district))
    i, j, poured = pour(rest_district[rest], rest_persons[rest], cells.district[order], cell_cap, D)
    entry_district = np.concatenate([cells.district[order[placed_position]], rest_district[rest][i]])
    entry_kind = np.concatenate([cohorts.kind[placed_source], rest_kind[rest][i]])
    entry_position = np.concatenate([placed_position, j])  # position of the cell in today's order
    entry_source = np.concatenate([placed_source, rest_source[rest][i]])  # cohort row, -1: first dose
    amount = np.concatenate([placed, poured])
    if not len(amount):
        follow_ups.give_back_day(cohorts, entry_source, amount)
        return given
    entry_cell = order[entry_position]
    entry_product = kinds.product[entry_kind]
    if follow_ups.room is not None:
        # A first dose only where its next dose has room at its site inside its interval
        # window (vaxsim.optimize.realise.follow_up_room); the room is booked with the doses given, in
        # FollowUps.enter, once the stock has had its say.
        slot = kinds.slot[entry_kind]
        next_step = np.where(slot >= 0, follow_ups.step_after[np.maximum(slot, 0)], -1)
        site, first_dose = cells.site[entry_cell], kinds.group[entry_kind] >= 0
        # People given a next dose book the one after it for real: the room booked ahead at
        # their first dose is theirs again.
        booked_on = np.append(cohorts.due, -1)[entry_source]  # the day this dose was booked on
        follow_ups.room.unbook_ahead(
            next_step[~first_dose], site[~first_dose], booked_on[~first_dose], amount[~first_dose]
        )
        # Today's starters are booked no later than the stock kept for them lasts: the lots
        # that outlast that day must cover every dose owed, today's (whole vials per session)
        # and theirs to come (each session's people may open a vial of their own each time).
        later = np.where(first_dose, np.maximum(ctx.series_doses - 1, 0)[entry_product], 0)
        vial = ctx.doses_per_vial[entry_product]
        minutes, in_use = cells.minutes[entry_cell], people.in_use[entry_product]
        today = doses_drawn(amount, vial, minutes, in_use)
        doses = today + np.maximum(amount + vial - 1, today) * later
        owed = people.owed(D)  # those taken today have left the queues
        need = owed.copy()
        np.add.at(need, (entry_district, entry_product), doses)
        latest = last_day_covered(ledger, nodes, use_by, need)[entry_district, entry_product]
        amount, held = follow_ups.room.hold(
            next_step, site, day[entry_district], amount, first_dose, np.where(first_dose, latest, ctx.days)
        )
        follow_ups.room.release(held)
        # Where the room booked ahead (dose 3 and later) splits the starters over many days (a
        # busy site), each day opens vials of its own (here one vial more per day; once booked,
        # Districts.owed counts one more for each of the site's sessions): the stock must
        # still hold them all, or the district starts nobody of that product today.
        booked = first_dose[held.entry] & (held.step != next_step[held.entry])
        piece_vial = vial[held.entry[booked]]
        need = owed.copy()
        np.add.at(need, (entry_district, entry_product), doses_drawn(amount, vial, minutes, in_use))
        piece = held.entry[booked]
        np.add.at(
            need,
            (entry_district[piece], entry_product[piece]),
            doses_drawn(held.persons[booked], piece_vial, minutes[piece], in_use[piece], 1),
        )
        short = (need > usable)[entry_district, entry_product] & first_dose
        amount = np.where(short, 0, amount)

    # Whole vials per (cell, product); where stock cannot cover them, the sessions last in
    # the draw order (coldchain.sessions.draw_order) are cut.
    pair_key = entry_cell * Q + entry_product
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    pair_doses = np.bincount(pair_of, weights=amount).astype(np.int64)
    pair_product = pairs % Q
    pair_cell = pairs // Q
    pair_district = cells.district[pair_cell]
    vial = ctx.doses_per_vial[pair_product]
    in_use = ctx.model.products.in_use_hours.to_numpy(dtype=float)[pair_product] * 60.0
    need = session_vials(pair_doses, vial, cells.minutes[pair_cell], in_use).drawn
    # A site's sessions are numbered by start time (optimize.setup.sites): the simulation's order.
    by_stock = draw_order(pair_district, pair_product, cells.site[pair_cell], cells.session[pair_cell])
    opened = np.zeros_like(need)
    opened[by_stock] = clip_in_order(
        need[by_stock], pair_district[by_stock] * Q + pair_product[by_stock], usable.ravel()
    )
    pair_given = np.minimum(pair_doses, opened)
    amount = clip_in_order(amount, pair_of, pair_given)
    follow_ups.give_back_day(cohorts, entry_source, amount)  # people of cut sessions wait on

    # 5. Draw lots first-expiry-first-out for each district and product, cells in order.
    draw_lots(
        ctx,
        ledger,
        nodes,
        day,
        pair_district[by_stock],
        pair_product[by_stock],
        pair_cell[by_stock],
        opened[by_stock],
        pair_given[by_stock],
        cells,
        records,
        use_by,
    )

    # Book-keeping: plan rows, people, history.
    keep = amount > 0
    records.capacity.append(
        (
            cells.site[entry_cell[keep]],
            cells.session[entry_cell[keep]],
            day[entry_district[keep]],
            entry_kind[keep],
            amount[keep],
            np.append(cohorts.site, -1)[entry_source[keep]],  # source -1 picks the -1 appended
            np.append(cohorts.day, -1)[entry_source[keep]],
        )
    )
    np.add.at(given, (entry_district[keep], entry_kind[keep]), amount[keep])
    d_idx, k_idx = np.nonzero(given)
    records.allocations.append((d_idx, day[d_idx], k_idx, given[d_idx, k_idx]))
    first_kind = kinds.group >= 0
    np.add.at(
        people.backlog,
        (d_idx[first_kind[k_idx]], kinds.group[k_idx[first_kind[k_idx]]]),
        -given[d_idx, k_idx][first_kind[k_idx]],
    )
    people.first_doses += given[:, first_kind].sum(axis=1)
    slotted = kinds.slot[k_idx] >= 0
    np.add.at(
        people.given,
        (d_idx[slotted], kinds.slot[k_idx[slotted]], day[d_idx[slotted]]),
        given[d_idx, k_idx][slotted],
    )
    np.add.at(people.given_total, (d_idx[slotted], kinds.slot[k_idx[slotted]]), given[d_idx, k_idx][slotted])
    slot = kinds.slot[entry_kind[keep]]
    entered = slot >= 0
    follow_ups.enter(
        slot[entered],
        entry_district[keep][entered],
        cells.site[entry_cell[keep]][entered],
        day[entry_district[keep]][entered],
        amount[keep][entered],
    )
    follow_ups.end_day()
    return given


def session_minutes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Minutes of each session from its local ``HH:MM`` start and end (0 for '' padding)."""
    clocks = {clock: minutes_of_day(clock) for clock in set(start.ravel()) | set(end.ravel()) if clock}
    clocks[""] = 0
    minutes = np.vectorize(clocks.__getitem__, otypes=[float])
    return minutes(end) - minutes(start)


def usable_stock(
    ledger: PlanLedger,
    nodes: np.ndarray,
    day: np.ndarray,
    products: int,
    use_by: np.ndarray | None = None,
    lasting: np.ndarray | None = None,
) -> np.ndarray:
    """Doses per node and product in lots not past their use-by day (expiry or thaw clock) on
    each node's day, ``[node, q]`` (``use_by``: :meth:`PlanLedger.use_by` of ``nodes``, if known;
    ``lasting[q]``: days after the node's day the lot must still be usable)."""
    use_by = ledger.use_by(nodes) if use_by is None else use_by
    until = day[:, None] if lasting is None else day[:, None] + lasting[ledger.lots.product][None, :]
    held = np.where(use_by >= until, ledger.stock[nodes], 0)
    result = np.zeros((len(nodes), products), dtype=np.int64)
    for q in range(products):
        result[:, q] = held[:, ledger.lots.product == q].sum(axis=1)
    return result


def last_day_covered(
    ledger: PlanLedger, nodes: np.ndarray, use_by: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """The last day ``L`` on which each node's lots still usable on ``L`` hold ``need[n, q]``
    doses of product ``q`` (-1 when all its lots together do not), ``[n, q]``."""
    latest = np.full(need.shape, -1, dtype=np.int64)
    stock = ledger.stock[nodes]
    for q in range(need.shape[1]):
        lots = np.flatnonzero(ledger.lots.product == q)
        if not len(lots):
            continue
        order = np.argsort(-use_by[:, lots], axis=1, kind="stable")  # latest use-by first
        days = np.take_along_axis(use_by[:, lots], order, axis=1)
        held = np.cumsum(np.take_along_axis(stock[:, lots], order, axis=1), axis=1)
        enough = held >= need[:, q][:, None]
        found = enough.any(axis=1)
        latest[found, q] = days[found, np.argmax(enough[found], axis=1)]
    return latest


def draw_lots(
    ctx: Context,
    ledger: PlanLedger,
    nodes: np.ndarray,
    day: np.ndarray,
    district: np.ndarray,
    product: np.ndarray,
    cell: np.ndarray,
    opened: np.ndarray,
    administered: np.ndarray,
    cells: Cells,
    records: Records,
    use_by: np.ndarray | None = None,
) -> None:
    """Take each (district, product)'s opened doses from its lots earliest use-by first (expiry,
    or thaw clock where the district keeps the product thawed; FEFO among equals), cells in the
    given order (sorted by district, product), and book them administered / wasted at the
    district's node, per site (:meth:`PlanLedger.give`). ``use_by``: :meth:`PlanLedger.use_by` of
    ``nodes``, if known."""
    fefo = ledger.fefo
    use_by_all = ledger.use_by(nodes) if use_by is None else use_by
    pieces = []
    pair = district * ctx.products + product
    groups, group_of = np.unique(pair, return_inverse=True)
    for q in np.unique(product):
        lots = fefo[ledger.lots.product[fefo] == q]
        mine = np.flatnonzero(groups % ctx.products == q)
        if not len(lots) or not len(mine):
            continue
        d = groups[mine] // ctx.products
        use_by = use_by_all[d][:, lots]
        held = np.where(use_by >= day[d][:, None], ledger.stock[nodes[d]][:, lots], 0)
        rank = np.tile(np.arange(len(lots)), len(mine))
        pieces.append(
            (np.repeat(mine, len(lots)), np.tile(lots, len(mine)), held.ravel(), use_by.ravel(), rank)
        )
    if not pieces:
        return
    piece_group, piece_lot, piece_held, piece_use_by, piece_rank = (
        np.concatenate([p[k] for p in pieces]) for k in range(5)
    )
    order = order_by(piece_group, piece_use_by, piece_rank)
    piece_group, piece_lot, piece_held = piece_group[order], piece_lot[order], piece_held[order]
    # The cold chain's draw (coldchain.fefo.draw_for_sessions): cells in order, each cell's
    # administered doses first, its vial leftovers after.
    i, j, given, wasted = draw_for_sessions(
        piece_group, piece_held, group_of, opened, administered, len(groups)
    )
    keep = (given + wasted) > 0
    i, j, given, wasted = i[keep], j[keep], given[keep], wasted[keep]
    lot, node, when, site = piece_lot[i], nodes[district[j]], day[district[j]], cells.site[cell[j]]
    if len(i):  # one supply row per lot and cell (a cell's given and wasted pieces run together)
        at = np.flatnonzero(run_starts([i, j]))
        doses = np.add.reduceat(given + wasted, at)
        records.site_supply.append((node[at], site[at], when[at], lot[at], doses))
    ledger.give(node, site, when, lot, given, wasted)

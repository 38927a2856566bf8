"""The last phase: the realised rolling-horizon run becomes a :class:`vaxsim.plan.Plan`.

Tables come from the lot ledger and the realised days (never from the LPs' fractional
values), so the plan's invariants hold by construction: whole doses, stock never negative, no
dose from a lot outside its arrival-to-expiry window, ``booked <= capacity``, next doses only
to people whose minimum interval has passed. Metadata adds the solver's answer, the headline
figures (``summary``), what limits the plan (``findings``) and the per-sub-problem ``log``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

from vaxsim.optimize.realise.waterfall import supply_waterfall
from vaxsim.optimize.rolling import Run
from vaxsim.optimize.setup.context import Context
from vaxsim.optimize.setup.restart import prior_doses
from vaxsim.optimize.setup.site_ids import SiteIds
from vaxsim.optimize.tables.appointments import appointments_table
from vaxsim.optimize.tables.plan_bookings import Bookings, allocations_table, capacity_table
from vaxsim.optimize.tables.plan_reference import (
    lots_table,
    product_codes_table,
    products_table,
    sites_table,
)
from vaxsim.optimize.tables.plan_stock import opening_stock, shipment_tables, stock_projection
from vaxsim.optimize.tables.series import Pieces, split_by_person
from vaxsim.plan import Plan, empty_table
from vaxsim.plan.ids import model_lot_ids
from vaxsim.plan.plan import FIRST_DOSES_FIRST, FOLLOW_UPS_RESERVED
from vaxsim.plan.revisions import campaign_plan_id
from vaxsim.scenario.load import canonical_json

#: Above this many booked doses, ``appointments`` is left empty by default (one row per
#: person would not be a useful file at national scale; capacity rows carry the bookings).
APPOINTMENTS_UP_TO = 1_000_000


def to_plan(ctx: Context, result: Run, appointments: bool | None = None) -> Plan:
    """Make the :class:`Plan` of a finished run (module docstring).

    ``appointments``: one row per booked person; ``None`` fills them up to
    :data:`APPOINTMENTS_UP_TO` booked doses.
    """
    model, realiser = ctx.model, result.realiser
    conservation = realiser.ledger.check_conservation()
    start = model.dates[0]
    ids = SiteIds.from_model(model, ctx.hierarchy)
    lot_id = np.array(model_lot_ids(model), dtype=object)
    group_of_class = ctx.demand.classes.group.to_numpy(dtype=np.int64)
    bookings = Bookings.from_records(realiser.records, ctx.sites)
    kinds = realiser.kinds
    pieces = _split_by_person(ctx, bookings, kinds)
    capacity, row_of_piece = capacity_table(bookings, pieces, model, ctx.sites, kinds, group_of_class, ids)
    booked = int(bookings.persons.sum())
    fill = booked <= APPOINTMENTS_UP_TO if appointments is None else appointments
    if not fill:  # no named appointments are published: the rows open capacity, none of it booked
        capacity = capacity.assign(booked=0)
    shipments, lines = shipment_tables(realiser.ledger, realiser.records, ids, lot_id, start)
    plan = Plan(
        products=products_table(model),
        product_codes=product_codes_table(model),
        sites=sites_table(model, ctx.sites, ids),
        lots=lots_table(model, ids, lot_id),
        shipments=shipments,
        shipment_lines=lines,
        capacity=capacity,
        registrant_allocations=allocations_table(bookings, pieces, model, kinds, group_of_class, ids),
        appointments=(
            appointments_table(
                bookings,
                pieces,
                capacity,
                row_of_piece,
                model,
                ctx.sites,
                list(ctx.demand.classes.id.astype(str)),
            )
            if fill
            else empty_table("appointments")
        ),
        stock_projection=stock_projection(realiser.ledger, realiser.records, ids, lot_id, start, ctx.restart),
        opening_stock=opening_stock(
            ctx.restart, ids, lot_id, start, model.lots.expiry_day.to_numpy(), ctx.hierarchy.offset
        ),
    )
    scenario = model.scenario
    plan.scenario = {
        "name": scenario.campaign.name,
        "seed": scenario.campaign.seed,
        "sha256": model.scenario_sha256,
    }
    plan.scenario_json = canonical_json(scenario)
    # Every plan of a campaign shares its plan_id; what it was made from tells revisions apart
    # (vaxsim.plan.revisions).
    plan.plan_id = context_plan_id(ctx)
    plan.scenario["inputs_sha256"] = context_inputs_sha256(ctx)
    plan.solver = _solver(ctx, result)
    plan.summary = _summary(ctx, result, conservation, booked, fill)
    if ctx.restart is not None:
        plan.summary["restart"] = ctx.restart.summary()
    plan.findings = result.findings
    plan.log = result.log
    return plan


def _split_by_person(ctx: Context, bookings: Bookings, kinds) -> Pieces:
    """Bookings split by person; a plan from a simulated state first books stand-ins for the
    earlier doses of the people the state says are due (then drops their pieces)."""
    columns = [
        bookings.district,
        bookings.site,
        bookings.day,
        bookings.kind,
        bookings.persons,
        bookings.source_site,
        bookings.source_day,
        bookings.site * ctx.sites.sessions.shape[1] + bookings.session,
    ]
    if ctx.restart is not None:
        district, day, kind, persons = prior_doses(ctx.restart, kinds, ctx.steps)
        unknown = np.full(len(district), -1)
        # Stand-ins of later doses (a series of three or more) come from the stand-in before.
        extra = [
            district,
            unknown,
            day,
            kind,
            persons,
            unknown,
            np.where(kinds.step[kind] >= 0, day, -1),
            unknown,
        ]
        columns = [np.concatenate([c, p]) for c, p in zip(columns, extra, strict=True)]
    pieces = split_by_person(*columns, kinds, ctx.steps, ctx.demand.size)
    real = pieces.booking < len(bookings.persons)
    return Pieces(pieces.booking[real], pieces.klass[real], pieces.first[real], pieces.persons[real])


def context_plan_id(ctx: Context) -> str:
    """The id of the plan ``ctx`` will give, known before solving (the destination is checked
    then): every plan of a campaign shares it (:func:`vaxsim.plan.revisions.campaign_plan_id`)."""
    return campaign_plan_id(ctx.model.scenario.campaign.name)


def context_inputs_sha256(ctx: Context) -> str:
    """What the plan of ``ctx`` is made from (options, scenario content and, for a re-plan, the
    simulated state): two plans of a campaign with the same digest are the same revision."""
    inputs = _options_key(ctx) + ctx.model.scenario_sha256
    if ctx.restart is not None:  # a re-plan: made from the simulated state too
        inputs += ctx.restart.digest
    return hashlib.sha256(inputs.encode()).hexdigest()


def _options_key(ctx: Context) -> str:
    options = ctx.options
    return json.dumps(
        {
            "solver": options.solver.solver,
            "planning": repr(options.planning),
            "weights": repr(options.weights),
        },
        sort_keys=True,
    )


def _solver(ctx: Context, result: Run) -> dict[str, Any]:
    """The solver's answer over all sub-problems: worst status, summed objective, largest gap."""
    log = result.log
    statuses = set(log.status) if len(log) else {"optimal"}
    gaps = [g for g in (log.gap if len(log) else []) if g is not None and not pd.isna(g)]
    return {
        "name": ctx.options.solver.solver,
        "status": "optimal"
        if statuses == {"optimal"}
        else "relaxed"
        if "relaxed" in statuses
        else "time_limit",
        "objective": float(log.objective.sum()) if len(log) else 0.0,
        "gap": float(max(gaps)) if gaps else 0.0,
        "seconds": float(result.seconds),
    }


def _waterfall(ctx: Context, realiser) -> dict[str, dict[str, dict[str, int]] | dict[str, int]]:
    """Where the supply went (:mod:`vaxsim.optimize.realise.waterfall`): national steps, and per province."""
    table = supply_waterfall(ctx, realiser.ledger, realiser.people)
    steps = {
        scope: dict(zip(rows.step, rows.doses.astype(int).tolist(), strict=True))
        for scope, rows in table.groupby("scope", sort=False)
    }
    national = steps.pop("national")
    return {"national": national, "provinces": steps}


def _summary(ctx: Context, result: Run, conservation: dict[str, int], booked: int, filled: bool) -> dict:
    """Headline figures (doses, unmet demand, objective terms, sizes and times)."""
    realiser, log = result.realiser, result.log
    people, model = realiser.people, ctx.model
    kinds = realiser.kinds
    by_dose: dict[str, int] = {}
    for chunk in realiser.records.allocations:
        _, _, kind, persons = chunk
        dose = kinds.dose[kind]
        for k in np.unique(dose):
            by_dose[str(int(k))] = by_dose.get(str(int(k)), 0) + int(persons[dose == k].sum())
    terms = {c[len("term_") :]: float(log[c].fillna(0).sum()) for c in log.columns if c.startswith("term_")}
    levels = {}
    for level, rows in log.groupby("level", sort=False) if len(log) else []:
        levels[level] = {
            "sub_problems": int(len(rows)),
            "build_seconds": float(rows.build_seconds.sum()),
            "solve_seconds": float(rows.solve_seconds.sum()),
            "setup_seconds": float(rows.setup_seconds.sum()),
            "max_solve_seconds": float(rows.solve_seconds.max()),
        }
    largest = log.loc[log.nonzeros.idxmax()] if len(log) else None
    waiting = int(people.backlog.sum())
    last_day = np.full(len(ctx.model.districts), ctx.days - 1)
    overdue_now = int(people.overdue(last_day).sum())
    summary = {
        "doses_planned": int(conservation["administered"]),
        "doses_by_dose_number": dict(sorted(by_dose.items())),
        "people_approved": int(people.approved),
        "unmet_first_doses_at_end": waiting,
        "next_doses_overdue_at_end": overdue_now,
        "overdue_person_days": int(people.overdue_person_days),
        "supply": conservation,
        "supply_waterfall": _waterfall(ctx, realiser),
        "doses_planned_by_lp": float(realiser.repair.doses_planned),
        "doses_realised": int(realiser.repair.doses_given),
        "objective_terms": terms,
        "sub_problems": int(len(log)),
        "windows": int(log.window.nunique()) if len(log) else 0,
        "period_days": ctx.period,
        "horizon_days": ctx.horizon,
        "replan_every_days": ctx.replan,
        "levels": levels,
        "wall_seconds": {phase: float(seconds) for phase, seconds in result.wall.items()},
        "largest_sub_problem": (
            {
                "name": str(largest.sub_problem),
                "rows": int(largest.rows),
                "columns": int(largest.columns),
                "nonzeros": int(largest.nonzeros),
            }
            if largest is not None
            else None
        ),
        "findings": int(len(result.findings)),
        "follow_ups": FOLLOW_UPS_RESERVED if ctx.options.planning.follow_up_in_plan else FIRST_DOSES_FIRST,
        "expected_show_up": model.scenario.people.notification.expected_show_up(1),
        "appointments": (
            f"{booked:,} appointments, one per booked person"
            if filled
            else f"not filled: {booked:,} planned doses is above {APPOINTMENTS_UP_TO:,}; capacity "
            "rows open the slots with booked = 0 (pass appointments=True to book them by person)"
        ),
        "notes": list(ctx.hierarchy.notes),
        "districts": len(model.districts),
        "days": ctx.days,
    }
    return summary

"""Name what limits a plan, in words: the slack used and the constraints that bind.

The formulation never fails as infeasible; where the plan cannot do everything, slack shows it
(people waiting, next doses overdue, storage overflow, expiry, reserve short). Each finding says
where, when and how much, e.g. "store-79 (Hồ Chí Minh provincial store): 2–8 °C storage full
on 2021-08-14". Only the committed periods of a window are read, so windows do not repeat each
other; consecutive periods with the same finding are merged into one date range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.coldchain.temperature import CLASS_NAMES
from vaxsim.optimize.lp.extract import SubSolution
from vaxsim.optimize.lp.problem import SubProblem

#: Relative tolerance for calling a constraint binding.
BINDING = 1e-3
#: Findings smaller than this (people, doses or litres) are noise of the LP's vertices.
SMALL = 0.5

COLUMNS = ["level", "sub_problem", "kind", "node_id", "start_date", "end_date", "amount", "unit", "message"]


def findings(sub: SubProblem, sol: SubSolution) -> pd.DataFrame:
    """Findings of the committed periods of one solved sub-problem (columns :data:`COLUMNS`)."""
    K = sub.committed_periods
    rows: list[dict] = []
    unit_nodes = sub.unit_node
    volume = sub.volume[sub.class_product]
    kept_at = sub.storage_class[:, sub.class_product]

    # Storage: overflow (slack) and full (binding).
    for tau in range(3):
        held = (sol.stock[:, :, :K] * volume[None, :, None] * (kept_at == tau)[:, :, None]).sum(axis=1)
        cap = sub.storage[:, tau][:, None]
        over = sol.overflow[:, tau, :K]
        name = CLASS_NAMES[tau]
        _runs(
            rows,
            sub,
            "storage_overflow",
            over > SMALL,
            over,
            "litres",
            lambda n, when, amt, name=name: (
                f"{_node(sub, n)}: {name} storage over capacity by {amt:,.0f} L {when}"
            ),
            nodes=np.arange(sub.nodes),
        )
        full = np.isfinite(cap) & (cap > 0) & (held >= cap * (1 - BINDING)) & (over <= SMALL)
        _runs(
            rows,
            sub,
            "storage_full",
            full,
            held,
            "litres",
            lambda n, when, amt, name=name: f"{_node(sub, n)}: {name} storage full {when}",
            nodes=np.arange(sub.nodes),
        )

    # Units: capacity or supply limits people waiting; next doses overdue.
    doses = sol.dose1[:, :, :, :K].sum(axis=(1, 2)) + sol.dosek[:, :, :, :K].sum(axis=(1, 2))
    waiting = sol.backlog[:, :, :K].sum(axis=1)
    cap = sub.capacity[:, :K]
    capacity_full = (doses >= cap * (1 - BINDING)) & (cap > 0) & (waiting > SMALL)
    _runs(
        rows,
        sub,
        "capacity_full",
        capacity_full,
        waiting,
        "people",
        lambda u, when, amt: (
            f"{_node(sub, unit_nodes[u])}: appointment capacity full {when} ({amt:,.0f} people still waiting)"
        ),
        nodes=np.arange(sub.units),
    )
    supply_short = (waiting > SMALL) & ~capacity_full
    _runs(
        rows,
        sub,
        "supply_short",
        supply_short,
        waiting,
        "people",
        lambda u, when, amt: f"{_node(sub, unit_nodes[u])}: no vaccine for {amt:,.0f} people waiting {when}",
        nodes=np.arange(sub.units),
    )
    for s in range(sub.steps):
        overdue = sol.overdue[:, s, :K]
        product = sub.product_ids[sub.step_product[s]]
        dose = int(sub.step_dose[s])
        _runs(
            rows,
            sub,
            "next_dose_overdue",
            overdue > SMALL,
            overdue,
            "people",
            lambda u, when, amt, product=product, dose=dose: (
                f"{_node(sub, unit_nodes[u])}: {amt:,.0f} people overdue for dose {dose} of {product} {when}"
            ),
            nodes=np.arange(sub.units),
        )

    # Expiry and the thaw clock.
    for n in range(sub.nodes):
        for c in range(sub.classes):
            last = int(sub.last_period[n, c])
            if 0 <= last < K and sol.stock[n, c, last] > SMALL:
                amount = float(sol.stock[n, c, last])
                when = _when(sub, n, last, last)
                rows.append(
                    _row(
                        sub,
                        "expiry",
                        n,
                        last,
                        last,
                        amount,
                        "doses",
                        f"{_node(sub, n)}: {amount:,.0f} doses of {sub.class_ids[c]} expire {when}",
                    )
                )
    for q in range(sub.products):
        excess = sol.thaw_excess[:, q, :K]
        product = sub.product_ids[q]
        _runs(
            rows,
            sub,
            "thaw_clock",
            excess > SMALL,
            excess,
            "doses",
            lambda n, when, amt, product=product: (
                f"{_node(sub, n)}: {amt:,.0f} thawed doses of {product} "
                f"cannot be used within the thaw clock {when}"
            ),
            nodes=np.arange(sub.nodes),
        )

    # Links at capacity.
    shipped = (sol.ship[:, :, :K] * volume[None, :, None]).sum(axis=1)
    limit = sub.link_litres[:, :K]
    full = np.isfinite(limit) & (limit > 0) & (shipped >= limit * (1 - BINDING))
    _runs(
        rows,
        sub,
        "link_full",
        full,
        shipped,
        "litres",
        lambda n, when, amt: f"transport {_node(sub, int(sub.parent[n]))} → {_node(sub, n)} full {when}",
        nodes=np.arange(sub.nodes),
    )

    # The next-dose reserve at the window's end (only reported in the last window's terms).
    for q in np.flatnonzero(sol.reserve_short > SMALL):
        amount = float(sol.reserve_short[q])
        rows.append(
            _row(
                sub,
                "reserve_short",
                0,
                sub.periods - 1,
                sub.periods - 1,
                amount,
                "doses",
                f"{sub.name}: next-dose reserve of {sub.product_ids[q]} short by {amount:,.0f} "
                f"doses at the end of the window ({_date(sub, 0, sub.periods)})",
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _node(sub: SubProblem, n: int) -> str:
    node_id, name = sub.node_ids[n], sub.node_names[n]
    return node_id if name in ("", node_id) else f"{node_id} ({name})"


def _date(sub: SubProblem, node: int, period: int) -> str:
    return str(sub.date(node, period).date())


def _when(sub: SubProblem, node: int, first: int, last: int) -> str:
    start = _date(sub, node, first)
    if sub.period_days == 1:
        return f"on {start}" if first == last else f"from {start} to {_date(sub, node, last)}"
    end = str((sub.date(node, last + 1) - pd.Timedelta(days=1)).date())
    return f"in the week of {start}" if first == last else f"from {start} to {end}"


def _row(
    sub: SubProblem, kind: str, node: int, first: int, last: int, amount: float, unit: str, message: str
):
    end = sub.date(node, last + 1) - pd.Timedelta(days=1)
    return {
        "level": sub.level,
        "sub_problem": sub.name,
        "kind": kind,
        "node_id": sub.node_ids[node],
        "start_date": sub.date(node, first).date(),
        "end_date": end.date(),
        "amount": amount,
        "unit": unit,
        "message": message,
    }


def _runs(rows, sub, kind, flags, amounts, unit, message, nodes) -> None:
    """One finding per run of consecutive flagged periods of each entity (``flags [e, b]``);
    the amount is the run's largest."""
    flags = np.asarray(flags, dtype=bool)
    for e in np.flatnonzero(flags.any(axis=1)):
        periods = np.flatnonzero(flags[e])
        breaks = np.flatnonzero(np.diff(periods) > 1)
        starts = np.r_[periods[0], periods[breaks + 1]]
        ends = np.r_[periods[breaks], periods[-1]]
        node = (
            int(sub.unit_node[e])
            if kind in ("capacity_full", "supply_short", "next_dose_overdue")
            else int(e)
        )
        for first, last in zip(starts, ends, strict=True):
            amount = float(np.max(amounts[e, first : last + 1]))
            text = message(int(nodes[e]), _when(sub, node, int(first), int(last)), amount)
            rows.append(_row(sub, kind, node, int(first), int(last), amount, unit, text))

"""What ``vaxsim optimize`` shows and saves: progress per sub-problem, the run's summary, the plan.

The plan is saved as the canonical bundle by :meth:`vaxsim.plan.Plan.write`
(``plan-<plan_id>-r<revision>/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from vaxsim.optimize.options import Progress, ProgressCallback
from vaxsim.optimize.realise.waterfall import STEPS
from vaxsim.optimize.validate import OptimizeError
from vaxsim.plan import Plan
from vaxsim.plan.revisions import in_folder


def read_demand(path: Path) -> pd.DataFrame:
    """A demand table from CSV (columns :data:`~vaxsim.optimize.setup.demand.DEMAND_COLUMNS`), ids
    kept as text (district ``058`` stays ``058``)."""
    try:
        return pd.read_csv(path, dtype={"district": str, "priority_group": str, "age_band": str, "date": str})
    except (OSError, ValueError) as error:
        raise OptimizeError([f"demand table {path}: {error}"]) from error


def save_plan(plan: Plan, output: Path, *, replace: bool = False) -> Path:
    """Write ``plan``'s bundle under ``output`` (its ``plan.json`` carries the findings and the
    per-sub-problem solve log), numbered after the campaign's revisions already there
    (:func:`vaxsim.plan.revisions.in_folder`); return the bundle's path. ``replace``: swap out
    an existing bundle of the same revision that vaxsim wrote."""
    return Path(in_folder(plan, output).write(output, replace=replace))


@contextmanager
def progress_display(console: Console) -> Iterator[ProgressCallback]:
    """A progress bar over the sub-problems (one line per window when not on a terminal)."""
    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task("optimizing", total=None)

    def report(event: Progress) -> None:
        label = f"{event.window[0]}..{event.window[1]} {event.name}: {event.status} {event.seconds:.2f} s"
        bar.update(task, total=event.total, completed=event.done, description=label)
        if not console.is_terminal and event.level == "nation":
            console.print(f"{event.done}/{event.total} {label}", markup=False)

    with bar:
        yield report


def summary_table(plan: Plan) -> Table:
    """The run in one table: doses, unmet demand, objective terms, solve times, sizes."""
    s, solver = plan.summary, plan.solver
    table = Table(title=f"plan {plan.plan_id} ({solver['name']}, {solver['status']})", show_header=False)
    table.add_row("doses planned", f"{s['doses_planned']:,}")
    for dose, count in s["doses_by_dose_number"].items():
        table.add_row(f"  dose {dose}", f"{count:,}")
    supply = s["supply"]
    table.add_row("doses delivered by the end", f"{supply['delivered']:,}")
    thawed = supply.get("expired_thaw_clock", 0)  # plans written before it was counted lack it
    table.add_row(
        "wasted (open vials) / expired",
        f"{supply['wasted_open_vial']:,} / {supply['expired']:,}"
        + (f" ({thawed:,} at the thaw clock)" if thawed else ""),
    )
    table.add_row("unmet: waiting for a first dose at the end", f"{s['unmet_first_doses_at_end']:,}")
    table.add_row("unmet: next doses overdue at the end", f"{s['next_doses_overdue_at_end']:,}")
    table.add_row("objective (sum over sub-problems)", f"{solver['objective']:,.1f}")
    for term, value in s["objective_terms"].items():
        table.add_row(f"  {term}", f"{value:,.1f}")
    for level, times in s["levels"].items():
        table.add_row(
            f"{level}: {times['sub_problems']} LPs",
            f"build {times['build_seconds']:.1f} s, solve {times['solve_seconds']:.1f} s "
            f"(max {times['max_solve_seconds']:.2f} s)",
        )
    largest = s["largest_sub_problem"]
    if largest:
        table.add_row(
            "largest sub-problem",
            f"{largest['name']}: {largest['rows']:,} rows, {largest['columns']:,} columns, "
            f"{largest['nonzeros']:,} nonzeros",
        )
    table.add_row("findings", f"{s['findings']:,}")
    table.add_row("appointments", s["appointments"])
    table.add_row("total time", f"{solver['seconds']:.1f} s")
    return table


def waterfall_table(plan: Plan, provinces: int = 10) -> Table | None:
    """Where the supply went, from doses delivered to doses planned: the national steps and
    the ``provinces`` provinces with the most doses not given (``None`` for older plans)."""
    waterfall = plan.summary.get("supply_waterfall")
    if not waterfall:
        return None
    national = waterfall["national"]
    by_province = waterfall["provinces"]
    worst = sorted(
        by_province, key=lambda p: by_province[p]["planned"] - by_province[p]["received by the province"]
    )
    shown = worst[:provinces] if len(by_province) > 1 else []
    table = Table(title="where the supply went (doses)")
    table.add_column("step")
    table.add_column("national", justify="right")
    for province in shown:
        table.add_column(province, justify="right")
    for step in STEPS:
        cells = [national.get(step), *(by_province[p].get(step) for p in shown)]
        if all(cell is None or cell == 0 for cell in cells) and step not in ("delivered", "planned"):
            continue
        sign = "" if step in ("delivered", "received by the province", "planned") else "− "
        table.add_row(f"{sign}{step}", *("" if cell is None else f"{cell:,}" for cell in cells))
    return table

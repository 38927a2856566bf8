"""Benchmark: the optimizer on vietnam-2021, whole horizon, down to the site level.

Run: ``.venv/bin/python benchmarks/bench_optimize.py [--solver highs|cbc] [--threads N]``.
Runs the phases of :func:`vaxsim.optimize` one by one (demand forecast, run constants, rolling
horizon, plan tables) and prints wall time per phase and per level, the model build time
(numpy blocks) and solver setup time (PuLP model for CBC, matrices for HiGHS) and their share of
the total, solve time per level (sum, largest), peak memory (PSS of this process and its worker
processes), the size of the largest sub-problem, doses planned against the supply arrived, and
the load average (other jobs on the machine slow the wall time). Appends the figures with the
machine to ``benchmarks/optimize.jsonl``. Targets (issue 5): under 60 s with HiGHS, under
3 minutes with CBC, build time under 25 % of the total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np
import pulp
from measure import MemorySampler, cpu_seconds, report  # benchmarks/measure.py, beside this script

import vaxsim
from vaxsim.optimize.options import Options, SolverOptions
from vaxsim.optimize.rolling import run
from vaxsim.optimize.setup.context import make_context
from vaxsim.optimize.setup.demand import forecast_demand
from vaxsim.optimize.tables.to_plan import to_plan

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "vietnam-2021.yaml"
RECORD = Path(__file__).with_name("optimize.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(SCENARIO))
    parser.add_argument("--solver", choices=("highs", "cbc"), default="highs")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="province LPs at once")
    parser.add_argument("--no-record", action="store_true", help="do not append to optimize.jsonl")
    parser.add_argument("--note", default="", help="recorded with the figures (what was different)")
    parser.add_argument(
        "--memory-every",
        type=float,
        default=0.5,
        help="seconds between memory samples (each reads every process's page tables: at 0.1 s the "
        "sampler took 5-12 s of CPU in a run, from the two cores the run itself needs)",
    )
    args = parser.parse_args()

    sampler = MemorySampler(every=args.memory_every)
    sampler.start()
    marks = {"start": time.perf_counter()}
    cpu = {"start": time.process_time()}
    model = vaxsim.compile_model(vaxsim.load(args.scenario))
    marks["model"], cpu["model"] = time.perf_counter(), time.process_time()
    options = Options(solver=SolverOptions(solver=args.solver, threads=args.threads))
    demand = forecast_demand(model)
    marks["demand"], cpu["demand"] = time.perf_counter(), time.process_time()
    ctx = make_context(model, options, demand)
    marks["context"], cpu["context"] = time.perf_counter(), time.process_time()
    result = run(ctx)
    marks["run"], cpu["run"] = time.perf_counter(), time.process_time()
    plan = to_plan(ctx, result)
    marks["plan"], cpu["plan"] = time.perf_counter(), time.process_time()
    sampler.stopped.set()

    log = result.log
    optimize_seconds = marks["plan"] - marks["model"]
    build = float(log.build_seconds.sum())
    setup = float(log.setup_seconds.sum())
    levels = {}
    for level, rows in log.groupby("level", sort=False):
        levels[level] = {
            "sub_problems": len(rows),
            "wall": round(result.wall["nation" if level == "nation" else "provinces"], 2),
            "build_sum": round(float(rows.build_seconds.sum()), 2),
            "setup_sum": round(float(rows.setup_seconds.sum()), 2),
            "solve_sum": round(float(rows.solve_seconds.sum()), 2),
            "solve_max": round(float(rows.solve_seconds.max()), 2),
            "statuses": {str(k): int(v) for k, v in rows.status.value_counts().items()},
            "methods": {str(k): int(v) for k, v in rows.method.value_counts().items()},
        }
    largest = log.loc[log.nonzeros.idxmax()]
    supply = plan.summary["supply"]
    figures = {
        "date": dt.date.today().isoformat(),
        "scenario": Path(args.scenario).name,
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pulp": pulp.__version__,
            "highspy": _highspy_version(),
        },
        "solver": args.solver,
        "threads": args.threads,
        "seconds": {
            "load_and_compile": round(marks["model"] - marks["start"], 2),
            "demand_forecast": round(marks["demand"] - marks["model"], 2),
            "context": round(marks["context"] - marks["demand"], 2),
            "rolling_horizon": round(marks["run"] - marks["context"], 2),
            **{f"  {phase}": round(seconds, 2) for phase, seconds in result.wall.items()},
            "plan_tables": round(marks["plan"] - marks["run"], 2),
            "optimize_total": round(optimize_seconds, 2),
        },
        "cpu_seconds_by_phase": _cpu_by_phase(cpu, result),
        # The memory sampler is a thread of this process: its CPU time is inside the phases'.
        "memory_sampler_cpu_seconds": round(sampler.own_cpu_seconds, 2),
        "memory_sample_every_seconds": args.memory_every,
        "model_build_seconds": round(build, 2),
        "solver_setup_seconds": round(setup, 2),
        "build_share_of_total": round(build / optimize_seconds, 4),
        "build_and_setup_share_of_total": round((build + setup) / optimize_seconds, 4),
        "levels": levels,
        "largest_sub_problem": {
            "name": str(largest.sub_problem),
            "window": int(largest.window),
            "rows": int(largest.rows),
            "columns": int(largest.columns),
            "nonzeros": int(largest.nonzeros),
        },
        "windows": int(log.window.nunique()),
        "period_days": ctx.period,
        "horizon_days": ctx.horizon,
        "replan_every_days": ctx.replan,
        "cpu_seconds": round(cpu_seconds(), 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "peak_memory_mib": {
            "all_processes_pss": round(sampler.peak_mib),
            "main_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "doses_planned": plan.summary["doses_planned"],
        "doses_delivered_by_end": supply["delivered"],
        "doses_within_arrived_supply": plan.summary["doses_planned"] <= supply["delivered"],
        "objective": round(plan.solver["objective"], 1),
        "plan_rows": {name: len(table) for name, table in plan.tables().items()},
        "note": args.note,
    }
    report(figures, None if args.no_record else RECORD)


def _cpu_by_phase(cpu: dict[str, float], result) -> dict[str, float]:
    """CPU seconds (user + system) per phase: this process's (its HiGHS threads included), and
    the province workers' own, summed over their sub-problems (``log.cpu_seconds``)."""
    workers = result.log.loc[result.log.level == "province", "cpu_seconds"].sum()
    return {
        "load_and_compile": round(cpu["model"] - cpu["start"], 2),
        "demand_forecast": round(cpu["demand"] - cpu["model"], 2),
        "context": round(cpu["context"] - cpu["demand"], 2),
        **{f"  {phase}": round(seconds, 2) for phase, seconds in result.cpu.items()},
        "  provinces_in_workers": round(float(workers), 2),
        "plan_tables": round(cpu["plan"] - cpu["run"], 2),
    }


def _highspy_version() -> str | None:
    try:
        import highspy

        return getattr(highspy, "__version__", None) or "installed"
    except ImportError:
        return None


if __name__ == "__main__":
    main()

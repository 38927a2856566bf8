"""The rolling horizon: plan a window, realise its first days, move on, to the campaign's end.

Each window is planned top-down, as the real process runs: the national sub-problem allocates
lot classes to provinces; its committed shipments are realised; then every province's
sub-problem (independent of the others, solved in parallel when ``threads > 1``) allocates to
its districts, and the districts' committed days are realised with whole doses, vials and lots.
Every sub-problem goes through the same three timed phases: build, solve, extract.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pandas as pd

from vaxsim.optimize.lp.build import build
from vaxsim.optimize.lp.explain import findings
from vaxsim.optimize.lp.extract import SubSolution, extract
from vaxsim.optimize.lp.problem import SubProblem
from vaxsim.optimize.lp.solvers import solve, solve_lexicographic
from vaxsim.optimize.options import Progress, ProgressCallback, SolverOptions
from vaxsim.optimize.realise.assemble import (
    DistrictWindow,
    district_window,
    nation_problem,
    province_problem,
    window_classes,
    windows,
)
from vaxsim.optimize.realise.realise import Realiser
from vaxsim.optimize.setup.context import Context
from vaxsim.processes import worker_pool


@dataclass
class Run:
    """What the rolling horizon produced: the realised plan and the per-sub-problem logs.

    ``wall`` is wall-clock seconds per phase over all windows: ``assemble`` (sub-problem data),
    ``nation`` and ``provinces`` (build, solve and extract; provinces in parallel when
    ``threads > 1``), ``realise`` (rounding and repair, day by day). ``cpu`` is the CPU
    seconds (user + system) of this process per phase, its solver threads included; the
    province workers' CPU seconds are in ``log.cpu_seconds``, one per sub-problem."""

    realiser: Realiser
    log: pd.DataFrame
    findings: pd.DataFrame
    seconds: float
    wall: dict[str, float]
    cpu: dict[str, float]


def solve_subproblem(sub: SubProblem, options: SolverOptions, lexicographic: bool) -> SubSolution:
    """Build, solve and extract one sub-problem, timing each phase (wall and CPU seconds of
    the process it runs in); attach its findings."""
    cpu = time.process_time()
    started = time.perf_counter()
    lp = build(sub)
    built = time.perf_counter()
    solution = (solve_lexicographic if lexicographic else solve)(lp, options)
    solved = time.perf_counter()
    result = extract(sub, lp, solution)
    extracted = time.perf_counter()
    result.log.update(
        build_seconds=built - started,
        extract_seconds=extracted - solved,
        objective=solution.objective,
        cpu_seconds=time.process_time() - cpu,
    )
    result.log["findings"] = findings(sub, result)
    return result


def run(ctx: Context, progress: ProgressCallback | None = None) -> Run:
    """Plan the whole campaign (module docstring)."""
    started = time.perf_counter()
    realiser = Realiser(ctx)
    options = ctx.options
    plan_windows = windows(ctx)
    provinces = len(ctx.model.provinces)
    total = len(plan_windows) * (1 + provinces)
    logs: list[dict] = []
    found: list[pd.DataFrame] = []
    done = 0
    solver = options.solver
    lexicographic = options.planning.lexicographic
    single = replace(solver, threads=1)
    clock = _Clock()
    with _pool(solver.threads) as pool:
        for window in plan_windows:
            first = _date(ctx, window.start)
            last = _date(ctx, min(window.start + window.days, ctx.days) - 1)
            clock.start()
            classes = window_classes(ctx, realiser.ledger, window)
            dw = district_window(ctx, realiser.people, window)
            nation_sub = nation_problem(ctx, realiser.ledger, realiser.people, classes, window, dw)
            assemble_seconds = clock.stop("assemble")
            clock.start()
            nation = solve_subproblem(nation_sub, solver, lexicographic)
            clock.stop("nation")
            done += 1
            logs.append(_log_row(window, nation, assemble_seconds, first, last))
            found.append(nation.log.pop("findings"))
            _report(progress, done, total, nation, (first, last))
            clock.start()
            realiser.nation(window, nation_sub, nation, classes)
            clock.stop("realise")

            clock.start()
            # The provinces look less far ahead than the nation (Context.province_horizon).
            periods = min(window.periods, ctx.province_horizon // window.period)
            window = replace(window, periods=max(periods, window.committed))
            dw = DistrictWindow(
                dw.capacity[:, : window.periods], dw.approvals[:, :, : window.periods], dw.history, dw.pool0
            )
            subs = [
                province_problem(
                    ctx, realiser.ledger, realiser.people, classes, window, dw, p, nation, nation_sub
                )
                for p in range(provinces)
            ]
            assemble_seconds = clock.stop("assemble") / max(provinces, 1)
            clock.start()
            solutions: list[SubSolution] = []
            results = (
                _largest_first(pool, subs, single, lexicographic)
                if pool is not None
                else (solve_subproblem(sub, single, lexicographic) for sub in subs)
            )
            for solution in results:
                solutions.append(solution)
                done += 1
                logs.append(_log_row(window, solution, assemble_seconds, first, last))
                found.append(solution.log.pop("findings"))
                _report(progress, done, total, solution, (first, last))
            clock.stop("provinces")
            clock.start()
            realiser.provinces(window, subs, solutions, classes, dw)
            clock.stop("realise")
    log = pd.DataFrame(logs)
    table = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    return Run(realiser, log, table, time.perf_counter() - started, clock.wall, clock.cpu)


class _Clock:
    """Wall and CPU seconds (this process, all its threads) summed per phase of the run."""

    def __init__(self) -> None:
        phases = ("assemble", "nation", "provinces", "realise")
        self.wall = dict.fromkeys(phases, 0.0)
        self.cpu = dict.fromkeys(phases, 0.0)
        self.start()

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def stop(self, phase: str) -> float:
        """Add the time since :meth:`start` to ``phase``; returns its wall seconds."""
        wall = time.perf_counter() - self._wall
        self.wall[phase] += wall
        self.cpu[phase] += time.process_time() - self._cpu
        return wall


def _largest_first(
    pool: ProcessPoolExecutor, subs: list[SubProblem], options: SolverOptions, lexicographic: bool
) -> Iterator[SubSolution]:
    """Solutions of ``subs`` in their order, the largest sub-problems (units × lot classes)
    handed to the workers first, so no worker is left with a large one at the end."""
    order = sorted(range(len(subs)), key=lambda i: -subs[i].nodes * subs[i].classes)
    futures = {i: pool.submit(solve_subproblem, subs[i], options, lexicographic) for i in order}
    return (futures[i].result() for i in range(len(subs)))


def _date(ctx: Context, day: int) -> str:
    return str((ctx.model.dates[0] + pd.Timedelta(days=int(day))).date())


def _log_row(window, solution: SubSolution, assemble_seconds: float, first: str, last: str) -> dict:
    row = {
        "window": window.index,
        "window_start": first,
        "window_end": last,
        "level": solution.level,
        "sub_problem": solution.name,
        "assemble_seconds": assemble_seconds,
        **{k: v for k, v in solution.log.items() if k != "findings"},
    }
    for term, value in solution.terms.items():
        row[f"term_{term}"] = value
    row["doses_planned"] = float(solution.dose1.sum() + solution.dosek.sum())
    row["waiting_at_end"] = float(solution.backlog[:, :, -1].sum()) if solution.backlog.size else 0.0
    row["lowest_coverage"] = solution.lowest_coverage
    return row


def _report(progress: ProgressCallback | None, done: int, total: int, solution: SubSolution, window) -> None:
    if progress is None:
        return
    seconds = float(solution.log.get("build_seconds", 0) or 0) + float(
        solution.log.get("solve_seconds", 0) or 0
    )
    progress(
        Progress(done, total, solution.level, solution.name, window, str(solution.log["status"]), seconds)
    )


@contextmanager
def _pool(threads: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for the province sub-problems (none when ``threads == 1``)."""
    if threads <= 1:
        yield None
        return
    # Fork is safe: every HiGHS solve shuts its thread pool down when it ends (solvers.py), so
    # no child inherits a pool whose threads it does not have.
    with worker_pool(threads) as pool:
        yield pool

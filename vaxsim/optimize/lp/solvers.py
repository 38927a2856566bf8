"""Solve phase: hand a :class:`LinearProgram` to CBC (through PuLP) or HiGHS (through highspy).

CBC is bundled with PuLP and is the default. The PuLP model is made from the sparse matrix row
by row with dict-based ``LpAffineExpression``s (no ``lpSum`` over Python loops of variables).
HiGHS receives the matrices themselves. Both report the same :class:`Solution`; an LP is solved
to optimality, a MIP to the requested relative gap. A solver that stops without a feasible
point raises :class:`SolveError` naming the sub-problem (the formulation always has a
feasible point, so this means a time limit or a numerical failure, never "infeasible input").
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sparse

from vaxsim.errors import VaxsimError
from vaxsim.optimize.lp.lp import LinearProgram
from vaxsim.optimize.options import CBC_BARRIER_ABOVE_COLUMNS, IPM_ABOVE_COLUMNS, SolverOptions


class SolveError(VaxsimError):
    """A solver returned no usable solution for a sub-problem."""


@dataclass
class Solution:
    """A solver's answer: ``x`` (column values), ``objective`` (with the LP's offset),
    ``status`` ('optimal', 'time_limit' with a feasible point, or 'relaxed' when an integer
    program found no integer point in time and its LP relaxation was used), ``gap`` (relative, MIPs),
    ``seconds`` (solver wall time), ``setup_seconds`` (handing the model to the solver: the
    PuLP model for CBC, the matrices for HiGHS), ``solver`` and ``method``."""

    x: np.ndarray
    objective: float
    status: str
    gap: float | None
    seconds: float
    solver: str
    method: str
    setup_seconds: float = 0.0


def solve(lp: LinearProgram, options: SolverOptions) -> Solution:
    """Solve ``lp``; lexicographic objectives are handled by :func:`solve_lexicographic`."""
    if lp.shape[1] == 0:
        return Solution(np.zeros(0), lp.offset, "optimal", 0.0, 0.0, options.solver, "none")
    run = _solve_highs if options.solver == "highs" else _solve_cbc
    if not lp.is_mip:
        return run(lp, options)
    try:
        return run(lp, options)
    except SolveError:
        # No integer point within the time limit: plan from the LP relaxation instead; the
        # realisation rounds and repairs it into whole doses and vials as usual.
        relaxed = run(replace(lp, integer=np.zeros_like(lp.integer)), replace(options, time_limit=None))
        relaxed.status = "relaxed"
        return relaxed


def solve_lexicographic(lp: LinearProgram, options: SolverOptions) -> Solution:
    """Minimise the slack terms first, then the whole objective with the slack held at its
    optimum (plus a relative tolerance of 1e-6)."""
    slack = np.sum([lp.terms[t] for t in lp.slack_terms], axis=0) if lp.slack_terms else None
    if slack is None or not np.any(slack):
        return solve(lp, options)
    first = solve(replace(lp, cost=slack, offset=0.0), options)
    bound = first.objective * (1 + 1e-6) + 1e-6
    held = replace(
        lp,
        matrix=sparse.vstack([lp.matrix, sparse.csr_matrix(slack)], format="csr"),
        row_lower=np.append(lp.row_lower, -np.inf),
        row_upper=np.append(lp.row_upper, bound),
    )
    second = solve(held, options)
    second.seconds += first.seconds
    second.setup_seconds += first.setup_seconds
    return second


def _method(lp: LinearProgram, options: SolverOptions) -> str:
    """``ipm`` or ``simplex``: as asked, else by size (integer programs: the solver's own)."""
    if options.method != "auto":
        return options.method
    above = CBC_BARRIER_ABOVE_COLUMNS if options.solver == "cbc" else IPM_ABOVE_COLUMNS
    return "ipm" if lp.shape[1] > above and not lp.is_mip else "simplex"


def _solve_highs(lp: LinearProgram, options: SolverOptions) -> Solution:
    import highspy

    setup = time.perf_counter()
    rows, cols = lp.shape
    model = highspy.HighsLp()
    model.num_col_ = cols
    model.num_row_ = rows
    inf = highspy.kHighsInf
    model.col_cost_ = lp.cost
    model.offset_ = lp.offset
    model.col_lower_ = np.where(np.isinf(lp.col_lower), -inf, lp.col_lower)
    model.col_upper_ = np.where(np.isinf(lp.col_upper), inf, lp.col_upper)
    model.row_lower_ = np.where(np.isinf(lp.row_lower), -inf, lp.row_lower)
    model.row_upper_ = np.where(np.isinf(lp.row_upper), inf, lp.row_upper)
    matrix = lp.matrix.tocsc()
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr
    model.a_matrix_.index_ = matrix.indices
    model.a_matrix_.value_ = matrix.data
    if lp.is_mip:
        model.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in lp.integer
        ]
    highs = _new_highs()
    highs.setOptionValue("output_flag", False)
    method = _method(lp, options)
    highs.setOptionValue("solver", "ipm" if method == "ipm" else "simplex")
    # Crossover stays on: without it the national LP took 20 % less time, but its interior
    # solutions spread doses over every province and lot class, which made every later
    # sub-problem larger and the whole run 25 % slower (benchmarks/optimize.md).
    highs.setOptionValue("threads", options.threads)
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    highs.setOptionValue("mip_rel_gap", float(options.gap))
    highs.passModel(model)
    setup = time.perf_counter() - setup
    started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - started
    # Stop HiGHS's global thread pool: a process forked later (the province workers) would
    # inherit it without its threads, and its solves would end with status "Not Set".
    highspy.Highs.resetGlobalScheduler(True)
    status = highs.getModelStatus()
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif status == highspy.HighsModelStatus.kTimeLimit and feasible:
        label = "time_limit"
    else:
        raise SolveError(f"{lp.name}: HiGHS stopped with status '{highs.modelStatusToString(status)}'")
    x = np.asarray(highs.getSolution().col_value, dtype=float)
    gap = float(info.mip_gap) if lp.is_mip else 0.0
    objective = float(info.objective_function_value)
    return Solution(x, objective, label, gap, seconds, "highs", method, setup)


def _new_highs():
    """A ``highspy.Highs`` whose copyright banner (printed once per process) does not reach
    the user's terminal."""
    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    _BANNER_SHOWN = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_BANNER_SHOWN = False


def _solve_cbc(lp: LinearProgram, options: SolverOptions) -> Solution:
    import pulp

    from vaxsim.optimize.lp.cbc import TiedCBC

    setup = time.perf_counter()
    problem = pulp_problem(lp)
    setup = time.perf_counter() - setup
    with warnings.catch_warnings():
        # PuLP 3.3 announces that its bundled CBC moves to an extra in PuLP 4; it is the
        # CBC this project relies on (pulp is pinned below 3.4).
        warnings.simplefilter("ignore", DeprecationWarning)
        method = _method(lp, options)
        # TiedCBC: the CBC process dies with vaxsim (a killed vaxsim left it running).
        command = TiedCBC(
            msg=False,
            timeLimit=options.time_limit,
            gapRel=options.gap if lp.is_mip else None,
            threads=options.threads if options.threads > 1 else None,
            # Clp's barrier, or primal simplex (faster than its default dual on these LPs).
            options=[] if lp.is_mip else ["barrier" if method == "ipm" else "primalS"],
        )
    started = time.perf_counter()
    # PuLP writes <uuid>-pulp.mps/.sol into $TMPDIR and leaves them when the run is killed:
    # they go into a private folder (0700) that is removed whatever happens.
    with tempfile.TemporaryDirectory(prefix="vaxsim-cbc-") as private:
        command.tmpDir = private
        problem.solve(command)
    seconds = time.perf_counter() - started
    status = pulp.LpStatus[problem.status]
    variables = problem._vaxsim_columns  # type: ignore[attr-defined]
    x = np.array([v.varValue if v.varValue is not None else np.nan for v in variables], dtype=float)
    if problem.status != pulp.LpStatusOptimal or np.isnan(x).any():
        raise SolveError(f"{lp.name}: CBC stopped with status '{status}'")
    x = np.clip(x, lp.col_lower, lp.col_upper)
    objective = float(lp.cost @ x + lp.offset)
    label = "optimal" if problem.sol_status == pulp.LpSolutionOptimal else "time_limit"
    gap = None if lp.is_mip else 0.0
    return Solution(x, objective, label, gap, seconds, "cbc", "mip" if lp.is_mip else method, setup)


def pulp_problem(lp: LinearProgram):
    """A PuLP model of ``lp``: one variable per column, one dict-based constraint per row
    (a range row becomes two). The columns are kept on the model as ``_vaxsim_columns``."""
    import pulp

    problem = pulp.LpProblem(lp.name.replace(" ", "_")[:60] or "vaxsim", pulp.LpMinimize)
    lower = [None if v == -np.inf else v for v in lp.col_lower.tolist()]
    upper = [None if v == np.inf else v for v in lp.col_upper.tolist()]
    columns = [
        problem.add_variable(
            f"x{j}", lower[j], upper[j], pulp.LpInteger if lp.integer[j] else pulp.LpContinuous
        )
        for j in range(lp.shape[1])
    ]
    nonzero = np.flatnonzero(lp.cost)
    problem.setObjective(
        pulp.LpAffineExpression([(columns[j], float(lp.cost[j])) for j in nonzero], constant=float(lp.offset))
    )
    matrix = lp.matrix.tocsr()
    indptr = matrix.indptr.tolist()
    data = matrix.data.tolist()
    entries = [columns[j] for j in matrix.indices.tolist()]  # the row's variables, row after row
    lows, highs = lp.row_lower.tolist(), lp.row_upper.tolist()
    inf = float("inf")
    expression, constraint = pulp.LpAffineExpression, pulp.LpConstraint
    add = _constraint_adder(problem)
    for i in range(lp.shape[0]):
        start, stop = indptr[i], indptr[i + 1]
        low, high = lows[i], highs[i]
        if start == stop and low <= 1e-9 and high >= -1e-9:
            continue  # an empty row that zero satisfies
        # dict(zip(...)) inside LpAffineExpression: no Python loop over the row's entries; a
        # range row's two constraints share the (read-only) expression.
        row = expression(zip(entries[start:stop], data[start:stop], strict=True))
        if low == high:
            add(constraint(row, 0, f"r{i}", low))
            continue
        if low != -inf:
            add(constraint(row, 1, f"r{i}", low))
        if high != inf:
            add(constraint(row, -1, f"r{i}u", high))
    problem._vaxsim_columns = columns  # type: ignore[attr-defined]
    return problem


def _constraint_adder(problem):
    """``problem.addConstraint``, without its re-registration of every variable of every row
    (ours are all registered already by ``add_variable``; that check was a fifth of the PuLP
    model's build time). Falls back to ``addConstraint`` if PuLP's internals differ."""
    store = getattr(problem, "_constraints", None)
    modified = getattr(problem, "modifiedConstraints", None)
    if not isinstance(store, dict) or not isinstance(modified, list):
        return problem.addConstraint

    def add(constraint) -> None:
        store[constraint.name] = constraint
        modified.append(constraint)

    return add

"""Extract phase: a solver's column values back onto the sub-problem's index grids."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vaxsim.optimize.lp.lp import LinearProgram, values
from vaxsim.optimize.lp.problem import SubProblem
from vaxsim.optimize.lp.solvers import Solution


@dataclass
class SubSolution:
    """One solved sub-problem, in doses and people (float; rounding happens when realised).

    Arrays follow :class:`~vaxsim.optimize.lp.problem.SubProblem`'s indices: ``ship [n, c, b]``
    doses sent into node ``n`` in period ``b`` (origin's frame); ``stock [n, c, b]`` at the end
    of the period; ``use [u, c, b]`` doses drawn at units; ``dose1 [u, q, g, b]`` first doses;
    ``dosek [u, s, q, b]`` next doses; ``backlog [u, g, b]``, ``pool [u, s, b]`` and
    ``overdue [u, s, b]`` people at the end of the period; ``overflow [n, τ, b]`` litres over
    capacity; ``thaw_excess [n, q, b]`` doses beyond the thaw clock; ``reserve_short [q]``.
    ``terms`` are the objective terms; ``log`` the sizes and times of the phases.
    """

    name: str
    level: str
    key: int
    ship: np.ndarray
    stock: np.ndarray
    use: np.ndarray
    dose1: np.ndarray
    dosek: np.ndarray
    backlog: np.ndarray
    pool: np.ndarray
    overdue: np.ndarray
    overflow: np.ndarray
    thaw_excess: np.ndarray
    reserve_short: np.ndarray
    lowest_coverage: float
    objective: float
    terms: dict[str, float]
    expired_before: float
    log: dict[str, float | int | str | None] = field(default_factory=dict)


def extract(sub: SubProblem, lp: LinearProgram, solution: Solution) -> SubSolution:
    """Read ``solution`` onto the grids of ``sub`` (see :class:`SubSolution`)."""
    x = np.where(np.abs(solution.x) < 1e-9, 0.0, solution.x)
    cols = lp.columns
    unit = sub.ship_unit[sub.class_product][None, :, None]
    terms = lp.term_values(x)
    terms["expiry"] = terms.get("expiry", 0.0) + lp.offset
    rows, columns = lp.shape
    return SubSolution(
        name=sub.name,
        level=sub.level,
        key=sub.key,
        ship=values(cols["ship"], x) * unit,
        stock=values(cols["stock"], x),
        use=values(cols["use"], x),
        dose1=values(cols["dose1"], x),
        dosek=values(cols["dosek"], x),
        backlog=values(cols["backlog"], x),
        pool=values(cols["pool"], x),
        overdue=values(cols["overdue"], x),
        overflow=values(cols["overflow"], x),
        thaw_excess=values(cols["thaw_excess"], x),
        reserve_short=values(cols["reserve_short"], x),
        lowest_coverage=float(values(cols["lowest_coverage"], x)[0]) / _mean_eligible(sub),
        objective=solution.objective,
        terms=terms,
        expired_before=lp.offset / sub.weights.expiry if sub.weights.expiry else 0.0,
        log={
            "rows": rows,
            "columns": columns,
            "nonzeros": lp.nonzeros,
            "status": solution.status,
            "gap": solution.gap,
            "solver": solution.solver,
            "method": solution.method,
            "setup_seconds": solution.setup_seconds,
            "solve_seconds": solution.seconds,
        },
    )


def _mean_eligible(sub: SubProblem) -> float:
    """The scale of the ``lowest_coverage`` column (see ``build._Formulation._equity``)."""
    counted = sub.eligible > 0
    return float(sub.eligible[counted].mean()) if counted.any() else 1.0

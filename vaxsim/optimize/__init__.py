"""The optimizer: lots and appointment capacity down the hierarchy, over a rolling horizon.

>>> import vaxsim
>>> plan = vaxsim.optimize("scenarios/demo-district.yaml")
>>> per_site = plan.capacity.groupby("site_id").capacity.sum()
>>> bool((per_site > 0).any())
True

The formulation (sets, variables, constraints, objective, decomposition, rounding and repair)
is in FORMULATION.md beside this file.
"""

from vaxsim.optimize.api import optimize
from vaxsim.optimize.options import (
    Options,
    PlanningOptions,
    Progress,
    SolverOptions,
    Weights,
    highs_available,
)
from vaxsim.optimize.validate import OptimizeError

__all__ = [
    "OptimizeError",
    "Options",
    "PlanningOptions",
    "Progress",
    "SolverOptions",
    "Weights",
    "highs_available",
    "optimize",
]

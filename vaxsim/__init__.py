"""vaxsim: simulate and plan national vaccination campaigns.

>>> import vaxsim
>>> scenario = vaxsim.load("scenarios/demo-district.yaml")   # validated, or ScenarioError
>>> model = vaxsim.compile_model(scenario)                     # tables and arrays
>>> faster = vaxsim.with_changes(scenario, {"people.approval.capacity_per_day": 4000})
>>> calm = vaxsim.without_disturbances(scenario)   # everyone comes, nothing breaks or is late
>>> ensemble = vaxsim.sweep(scenario, {"policies.second_dose_reserve.rule": ["none", "hold_back"]},
...                         seeds=2, executor=1, site_queues=False, progress=False)
>>> ensemble.labels
['rule=none', 'rule=hold_back']

The names below are imported on first use (PEP 562), so that ``import vaxsim.entry`` is quick
and the ``vaxsim`` command can report Ctrl-C during its start-up without a traceback.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Problem": "vaxsim.errors",
    "ScenarioError": "vaxsim.errors",
    "VaxsimError": "vaxsim.errors",
    "Model": "vaxsim.model",
    "compile_model": "vaxsim.model",
    "optimize": "vaxsim.optimize",
    "Plan": "vaxsim.plan",
    "Results": "vaxsim.results.results",
    "compare": "vaxsim.run.compare",
    "Ensemble": "vaxsim.run.ensemble",
    "replicate": "vaxsim.run.replicate",
    "simulate": "vaxsim.run.simulate",
    "sweep": "vaxsim.run.sweep",
    "Scenario": "vaxsim.scenario",
    "load": "vaxsim.scenario",
    "scenario_hash": "vaxsim.scenario",
    "with_changes": "vaxsim.scenario.changes",
    "without_disturbances": "vaxsim.scenario.disturbances",
}

if TYPE_CHECKING:
    from vaxsim.errors import Problem, ScenarioError, VaxsimError
    from vaxsim.model import Model, compile_model
    from vaxsim.optimize import optimize
    from vaxsim.plan import Plan
    from vaxsim.results.results import Results
    from vaxsim.run.compare import compare
    from vaxsim.run.ensemble import Ensemble
    from vaxsim.run.replicate import replicate
    from vaxsim.run.simulate import simulate
    from vaxsim.run.sweep import sweep
    from vaxsim.scenario import Scenario, load, scenario_hash
    from vaxsim.scenario.changes import with_changes
    from vaxsim.scenario.disturbances import without_disturbances


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vaxsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """``vaxsim.optimize`` is the function (as it always was), not the subpackage the import
    system would bind under that name once ``vaxsim.optimize.*`` is imported."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Ensemble",
    "Model",
    "Plan",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "VaxsimError",
    "__version__",
    "compare",
    "compile_model",
    "load",
    "optimize",
    "replicate",
    "scenario_hash",
    "simulate",
    "sweep",
    "with_changes",
    "without_disturbances",
]

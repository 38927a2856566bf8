"""vaxsim: simulate and plan national vaccination campaigns.

>>> import vaxsim
>>> scenario = vaxsim.load("scenarios/demo-district.yaml")   # validated, or ScenarioError
>>> model = vaxsim.compile_model(scenario)                     # tables and arrays
>>> faster = vaxsim.with_changes(scenario, {"people.approval.capacity_per_day": 4000})
>>> ensemble = vaxsim.sweep(scenario, {"policies.second_dose_reserve.rule": ["none", "hold_back"]},
...                         seeds=2, executor=1, site_queues=False, progress=False)
>>> ensemble.labels
['rule=none', 'rule=hold_back']
"""

__version__ = "0.1.0"

from vaxsim.errors import Problem, ScenarioError, VaxsimError  # noqa: E402
from vaxsim.model import Model, compile_model  # noqa: E402
from vaxsim.optimize import optimize  # noqa: E402
from vaxsim.plan import Plan  # noqa: E402
from vaxsim.results.results import Results  # noqa: E402
from vaxsim.run.compare import compare  # noqa: E402
from vaxsim.run.ensemble import Ensemble  # noqa: E402
from vaxsim.run.replicate import replicate  # noqa: E402
from vaxsim.run.simulate import simulate  # noqa: E402
from vaxsim.run.sweep import sweep  # noqa: E402
from vaxsim.scenario import Scenario, load, scenario_hash  # noqa: E402
from vaxsim.scenario.changes import with_changes  # noqa: E402

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
]

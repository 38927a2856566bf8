"""vaxsim: simulate and plan national vaccination campaigns.

>>> import vaxsim
>>> scenario = vaxsim.load("scenarios/demo-district.yaml")   # validated, or ScenarioError
>>> model = vaxsim.compile_model(scenario)                     # tables and arrays
"""

__version__ = "0.1.0"

from vaxsim.errors import Problem, ScenarioError, VaxsimError  # noqa: E402
from vaxsim.model import Model, compile_model  # noqa: E402
from vaxsim.optimize import optimize  # noqa: E402
from vaxsim.results.results import Results  # noqa: E402
from vaxsim.scenario import Scenario, load, scenario_hash  # noqa: E402
from vaxsim.sim.simulate import simulate  # noqa: E402

__all__ = [
    "Model",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "VaxsimError",
    "__version__",
    "compile_model",
    "load",
    "optimize",
    "scenario_hash",
    "simulate",
]

"""Every exception class of vaxsim survives SimPy's re-raise (``type(exc)(*exc.args)``), pickling,
and a round trip through a real Dask cluster (sent to a worker, raised there, raised here).

The classes are found by walking the package, so a new one without an example fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import distributed
import pytest
import simpy

import vaxsim
from vaxsim.coldchain.errors import (
    ColdChainInputError,
    ColdChainOrderError,
    ColdChainWarning,
    ConservationError,
)
from vaxsim.entry import Terminated
from vaxsim.errors import Problem, ScenarioError, VaxsimError
from vaxsim.io.atomic import OutputError, OutputExistsError
from vaxsim.io.input_file import InputFileError
from vaxsim.io.person_key_secret import SecretError
from vaxsim.optimize.lp.solvers import SolveError
from vaxsim.optimize.setup.hierarchy import HierarchyError
from vaxsim.optimize.tables.series import SeriesError
from vaxsim.optimize.validate import OptimizeError
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.errors import PlanError, PlanRefused
from vaxsim.plan.exports.common import ExportError
from vaxsim.plan.values import ValueProblem

BREAK = {
    "lot": "PF-01",
    "node": "national",
    "received": 10,
    "administered": 3,
    "wasted": 1,
    "shipped": 2,
    "on_hand": 3,
    "difference": -1,
}

EXAMPLES: dict[type[BaseException], BaseException] = {
    VaxsimError: VaxsimError("something the user can fix"),
    ScenarioError: ScenarioError(
        [Problem("s.yaml", 3, "campaign.seed", "must be >= 0"), Problem("s.yaml", None, "", "empty")]
    ),
    ConservationError: ConservationError(7, [BREAK], 3),
    ColdChainInputError: ColdChainInputError(["no store", "no route"]),
    ColdChainOrderError: ColdChainOrderError("deliver before dispatch"),
    PlanError: PlanError("plan.json: cannot be read"),
    PlanRefused: PlanRefused("plans/p", ["manifest.json: sha256 differs", "tables/lots.csv:3: doses"]),
    PlanDatabaseError: PlanDatabaseError("plans/p: refused", ["tables/lots.csv:3: doses"]),
    ExportError: ExportError("not exported"),
    OptimizeError: OptimizeError(["gap must be in [0, 1)", "no lots"]),
    SolveError: SolveError("infeasible"),
    OutputError: OutputError("cannot write out/"),
    OutputExistsError: OutputExistsError("out/ already exists"),
    InputFileError: InputFileError("/dev/zero: not a regular file"),
    ValueProblem: ValueProblem("not an integer"),
    SeriesError: SeriesError("nobody owed dose 2"),
    HierarchyError: HierarchyError("two roots"),
    Terminated: Terminated(),
    ColdChainWarning: ColdChainWarning("store over capacity"),
    SecretError: SecretError("the person-key secret is shorter than 32 characters"),
}


def _vaxsim_exception_classes() -> set[type[BaseException]]:
    found = set()
    for module in pkgutil.walk_packages(vaxsim.__path__, "vaxsim."):
        if module.name.endswith("__main__"):
            continue
        for _, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("vaxsim"):
                found.add(value)
    return found


def _same(rebuilt: BaseException, original: BaseException) -> None:
    assert type(rebuilt) is type(original)
    assert str(rebuilt) == str(original)
    assert rebuilt.args == original.args
    assert vars(rebuilt) == vars(original)


def test_every_exception_class_has_an_example():
    assert _vaxsim_exception_classes() <= set(EXAMPLES), "add an example of each new class to EXAMPLES"


@pytest.mark.parametrize("error", EXAMPLES.values(), ids=[cls.__name__ for cls in EXAMPLES])
def test_rebuilt_from_args_and_pickled(error: BaseException):
    _same(type(error)(*error.args), error)
    _same(pickle.loads(pickle.dumps(error)), error)


@pytest.mark.parametrize("error", [e for e in EXAMPLES.values() if isinstance(e, Exception)], ids=str)
def test_survives_a_simpy_process(error: Exception):
    env = simpy.Environment()

    def process(env):
        yield env.timeout(1)
        raise error

    env.process(process(env))
    with pytest.raises(type(error)) as caught:
        env.run()
    _same(caught.value, error)


def _raise(error: BaseException) -> None:
    raise error


def test_survive_a_dask_cluster_both_ways():
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for error in EXAMPLES.values():
            if not isinstance(error, Exception):
                continue  # a BaseException would stop the worker, as it should
            future = client.submit(_raise, error, pure=False)
            with pytest.raises(type(error)) as caught:
                future.result(timeout=60)
            _same(caught.value, error)

"""Fuzzing scenario input: hostile text, mutated scenarios, ``--set`` overrides, and short
simulations of the mutants that load. Every input ends as a scenario or a ScenarioError (a
simulation as results or a VaxsimError): never another exception, which would be a traceback."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

import vaxsim
from tests.conftest import DEMO
from tests.fuzz.conftest import count, examples
from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.scenario.load import apply_override, validate
from vaxsim.scenario.yaml_source import parse_yaml

DEMO_TEXT = DEMO.read_text()
DEMO_DATA = parse_yaml(DEMO_TEXT, "demo").data


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(DEMO_DATA)
ATTACKS = [
    "2021-02-30", "9999-12-31", "0001-01-01", "=cmd|' /C calc'!A0", "../../etc/passwd", "/dev/zero",
    "", None, True, False, [], {}, 1e308, -1e308, -1, 0, 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63),
    10**18, "1e-300", ".inf", ".nan", float("inf"), float("nan"), 1e-300, "\x00", "\u202e", "a" * 5000,
    dt.date(2021, 8, 1), [1, 2, 3], {"kind": "exponential", "mean": 0.0}, {"a": {"b": {"c": 1}}},
]
VALUES = st.one_of(
    st.sampled_from(ATTACKS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(min_value=-5, max_value=10**6), max_size=4),
)


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _delete(data: Any, path: tuple) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


MUTATION = st.tuples(st.sampled_from(["set", "delete"]), st.sampled_from(PATHS), VALUES)


def _mutant(mutations: list[tuple[str, tuple, Any]]) -> dict:
    data = copy.deepcopy(DEMO_DATA)
    for operation, path, value in mutations:
        try:
            if operation == "set":
                _set(data, path, value)
            else:
                _delete(data, path)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the parent
    return data


def _load_text(text: str, overrides: list[str] = ()) -> vaxsim.Scenario:
    located = parse_yaml(text, "fuzzed.yaml")
    for override in overrides:
        apply_override(located, override)
    return validate(located)


@examples("scenario_text")
@given(
    cut=st.integers(min_value=0, max_value=len(DEMO_TEXT)),
    insert=st.text(max_size=40),
    at=st.integers(min_value=0, max_value=len(DEMO_TEXT)),
)
def test_damaged_scenario_text_is_refused_or_loaded(cut, insert, at):
    text = DEMO_TEXT[:at] + insert + DEMO_TEXT[at:cut] if cut > at else DEMO_TEXT[:cut] + insert
    try:
        _load_text(text)
        count("scenario_text", "loaded")
    except ScenarioError:
        count("scenario_text", "refused")


@examples("scenario_mutant")
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_scenarios_are_refused_or_loaded(mutations):
    text = yaml.safe_dump(_mutant(mutations), allow_unicode=True, sort_keys=False)
    try:
        _load_text(text)
        count("scenario_mutant", "loaded")
    except ScenarioError:
        count("scenario_mutant", "refused")


DOTTED = st.sampled_from([".".join(str(part) for part in path) for path in PATHS])
OVERRIDE_TEXT = st.one_of(
    st.sampled_from(
        [str(v) for v in ATTACKS]
        + ["{commune_station: 1000000000}", "[", "{a: [}", "!!python/object:os.system ls"]
    ),
    st.text(max_size=30),
)


@examples("override")
@given(
    path=st.one_of(DOTTED, st.text(max_size=30)),
    value=OVERRIDE_TEXT,
    separator=st.sampled_from(["=", "", "=="]),
)
def test_overrides_are_refused_or_applied(path, value, separator):
    try:
        vaxsim.load(DEMO, overrides=[f"{path}{separator}{value}"])
        count("override", "applied")
    except ScenarioError:
        count("override", "refused")


def _leaf(path: tuple) -> Any:
    node = DEMO_DATA
    for key in path:
        node = node[key]
    return node


NUMERIC = [
    path for path in PATHS if isinstance(_leaf(path), int | float) and not isinstance(_leaf(path), bool)
]
#: Mild changes that often still load: the mutants a planner could write.
SCALE = st.sampled_from([0, 0.1, 0.5, 0.9, 1.1, 2, 3, 10])


def _scaled(path: tuple, factor: float) -> Any:
    value = _leaf(path)
    return round(value * factor) if isinstance(value, int) else value * factor


def _shorten(data: dict, days: int) -> None:
    """The campaign's first ``days`` days, with the deliveries that arrive in them."""
    campaign, supply = data.get("campaign"), data.get("supply")
    if not isinstance(campaign, dict) or not isinstance(campaign.get("start_date"), dt.date):
        return
    campaign["horizon_days"] = days
    end = campaign["start_date"] + dt.timedelta(days=days)
    if isinstance(supply, dict) and isinstance(supply.get("deliveries"), list):
        supply["deliveries"] = [
            item for item in supply["deliveries"]
            if not isinstance(item, dict) or not isinstance(item.get("date"), dt.date) or item["date"] < end
        ]


@examples("simulation")
@given(
    st.lists(st.tuples(st.sampled_from(NUMERIC), SCALE), min_size=1, max_size=3),
    st.lists(MUTATION, max_size=1),
    st.integers(min_value=0, max_value=2**32),
)
def test_short_simulations_of_loaded_mutants_end_in_results_or_a_message(scaled, hostile, seed):
    data = _mutant([("set", path, _scaled(path, factor)) for path, factor in scaled] + hostile)
    _shorten(data, days=14)
    try:
        scenario = _load_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    except ScenarioError:
        count("simulation", "not loaded")
        return
    try:
        results = vaxsim.simulate(scenario, seed, site_queues=seed % 4 == 0, workers=1)
        assert results.summary()["doses_given"] >= 0
        count("simulation", "simulated")
    except VaxsimError:
        count("simulation", "refused")

"""Property tests: whatever YAML comes in, loading either succeeds or raises ScenarioError."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO
from vaxsim.errors import ScenarioError
from vaxsim.scenario import load

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), children, max_size=4),
    ),
    max_leaves=25,
)


def load_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load(path)
    except ScenarioError as error:
        assert error.problems
        for problem in error.problems:
            assert str(problem).startswith(str(path)) or problem.file.startswith("<")


@SETTINGS
@given(document=documents)
def test_arbitrary_yaml_documents(tmp_path_factory, document):
    load_text(tmp_path_factory.mktemp("doc"), yaml.safe_dump(document))


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text(tmp_path_factory, text):
    load_text(tmp_path_factory.mktemp("text"), text)


BASE = yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def paths_of(node, prefix=()):
    """Every path into a YAML tree."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths_of(value, prefix + (index,))


ALL_PATHS = [path for path in paths_of(BASE) if path]


@st.composite
def mutated_scenarios(draw):
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["delete", "replace"]))
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(documents)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return data


@SETTINGS
@given(data=mutated_scenarios())
def test_mutated_valid_scenario(tmp_path_factory, data):
    load_text(tmp_path_factory.mktemp("mut"), yaml.safe_dump(data, allow_unicode=True))

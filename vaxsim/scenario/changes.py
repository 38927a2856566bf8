"""What-ifs built in Python, validated exactly like scenario files.

>>> import vaxsim
>>> demo = vaxsim.load("scenarios/demo-district.yaml")
>>> faster = vaxsim.with_changes(demo, {"people.approval.capacity_per_day": 4000})
>>> faster.people.approval.capacity_per_day
4000
>>> vaxsim.with_changes(demo, {"policies.allocation": "nonsense"})
Traceback (most recent call last):
...
vaxsim.errors.ScenarioError: with_changes policies.allocation=...: policies.allocation: ...
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any

from vaxsim.scenario.load import apply_override, validate
from vaxsim.scenario.scenario import Scenario
from vaxsim.scenario.yaml_source import Located

#: Where problems of an in-memory what-if are reported (there is no file or line).
SOURCE = "with_changes"


def with_changes(scenario: Scenario, changes: Mapping[str, Any] | None = None) -> Scenario:
    """A copy of ``scenario`` with ``changes`` (``{"dotted.path": value}``, list items by
    index as in ``--set``) applied, validated and checked as a scenario file would be.

    Raises :class:`~vaxsim.errors.ScenarioError` naming every problem. With no changes this
    re-validates ``scenario`` itself, which catches objects edited around validation (for
    example pydantic's ``model_copy(update=...)``).
    """
    located = Located(_plain_data(scenario), {})
    for path, value in (changes or {}).items():
        # JSON is YAML: the value keeps its type through the one override parser.
        apply_override(located, f"{path}={json.dumps(value, default=str)}")
    problems_from = {path: (f"{SOURCE} {path}={value!r}", None) for path, value in (changes or {}).items()}
    for path, where in problems_from.items():
        located.locations[tuple(_keys(path))] = where
    changed = validate(located)
    if "policies.plan" not in (changes or {}):  # still relative to the file that named it
        changed.policies.with_plan_folder(scenario.policies.plan_folder)
    return changed


def _plain_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON data, even when a field holds a value of the wrong type."""
    with warnings.catch_warnings():
        # pydantic warns when serialising a wrong-typed field; validation reports it properly
        warnings.simplefilter("ignore", UserWarning)
        data = scenario.model_dump(mode="json", by_alias=True, exclude={"extends"})
    return data


def _keys(path: str) -> list[str | int]:
    return [int(key) if key.lstrip("-").isdigit() else key for key in path.split(".")]

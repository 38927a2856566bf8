"""The shipped JSON Schema agrees with the models and accepts the built-in scenarios."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest
import yaml

from tests.conftest import SCENARIOS
from vaxsim.scenario.schema import SCHEMA_PATH, scenario_json_schema, schema_text


def test_shipped_schema_matches_models():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "vaxsim/scenario/scenario.schema.json is out of date: run `make schema`"
    )


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(scenario_json_schema())


def _as_json(value):
    """YAML data as JSON would carry it (dates become ISO strings)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date) else v))


@pytest.mark.parametrize("name", ["demo-district.yaml", "vietnam-2021.yaml"])
def test_builtin_scenarios_validate_against_schema(name):
    data = _as_json(yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8")))
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(data)


def test_schema_rejects_what_the_models_reject():
    data = _as_json(yaml.safe_load((SCENARIOS / "demo-district.yaml").read_text(encoding="utf-8")))
    data["products"]["pfizer"]["doses_per_vial"] = 0
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    assert not validator.is_valid(data)

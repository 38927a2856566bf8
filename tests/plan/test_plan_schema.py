"""The published JSON Schema of plan.json is up to date and accepts what the writer writes."""

from __future__ import annotations

import json

import jsonschema

from vaxsim.plan.json_schema import PLAN_SCHEMA_PATH, plan_json_schema, schema_text


def test_shipped_schema_matches_tables():
    assert PLAN_SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "vaxsim/plan/plan.schema.json is out of date: run `vaxsim plan schema --write`"
    )


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(plan_json_schema())


def test_written_plan_json_validates(written_bundle):
    document = json.loads((written_bundle / "plan.json").read_text())
    jsonschema.Draft202012Validator(plan_json_schema()).validate(document)


def test_schema_rejects_a_wrong_type(written_bundle):
    document = json.loads((written_bundle / "plan.json").read_text())
    document["tables"]["capacity"][0]["booked"] = "12"
    assert not jsonschema.Draft202012Validator(plan_json_schema()).is_valid(document)

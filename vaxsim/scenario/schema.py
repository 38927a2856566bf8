"""The JSON Schema of the scenario format, generated from the models and shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaxsim.scenario.scenario import Scenario

#: The shipped schema; scenario files point editors at it with a ``yaml-language-server`` comment.
SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")


def scenario_json_schema() -> dict[str, Any]:
    """The scenario JSON Schema (draft 2020-12) as generated from :class:`Scenario`."""
    schema = Scenario.model_json_schema(by_alias=True)
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://vaxsim.org/schema/scenario.schema.json",
        "title": "vaxsim scenario",
    }


def schema_text() -> str:
    """The schema as the exact text of the shipped file."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

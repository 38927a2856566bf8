"""Scenario files: the typed models, the loader with precise errors and the JSON Schema."""

from vaxsim.scenario.load import load, scenario_hash
from vaxsim.scenario.scenario import Scenario

__all__ = ["Scenario", "load", "scenario_hash"]

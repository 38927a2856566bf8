"""Shared paths and fixtures of the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

import vaxsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DEMO = SCENARIOS / "demo-district.yaml"
VIETNAM = SCENARIOS / "vietnam-2021.yaml"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def demo_scenario() -> vaxsim.Scenario:
    return vaxsim.load(DEMO)


@pytest.fixture(scope="session")
def vietnam_scenario() -> vaxsim.Scenario:
    return vaxsim.load(VIETNAM)

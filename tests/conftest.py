"""Shared paths and fixtures of the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import vaxsim

ROOT = Path(__file__).resolve().parents[1]
#: A fixed person-key secret (vaxsim.io.person_key_secret): plans are the same on every machine
#: and no test writes a key file into the home folder.
os.environ.setdefault("VAXSIM_PERSON_KEY_SECRET", "test-secret-of-the-vaxsim-suite-0123456789abcdef")
SCENARIOS = ROOT / "scenarios"
DEMO = SCENARIOS / "demo-district.yaml"
#: The demo with district and province stores far too small for its supply (2–8 °C litres).
SMALL_STORES = (
    "cold_chain.district_store.capacity_litres.cold_2_8=1",
    "cold_chain.provincial_store.capacity_litres.cold_2_8=5",
)
VIETNAM = SCENARIOS / "vietnam-2021.yaml"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def demo_scenario() -> vaxsim.Scenario:
    return vaxsim.load(DEMO)


@pytest.fixture(scope="session")
def vietnam_scenario() -> vaxsim.Scenario:
    return vaxsim.load(VIETNAM)

"""Fixtures of the hardening tests: the demo's plan, optimized once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

import vaxsim
from tests.conftest import DEMO


@pytest.fixture(scope="session")
def demo_model() -> vaxsim.Model:
    return vaxsim.compile_model(vaxsim.load(DEMO))


@pytest.fixture(scope="session")
def demo_plan(demo_model):
    return vaxsim.optimize(demo_model)


@pytest.fixture(scope="session")
def demo_bundle(demo_plan, tmp_path_factory) -> Path:
    """The demo's plan written once; copy it before changing anything."""
    return demo_plan.write(tmp_path_factory.mktemp("plans"))

"""Hypothesis profiles of the fuzz suite and its counts.

The default tests run a fast subset (profile ``fast``); ``make fuzz`` runs the long profile
(``VAXSIM_FUZZ=long``) and writes the counts of every fuzz target to ``benchmarks/fuzz.json``
(``benchmarks/fuzz.md`` records them).
"""

from __future__ import annotations

import collections
import json
import os
import platform
import time

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import ROOT

LONG = os.environ.get("VAXSIM_FUZZ") == "long"
#: Examples per fuzz target: (fast subset, long run).
EXAMPLES = {
    "scenario_text": (40, 4000),
    "scenario_mutant": (40, 4000),
    "override": (60, 4000),
    "simulation": (4, 1000),
    "bundle_corruption": (8, 100),
    "file_system_fault": (20, 500),
}
COUNTS: collections.Counter[str] = collections.Counter()
STARTED = time.time()


def examples(target: str) -> settings:
    """Hypothesis settings of one fuzz target (no deadline: the machine is shared)."""
    fast, long = EXAMPLES[target]
    return settings(
        max_examples=long if LONG else fast,
        deadline=None,
        derandomize=not LONG,  # the default suite is deterministic; the long run explores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
    )


def count(target: str, outcome: str) -> None:
    """Record one fuzzed input of ``target`` and how it ended (``accepted``, ``refused``...)."""
    COUNTS[f"{target}/{outcome}"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not LONG or not COUNTS:
        return
    report = {
        "profile": "long",
        "exit_status": int(exitstatus),
        "seconds": round(time.time() - STARTED, 1),
        "python": platform.python_version(),
        "counts": dict(sorted(COUNTS.items())),
    }
    (ROOT / "benchmarks" / "fuzz.json").write_text(json.dumps(report, indent=2) + "\n")

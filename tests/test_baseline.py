"""The demo's KPIs match the committed baseline: results must not drift without intent.

After an intended change, run ``make baseline`` and commit the new baseline with the reason.
"""

from __future__ import annotations

import json

import pytest

from tools.update_baseline import BASELINE, baseline


def test_demo_matches_baseline():
    expected = json.loads(BASELINE.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(baseline(), sort_keys=True))
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert actual[key] == value, f"{key} drifted from the baseline: run `make baseline` if intended"

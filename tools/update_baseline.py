"""Regenerate tests/baselines/demo-district.json, the KPIs the baseline test compares against.

Run ``make baseline`` after an intended change to the simulation, and commit the new file with
a message saying why the figures moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import vaxsim

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "baselines" / "demo-district.json"
SEED = 42


def baseline() -> dict:
    """Headline KPIs and the site-queue waits of the demo at the baseline seed."""
    results = vaxsim.simulate(vaxsim.load(ROOT / "scenarios" / "demo-district.yaml"), seed=SEED, workers=1)
    summary = results.summary()
    summary["waits"] = results.waits.round(6).to_dict(orient="records")
    return summary


def main() -> None:
    BASELINE.write_text(json.dumps(baseline(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {BASELINE}")


if __name__ == "__main__":
    main()

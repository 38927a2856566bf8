"""The ``manifest.json`` written beside every run's outputs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import zoneinfo
from pathlib import Path
from typing import Any

import vaxsim
from vaxsim.model import Model


def run_folder_name(scenario_name: str, seed: int, now: dt.datetime) -> str:
    """``<scenario>-s<seed>-<YYYYmmdd-HHMMSS>``, in the scenario's local time (two runs started
    in the same second get suffixes ``-2``, ``-3``... from :class:`vaxsim.io.atomic.Destination`)."""
    return f"{scenario_name}-s{seed}-{now:%Y%m%d-%H%M%S}"


def run_manifest(
    model: Model,
    *,
    scenario_path: str | None,
    seed: int,
    overrides: list[str],
    timings: dict[str, float],
    status: str,
    files: list[Path] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The manifest of a run: what went in (scenario hash, seed, overrides), who made it, how long
    each phase took (seconds), and the sha256 of every output file."""
    campaign = model.scenario.campaign
    created = now or dt.datetime.now(zoneinfo.ZoneInfo(campaign.timezone))
    return {
        "format": "vaxsim.run/1",
        "status": status,
        "created_at": created.isoformat(timespec="seconds"),
        "generator": {
            "name": "vaxsim",
            "version": vaxsim.__version__,
            "python": platform.python_version(),
        },
        "scenario": {
            "name": campaign.name,
            "path": scenario_path,
            "sha256": model.scenario_sha256,
            "overrides": overrides,
            "seed": seed,
        },
        "model": model.summary(),
        "timings_seconds": {name: round(value, 4) for name, value in timings.items()},
        "files": [
            {"path": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for path in sorted(files or [])
        ],
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into ``folder`` (UTF-8, sorted keys, trailing newline)."""
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return path

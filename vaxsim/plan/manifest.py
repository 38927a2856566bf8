"""The bundle's ``manifest.json``: what the plan is, what made it, and every file's checksum.

``generated_at`` is the only value that changes between two writes of the same plan, and it
lives only here.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import vaxsim
from vaxsim.plan.document import metadata
from vaxsim.plan.plan import FORMAT, Plan

MANIFEST = "manifest.json"


@cache
def git_sha() -> str | None:
    """Commit of the vaxsim checkout this code runs from, or ``None`` outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and len(sha) == 40 else None


def manifest(plan: Plan, files: list[dict[str, Any]], generated_at: dt.datetime) -> dict[str, Any]:
    """The manifest document. ``files``: ``[{path, sha256, rows}]`` (rows ``None`` for JSON files)."""
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at needs a time zone (an instant with its offset)")
    document = {
        "format": FORMAT,
        **metadata(plan),
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "generator": {"name": "vaxsim", "version": vaxsim.__version__, "git_sha": git_sha()},
    }
    if plan.robustness:
        document["robustness"] = plan.robustness
    waterfall = plan.summary.get("supply_waterfall")
    if waterfall:  # where the supply went, nationally (per province in plan.json)
        document["supply_waterfall"] = waterfall["national"]
    document["files"] = sorted(files, key=lambda entry: entry["path"])
    return document

"""A sweep's folder: what was asked, and every finished replication, so a killed sweep resumes.

Layout::

    SWEEP/
      sweep.json                     what-ifs (label, scenario hash, scenario), seeds, options
      replications/<key>/            one finished replication (key: vaxsim.run.replication)
        <table>.parquet, summary.json

A replication's folder appears by an atomic rename once all its files are written, so a
folder that exists is complete; re-running the sweep computes only the missing keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from vaxsim.errors import VaxsimError
from vaxsim.io.atomic import atomic_directory, atomic_write_text
from vaxsim.run.replication import KEPT_TABLES, Outcome

SWEEP_FILE = "sweep.json"
FORMAT = "vaxsim.sweep/1"


class SweepStore:
    """The replications stored in a sweep folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.replications = self.folder / "replications"

    def has(self, key: str) -> bool:
        """Whether the replication ``key`` finished earlier."""
        return (self.replications / key / "summary.json").is_file()

    def save(self, key: str, outcome: Outcome) -> None:
        """Store one finished replication (atomically: all its files or none)."""
        with atomic_directory(self.replications / key) as folder:
            for name, table in outcome.tables.items():
                table.to_parquet(folder / f"{name}.parquet", index=False)
            text = json.dumps(outcome.summary, indent=2, sort_keys=True, default=str) + "\n"
            (folder / "summary.json").write_text(text, encoding="utf-8")

    def load(self, key: str) -> Outcome:
        """Read a stored replication."""
        folder = self.replications / key
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in KEPT_TABLES}
        return Outcome(tables, json.loads((folder / "summary.json").read_text(encoding="utf-8")))

    def write_description(self, description: dict[str, Any]) -> None:
        """Write ``sweep.json`` (what the sweep asks for)."""
        text = json.dumps({"format": FORMAT, **description}, indent=2, sort_keys=True, default=str)
        atomic_write_text(self.folder / SWEEP_FILE, text + "\n")

    def description(self) -> dict[str, Any]:
        """Read ``sweep.json``; a clear error when the folder is not a sweep."""
        path = self.folder / SWEEP_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise VaxsimError(f"{self.folder}: not a sweep folder (no {SWEEP_FILE})") from None
        except json.JSONDecodeError as error:
            raise VaxsimError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        if data.get("format") != FORMAT:
            raise VaxsimError(f"{path}: format: expected {FORMAT!r} (got {data.get('format')!r})")
        return data


def is_sweep(folder: str | Path) -> bool:
    """Whether ``folder`` is a sweep folder (it has ``sweep.json``)."""
    return (Path(folder) / SWEEP_FILE).is_file()

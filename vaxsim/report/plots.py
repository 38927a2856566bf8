"""PNG files of a run's figures (:mod:`vaxsim.results.figures`) beside its data.

No matplotlib backend is forced: the figures are drawn without pyplot, so saving works
headless while notebooks keep their inline backend.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from vaxsim.results.figures import coverage_figure, doses_figure, waits_figure
from vaxsim.results.results import Results


def save_plots(results: Results, folder: Path) -> list[Path]:
    """Write coverage.png, doses_and_supply.png and waits.png into ``folder``."""
    return [
        _save(coverage_figure(results), folder / "coverage.png"),
        _save(doses_figure(results), folder / "doses_and_supply.png"),
        _save(waits_figure(results), folder / "waits.png"),
    ]


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, dpi=110)
    return path

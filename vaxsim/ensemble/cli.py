"""``vaxsim sweep``, ``vaxsim compare`` and ``vaxsim report``: ensembles from the command line.

Registered on the main ``vaxsim`` app by :func:`register`. Bad input is reported as
``file:line: field: message`` (or ``error: ...``) on standard error with exit status 1.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.table import Table

from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.report.excel import write_workbook
from vaxsim.report.html import difference_cell, headline_cell, write_report
from vaxsim.report.tables import all_tables, headline, headline_differences
from vaxsim.run.batch import run_ensemble, seed_list
from vaxsim.run.ensemble import Ensemble
from vaxsim.run.sweep import what_ifs
from vaxsim.scenario import Scenario, load

console = Console(soft_wrap=True, highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

Folders = Annotated[list[Path], typer.Argument(metavar="RUN_OR_SWEEP...", help="Run or sweep folders.")]


def register(app: typer.Typer) -> None:
    """Add the ensemble commands to the ``vaxsim`` app."""
    app.command("sweep")(sweep)
    app.command("compare")(compare)
    app.command("report")(report)


def sweep(
    scenarios: Annotated[list[Path], typer.Argument(metavar="SCENARIO...", help="Scenario files.")],
    vary: Annotated[
        list[str] | None,
        typer.Option(metavar="PATH=A,B,C", help="Values of a scenario field to sweep (repeatable: a grid)."),
    ] = None,
    seeds: Annotated[int, typer.Option(help="Replications per what-if (seeds campaign.seed, +1, ...).")] = 10,
    workers: Annotated[
        int | None, typer.Option(help="Local processes (default: one per CPU; 1 = this process).")
    ] = None,
    dask: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Run on this Dask scheduler (tcp://host:8786).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="Override a field (repeatable).")
    ] = None,
    site_queues: Annotated[
        bool, typer.Option("--site-queues/--no-site-queues", help="Simulate people in site queues.")
    ] = True,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Sweep folder (default: results/sweep-<scenario>).")
    ] = None,
) -> None:
    """Simulate what-ifs of scenarios over seeds; keep every replication in the sweep folder.

    Re-running the same command after an interruption computes only the missing replications.

    Example: vaxsim sweep scenarios/demo-district.yaml
    --vary policies.second_dose_reserve.rule=none,hold_back --seeds 10
    """
    with _user_errors():
        if workers is not None and dask is not None:
            raise VaxsimError("give --workers or --dask, not both")
        variants = _what_ifs(scenarios, _grid(vary or []), set_ or [])
        first = next(iter(variants.values()))
        folder = output or Path("results") / f"sweep-{first.campaign.name}"
        executor = _dask_client(dask) if dask else workers
        try:
            ensemble = run_ensemble(
                variants, seed_list(first, seeds), executor=executor, folder=folder, site_queues=site_queues
            )
        except KeyboardInterrupt:
            errors.print(f"interrupted: finished replications are kept in {folder}/; re-run to resume")
            raise typer.Exit(130) from None
        finally:
            if dask:
                executor.close()
    info = ensemble.info
    _print_headline(ensemble)
    console.print(
        f"wrote {folder}/ ({info['computed']} replications computed, {info['reused']} reused, "
        f"{info['seconds']:.1f} s on {info['executor']})",
        markup=False,
    )


def compare(
    folders: Folders,
    csv: Annotated[Path | None, typer.Option(help="Also write the comparison table as CSV.")] = None,
    baseline: Annotated[
        str | None,
        typer.Option(help="Also show each scenario minus this one, paired by seed (mean and 95 % CI)."),
    ] = None,
) -> None:
    """Compare runs and sweeps: headline figures with 95 % CIs, side by side.

    Example: vaxsim compare results/sweep-demo-district --baseline "reserve=none"
    """
    with _user_errors():
        ensemble = _load(folders)
        differences = headline_differences(ensemble, baseline) if baseline is not None else None
    _print_headline(ensemble)
    if differences is not None:
        _print_differences(differences, baseline)
    if csv is not None:
        table = headline(ensemble)
        if differences is not None:
            table = pd.concat([table, differences.assign(minus=baseline)], ignore_index=True)
        table.to_csv(csv, index=False)
        console.print(f"wrote {csv}", markup=False)


def report(
    folders: Folders,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML file (default: report.html in the first folder)."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title of the page.")] = None,
) -> None:
    """Write one self-contained HTML report (and an .xlsx of its tables beside it).

    Example: vaxsim report results/sweep-demo-district -o report.html
    """
    with _user_errors():
        ensemble = _load(folders)
        path = output or folders[0] / "report.html"
        write_report(ensemble, path, title)
        workbook = write_workbook(all_tables(ensemble), path.with_suffix(".xlsx"))
    console.print(f"wrote {path} and {workbook}", markup=False)


def _what_ifs(paths: list[Path], grid: dict[str, list[Any]], overrides: list[str]) -> dict[str, Scenario]:
    variants: dict[str, Scenario] = {}
    for path in paths:
        base = load(path, overrides=overrides)
        for label, scenario in what_ifs(base, grid).items():
            name = base.campaign.name
            key = label if len(paths) == 1 else (f"{name}: {label}" if grid else name)
            if key in variants:
                raise VaxsimError(f"{path}: two scenarios are both labelled {key!r}")
            variants[key] = scenario
    return variants


def _grid(vary: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in vary:
        path, sep, values = item.partition("=")
        if not sep or not path.strip() or not values.strip():
            raise VaxsimError(f"--vary {item}: expected --vary path.to.field=value1,value2")
        try:
            grid[path.strip()] = [yaml.safe_load(value) for value in values.split(",")]
        except yaml.YAMLError as error:
            raise VaxsimError(f"--vary {item}: a value is not valid YAML: {error}") from None
    return grid


def _dask_client(address: str) -> Any:
    try:
        distributed = importlib.import_module("distributed")
    except ImportError:
        raise VaxsimError("--dask needs dask.distributed: pip install 'vaxsim[dask]'") from None
    try:
        return distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise VaxsimError(f"--dask {address}: cannot reach the scheduler ({error})") from None


def _load(folders: list[Path]) -> Ensemble:
    for folder in folders:
        if not folder.is_dir():
            raise VaxsimError(f"{folder}: no such run or sweep folder")
    if len(folders) == 1:
        return Ensemble.load(folders[0])
    named = {folder.name: Ensemble.load(folder) for folder in folders}
    if len(named) < len(folders):
        raise VaxsimError("two folders have the same name; compare folders with distinct names")
    return Ensemble.combine(named)


def _print_headline(ensemble: Ensemble) -> None:
    _print_figures(headline(ensemble), "headline figures: mean (95 % CI) over seeds", headline_cell)


def _print_differences(table: pd.DataFrame, baseline: str) -> None:
    _print_figures(table, f"minus {baseline}, paired by seed: mean (95 % CI)", difference_cell)


def _print_figures(table: pd.DataFrame, title: str, cell: Callable[..., str]) -> None:
    """Figures (rows) by scenario (columns), each cell ``cell(figure, mean, low, high)``."""
    shown = Table(title=title)
    shown.add_column("figure")
    labels = list(dict.fromkeys(table.scenario))
    for label in labels:
        shown.add_column(f"{label} (n={int(table[table.scenario == label].n.max())})")
    for figure, rows in table.groupby("figure", sort=False):
        cells = {r.scenario: cell(r.figure, r.mean, r.ci95_low, r.ci95_high) for r in rows.itertuples()}
        shown.add_row(figure, *(cells.get(label, "-") for label in labels))
    console.print(shown)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Report vaxsim's user-facing errors without a traceback and exit 1."""
    try:
        yield
    except ScenarioError as error:
        for problem in error.problems:
            errors.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    except (VaxsimError, ValueError) as error:
        errors.print(f"error: {error}", markup=False)
        raise typer.Exit(1) from None

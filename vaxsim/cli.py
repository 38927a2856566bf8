"""The ``vaxsim`` command line: a thin layer over the Python API.

Every command reports bad input as ``file:line: field.path: message`` on standard error and
exits with status 1; it never shows a traceback for a problem the user can fix.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import vaxsim
from vaxsim.errors import ScenarioError, VaxsimError

app = typer.Typer(
    name="vaxsim",
    help=(
        "Simulate and plan national vaccination campaigns.\n\n"
        "Examples:\n\n"
        "  vaxsim validate scenarios/demo-district.yaml\n\n"
        "  vaxsim run scenarios/demo-district.yaml --set policies.allocation=pro_rata\n\n"
        "  vaxsim schema --write"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override a scenario field, e.g. --set campaign.seed=7 (repeatable).",
    ),
]


def _version(value: bool) -> None:
    if value:
        console.print(f"vaxsim {vaxsim.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Simulate and plan national vaccination campaigns."""


def _report(error: VaxsimError) -> None:
    """Print a user-facing error and exit 1."""
    if isinstance(error, ScenarioError):
        for problem in error.problems:
            errors.print(str(problem), markup=False)
        count = len(error.problems)
        errors.print(f"{count} problem{'s' if count != 1 else ''} found.", markup=False)
    else:
        errors.print(f"error: {error}", markup=False)
    raise typer.Exit(1)


@app.command()
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
    set_: SetOption = None,
) -> None:
    """Check scenario files and report every problem with file, line and field.

    Example: vaxsim validate scenarios/vietnam-2021.yaml
    """
    from vaxsim.model import compile_model

    failed = False
    for path in scenarios:
        try:
            scenario = vaxsim.load(path, overrides=set_ or [])
        except ScenarioError as error:
            for problem in error.problems:
                errors.print(str(problem), markup=False)
            failed = True
            continue
        summary = compile_model(scenario).summary()
        console.print(
            f"{path}: ok — {summary['provinces']} provinces, {summary['districts']} districts, "
            f"{summary['sites']:,} sites, {summary['population']:,} people, "
            f"{summary['lots']} lots ({summary['doses_delivered']:,} doses), "
            f"{summary['days']} days",
            markup=False,
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def schema(
    write: Annotated[bool, typer.Option("--write", help="Rewrite the shipped schema file.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the shipped schema differs from the models.")
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors and other tools).

    Example: vaxsim schema > scenario.schema.json
    """
    from vaxsim.scenario.schema import SCHEMA_PATH, schema_text

    text = schema_text()
    if check:
        shipped = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if shipped != text:
            errors.print(f"{SCHEMA_PATH} is out of date: run `vaxsim schema --write`", markup=False)
            raise typer.Exit(1)
        console.print(f"{SCHEMA_PATH}: up to date", markup=False)
    elif write:
        from vaxsim.io.atomic import atomic_write_text

        atomic_write_text(SCHEMA_PATH, text)
        console.print(f"wrote {SCHEMA_PATH}", markup=False)
    else:
        sys.stdout.write(text)


@app.command()
def run(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    set_: SetOption = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: campaign.seed).")] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder in which the run folder is created.")
    ] = Path("results"),
    site_queues: Annotated[
        bool, typer.Option("--site-queues/--no-site-queues", help="Simulate every person in site queues.")
    ] = True,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Save PNG plots beside the data.")] = True,
) -> None:
    """Simulate a scenario's campaign and write results/<scenario>-<timestamp>/:
    Parquet tables, results.json, PNG plots and manifest.json.

    Example: vaxsim run scenarios/demo-district.yaml --seed 7
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from vaxsim.io.atomic import atomic_directory
    from vaxsim.model import compile_model
    from vaxsim.report.plots import save_plots
    from vaxsim.results.manifest import run_folder_name, run_manifest, write_manifest
    from vaxsim.sim.simulate import simulate

    overrides = list(set_ or [])
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        scenario = vaxsim.load(scenario_path, overrides=overrides)
    except VaxsimError as error:
        _report(error)
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    model = compile_model(scenario)
    timings["compile"] = time.perf_counter() - started
    campaign = scenario.campaign
    seed = campaign.seed if seed is None else seed
    now = dt.datetime.now(zoneinfo.ZoneInfo(campaign.timezone))
    target = output / run_folder_name(campaign.name, now)

    started = time.perf_counter()
    with Progress(
        TextColumn("simulating {task.fields[date]}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task("days", total=len(model.dates), date="")

        def advance(day: int) -> None:
            progress.update(task, advance=1, date=str(model.dates[day].date()))

        results = simulate(model, seed, site_queues=site_queues, on_day=advance)
    timings["simulate"] = time.perf_counter() - started

    started = time.perf_counter()
    with atomic_directory(target) as folder:
        files = results.save(folder)
        if plots:
            files += save_plots(results, folder)
        timings["write"] = time.perf_counter() - started
        manifest = run_manifest(
            model,
            scenario_path=str(scenario_path),
            seed=seed,
            overrides=overrides,
            timings=timings,
            status="complete",
            files=files,
            now=now,
        )
        write_manifest(folder, manifest)
    _print_summary(results.summary(), timings["simulate"])
    console.print(f"wrote {target}/ ({len(files) + 1} files)", markup=False)


def _print_summary(summary: dict, seconds: float) -> None:
    table = Table(title=f"{summary['scenario']} (seed {summary['seed']})", show_header=False)
    table.add_row("population", f"{summary['population']:,}")
    table.add_row("doses delivered", f"{summary['doses_delivered']:,}")
    table.add_row("doses given", f"{summary['doses_given']:,}")
    for dose, count in summary["doses_by_dose_number"].items():
        table.add_row(f"  dose {dose}", f"{count:,}")
    table.add_row("peak doses per day", f"{summary['peak_doses_per_day']:,}")
    table.add_row("coverage, at least one dose", f"{100 * summary['coverage_at_least_one']:.1f} %")
    table.add_row("coverage, full series", f"{100 * summary['coverage_full_series']:.1f} %")
    table.add_row("no-shows", f"{summary['no_shows']:,}")
    for stage, days in summary["mean_delay_days"].items():
        table.add_row(f"mean delay {stage.replace('_', ' ')}", "-" if days is None else f"{days:.1f} days")
    table.add_row("simulated in", f"{seconds:.1f} s")
    console.print(table)


def _print_model(model: vaxsim.Model) -> None:
    table = Table(title=f"{model.scenario.campaign.name}: compiled model", show_header=False)
    for name, value in model.summary().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)


def main() -> None:
    """Entry point of the ``vaxsim`` command."""
    app()

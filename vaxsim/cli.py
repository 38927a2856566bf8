"""The ``vaxsim`` command line: a thin layer over the Python API.

Every command reports bad input as ``file:line: field.path: message`` on standard error and
exits with status 1; it never shows a traceback for a problem the user can fix.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import warnings
import zoneinfo
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import vaxsim
from vaxsim.coldchain.errors import ColdChainWarning
from vaxsim.ensemble.cli import register as register_ensemble_commands
from vaxsim.entry import IO_ERROR
from vaxsim.entry import main as entry_main
from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.io.atomic import OutputError
from vaxsim.io.spreadsheet import neutralised
from vaxsim.plan.cli import plan_app
from vaxsim.report.site_cli import site

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
app.add_typer(plan_app, name="plan")
app.command()(site)
register_ensemble_commands(app)
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
    """Print a user-facing error and exit 1 (3 for an output folder that cannot be written)."""
    if isinstance(error, OutputError):
        errors.print(f"error: {error}", markup=False)
        raise typer.Exit(IO_ERROR)
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
    from vaxsim.coldchain import capacity_warnings, checked_model

    failed = False
    for path in scenarios:
        try:
            model = checked_model(vaxsim.load(path, overrides=set_ or []))
        except ScenarioError as error:
            for problem in error.problems:
                errors.print(str(problem), markup=False)
            failed = True
            continue
        for message in capacity_warnings(model):
            errors.print(f"{path}: warning: {message}", markup=False)
        summary = model.summary()
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
    from vaxsim.io.schema_file import print_write_or_check
    from vaxsim.scenario.schema import SCHEMA_PATH, schema_text

    print_write_or_check(
        SCHEMA_PATH,
        schema_text(),
        write=write,
        check=check,
        regenerate="vaxsim schema --write",
        console=console,
        errors=errors,
    )


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
    plan: Annotated[
        Path | None,
        typer.Option("--plan", metavar="BUNDLE", help="Execute a plan bundle's shipments and slots."),
    ] = None,
    replan_every: Annotated[
        int | None,
        typer.Option(
            metavar="K",
            help="Digital twin: re-optimize every K days from the simulated state and follow the new "
            "plan; compare with the static plan and the rule-based policies (comparison.csv).",
        ),
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(help="LP solver for --replan-every: highs or cbc (default: highs if installed)."),
    ] = None,
) -> None:
    """Simulate a scenario's campaign and write results/<scenario>-<timestamp>/:
    Parquet tables, results.json, PNG plots and manifest.json.

    With --plan, the campaign follows a plan bundle (vaxsim optimize) under the scenario's
    disturbances and reports planned against realised doses. With --replan-every K, it follows
    an optimized plan that is re-optimized every K days from the simulated state.

    Example: vaxsim run scenarios/demo-district.yaml --seed 7
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from vaxsim.coldchain import checked_model
    from vaxsim.io.atomic import Destination
    from vaxsim.report.plots import save_plots
    from vaxsim.results.manifest import run_folder_name, run_manifest, write_manifest
    from vaxsim.run.simulate import simulate

    overrides = list(set_ or [])
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        scenario = vaxsim.load(scenario_path, overrides=overrides)
    except VaxsimError as error:
        _report(error)
    timings["load"] = time.perf_counter() - started
    campaign = scenario.campaign
    seed = campaign.seed if seed is None else seed
    now = dt.datetime.now(zoneinfo.ZoneInfo(campaign.timezone))
    try:  # the destination is checked before any work starts
        destination = Destination(output / run_folder_name(campaign.name, seed, now), unique=True)
        started = time.perf_counter()
        model = checked_model(scenario)  # compiled once, with the checks that need the network
    except VaxsimError as error:
        _report(error)
    timings["compile"] = time.perf_counter() - started

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

        comparison = None
        try:
            with warnings.catch_warnings():
                # Cold-chain overflows are collected in results.warnings and printed below.
                warnings.simplefilter("ignore", ColdChainWarning)
                if replan_every is None:
                    results = simulate(model, seed, site_queues=site_queues, on_day=advance, plan=plan)
                else:
                    results, comparison = _digital_twin(model, seed, replan_every, plan, solver, site_queues)
        except VaxsimError as error:
            _report(error)
    timings["simulate"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        with destination.writing() as folder, ThreadPoolExecutor(1) as drawing:
            # plots are drawn while the tables are written (Parquet encoding releases the GIL)
            drawn = drawing.submit(save_plots, results, folder) if plots else None
            files = results.save(folder)
            if comparison is not None:
                neutralised(comparison).to_csv(folder / "comparison.csv", index=False)
                files.append(folder / "comparison.csv")
            if drawn is not None:
                files += drawn.result()
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
    except VaxsimError as error:  # a full disk, a folder that can no longer be written
        _report(error)
    _print_summary(results.summary(), timings["simulate"])
    if comparison is not None:
        _print_comparison(comparison)
    _print_warnings(results.warnings)
    console.print(f"wrote {destination.path}/ ({len(files) + 1} files)", markup=False)


def _digital_twin(
    model, seed: int, replan_every: int, plan: Path | None, solver: str | None, site_queues: bool
):
    """The re-planned run and its comparison with the static plan and the rule-based policies."""
    from vaxsim.optimize import optimize
    from vaxsim.plan.checked import checked, read_checked
    from vaxsim.run.simulate import simulate
    from vaxsim.run.twin import compare_policies, replanner

    if replan_every < 1:
        raise VaxsimError(f"--replan-every must be at least 1 day (got {replan_every})")
    first = read_checked(plan, model) if plan is not None else checked(optimize(model, solver=solver), model)
    results = simulate(
        model,
        seed,
        site_queues=site_queues,
        plan=first,
        replan=replanner(model, previous=first, solver=solver),
        replan_every=replan_every,
    )
    comparison = compare_policies(
        model, seed, replan_every=replan_every, static=first, twin=results, solver=solver
    )
    return results, comparison


def _print_comparison(comparison) -> None:
    table = Table(title="policies compared (same scenario and seed)")
    columns = [
        "policy",
        "doses_given",
        "coverage_full_series",
        "wastage_share",
        "missed_for_lack_of_vaccine",
        "realised_share",
    ]
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in comparison.itertuples():
        cells = []
        for column in columns:
            value = getattr(row, column)
            if isinstance(value, float) and column != "doses_given":
                cells.append("-" if value != value else f"{value:.3f}")
            else:
                cells.append(str(value) if isinstance(value, str) else f"{int(value):,}")
        table.add_row(*cells)
    console.print(table)


def _print_warnings(messages: list[str], shown: int = 5) -> None:
    for message in messages[:shown]:
        errors.print(f"warning: {message}", markup=False)
    if len(messages) > shown:
        errors.print(f"... and {len(messages) - shown} more (see the cold_chain table)", markup=False)


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
    if "plan" in summary:
        plan = summary["plan"]
        share = "-" if plan["realised_share"] is None else f"{100 * plan['realised_share']:.1f} %"
        label = f"plan {plan['plan_id']} r{plan['revision']}: doses planned"
        table.add_row(label, f"{plan['planned_doses']:,}")
        table.add_row("  realised", f"{plan['realised_doses']:,} ({share})")
    table.add_row("doses wasted", f"{summary['doses_wasted']:,}")
    for cause, doses in summary["wasted_by_cause"].items():
        table.add_row(f"  {cause.replace('_', ' ')}", f"{doses:,}")
    table.add_row("people missed for lack of vaccine", f"{summary['missed_for_lack_of_vaccine']:,}")
    table.add_row("no-shows", f"{summary['no_shows']:,}")
    for stage, days in summary["mean_delay_days"].items():
        table.add_row(f"mean delay {stage.replace('_', ' ')}", "-" if days is None else f"{days:.1f} days")
    table.add_row("simulated in", f"{seconds:.1f} s")
    console.print(table)


@app.command()
def optimize(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder in which the plan folder is created.")
    ] = Path("plans"),
    set_: SetOption = None,
    solver: Annotated[
        str | None,
        typer.Option(help="LP solver: highs (needs highspy) or cbc (bundled); default: highs if installed."),
    ] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per sub-problem.")] = None,
    gap: Annotated[float, typer.Option(help="Relative optimality gap (integer programs).")] = 1e-4,
    threads: Annotated[
        int,
        typer.Option(help="Province sub-problems solved at once (default: every core; the same plan)."),
    ] = os.cpu_count() or 1,
    demand: Annotated[
        Path | None,
        typer.Option(help="CSV of approved registrants (district, priority_group, age_band, date, persons)."),
    ] = None,
    verify: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Re-simulate the plan over N seeded replications; the manifest records the realised "
            "share of planned doses, wastage and stock-out days with 95 % confidence intervals.",
        ),
    ] = 0,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a bundle of the same plan that vaxsim wrote.")
    ] = False,
) -> None:
    """Plan lots and appointment capacity down the hierarchy and write plans/plan-<id>-r1/.

    Example: vaxsim optimize scenarios/demo-district.yaml --solver highs --threads 2 --verify 10
    """
    from vaxsim.io.atomic import check_destination, check_writable_folder
    from vaxsim.optimize.output import (
        progress_display,
        read_demand,
        save_plan,
        summary_table,
        waterfall_table,
    )
    from vaxsim.plan.bundle import bundle_name
    from vaxsim.plan.revisions import revision_in_folder

    def check_bundle_destination(plan_id: str, inputs_sha256: str) -> None:
        revision = revision_in_folder(output, plan_id, inputs_sha256)
        check_destination(output / bundle_name(plan_id, revision), replace=replace)

    try:
        check_writable_folder(output)
        scenario = vaxsim.load(scenario_path, overrides=list(set_ or []))
        table = None if demand is None else read_demand(demand)
        with progress_display(errors) as on_progress:
            plan = vaxsim.optimize(
                scenario,
                solver=solver,
                time_limit=time_limit,
                gap=gap,
                threads=threads,
                demand=table,
                progress=on_progress,
                before_solving=check_bundle_destination,
            )
        if verify > 0:
            from vaxsim.run.robustness import verify_plan

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ColdChainWarning)
                plan.robustness = verify_plan(scenario, plan, verify)
    except VaxsimError as error:
        _report(error)
    console.print(summary_table(plan))
    waterfall = waterfall_table(plan)
    if waterfall is not None:
        console.print(waterfall)
    if plan.robustness:
        _print_robustness(plan.robustness)
    try:
        written = save_plan(plan, output, replace=replace)
    except VaxsimError as error:
        _report(error)
    console.print(f"wrote {written}/", markup=False)


def _print_robustness(report: dict) -> None:
    table = Table(title=f"re-simulated over {report['replications']} replications", show_header=True)
    for column in ("", "mean", "95 % CI"):
        table.add_column(column)
    for name in ("realised_share", "wastage_share", "stock_out_days"):
        low, high = report[name]["ci95"]
        table.add_row(name.replace("_", " "), f"{report[name]['mean']:.3f}", f"{low:.3f} – {high:.3f}")
    console.print(table)


def _print_model(model: vaxsim.Model) -> None:
    table = Table(title=f"{model.scenario.campaign.name}: compiled model", show_header=False)
    for name, value in model.summary().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)


def main() -> None:
    """Entry point of the ``vaxsim`` command (exit statuses: :mod:`vaxsim.entry`)."""
    entry_main()

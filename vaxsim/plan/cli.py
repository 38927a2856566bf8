"""``vaxsim plan ...``: check, export and describe plan bundles (registered in :mod:`vaxsim.cli`).

Problems are printed as ``file:line: key: message`` (the file inside the bundle); the exit
status is 1 when anything is wrong, 0 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from vaxsim.plan.database.commands import register
from vaxsim.plan.errors import PlanError

plan_app = typer.Typer(
    name="plan",
    help=(
        "Check, export, diff and load plan bundles into a database (the format: docs/PLAN_FORMAT.md "
        "in the vaxsim repository).\n\n"
        "Examples:\n\n"
        "  vaxsim plan check plans/vn-2021/plan-<id>-r1 --scenario scenarios/vietnam-2021.yaml\n\n"
        "  vaxsim plan export plans/vn-2021/plan-<id>-r1 --to ssl -o public/ssl\n\n"
        "  vaxsim plan load plans/vn-2021/plan-<id>-r2 --db plans.sqlite\n\n"
        "  vaxsim plan diff plans/vn-2021/plan-<id>-r1 plans/vn-2021/plan-<id>-r2 --csv changes.csv\n\n"
        "  vaxsim plan approve plans/vn-2021/plan-<id>-r2 --db plans.sqlite"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(soft_wrap=True, highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(error: PlanError) -> NoReturn:
    """Print a plan error (and every problem it lists) without a traceback; exit 1."""
    for problem in getattr(error, "problems", []):
        console.print(problem, markup=False)
    errors.print(f"error: {error}", markup=False)
    raise typer.Exit(1)


def _load_scenario(path: Path):
    import vaxsim
    from vaxsim.errors import ScenarioError

    try:
        return vaxsim.load(path)
    except ScenarioError as error:
        for problem in error.problems:
            errors.print(str(problem), markup=False)
        errors.print(f"{path}: the scenario is invalid; the plan was not checked", markup=False)
        raise typer.Exit(1) from None


@plan_app.command()
def check(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="Bundle folder plan-<id>-r<revision>/.")],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Also check the plan against this scenario file.")
    ] = None,
) -> None:
    """Verify a bundle: checksums, schemas, plan.json, the eight invariants (and the scenario).

    Example: vaxsim plan check plans/vn-2021/plan-vn-2021-s42-r1 --scenario scenarios/vietnam-2021.yaml
    """
    from vaxsim.plan.checker import check as check_bundle

    loaded = _load_scenario(scenario) if scenario is not None else None
    violations = check_bundle(bundle, loaded)
    for violation in violations:
        console.print(str(violation), markup=False)
    if violations:
        count = len(violations)
        errors.print(f"{bundle}: {count} violation{'s' if count != 1 else ''}", markup=False)
        raise typer.Exit(1)
    against = f" against {scenario}" if scenario is not None else ""
    console.print(f"{bundle}: OK (checksums, schemas, plan.json, 8 invariants{against})", markup=False)


@plan_app.command()
def export(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="Bundle folder plan-<id>-r<revision>/.")],
    to: Annotated[str, typer.Option("--to", help="ssl, fhir or dhis2.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Folder to write (default: <BUNDLE>-exports/<kind>/ beside the bundle)."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="DHIS2 mapping YAML (default: the shipped mapping).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="URL the SMART Scheduling Links files are served from.")
    ] = None,
    booking_url: Annotated[
        str | None,
        typer.Option("--booking-url", help="Booking page of the sites (Location telecom, slot links)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an export folder that vaxsim wrote (atomically).")
    ] = False,
    org_units: Annotated[
        Path | None,
        typer.Option("--org-units", help="DHIS2 org-unit UID file: CSV org_unit,uid[,name] (dhis2 only)."),
    ] = None,
) -> None:
    """Export a checked bundle: SMART Scheduling Links, FHIR R4 NDJSON or DHIS2 data value sets.

    Exports are derived files, written outside the bundle and not covered by its checksums.

    Example: vaxsim plan export plans/vn-2021/plan-vn-2021-s42-r1 --to fhir -o out/fhir
    """
    from vaxsim.entry import IO_ERROR
    from vaxsim.errors import VaxsimError
    from vaxsim.io.atomic import OutputError
    from vaxsim.plan.exports import KINDS
    from vaxsim.plan.exports import export as export_bundle
    from vaxsim.plan.exports.fhir import BOOKING_URL

    if to not in KINDS:
        errors.print(f"error: --to must be one of {', '.join(KINDS)} (got {to!r})", markup=False)
        raise typer.Exit(2)
    try:
        folder = export_bundle(
            bundle,
            to,
            output,
            mapping=mapping,
            base_url=base_url,
            booking_url=booking_url or BOOKING_URL,
            replace=replace,
            org_units=org_units,
        )
    except VaxsimError as error:
        errors.print(f"error: {error}", markup=False)
        raise typer.Exit(IO_ERROR if isinstance(error, OutputError) else 1) from None
    files = sorted(path.name for path in folder.iterdir())
    console.print(f"wrote {folder}/ ({len(files)} files)", markup=False)


@plan_app.command()
def schema(
    write: Annotated[bool, typer.Option("--write", help="Rewrite the shipped plan.schema.json.")] = False,
    check_only: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the shipped schema differs from the tables.")
    ] = False,
) -> None:
    """Print the JSON Schema of plan.json (generated from the plan tables).

    Example: vaxsim plan schema > plan.schema.json
    """
    from vaxsim.io.schema_file import print_write_or_check
    from vaxsim.plan.json_schema import PLAN_SCHEMA_PATH, schema_text

    print_write_or_check(
        PLAN_SCHEMA_PATH, schema_text(), write=write, check=check_only,
        regenerate="vaxsim plan schema --write", console=console, errors=errors,
    )


register(plan_app, console=console, fail=_fail)

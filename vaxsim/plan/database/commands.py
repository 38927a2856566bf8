"""``vaxsim plan load | approve | revisions | diff``: plans into a database, their lifecycle, and
what changed between two bundles (registered on the ``plan`` command group by
:mod:`vaxsim.plan.cli`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from vaxsim.plan.database.engine import DEFAULT_DB
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.lifecycle import approve as approve_revision
from vaxsim.plan.database.lifecycle import current_approved, revisions
from vaxsim.plan.database.load import load_into
from vaxsim.plan.diff import diff as diff_bundles
from vaxsim.plan.errors import PlanError
from vaxsim.plan.manifest import MANIFEST

DB_HELP = "SQLite file or SQLAlchemy URL (postgresql+psycopg://user@host/db)."
Bundle = Annotated[Path, typer.Argument(metavar="BUNDLE", help="Bundle folder plan-<id>-r<revision>/.")]
Db = Annotated[str, typer.Option("--db", help=DB_HELP)]


def _revision_of(target: str) -> tuple[str, int]:
    """``PLAN_ID:REVISION`` or a bundle folder → (plan_id, revision)."""
    path = Path(target)
    if path.is_dir():
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            return str(manifest["plan_id"]), int(manifest["revision"])
        except (OSError, ValueError, KeyError, TypeError):
            raise PlanError(f"{path / MANIFEST}: not a plan bundle's manifest") from None
    plan_id, _, revision = target.rpartition(":")
    if not plan_id or not revision.isdigit():
        raise PlanError(f"{target}: neither a bundle folder nor PLAN_ID:REVISION (e.g. vietnam-2021:2)")
    return plan_id, int(revision)


def register(app: typer.Typer, *, console: Console, fail: Callable[[PlanError], NoReturn]) -> None:
    """Add the database and diff commands to ``app``."""
    errors = Console(stderr=True, highlight=False, soft_wrap=True)

    @app.command()
    def load(bundle: Bundle, db: Db = DEFAULT_DB) -> None:
        """Load a bundle into a database in one transaction (all or nothing), after checking it.

        The tables come from the bundle's datapackage.json; loading the same revision again changes
        nothing; a bundle that fails `vaxsim plan check` is refused with its violations. See
        docs/PLAN_FORMAT.md for the tables and example queries.

        Example: vaxsim plan load plans/vn-2021/plan-vietnam-2021-r2 --db postgresql+psycopg://ops@db/plans
        """
        try:
            result = load_into(bundle, db, progress=lambda line: errors.print(line, markup=False))
        except PlanError as error:
            fail(error)
        if result.unchanged:
            console.print(f"{result.plan_id} r{result.revision}: already loaded, unchanged", markup=False)
            return
        rows = sum(result.rows.values())
        console.print(
            f"{result.plan_id} r{result.revision} ({result.status}): {rows} rows in {len(result.rows)} "
            f"tables loaded into {db} in {result.seconds:.1f} s (checked)",
            markup=False,
        )

    @app.command()
    def approve(
        target: Annotated[str, typer.Argument(metavar="BUNDLE|PLAN_ID:REVISION", help="The revision.")],
        db: Db = DEFAULT_DB,
    ) -> None:
        """Approve a loaded revision (draft → approved); the approved one before it becomes superseded.

        Recorded in the database: the bundle is not changed, so its checksums stay valid.

        Example: vaxsim plan approve vietnam-2021:2 --db plans.sqlite
        """
        try:
            plan_id, revision = _revision_of(target)
            superseded = approve_revision(plan_id, revision, db)
        except PlanError as error:
            fail(error)
        after = f"; superseded r{', r'.join(map(str, superseded))}" if superseded else ""
        console.print(f"{plan_id} r{revision}: approved{after}", markup=False)

    @app.command("revisions")
    def list_revisions(db: Db = DEFAULT_DB) -> None:
        """List the loaded revisions and their status; mark each campaign's current approved plan.

        Example: vaxsim plan revisions --db plans.sqlite
        """
        try:
            current = current_approved(db)
            loaded = revisions(db)
        except PlanDatabaseError as error:
            fail(error)
        for row in loaded:
            mark = "  <- current approved plan" if current.get(row.plan_id) == row.revision else ""
            after = f" (supersedes {row.supersedes})" if row.supersedes else ""
            console.print(f"{row.plan_id} r{row.revision}: {row.status}{after}{mark}", markup=False)

    @app.command()
    def diff(
        before: Annotated[Path, typer.Argument(metavar="BEFORE", help="Older bundle folder.")],
        after: Annotated[Path, typer.Argument(metavar="AFTER", help="Newer bundle folder.")],
        csv: Annotated[
            Path | None, typer.Option("--csv", help="Write every change (site, day, lot) to this CSV.")
        ] = None,
    ) -> None:
        """What changed between two bundles: shipments, slots and allocations by site, day and lot.

        Prints a summary; --csv writes one row per changed (what, site, from site, date, lot,
        product, dose number) with before, after and change.

        Example: vaxsim plan diff plans/plan-vietnam-2021-r1 plans/plan-vietnam-2021-r2 --csv r1-r2.csv
        """
        try:
            result = diff_bundles(before, after)
        except PlanError as error:
            fail(error)
        console.print(f"{result.before} -> {result.after}", markup=False)
        for row in result.summary.itertuples(index=False):
            console.print(
                f"  {row.what}: {row.added} added, {row.removed} removed, {row.changed} changed; "
                f"total {row.total_before} -> {row.total_after}",
                markup=False,
            )
        if csv is not None:
            try:
                result.changes.to_csv(csv, index=False, lineterminator="\n")
            except OSError as error:
                fail(PlanError(f"{csv}: cannot be written: {error}"))
            console.print(f"wrote {csv} ({len(result.changes)} changes)", markup=False)

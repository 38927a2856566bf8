"""Load a checked plan bundle into a database: all of it in one transaction, or nothing.

``load_into(bundle, db)`` refuses a bundle that fails :func:`vaxsim.plan.check` (with the
checker's messages), creates the tables derived from the bundle's ``datapackage.json`` where
missing, registers the revision in ``plan_revisions`` and bulk-loads every table in foreign-key
order. Loading a revision that is already there with the same files changes nothing; the same
revision with other files is refused (a written revision never changes: make the next one).
An approved revision marks the approved revision before it superseded (:mod:`.lifecycle`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, insert, select
from sqlalchemy.exc import SQLAlchemyError

from vaxsim.plan.bundle import DATAPACKAGE
from vaxsim.plan.checksums import sha256_bytes
from vaxsim.plan.database.bulk import copy_csv, insert_rows
from vaxsim.plan.database.checking import Verdict
from vaxsim.plan.database.engine import DEFAULT_DB, ensure_schema, lock, open_engine
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.foreign_keys import checked_once, lock_all
from vaxsim.plan.database.lifecycle import settle_loaded_approval
from vaxsim.plan.database.schema import REVISIONS, load_order, plan_metadata
from vaxsim.plan.manifest import MANIFEST

Progress = Callable[[str], None]


@dataclass
class LoadResult:
    """What a load did: the revision, its status in the database, rows per table (empty when the
    revision was already loaded: ``unchanged``), and the seconds it took, checking included."""

    plan_id: str
    revision: int
    status: str
    unchanged: bool
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def bundle_sha256(manifest: dict[str, Any]) -> str:
    """Identity of a bundle's contents: the SHA-256 of its manifest's file checksums (not of
    ``generated_at``, so a re-written identical plan is the same bundle)."""
    files = sorted((entry["path"], entry["sha256"]) for entry in manifest["files"])
    return sha256_bytes(json.dumps(files).encode("utf-8"))


def _read_json(bundle: Path, name: str) -> dict[str, Any]:
    return json.loads((bundle / name).read_text(encoding="utf-8"))


def load_into(
    bundle: str | os.PathLike[str],
    db: str | os.PathLike[str] = DEFAULT_DB,
    *,
    progress: Progress | None = None,
) -> LoadResult:
    """Load the bundle folder ``bundle`` into ``db`` (a SQLite file path or a SQLAlchemy URL such
    as ``postgresql+psycopg://user@host/dbname``) and return what was done.

    Raises :class:`~vaxsim.plan.database.errors.PlanDatabaseError` (nothing loaded) for a bundle
    that fails the checker, a revision already loaded with other files, or a database error.
    ``progress`` receives one line per step (``loading capacity``).
    """
    progress = progress or (lambda _message: None)
    bundle = Path(bundle)
    started = time.perf_counter()
    progress(f"checking {bundle}")
    verdict = Verdict(bundle)
    try:
        result = _load_checked(bundle, db, verdict, progress)
    finally:
        verdict.stop()
    result.seconds = time.perf_counter() - started
    return result


def _load_checked(
    bundle: Path, db: str | os.PathLike[str], verdict: Verdict, progress: Progress
) -> LoadResult:
    """Load in one transaction that commits only when the checker has no objection."""
    if verdict.ready:
        verdict.raise_if_refused()  # known already: the database is not touched
    try:
        manifest = _read_json(bundle, MANIFEST)
        package = _read_json(bundle, DATAPACKAGE)
        engine = open_engine(db)
    except (OSError, ValueError) as error:
        verdict.raise_if_refused()  # a broken bundle: the checker says exactly what is wrong
        raise PlanDatabaseError(f"{bundle}: cannot be read: {error}") from None
    try:
        with engine.begin() as connection:
            try:
                result = _load(connection, bundle, manifest, package, progress)
            except (PlanDatabaseError, SQLAlchemyError, KeyError, TypeError, ValueError):
                verdict.raise_if_refused()
                raise
            progress("waiting for the checker")
            verdict.raise_if_refused()  # inside the transaction: a refusal rolls it back
            progress(f"committing plan {result.plan_id} r{result.revision}")
    except SQLAlchemyError as error:
        reason = f"{error.__class__.__name__}: {error}"
        raise PlanDatabaseError(f"{bundle}: not loaded into {db}: {reason}") from None
    finally:
        engine.dispose()
    return result


def _load(
    connection: Connection,
    bundle: Path,
    manifest: dict[str, Any],
    package: dict[str, Any],
    progress: Progress,
) -> LoadResult:
    metadata = plan_metadata(package)
    lock(connection)
    ensure_schema(connection, metadata)
    if connection.dialect.name == "postgresql":
        lock_all(connection, metadata)  # before the foreign keys are dropped (foreign_keys.py)
    plan_id, revision = str(manifest["plan_id"]), int(manifest["revision"])
    known = _register(connection, metadata.tables[REVISIONS], bundle, manifest)
    if known is not None:
        progress(f"plan {plan_id} r{revision} is already loaded: nothing to do")
        return LoadResult(plan_id, revision, known, unchanged=True)
    if connection.dialect.name == "postgresql":
        with checked_once(connection, metadata, plan_id, revision):
            rows = _bulk_load(connection, metadata, package, bundle, manifest, progress)
            progress("checking foreign keys")
    else:
        rows = _bulk_load(connection, metadata, package, bundle, manifest, progress)
    status = str(manifest["status"])
    if status == "approved":
        status = settle_loaded_approval(connection, plan_id, revision)
    return LoadResult(plan_id, revision, status, unchanged=False, rows=rows)


def _bulk_load(
    connection: Connection,
    metadata: MetaData,
    package: dict[str, Any],
    bundle: Path,
    manifest: dict[str, Any],
    progress: Progress,
) -> dict[str, int]:
    """Every table of the bundle in foreign-key order (PostgreSQL COPY, SQLite bulk insert)."""
    bulk = copy_csv if connection.dialect.name == "postgresql" else insert_rows
    paths = {resource["name"]: resource["path"] for resource in package["resources"]}
    ids = (str(manifest["plan_id"]), int(manifest["revision"]))
    rows = {}
    for name in load_order(package):
        progress(f"loading {name}")
        rows[name] = bulk(connection, metadata.tables[name], bundle / paths[name], *ids)
    return rows


def _register(connection: Connection, revisions: Table, bundle: Path, manifest: dict[str, Any]) -> str | None:
    """Add the bundle's revision to ``plan_revisions``; return the status of the same revision
    already loaded from the same files instead (``None`` when it was added)."""
    plan_id, revision = str(manifest["plan_id"]), int(manifest["revision"])
    contents = bundle_sha256(manifest)
    known = connection.execute(
        select(revisions.c.bundle_sha256, revisions.c.status).where(
            revisions.c.plan_id == plan_id, revisions.c.revision == revision
        )
    ).first()
    if known is not None:
        if known.bundle_sha256 != contents:
            raise PlanDatabaseError(
                f"{bundle}: refused: plan {plan_id} revision {revision} is already loaded with other "
                "contents (a revision never changes: write the next revision)"
            )
        return str(known.status)
    status = str(manifest["status"])
    scenario = manifest.get("scenario") or {}
    connection.execute(
        insert(revisions).values(
            plan_id=plan_id,
            revision=revision,
            supersedes=manifest.get("supersedes"),
            # An approved bundle is approved after its rows are in, superseding the one before.
            status="draft" if status == "approved" else status,
            scenario_name=scenario.get("name"),
            scenario_sha256=scenario.get("sha256"),
            generated_at=str(manifest["generated_at"]),
            bundle_sha256=contents,
            loaded_at=dt.datetime.now(dt.UTC),
        )
    )
    return None

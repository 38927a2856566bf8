"""The SQL schema of loaded plans, derived from a bundle's ``datapackage.json``.

Every Frictionless resource becomes one table with the same columns and types, prefixed by
``plan_id`` and ``revision`` so the revisions of a campaign's plan live side by side; its
primary, unique and foreign keys are the package's keys with that prefix, so a foreign key never
crosses revisions. Nothing here names a plan column: the package is the one description
(:mod:`vaxsim.plan.datapackage`, built from :data:`vaxsim.plan.tables.TABLES`).

``plan_revisions`` is the register of loaded revisions (status, what each supersedes) and
``current_approved_plans`` the view of each campaign's current approved revision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from vaxsim.plan.plan import STATUSES

REVISIONS = "plan_revisions"
CURRENT_VIEW = "current_approved_plans"
#: The columns every plan table starts with: which revision of which campaign's plan a row is of.
REVISION_KEY = ("plan_id", "revision")

#: Frictionless field type → SQL column type (dates as dates, doses as 64-bit integers).
SQL_TYPES = {"string": Text, "integer": BigInteger, "number": Float, "date": Date}

#: The questions operations ask of a plan, as indexes (after ``plan_id, revision``): by site and
#: day, by lot, by province. A table or column the package lacks is skipped, not invented.
QUERY_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "sites": (("province_code",), ("district_code",)),
    "lots": (("product_id",),),
    "shipments": (("from_site_id", "ship_date"), ("to_site_id", "arrival_date")),
    "shipment_lines": (("lot_id",),),
    "capacity": (("site_id", "service_date"),),
    "registrant_allocations": (("to_unit_id", "service_date"),),
    "stock_projection": (("lot_id",), ("date",)),
}

#: The current approved revision of each campaign: at most one per plan_id (a partial unique
#: index on plan_revisions enforces it), so this is a plain filter.
CURRENT_VIEW_SQL = (
    f"CREATE VIEW {CURRENT_VIEW} AS SELECT plan_id, revision, approved_at FROM {REVISIONS} "
    "WHERE status = 'approved'"
)


def revisions_table(metadata: MetaData) -> Table:
    """The register: one row per loaded revision (``bundle_sha256`` identifies its contents)."""
    statuses = ", ".join(f"'{status}'" for status in STATUSES)
    return Table(
        REVISIONS,
        metadata,
        Column("plan_id", Text, nullable=False),
        Column("revision", Integer, nullable=False),
        Column("supersedes", Text),
        Column("status", Text, nullable=False),
        Column("scenario_name", Text),
        Column("scenario_sha256", Text),
        Column("generated_at", Text, nullable=False),
        Column("bundle_sha256", Text, nullable=False),
        Column("loaded_at", DateTime(timezone=True), nullable=False),
        Column("approved_at", DateTime(timezone=True)),
        PrimaryKeyConstraint("plan_id", "revision"),
        CheckConstraint(f"status IN ({statuses})", name="plan_revisions_status"),
        Index(
            "plan_revisions_one_approved",
            "plan_id",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
    )


def _resource_table(metadata: MetaData, resource: dict[str, Any]) -> Table:
    name = resource["name"]
    schema = resource["schema"]
    columns = [
        Column(field["name"], SQL_TYPES[field["type"]], nullable=not field["constraints"]["required"])
        for field in schema["fields"]
    ]
    constraints: list[Any] = [PrimaryKeyConstraint(*REVISION_KEY, *schema["primaryKey"])]
    constraints += [UniqueConstraint(*REVISION_KEY, *key) for key in schema.get("uniqueKeys", [])]
    constraints.append(
        ForeignKeyConstraint(
            list(REVISION_KEY),
            [f"{REVISIONS}.{column}" for column in REVISION_KEY],
            name=f"{name}_revision_fkey",
            deferrable=True,
            initially="DEFERRED",
        )
    )
    for fk in schema.get("foreignKeys", []):
        target = fk["reference"]["resource"] or name
        constraints.append(
            ForeignKeyConstraint(
                [*REVISION_KEY, *fk["fields"]],
                [f"{target}.{column}" for column in (*REVISION_KEY, *fk["reference"]["fields"])],
                name=f"{name}_{'_'.join(fk['fields'])}_fkey",
                # Checked at commit: rows of one table may refer to rows loaded later in it.
                deferrable=True,
                initially="DEFERRED",
            )
        )
    names = {field["name"] for field in schema["fields"]}
    indexes = [
        Index(f"{name}_by_{'_'.join(key)}", *REVISION_KEY, *key)
        for key in QUERY_INDEXES.get(name, ())
        if set(key) <= names
    ]
    return Table(
        name,
        metadata,
        Column("plan_id", Text, nullable=False),
        Column("revision", Integer, nullable=False),
        *columns,
        *constraints,
        *indexes,
    )


def plan_metadata(package: dict[str, Any]) -> MetaData:
    """SQLAlchemy tables of a bundle's ``datapackage.json`` (``package``) and the register."""
    metadata = MetaData()
    revisions_table(metadata)
    for resource in package["resources"]:
        _resource_table(metadata, resource)
    return metadata


def load_order(package: dict[str, Any]) -> list[str]:
    """Resource names with every referenced table before the tables that refer to it."""
    resources = {resource["name"]: resource for resource in package["resources"]}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise ValueError(f"datapackage.json: foreign keys form a cycle through {name}")
        for fk in resources[name]["schema"].get("foreignKeys", []):
            target = fk["reference"]["resource"]
            if target and target != name:
                visit(target, (*path, name))
        order.append(name)

    for name in resources:
        visit(name, ())
    return order

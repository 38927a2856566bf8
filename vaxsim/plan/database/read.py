"""Read a loaded revision back as the plan's tables (canonical DataFrames, as the bundle holds)."""

from __future__ import annotations

import os

import pandas as pd
from sqlalchemy import select

from vaxsim.plan.database.engine import DEFAULT_DB, open_engine
from vaxsim.plan.database.schema import plan_metadata
from vaxsim.plan.datapackage import datapackage
from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import normalise_table


def read_tables(
    plan_id: str, revision: int, db: str | os.PathLike[str] = DEFAULT_DB
) -> dict[str, pd.DataFrame]:
    """The ten tables of ``plan_id`` revision ``revision`` in ``db``, canonical (see
    :mod:`vaxsim.plan.values`) and ordered by primary key; empty tables if it is not loaded."""
    metadata = plan_metadata(datapackage(plan_id, revision))
    engine = open_engine(db)
    tables = {}
    try:
        with engine.connect() as connection:
            for name, spec in TABLES.items():
                table = metadata.tables[name]
                query = (
                    select(*[table.c[column] for column in spec.column_names])
                    .where(table.c.plan_id == plan_id, table.c.revision == revision)
                    .order_by(*[table.c[column] for column in spec.primary_key])
                )
                rows = connection.execute(query).all()
                frame = pd.DataFrame(
                    {column: pd.Series([row[i] for row in rows], dtype=object)
                     for i, column in enumerate(spec.column_names)},
                    columns=spec.column_names,
                )
                tables[name] = normalise_table(name, frame)
    finally:
        engine.dispose()
    return tables

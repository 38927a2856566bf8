"""Bulk loading of one bundle table into its SQL table: PostgreSQL ``COPY`` straight from the
bundle's CSV text, and ``executemany`` of typed rows on SQLite (and any other database).

Both run inside the caller's transaction, so a failed or killed load leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Connection, Table

from vaxsim.plan.csv_table import parse_table
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.tables import TABLES

_CHUNK = 1 << 22  # bytes per COPY write: bounded memory, few round trips


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_csv(connection: Connection, table: Table, csv_path: Path, plan_id: str, revision: int) -> int:
    """``COPY`` a bundle CSV into ``table`` on PostgreSQL (psycopg 3); returns the rows copied.

    The bundle's CSV is already what ``COPY ... (FORMAT csv)`` reads (an empty unquoted field is
    NULL, as it is missing in the bundle); each line gets the revision key in front.
    """
    data = csv_path.read_bytes()
    body = data.partition(b"\n")[2]
    columns = ", ".join(_quoted(column.name) for column in table.columns)
    copy_sql = f"COPY {_quoted(table.name)} ({columns}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    try:
        if b'"' in body:  # a quoted field may hold a line break: rows through psycopg's text format
            with cursor.copy(copy_sql) as copy:
                return _copy_rows(copy, body, plan_id, revision)
        with cursor.copy(copy_sql + " (FORMAT csv)") as copy:
            return _copy_lines(copy, body, f"{plan_id},{revision},".encode())
    except psycopg.Error as error:
        raise PlanDatabaseError(f"{csv_path}: COPY into {table.name} failed: {error}") from None


def _copy_rows(copy: psycopg.Copy, body: bytes, plan_id: str, revision: int) -> int:
    rows = 0
    for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
        copy.write_row([plan_id, revision, *[value if value != "" else None for value in row]])
        rows += 1
    return rows


def _copy_lines(copy: psycopg.Copy, body: bytes, prefix: bytes) -> int:
    """Each CSV line with ``prefix`` (the revision key) in front, in chunks of whole lines."""
    rows = 0
    start = 0
    while start < len(body):
        end = body.find(b"\n", start + _CHUNK - 1)
        end = len(body) if end < 0 else end + 1
        chunk = body[start:end]
        rows += chunk.count(b"\n")
        copy.write(prefix + chunk[:-1].replace(b"\n", b"\n" + prefix) + b"\n")
        start = end
    return rows


def python_columns(name: str, csv_path: Path) -> list[list[Any]]:
    """The columns of a bundle CSV as Python values (``None`` for missing), in schema order.

    Dates stay ``YYYY-MM-DD`` text, which is how SQLAlchemy stores a ``Date`` in SQLite.
    """
    frame = parse_table(name, csv_path.read_text(encoding="utf-8"))
    columns = []
    for column in TABLES[name].columns:
        series = frame[column.name]
        if column.type == "number":
            values = series.to_numpy(dtype="float64")
            columns.append(np.where(np.isnan(values), None, values.astype(object)).tolist())
        elif column.type == "integer" and series.hasnans:
            columns.append([None if value is pd.NA else int(value) for value in series.tolist()])
        else:
            columns.append(series.tolist())
    return columns


def insert_rows(connection: Connection, table: Table, csv_path: Path, plan_id: str, revision: int) -> int:
    """Insert a bundle CSV into ``table`` with one ``executemany``; returns the rows inserted."""
    columns = python_columns(table.name, csv_path)
    count = len(columns[0]) if columns else 0
    if not count:
        return 0
    rows = list(zip([plan_id] * count, [revision] * count, *columns, strict=True))
    names = ", ".join(_quoted(column.name) for column in table.columns)
    marks = ", ".join("?" * len(table.columns))
    connection.exec_driver_sql(f"INSERT INTO {_quoted(table.name)} ({names}) VALUES ({marks})", rows)
    return count

"""Bulk loading of one bundle table into its SQL table: PostgreSQL ``COPY`` straight from the
bundle's CSV text, and a streamed ``executemany`` of the CSV's rows on SQLite.

Both run inside the caller's transaction, so a failed or killed load leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import psycopg
from sqlalchemy import Connection, Table

from vaxsim.plan.database.errors import PlanDatabaseError

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


def insert_rows(connection: Connection, table: Table, csv_path: Path, plan_id: str, revision: int) -> int:
    """Insert a bundle CSV into ``table`` on SQLite with one streamed ``executemany``; returns
    the rows inserted.

    Cells go in as the CSV's text (empty = NULL) and SQLite's column affinity stores them typed,
    as ``COPY`` does on PostgreSQL: ``BIGINT`` columns as integers, ``FLOAT`` as reals, ``DATE``
    as ``YYYY-MM-DD`` text (how SQLAlchemy keeps a date in SQLite). The checker has already
    verified every cell against its type.
    """
    names = ", ".join(_quoted(column.name) for column in table.columns)
    # The revision key is the same on every row: bound once in the statement, not per row. An
    # empty cell is NULL (NULLIF), so the CSV reader's rows go to SQLite untouched.
    key = {"plan_id": _literal(plan_id), "revision": str(int(revision))}
    cells = ", ".join(key.get(column.name, "NULLIF(?, '')") for column in table.columns)
    sql = f"INSERT INTO {_quoted(table.name)} ({names}) VALUES ({cells})"
    with csv_path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader)  # the header
        cursor = connection.connection.driver_connection.cursor()
        try:  # sqlite3 takes the rows as a stream; SQLAlchemy would want them all in a list first
            cursor.executemany(sql, reader)
        except sqlite3.Error as error:
            raise PlanDatabaseError(f"{csv_path}: insert into {table.name} failed: {error}") from None
        return cursor.rowcount


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"

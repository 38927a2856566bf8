"""Helpers that corrupt a written bundle or a plan, for the checker's failure tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from vaxsim.plan import TABLES


def read_rows(bundle: Path, table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((bundle / "tables" / f"{table}.csv").read_text(), newline="")))


def write_rows(bundle: Path, table: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (bundle / "tables" / f"{table}.csv").write_text(buffer.getvalue())


def set_cell(bundle: Path, table: str, line: int, column: str, value: str) -> str:
    """Change one cell (``line`` as in the file: header = 1) without updating any checksum;
    return the old text."""
    rows = read_rows(bundle, table)
    index = TABLES[table].column_names.index(column)
    old = rows[line - 1][index]
    rows[line - 1][index] = value
    write_rows(bundle, table, rows)
    return old


def delete_line(bundle: Path, table: str, line: int) -> list[str]:
    rows = read_rows(bundle, table)
    removed = rows.pop(line - 1)
    write_rows(bundle, table, rows)
    return removed


def line_of(plan_table, column: str, value) -> int:
    """CSV line of the first row of a plan table whose ``column`` equals ``value``."""
    return int(plan_table.index[plan_table[column] == value][0]) + 2

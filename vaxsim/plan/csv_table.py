"""One plan table as CSV text: UTF-8, a header row, ``\\n`` line ends, minimal quoting.

The same canonical table always gives the same bytes (see :mod:`vaxsim.plan.values` for how each
type is spelled), so a bundle's checksums depend only on the plan.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import ValueProblem, canonical_series, cell_text, parse_cell


def table_csv_text(name: str, table: pd.DataFrame) -> str:
    """CSV text of canonical plan table ``name`` (header of column names, one line per row)."""
    spec = TABLES[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.column_names)
    columns = [table[column.name].tolist() for column in spec.columns]
    for values in zip(*columns, strict=True):
        writer.writerow(cell_text(value, column) for value, column in zip(values, spec.columns, strict=True))
    return buffer.getvalue()


def csv_rows(text: str) -> list[list[str]]:
    """Rows of CSV text as lists of strings; row 0 is the header (file line 1)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def parse_table(name: str, text: str) -> pd.DataFrame:
    """Canonical DataFrame of CSV text written by :func:`table_csv_text`.

    Raises :class:`ValueProblem` naming the line and column of the first cell that does not
    parse, or the header when it differs from the table's columns. Use the checker for a full
    report of every problem.
    """
    spec = TABLES[name]
    rows = csv_rows(text)
    if not rows or rows[0] != spec.column_names:
        found = rows[0] if rows else []
        raise ValueProblem(f"line 1: header {found} differs from {spec.column_names}")
    columns: list[list] = [[] for _ in spec.columns]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(spec.columns):
            raise ValueProblem(f"line {line}: {len(row)} fields, expected {len(spec.columns)}")
        for values, text_value, column in zip(columns, row, spec.columns, strict=True):
            try:
                values.append(parse_cell(text_value, column))
            except ValueProblem as problem:
                raise ValueProblem(f"line {line}: {problem}") from None
    return pd.DataFrame(
        {
            column.name: canonical_series(values, column)
            for values, column in zip(columns, spec.columns, strict=True)
        },
        columns=spec.column_names,
    )

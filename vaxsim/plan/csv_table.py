"""One plan table as CSV text: UTF-8, a header row, ``\\n`` line ends, minimal quoting.

The same canonical table always gives the same bytes (see :mod:`vaxsim.plan.values` for how each
type is spelled), so a bundle's checksums depend only on the plan.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from vaxsim.plan.tables import TABLES, Column
from vaxsim.plan.values import ValueProblem, canonical_series, cell_text, parse_cell


def table_csv_text(name: str, table: pd.DataFrame) -> str:
    """CSV text of canonical plan table ``name`` (header of column names, one line per row)."""
    spec = TABLES[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.column_names)
    texts = [column_texts(table[column.name], column) for column in spec.columns]
    if len(table):
        buffer.write("\n".join(map(",".join, zip(*texts, strict=True))))
        buffer.write("\n")
    return buffer.getvalue()


_SPECIAL = re.compile(r'[,"\r\n]')


def _csv_field(text: str) -> str:
    """``text`` as the csv writer spells one field of a longer row (quoted when it must be)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])
    return buffer.getvalue()[:-2]


def column_texts(series: pd.Series, column: Column) -> list[str]:
    """CSV field text of every cell of a canonical column (same as :func:`cell_text`, quoted as
    the csv writer quotes)."""
    missing = series.isna().to_numpy(dtype=bool)
    if column.type == "number":
        values = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
        texts = list(map(float.__repr__, values))
    elif column.type == "integer" and series.dtype.kind in "iu":
        texts = list(map(int.__repr__, series.to_numpy(dtype="int64", na_value=0).tolist()))
    else:
        values = series.tolist()
        if set(map(type, values)) <= {str, type(None)}:
            texts = values
        else:
            texts = [text if type(text) is str else cell_text(text, column) for text in values]
    if missing.any():
        for index in np.flatnonzero(missing).tolist():
            texts[index] = ""
    # One scan of the whole column finds whether any cell needs quoting (rare): only then cell by cell.
    if column.type in ("string", "date") and _SPECIAL.search("\x00".join(texts)) is not None:
        for index, text in enumerate(texts):
            if _SPECIAL.search(text) is not None:
                texts[index] = _csv_field(text)
    return texts


def csv_rows(text: str) -> list[list[str]]:
    """Rows of CSV text as lists of strings; row 0 is the header (file line 1)."""
    return list(csv.reader(io.StringIO(text, newline="")))


def raw_frame(text: str, names: list[str]) -> pd.DataFrame | None:
    """The cells of well-formed CSV text without quotes as strings (``None`` if it is not)."""
    if '"' in text or "\r" in text or not text.endswith("\n"):
        return None
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    commas = np.searchsorted(np.flatnonzero(data == ord(",")), ends)  # commas before each line end
    if not (np.diff(commas, prepend=0) == len(names) - 1).all():
        return None
    if text[: text.index("\n")].split(",") != names:
        return None
    if len(ends) == 1:
        return pd.DataFrame({n: pd.Series([], dtype=object) for n in names}, columns=names)
    frame = pd.read_csv(
        io.StringIO(text),
        dtype=object,
        na_filter=False,
        keep_default_na=False,
        quoting=3,  # csv.QUOTE_NONE: there are no quotes
        skip_blank_lines=False,
        engine="c",
    )
    if list(frame.columns) != names or len(frame) != len(ends) - 1:
        return None
    return frame


def parse_table(name: str, text: str) -> pd.DataFrame:
    """Canonical DataFrame of CSV text written by :func:`table_csv_text`.

    Raises :class:`ValueProblem` naming the line and column of the first cell that does not
    parse, or the header when it differs from the table's columns. Use the checker for a full
    report of every problem.
    """
    spec = TABLES[name]
    raw = raw_frame(text, spec.column_names)
    if raw is not None:
        columns = {}
        for column in spec.columns:
            codes, uniques = pd.factorize(raw[column.name].to_numpy(dtype=object))
            typed = np.empty(len(uniques) + 1, dtype=object)
            try:
                typed[:-1] = [parse_cell(text_value, column) for text_value in uniques.tolist()]
            except ValueProblem:
                break  # the row-by-row reader names the line
            columns[column.name] = canonical_series(typed[codes].tolist(), column)
        else:
            return pd.DataFrame(columns, columns=spec.column_names)
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

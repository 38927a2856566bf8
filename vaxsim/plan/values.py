"""Cell values of the plan tables: one canonical pandas dtype per Frictionless type, and text.

The bundle writer, the reader and the checker agree on these rules, so a plan survives a round
trip exactly (``read(plan.write(folder))`` equals ``plan.normalised()``):

============  ==========================================  =====================================
type          pandas dtype (canonical)                    CSV text
============  ==========================================  =====================================
``string``    ``object``: ``str``, ``None`` when empty    the text (empty = missing)
``date``      ``object``: ``"YYYY-MM-DD"``, ``None``      ``YYYY-MM-DD``
``integer``   ``int64`` (required), ``Int64`` (optional)  decimal digits, e.g. ``-3``, ``120``
``number``    ``float64`` (``NaN`` when empty)            shortest round-trip repr, e.g. ``0.5``
============  ==========================================  =====================================

``object`` rather than pandas' ``str`` dtype keeps the same dtype under pandas 2 and 3.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from vaxsim.plan.tables import TABLES, Column

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ValueProblem(ValueError):
    """A cell that cannot be read or written as its column's type (message says why)."""


def is_missing(value: Any) -> bool:
    """``True`` for ``None``, ``NaN``, ``pd.NA`` and ``NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def parse_cell(text: str, column: Column) -> Any:
    """The canonical value of CSV text ``text`` in ``column`` (``None`` / ``NaN`` for empty).

    Raises :class:`ValueProblem` naming the expected type when the text does not fit.
    """
    if text == "":
        return math.nan if column.type == "number" else None
    if column.type == "string":
        return text
    if column.type == "integer":
        if not _INTEGER.match(text):
            raise ValueProblem(f"{column.name}: {text!r} is not an integer")
        return int(text)
    if column.type == "number":
        try:
            value = float(text)
        except ValueError:
            raise ValueProblem(f"{column.name}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueProblem(f"{column.name}: {text!r} is not a finite number")
        return value
    if column.type == "date":
        if not _DATE.match(text):
            raise ValueProblem(f"{column.name}: {text!r} is not a date YYYY-MM-DD")
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise ValueProblem(f"{column.name}: {text!r} is not a calendar date") from None
        return text
    raise ValueProblem(f"{column.name}: unknown type {column.type!r}")


def cell_text(value: Any, column: Column) -> str:
    """CSV text of a canonical value (see :func:`canonical_value`)."""
    if is_missing(value):
        return ""
    if column.type == "number":
        return repr(float(value))
    return str(value)


def canonical_value(value: Any, column: Column) -> Any:
    """``value`` in the canonical Python form of ``column``'s type; raises :class:`ValueProblem`.

    Accepts what an optimizer naturally produces: numpy scalars, integral floats in integer
    columns, ``datetime.date`` / ``pandas.Timestamp`` in date columns.
    """
    if is_missing(value):
        return math.nan if column.type == "number" else None
    if column.type == "string":
        if isinstance(value, (float, np.floating)):
            raise ValueProblem(f"{column.name}: {value!r} is a number, expected text")
        return str(value)
    if column.type == "integer":
        if isinstance(value, (bool, np.bool_)):
            raise ValueProblem(f"{column.name}: {value!r} is a boolean, expected an integer")
        if isinstance(value, (float, np.floating)):
            if not float(value).is_integer():
                raise ValueProblem(f"{column.name}: {value!r} is not a whole number")
            return int(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, str) and _INTEGER.match(value):
            return int(value)
        raise ValueProblem(f"{column.name}: {value!r} is not an integer")
    if column.type == "number":
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise ValueProblem(f"{column.name}: {value!r} is not a number")
        return float(value)
    if column.type == "date":
        if isinstance(value, (pd.Timestamp, dt.datetime)):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, np.datetime64):
            return pd.Timestamp(value).date().isoformat()
        return parse_cell(str(value), column)
    raise ValueProblem(f"{column.name}: unknown type {column.type!r}")


def canonical_series(values: list[Any], column: Column) -> pd.Series:
    """A Series of canonical values with the canonical dtype of ``column`` (see module doc)."""
    if column.type == "integer":
        if column.required and not any(value is None for value in values):
            return pd.Series(values, dtype="int64")
        return pd.Series(values, dtype="Int64")
    if column.type == "number":
        return pd.Series(values, dtype="float64")
    return pd.Series(values, dtype=object)


def normalise_table(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Plan table ``name`` with canonical values and dtypes, its rows in their order, a RangeIndex.

    Raises :class:`ValueProblem` naming the table, row (0-based) and column of the first cell
    that does not fit its type, and when the columns differ from :data:`TABLES`.
    """
    spec = TABLES[name]
    if list(table.columns) != spec.column_names:
        raise ValueProblem(f"table {name}: columns {list(table.columns)} differ from {spec.column_names}")
    out = {}
    for column in spec.columns:
        series = table[column.name]
        fast = _canonical_column_fast(series, column)
        out[column.name] = fast if fast is not None else _canonical_column_slow(name, series, column)
    return pd.DataFrame(out, columns=spec.column_names)


def _canonical_column_slow(name: str, series: pd.Series, column: Column) -> pd.Series:
    """Cell by cell (any input; names the first cell that does not fit)."""
    values = []
    for row, value in enumerate(series.tolist()):
        try:
            values.append(canonical_value(value, column))
        except ValueProblem as problem:
            raise ValueProblem(f"table {name}, row {row}: {problem}") from None
    return canonical_series(values, column)


def _only_str(values: np.ndarray, missing: np.ndarray) -> bool:
    """Every non-missing cell is exactly ``str`` (not a subclass, not a number)."""
    return set(map(type, values[~missing].tolist())) <= {str}


def _canonical_column_fast(series: pd.Series, column: Column) -> pd.Series | None:
    """The canonical Series of the common, well-typed inputs at numpy speed, equal to what
    :func:`canonical_value` gives cell by cell; ``None`` when the column needs the slow path
    (unusual input, or a cell that does not fit: the slow path names it)."""
    dtype = series.dtype
    missing = series.isna().to_numpy(dtype=bool)
    if column.type == "number":
        if dtype.kind not in "fiu":
            return None
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(values, dtype="float64")
    if column.type == "integer":
        if dtype.kind in "iu":
            values = series.to_numpy(dtype="float64", na_value=0) if dtype.kind == "u" else None
            if values is not None and (values >= 2.0**63).any():
                return None
            ints = series.to_numpy(dtype="int64", na_value=0)
        elif dtype.kind == "f":
            floats = series.to_numpy(dtype="float64", na_value=np.nan)
            present = floats[~missing]
            if not (np.isfinite(present).all() and (np.abs(present) < 2.0**53).all()):
                return None
            if (present != np.floor(present)).any():
                return None
            ints = np.where(missing, 0, np.nan_to_num(floats)).astype("int64")
        else:
            return None
        if column.required and not missing.any():
            return pd.Series(ints, dtype="int64")
        return pd.Series(pd.arrays.IntegerArray(ints, missing.copy()), dtype="Int64")
    if column.type in ("string", "date"):
        if dtype.kind == "M" and column.type == "date":
            codes, uniques = pd.factorize(series)
            texts = np.array([pd.Timestamp(u).date().isoformat() for u in uniques] + [None], dtype=object)
            return pd.Series(texts[codes], dtype=object)
        values = series.to_numpy(dtype=object)
        if not _only_str(values, missing):
            return None
        values = values.copy()
        values[missing] = None
        if column.type == "date":
            try:
                for text in pd.unique(values[~missing]).tolist():
                    parse_cell(text, column)
            except ValueProblem:
                return None
        return pd.Series(values, dtype=object)
    return None


def json_value(value: Any) -> Any:
    """A canonical cell as JSON carries it (``None`` for missing, Python int/float/str)."""
    if is_missing(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value

"""CSV files that people open in spreadsheets: a text cell must never run as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=cmd|' /C calc'!A0``); such text cells get a
leading ``'`` (the OWASP rule), which spreadsheets show as text. Numbers, including negative
ones, are left as they are.
"""

from __future__ import annotations

import re

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(cell: str) -> str:
    """``cell``, with a leading ``'`` when a spreadsheet would take it for a formula."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`neutralise`d (for ``to_csv``)."""
    result = frame.copy()
    for column in result.columns:
        values = result[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            result[column] = values.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return result

"""``plan.json``: a whole plan as one JSON document, and back.

Tables are arrays of row objects (keys in column order, ``null`` for missing cells) holding
the same values as ``tables/*.csv``; ``findings`` and ``log`` are ``{columns, rows}`` so their
columns survive even when empty. See :mod:`vaxsim.plan.json_schema` for the published schema.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from vaxsim.plan.plan import FORMAT, Plan
from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import canonical_series, canonical_value, json_value

SCENARIO_KEYS = ("name", "seed", "sha256")
SOLVER_KEYS = ("name", "status", "objective", "gap", "seconds")


def plain(value: Any) -> Any:
    """``value`` with numpy / pandas scalars and containers turned into plain JSON values.

    ``NaN`` and infinities become ``null`` (JSON has neither), dates become ISO text.
    """
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [plain(item) for item in list(value)]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None  # JSON has no NaN or infinity
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    return value


def json_text(document: Any) -> str:
    """Deterministic JSON text: two-space indent, keys in insertion order, UTF-8, final newline."""
    return json.dumps(plain(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def metadata(plan: Plan) -> dict[str, Any]:
    """Plan metadata with every key of ``scenario`` and ``solver`` present (``None`` if unknown)."""
    scenario = {key: plan.scenario.get(key) for key in SCENARIO_KEYS}
    scenario.update({key: value for key, value in plan.scenario.items() if key not in SCENARIO_KEYS})
    solver = {key: plan.solver.get(key) for key in SOLVER_KEYS}
    solver.update({key: value for key, value in plan.solver.items() if key not in SOLVER_KEYS})
    return {
        "plan_id": plan.plan_id,
        "revision": int(plan.revision),
        "supersedes": plan.supersedes,
        "status": plan.status,
        "scenario": plain(scenario),
        "solver": plain(solver),
    }


def frame_document(frame: pd.DataFrame) -> dict[str, Any]:
    """``{columns, rows}`` of a free-form DataFrame (findings, log)."""
    return {
        "columns": [str(column) for column in frame.columns],
        "rows": [plain(list(row)) for row in frame.itertuples(index=False, name=None)],
    }


def frame_from_document(document: dict[str, Any]) -> pd.DataFrame:
    """The DataFrame of :func:`frame_document` (pandas infers the dtypes)."""
    return pd.DataFrame(document["rows"], columns=pd.Index(document["columns"], dtype=object))


def plan_document(plan: Plan) -> dict[str, Any]:
    """The ``plan.json`` document of a plan whose tables are canonical (see ``Plan.normalised``)."""
    tables = {}
    for name, spec in TABLES.items():
        table = getattr(plan, name)
        columns = [table[column].tolist() for column in spec.column_names]
        tables[name] = [
            {column: json_value(value) for column, value in zip(spec.column_names, row, strict=True)}
            for row in zip(*columns, strict=True)
        ]
    return {**_head(plan), "tables": tables}


def _head(plan: Plan) -> dict[str, Any]:
    return {
        "format": FORMAT,
        **metadata(plan),
        "summary": plain(plan.summary),
        "robustness": plain(plan.robustness),
        "findings": frame_document(plan.findings),
        "log": frame_document(plan.log),
    }


_TABLE_MARK = "\x00vaxsim-table:{}\x00"


def plan_json_bytes(plan: Plan) -> bytes:
    """UTF-8 bytes of ``json_text(plan_document(plan))``, written column by column.

    Byte-identical to the generic encoder (two-space indent, ``null`` for missing and non-finite
    numbers, shortest float repr), without building a dict per row.
    """
    marks = {name: _TABLE_MARK.format(name) for name in TABLES}
    head = json_text({**_head(plan), "tables": marks})
    parts: list[bytes] = []
    rest = head
    for name in TABLES:
        quoted = json.dumps(marks[name], ensure_ascii=False)
        before, rest = rest.split(quoted, 1)
        parts.append(before.encode("utf-8"))
        parts.append(table_json_text(name, getattr(plan, name)).encode("utf-8"))
    parts.append(rest.encode("utf-8"))
    return b"".join(parts)


def _json_column(series: pd.Series, kind: str) -> list[str]:
    """JSON text of each cell of a canonical column (``null`` for missing)."""
    missing = series.isna().to_numpy(dtype=bool)
    if kind == "number":
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        missing = missing | ~np.isfinite(values)
        texts = list(map(float.__repr__, values.tolist()))
    elif kind == "integer" and series.dtype.kind in "iu":
        texts = list(map(int.__repr__, series.to_numpy(dtype="int64", na_value=0).tolist()))
    else:
        encode = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False
        values = series.tolist()
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:
            if missing.any():
                values = ["" if value is None else value for value in values]
            texts = list(map(encode, values))
        else:
            texts = [
                encode(value) if type(value) is str else _json_scalar(value)
                for value in values
            ]
    if missing.any():
        for index in np.flatnonzero(missing).tolist():
            texts[index] = "null"
    return texts


def _json_scalar(value: Any) -> str:
    return json.dumps(plain(json_value(value)), ensure_ascii=False)


def table_json_text(name: str, table: pd.DataFrame, indent: int = 4) -> str:
    """A canonical table as ``json_text`` spells its list of row objects at depth ``indent``."""
    if not len(table):
        return "[]"
    spec = TABLES[name]
    row_pad = " " * (indent + 2)
    cell_pad = " " * (indent + 4)
    names = [f"{cell_pad}{json.dumps(column.name, ensure_ascii=False)}: " for column in spec.columns]
    # One %-format per row: the row object's fixed text with a %s for each cell.
    cells = ",\n".join(name.replace("%", "%%") + "%s" for name in names)
    template = f"{row_pad}{{\n{cells}\n{row_pad}}}"
    columns = [_json_column(table[column.name], column.type) for column in spec.columns]
    rows = ",\n".join(map(template.__mod__, zip(*columns, strict=True)))
    return f"[\n{rows}\n{' ' * indent}]"


def table_from_rows(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Canonical DataFrame of a table's rows as ``plan.json`` holds them."""
    spec = TABLES[name]
    return pd.DataFrame(
        {
            column.name: canonical_series(
                [canonical_value(row.get(column.name), column) for row in rows], column
            )
            for column in spec.columns
        },
        columns=spec.column_names,
    )


def plan_from_document(document: dict[str, Any], tables: dict[str, pd.DataFrame] | None = None) -> Plan:
    """The :class:`Plan` of a ``plan.json`` document: its metadata, and its tables (canonical)
    unless ``tables`` already read elsewhere (the bundle's CSVs) are given."""
    if tables is None:
        tables = {name: table_from_rows(name, document["tables"][name]) for name in TABLES}
    return Plan(
        **tables,
        plan_id=document["plan_id"],
        revision=int(document["revision"]),
        supersedes=document["supersedes"],
        status=document["status"],
        scenario=dict(document["scenario"]),
        solver=dict(document["solver"]),
        summary=dict(document["summary"]),
        findings=frame_from_document(document["findings"]),
        log=frame_from_document(document["log"]),
        robustness=dict(document["robustness"]),
    )

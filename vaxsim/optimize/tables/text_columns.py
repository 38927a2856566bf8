"""Text columns of the plan's large tables built in Arrow, the way pandas would store them.

With pandas 3 a DataFrame stores text as Arrow strings (dtype ``str``): made from a numpy
array of Python strings, every row's string is copied into Arrow (~0.3 s per 700,000-row
column of site ids, and a keyed id column first costs one f-string per row). Most text columns
of the plan repeat a few thousand distinct values (site ids, dates, lot ids), and keyed ids are
fixed-width hex: built in Arrow from the distinct values (``take``) or from bytes, the same
column costs ~0.04 s and ~0.1 s (vietnam-2021: ~1.5 s less in the plan tables).

The columns are exactly what pandas makes of the same Python strings (same dtype, same Arrow
type, one chunk, so equal tables, hashes and files); where pandas keeps text as numpy
``object`` arrays (pandas 2 without the ``future.infer_string`` option, and every empty
column, which pandas 3 does not infer as text), they are such arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Probed once, at import (pandas' text option is not expected to change during a run).
_PROBE = pd.DataFrame({"text": np.array(["x"], dtype=object)}).text
#: The dtype pandas gives a column of Python strings.
TEXT_DTYPE = _PROBE.dtype
_ARROW_TYPE = getattr(getattr(_PROBE.array, "_pa_array", None), "type", None)

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def in_arrow() -> bool:
    """True if pandas stores text columns as Arrow strings (then the columns here are Arrow)."""
    return _ARROW_TYPE is not None


def text_take(values: np.ndarray, codes: np.ndarray):
    """``values[codes]`` as a text column (``values``: Python strings, typically distinct)."""
    values = np.asarray(values, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    if not in_arrow() or not len(codes):
        return values[codes]
    import pyarrow as pa

    column = pa.array(values, type=_ARROW_TYPE).take(pa.array(codes))
    return pd.array(column, dtype=TEXT_DTYPE)


def hex_ids(prefix: str, hashes: np.ndarray):
    """``f"{prefix}-{h:016x}"`` for every uint64 ``h`` of ``hashes``, as a text column."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    if not in_arrow() or not len(hashes):
        ids = np.empty(len(hashes), dtype=object)
        ids[:] = [f"{prefix}-{value:016x}" for value in hashes.tolist()]
        return ids
    import pyarrow as pa

    head = np.frombuffer(f"{prefix}-".encode("ascii"), dtype=np.uint8)
    rows, width = len(hashes), len(head) + 16
    text = np.empty((rows, width), dtype=np.uint8)
    text[:, : len(head)] = head
    # Big-endian bytes, two hex digits each: the digits in the order the f-string writes them.
    digits = hashes.astype(">u8").view(np.uint8).reshape(rows, 8)
    text[:, len(head) :: 2] = _HEX[digits >> 4]
    text[:, len(head) + 1 :: 2] = _HEX[digits & 15]
    offset_type = np.int64 if pa.types.is_large_string(_ARROW_TYPE) else np.int32
    offsets = np.arange(rows + 1, dtype=offset_type) * width
    column = pa.Array.from_buffers(_ARROW_TYPE, rows, [None, pa.py_buffer(offsets), pa.py_buffer(text)])
    return pd.array(column, dtype=TEXT_DTYPE)

"""Text columns built in Arrow are the columns pandas makes of the same Python strings."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from vaxsim.optimize.tables.ids import keyed_ids
from vaxsim.optimize.tables.text_columns import hex_ids, text_take


def _same(made, strings: list[str]) -> None:
    expected = pd.DataFrame({"text": np.array(strings, dtype=object)})
    got = pd.DataFrame({"text": made})
    pd.testing.assert_frame_equal(got, expected)
    assert got.text.dtype == expected.text.dtype
    files = []
    for frame in (got, expected):
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        files.append(buffer.getvalue())
    assert files[0] == files[1]
    assert got.to_csv() == expected.to_csv()


@pytest.mark.parametrize("rows", [0, 1, 1000])
def test_text_take_is_the_column_of_the_strings(rows):
    values = np.array(["VN-01-site", "dose ü", "", "x" * 70], dtype=object)
    codes = np.random.default_rng(rows).integers(0, len(values), rows)
    _same(text_take(values, codes), list(values[codes]))


@pytest.mark.parametrize("rows", [0, 1, 1000])
def test_hex_ids_are_the_f_strings(rows):
    hashes = np.random.default_rng(rows).integers(0, 2**63, rows, dtype=np.int64).astype(
        np.uint64
    ) * np.uint64(3)
    hashes[:1] = np.uint64(0)  # leading zeros kept
    _same(hex_ids("cap", hashes), [f"cap-{h:016x}" for h in hashes.tolist()])


def test_keyed_ids_still_refuse_two_rows_with_one_key():
    with pytest.raises(ValueError, match="same key"):
        keyed_ids("x", np.array(["a", "a"], dtype=object), np.array([1, 1]))
    ids = keyed_ids("x", np.array(["a", "b"], dtype=object), np.array([1, 1]))
    assert ids[0] != ids[1] and all(i.startswith("x-") and len(i) == 18 for i in ids)

"""Label columns built with Arrow equal those built from Python strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vaxsim.columns import labels


@pytest.mark.parametrize("codes", [[2, 0, 1, 1, -1], [], [0] * 5])
def test_labels_match_indexing_an_object_array(codes):
    names = np.array(["hcm-01", "hn-02", ""], dtype=object)
    codes = np.array(codes, dtype=np.int64)
    expected = pd.DataFrame({"id": names[codes]})
    pd.testing.assert_frame_equal(pd.DataFrame({"id": labels(names, codes)}), expected)

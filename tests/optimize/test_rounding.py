"""The pieces of rounding and repair: whole-number allocation in order, open-vial allowance."""

from __future__ import annotations

import numpy as np
import pytest

from vaxsim.coldchain.fefo import clip_in_order, pour, scale_to
from vaxsim.optimize.setup.open_vial import open_vial_allowance, open_vial_waste_share


@pytest.mark.parametrize(
    ("doses_per_vial", "mean", "percent"),
    [(5, 2, 54.6), (6, 3, 49.2), (10, 5, 50.3), (10, 20, 18.2), (20, 50, 16.3), (5, 10, 16.7)],
)
def test_open_vial_share_matches_the_closed_form_table(doses_per_vial, mean, percent):
    # VALIDATION.md, "Open-vial wastage, closed form".
    assert 100 * open_vial_waste_share(doses_per_vial, mean) == pytest.approx(percent, abs=0.06)


def test_open_vial_allowance_is_waste_per_dose_given():
    share = open_vial_waste_share(10, 5)
    assert open_vial_allowance(10, 5) == pytest.approx(share / (1 - share))
    assert open_vial_allowance(1, 5) == 0.0


def test_clip_in_order_serves_earlier_requests_first():
    granted = clip_in_order(np.array([5, 5, 5, 2]), np.array([0, 1, 0, 0]), np.array([7, 3]))
    assert granted.tolist() == [5, 3, 2, 0]


def test_pour_fills_demands_first_in_first_out():
    # Group 0: supplies 4, 6 fill demands 3, 5, 5 (the last is short by 3); group 1: 2 → 1.
    i, j, amount = pour(
        np.array([0, 0, 1]), np.array([4, 6, 2]), np.array([0, 0, 0, 1]), np.array([3, 5, 5, 1]), 2
    )
    assert list(zip(i.tolist(), j.tolist(), amount.tolist(), strict=True)) == [
        (0, 0, 3),
        (0, 1, 1),
        (1, 1, 4),
        (1, 2, 2),
        (2, 3, 1),
    ]


def test_scale_to_keeps_whole_numbers_and_the_total():
    scaled = scale_to(np.array([10, 7]), np.array([0, 0, 0, 1]), np.array([5, 5, 5, 3]))
    assert scaled[:3].sum() == 10 and scaled[3] == 3
    assert (scaled <= np.array([5, 5, 5, 3])).all()

"""Arrivals from appointments and Poisson arrivals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vaxsim.sites.arrivals import booked_arrivals, poisson_arrivals, slot_count


def test_everyone_booked_comes_inside_the_session():
    rng = np.random.default_rng(0)
    times = booked_arrivals(450.0, 690.0, 6, 15.0, 1.0, 0.0, 10.0, rng)
    assert times.size == 16 * 6
    assert np.all(np.diff(times) >= 0)
    assert times.min() >= 450.0 and times.max() <= 690.0
    assert (times == 450.0).sum() > 0  # early birds wait for the doors to open


def test_punctual_people_arrive_within_their_slot():
    rng = np.random.default_rng(1)
    times = booked_arrivals(0.0, 60.0, [1, 0, 3, 2], 15.0, 1.0, 0.0, 0.0, rng)
    slots = np.floor(times / 15.0)
    np.testing.assert_array_equal(slots, [0, 2, 2, 2, 3, 3])


def test_last_slot_is_cut_at_the_session_end():
    assert slot_count(0.0, 50.0, 15.0) == 4
    rng = np.random.default_rng(2)
    times = booked_arrivals(0.0, 50.0, [0, 0, 0, 50], 15.0, 1.0, 0.0, 0.0, rng)
    assert times.min() >= 45.0 and times.max() <= 50.0


def test_show_up_and_walk_ins_on_average():
    # 1000 sessions of 160 booked: shown ~ Binomial(160, 0.8), walk-ins ~ Poisson(0.1 × 160)
    rng = np.random.default_rng(3)
    counts = np.array([
        booked_arrivals(0.0, 240.0, 10, 15.0, 0.8, 0.1, 5.0, rng).size for _ in range(1000)
    ])
    mean = 160 * 0.8 + 16
    sd = math.sqrt(160 * 0.8 * 0.2 + 16)
    assert abs(counts.mean() - mean) < 5 * sd / math.sqrt(counts.size)


def test_bad_bookings_are_refused():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match="entries for 4 slots"):
        booked_arrivals(0.0, 60.0, [1, 2], 15.0, 1.0, 0.0, 0.0, rng)
    with pytest.raises(ValueError, match="show_up"):
        booked_arrivals(0.0, 60.0, 1, 15.0, 1.5, 0.0, 0.0, rng)
    with pytest.raises(ValueError, match="slot_minutes"):
        booked_arrivals(0.0, 60.0, 1, 0.0, 1.0, 0.0, 0.0, rng)


def test_poisson_arrivals_rate():
    rng = np.random.default_rng(5)
    times = poisson_arrivals(8.0, 100.0, 1100.0, rng)
    assert np.all(np.diff(times) >= 0)
    assert times.min() >= 100.0 and times.max() < 1100.0
    assert abs(times.size - 8000) < 5 * math.sqrt(8000)
    gaps = np.diff(times)
    assert gaps.mean() == pytest.approx(1 / 8, rel=0.05)
    assert gaps.std() == pytest.approx(1 / 8, rel=0.05)  # exponential gaps: sd = mean

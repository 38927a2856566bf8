"""Erlang C against the numbers of VALIDATION.md and textbook identities."""

import math

import pytest

from vaxsim.sites.theory import erlang_c, mmc_mean_wait, mmc_wait_sf


def test_erlang_c_matches_validation_numbers():
    assert erlang_c(10, 8.0, 1.0) == pytest.approx(0.4092, abs=5e-5)
    assert mmc_mean_wait(10, 8.0, 1.0) == pytest.approx(0.2046, abs=5e-5)
    assert erlang_c(10, 9.0, 1.0) == pytest.approx(0.6687, abs=5e-5)
    assert mmc_mean_wait(10, 9.0, 1.0) == pytest.approx(0.6687, abs=5e-5)


def test_single_server_is_mm1():
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda)
    assert erlang_c(1, 0.7, 1.0) == pytest.approx(0.7)
    assert mmc_mean_wait(1, 0.7, 2.0) == pytest.approx(0.35 / 1.3)


def test_erlang_c_against_direct_sum():
    c, a = 7, 5.5
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    assert erlang_c(c, a, 1.0) == pytest.approx(tail / (head + tail), rel=1e-12)


def test_wait_tail():
    assert mmc_wait_sf(0.0, 10, 8.0, 1.0) == pytest.approx(erlang_c(10, 8.0, 1.0))
    assert mmc_wait_sf(1.0, 10, 8.0, 1.0) == pytest.approx(erlang_c(10, 8.0, 1.0) * math.exp(-2))


def test_unstable_queue_is_refused():
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(2, 2.0, 1.0)

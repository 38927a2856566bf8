"""Service-time sampling: means and spreads match the distribution's parameters.

200 000 draws per case; the sample mean is compared with :func:`mean_of` within 5 standard
errors (sd / sqrt(n)), which a correct sampler fails with probability < 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter

from vaxsim.scenario.distributions import ServiceTime
from vaxsim.sites.service_times import lognormal_log_parameters, mean_of, sample

adapter = TypeAdapter(ServiceTime)
DRAWS = 200_000

CASES = [
    ({"kind": "fixed", "value": 2.5}, 0.0),
    ({"kind": "exponential", "mean": 1.5}, 1.5),
    ({"kind": "shifted_exponential", "shift": 0.5, "scale": 1.0}, 1.0),
    ({"kind": "normal", "mean": 3.0, "sd": 0.5}, 0.5),  # truncation negligible
    ({"kind": "lognormal", "mean": 2.0, "sd": 1.0}, 1.0),
    ({"kind": "empirical", "values": [1.0, 2.0, 6.0]}, math.sqrt(14 / 3)),
]


@pytest.mark.parametrize(("spec", "sd"), CASES)
def test_mean_and_sd(spec, sd):
    dist = adapter.validate_python(spec)
    values = sample(dist, np.random.default_rng(1), DRAWS)
    assert values.shape == (DRAWS,)
    assert values.min() >= 0
    se = max(sd, 1e-12) / math.sqrt(DRAWS)
    assert abs(values.mean() - mean_of(dist)) < 5 * se + 1e-12
    assert values.std() == pytest.approx(sd, rel=0.02, abs=1e-12)


def test_normal_is_truncated_not_clipped():
    # mean 1, sd 1: 16 % of the untruncated mass is below zero. Truncation keeps no mass at
    # zero and its mean is 1 + φ(1)/Φ(1) = 1.2876 (clipping would give 1.0833).
    dist = adapter.validate_python({"kind": "normal", "mean": 1.0, "sd": 1.0})
    values = sample(dist, np.random.default_rng(2), DRAWS)
    assert (values == 0).mean() < 1e-4
    assert mean_of(dist) == pytest.approx(1.2876, abs=1e-4)
    assert abs(values.mean() - mean_of(dist)) < 5 * values.std() / math.sqrt(DRAWS)


def test_lognormal_parameters():
    mu, sigma = lognormal_log_parameters(2.0, 1.0)
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(2.0)
    assert math.sqrt((math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)) == pytest.approx(1.0)


def test_shapes_and_determinism():
    dist = adapter.validate_python({"kind": "lognormal", "mean": 2.0, "sd": 1.0})
    first = sample(dist, np.random.default_rng(3), (4, 5))
    again = sample(dist, np.random.default_rng(3), (4, 5))
    assert first.shape == (4, 5)
    np.testing.assert_array_equal(first, again)


def test_empirical_draws_only_listed_values():
    dist = adapter.validate_python({"kind": "empirical", "values": [0.0, 1.5, 4.0]})
    assert set(np.unique(sample(dist, np.random.default_rng(4), 1000))) == {0.0, 1.5, 4.0}

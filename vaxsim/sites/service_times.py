"""Sampling the service-time distributions of a scenario, in minutes.

The scenario models in :mod:`vaxsim.scenario.distributions` only describe a distribution; this
module draws from it. Every sampler is vectorised: one call to the generator per distribution,
whatever ``size`` is, so the number of draws taken from ``rng`` depends only on the distribution
kind and ``size`` (the same input and seed give the same numbers).

Conventions

- ``normal`` is truncated at zero: values are drawn from the normal distribution *conditioned on
  being non-negative*, by inverse-CDF sampling (``u`` uniform on ``[Φ(-mean/sd), 1)``,
  ``x = mean + sd·Φ⁻¹(u)``). This equals "resample until non-negative" in distribution but uses
  exactly one uniform per value. :func:`mean_of` returns the mean of the truncated distribution.
- ``lognormal`` is given by its own mean ``m`` and standard deviation ``s``; the log has
  ``σ² = ln(1 + s²/m²)`` and ``μ = ln(m) − σ²/2``.
- ``empirical`` resamples the listed values with equal weight.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from vaxsim.scenario.distributions import (
    Duration,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Normal,
    ShiftedExponential,
)

Size = int | tuple[int, ...]


def lognormal_log_parameters(mean: float, sd: float) -> tuple[float, float]:
    """``(μ, σ)`` of the underlying normal for a log-normal with the given mean and sd (minutes)."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def sample(dist: Duration, rng: np.random.Generator, size: Size) -> np.ndarray:
    """Draw durations in minutes from ``dist``; returns a float array of shape ``size``.

    All values are ``>= 0``. See the module docstring for the truncation and parameter rules.
    A plain number of minutes (a scenario :data:`~vaxsim.scenario.distributions.Duration`)
    is fixed and draws nothing from ``rng``.
    """
    if isinstance(dist, int | float):
        return np.full(size, float(dist))
    if isinstance(dist, Fixed):
        return np.full(size, float(dist.value))
    if isinstance(dist, Exponential):
        return rng.exponential(dist.mean, size)
    if isinstance(dist, ShiftedExponential):
        return dist.shift + rng.exponential(dist.scale, size)
    if isinstance(dist, Normal):
        if dist.sd == 0:
            return np.full(size, float(dist.mean))
        low = ndtr(-dist.mean / dist.sd)
        u = low + (1.0 - low) * rng.random(size)
        return np.maximum(dist.mean + dist.sd * ndtri(u), 0.0)
    if isinstance(dist, LogNormal):
        mu, sigma = lognormal_log_parameters(dist.mean, dist.sd)
        return rng.lognormal(mu, sigma, size)
    if isinstance(dist, Empirical):
        return rng.choice(np.asarray(dist.values, dtype=float), size=size)
    raise TypeError(f"unknown service-time distribution {dist!r}")


def mean_of(dist: Duration) -> float:
    """The mean in minutes of the distribution :func:`sample` draws from (normal: truncated)."""
    if isinstance(dist, int | float):
        return float(dist)
    if isinstance(dist, Fixed):
        return float(dist.value)
    if isinstance(dist, Exponential | LogNormal):
        return float(dist.mean)
    if isinstance(dist, ShiftedExponential):
        return float(dist.shift + dist.scale)
    if isinstance(dist, Normal):
        if dist.sd == 0:
            return float(dist.mean)
        alpha = -dist.mean / dist.sd
        density = math.exp(-alpha * alpha / 2.0) / math.sqrt(2.0 * math.pi)
        return float(dist.mean + dist.sd * density / (1.0 - float(ndtr(alpha))))
    if isinstance(dist, Empirical):
        return float(np.mean(dist.values))
    raise TypeError(f"unknown service-time distribution {dist!r}")

"""Registration curves: the cumulative share of eventual registrants by days since opening."""

from __future__ import annotations

import numpy as np

from vaxsim.scenario.people import LogisticCurve, RegistrationCurve, TableCurve


def cumulative_share(curve: RegistrationCurve, days: np.ndarray) -> np.ndarray:
    """Share (0..1) of eventual registrants registered ``days`` days after opening.

    Zero before opening (negative days); the logistic is rescaled so it starts at exactly 0
    on the opening day and tends to 1.
    """
    days = np.asarray(days, dtype=float)
    if isinstance(curve, LogisticCurve):
        raw = 1.0 / (1.0 + np.exp(-(days - curve.midpoint_days) / curve.scale_days))
        start = 1.0 / (1.0 + np.exp(curve.midpoint_days / curve.scale_days))
        share = (raw - start) / (1.0 - start)
    elif isinstance(curve, TableCurve):
        xs = np.array([day for day, _ in curve.points])
        ys = np.array([share for _, share in curve.points])
        share = np.interp(days, xs, ys, left=0.0, right=ys[-1])
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown registration curve {curve!r}")
    return np.where(days < 0, 0.0, np.clip(share, 0.0, 1.0))


def daily_hazard(curve: RegistrationCurve, day_since_opening: np.ndarray) -> np.ndarray:
    """Probability that a not-yet-registered eventual registrant registers on this day.

    ``F(t+1) - F(t)`` over ``1 - F(t)``: drawing binomially with this hazard from those left
    reproduces the curve in expectation. The hazard is 1 once the curve has reached its end.
    """
    before = cumulative_share(curve, day_since_opening)
    after = cumulative_share(curve, day_since_opening + 1)
    left = 1.0 - before
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(left > 1e-12, (after - before) / left, 1.0)
    return np.where(day_since_opening < 0, 0.0, np.clip(hazard, 0.0, 1.0))


def expected_registered(
    curve: RegistrationCurve, to_register: np.ndarray, opens_day: np.ndarray, days: int
) -> np.ndarray:
    """People ``[day, cohort]`` registered by the end of each campaign day, in expectation, as
    whole people (rounded down): of ``to_register`` eventual registrants of a cohort whose
    registration opens on ``opens_day``, by the end of day ``t`` a share
    ``(F(t+1-o) - F(-o)) / (1 - F(-o))`` has registered (those drawn with :func:`daily_hazard`
    from day 0 on). The optimizer's demand forecast, and the simulation when registration is
    not drawn at random (``people.registration.random`` false)."""
    opens_day = np.asarray(opens_day, dtype=float)
    since_open = np.arange(days)[:, None] - opens_day[None, :]
    before = cumulative_share(curve, -opens_day)
    left = np.where(before < 1.0, 1.0 - before, 1.0)
    share = np.clip((cumulative_share(curve, since_open + 1.0) - before) / left, 0.0, 1.0)
    share = np.where(before[None, :] >= 1.0, 1.0, share)
    return np.floor(share * np.asarray(to_register)[None, :] + 1e-9).astype(np.int64)

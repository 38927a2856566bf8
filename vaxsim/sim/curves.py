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

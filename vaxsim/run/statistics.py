"""Mean, standard deviation and 95 % confidence interval over seeded replications.

The one place vaxsim turns replications into intervals: ensembles (:mod:`vaxsim.run.ensemble`)
and plan verification (:mod:`vaxsim.run.robustness`) both use it. The interval is Student's t
for the mean of ``n`` independent replications; with one replication it collapses to the mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import stdtrit

#: Columns of :func:`describe`'s result, after the group keys.
COLUMNS = ("n", "mean", "sd", "ci95_low", "ci95_high")


def half_width(sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Half the width of the 95 % t interval of a mean (0 where ``n < 2``)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # stdtrit: Student's t quantile (scipy.stats gives the same, but takes ~0.5 s to import)
        width = stdtrit(np.maximum(n - 1, 1), 0.975) * np.asarray(sd, dtype=float) / np.sqrt(n)
    return np.where(n >= 2, np.nan_to_num(width), 0.0)


def describe(frame: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """One row per group of ``by``: n, mean, sd and the 95 % CI of ``value`` (NaN ignored)."""
    grouped = frame.groupby(list(by), sort=False, observed=True)[value]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    table["sd"] = table.sd.fillna(0.0)
    half = half_width(table.sd.to_numpy(), table.n.to_numpy())
    table["ci95_low"] = table["mean"] - half
    table["ci95_high"] = table["mean"] + half
    return table


def mean_and_interval(values: Sequence[float]) -> dict[str, float | list[float]]:
    """``{"mean": m, "ci95": [low, high]}`` of a sample (JSON-ready)."""
    sample = np.asarray(values, dtype=float)
    mean = float(sample.mean())
    half = float(half_width(sample.std(ddof=1) if len(sample) > 1 else 0.0, len(sample)))
    return {"mean": mean, "ci95": [mean - half, mean + half]}

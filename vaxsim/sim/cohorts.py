"""Cohorts: the people of one district, priority group and age band, held as array rows.

A cohort index ``c`` enumerates (district, priority group, age band) in that nesting order.
Every per-person quantity of the campaign is a count per cohort, so a country of 100 million
people is a few arrays of about 20,000 numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.model import Model

#: Upper age used for an open-ended age band (``max_age: null``) when comparing with products.
OLDEST_AGE = 100


@dataclass(frozen=True)
class Cohorts:
    """Index arrays of the cohorts of a model (length ``size`` unless noted).

    - ``district``, ``province``, ``group``, ``band``: indices into the model's tables.
    - ``population``: people (int64).
    - ``rank``: service order within a region, lower first: priority group, then older bands.
    - ``opens_day``: campaign day the cohort's priority group may register.
    - ``eligible``: the cohort's age band is eligible at all.
    - ``uptake``: eventual share registering.
    - ``suitable``: ``[product, cohort]`` bool, the product may be given to the cohort's ages
      (at least half of the band's years lie inside the product's age limits).
    """

    size: int
    district: np.ndarray
    province: np.ndarray
    group: np.ndarray
    band: np.ndarray
    population: np.ndarray
    rank: np.ndarray
    opens_day: np.ndarray
    eligible: np.ndarray
    uptake: np.ndarray
    suitable: np.ndarray

    @classmethod
    def from_model(cls, model: Model) -> Cohorts:
        districts, groups, bands = model.population.shape
        district, group, band = (
            axis.ravel()
            for axis in np.meshgrid(np.arange(districts), np.arange(groups), np.arange(bands), indexing="ij")
        )
        people = model.scenario.people
        eligible_bands = set(people.eligibility.age_bands or model.age_bands.id)
        band_eligible = np.array([band_id in eligible_bands for band_id in model.age_bands.id])
        uptake_of_band = np.array(
            [
                people.registration.uptake_by_age_band.get(band_id, people.registration.uptake)
                for band_id in model.age_bands.id
            ]
        )
        return cls(
            size=district.size,
            district=district,
            province=model.districts.province.to_numpy()[district],
            group=group,
            band=band,
            population=model.population.ravel().astype(np.int64),
            rank=group * bands + (bands - 1 - band),
            opens_day=model.priority_groups.opens_day.to_numpy()[group],
            eligible=band_eligible[band],
            uptake=uptake_of_band[band],
            suitable=_suitability(model)[:, band],
        )


def _suitability(model: Model) -> np.ndarray:
    """``[product, age band]``: may the product be given to the band (half its years inside)?"""
    band_low = model.age_bands.min_age.to_numpy(dtype=float)
    band_high = model.age_bands.max_age.fillna(OLDEST_AGE).to_numpy(dtype=float)
    low = model.products.min_age.to_numpy(dtype=float)[:, None]
    high = model.products.max_age.fillna(OLDEST_AGE).to_numpy(dtype=float)[:, None]
    overlap = np.clip(np.minimum(high, band_high) - np.maximum(low, band_low) + 1, 0, None)
    return overlap >= 0.5 * (band_high - band_low + 1)

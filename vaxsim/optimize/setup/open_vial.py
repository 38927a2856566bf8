"""Open-vial wastage: the doses discarded from vials opened for a session and not finished.

Closed form (VALIDATION.md): with Poisson(μ) people in a session and ``d`` doses per vial, the
session opens ⌈N/d⌉ vials, so the expected share of opened doses that is discarded is
``1 − μ / (d · E[⌈N/d⌉])``. The planning LPs use it as an allowance per dose given; the realised
plan counts the exact leftovers of the vials it opens in each planned session.
"""

from __future__ import annotations

from vaxsim.coldchain.vials import expected_open_vial_wastage

#: Planned sessions are assumed this full of one product on average when the LPs price
#: open-vial wastage (sites often give two products, or run below capacity).
SESSION_FILL = 0.5


def open_vial_waste_share(doses_per_vial: int, mean_people: float) -> float:
    """Expected share (0..1) of opened doses discarded, for Poisson(``mean_people``) sessions."""
    if doses_per_vial <= 1 or mean_people <= 0:
        return 0.0 if doses_per_vial <= 1 else 1.0 - 1.0 / doses_per_vial
    return expected_open_vial_wastage(mean_people, doses_per_vial)


def open_vial_allowance(doses_per_vial: int, mean_people: float) -> float:
    """Expected doses discarded per dose given (``share / (1 − share)``)."""
    share = open_vial_waste_share(doses_per_vial, mean_people)
    return share / (1.0 - share) if share < 1 else float("inf")

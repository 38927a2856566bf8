"""The scenario's disturbances, and the world without them.

A plan assumes the world goes as forecast; the scenario says how it does not. These are every
knob of the scenario that makes the simulated campaign differ from its expectation at random:

- who registers each day (drawn around the registration curve),
- SMS notices that fail, people who do not show up, and fewer of them the longer the notice,
- walk-ins without an appointment,
- people arriving late in a session (the open-vial rule's late window),
- shipment delays, temperature excursions and breakage in the cold chain.

:func:`without_disturbances` turns them all off, so that a plan-driven simulation can be held to
the plan exactly (``tests/sim/test_plan_driven.py``).
"""

from __future__ import annotations

from typing import Any

from vaxsim.scenario.changes import with_changes
from vaxsim.scenario.scenario import Scenario

#: The value of each disturbance knob (dotted scenario path) in a world without disturbances.
NO_DISTURBANCES: dict[str, Any] = {
    "people.registration.random": False,
    "people.notification.sms_delivery": 1.0,
    "people.notification.show_up_if_delivered": 1.0,
    "people.notification.show_up_loss_per_day_of_notice": 0.0,
    "people.walk_ins.share_of_booked": 0.0,
    "policies.open_vial.late_minutes": 0.0,
    "cold_chain.disruptions.shipment_delay_probability": 0.0,
    "cold_chain.disruptions.excursion_probability_per_store_day": 0.0,
    "cold_chain.disruptions.breakage_share": 0.0,
}


def without_disturbances(scenario: Scenario) -> Scenario:
    """A copy of ``scenario`` in which everything goes as expected (:data:`NO_DISTURBANCES`):
    the expected registrants register, everyone's SMS arrives and everyone booked comes, on
    time, nobody walks in, and the cold chain neither delays, warms nor breaks anything."""
    return with_changes(scenario, NO_DISTURBANCES)

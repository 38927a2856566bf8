"""Read a bundle only if it passes the checker: what every user of a bundle file goes through
(a plan-driven run, ``policies.plan``, the digital twin's first plan, the exports)."""

from __future__ import annotations

import os
import tempfile

from vaxsim.model import Model
from vaxsim.plan.checker import check
from vaxsim.plan.errors import PlanRefused
from vaxsim.plan.plan import Plan
from vaxsim.plan.reader import read
from vaxsim.scenario import Scenario


def read_checked(bundle: str | os.PathLike[str], scenario: Scenario | Model | None = None) -> Plan:
    """The plan of the bundle at ``bundle`` once :func:`vaxsim.plan.check` (against ``scenario``
    when given) finds nothing wrong; raises :class:`~vaxsim.plan.errors.PlanRefused` with the
    checker's messages otherwise, so a damaged or edited bundle is never followed."""
    violations = check(bundle, scenario)
    if violations:
        raise PlanRefused(str(bundle), [str(violation) for violation in violations])
    return read(bundle)


def checked(plan: Plan, scenario: Scenario | Model | None = None) -> Plan:
    """``plan`` (made in this process, e.g. a digital twin's re-plan) once its bundle, written to
    a private temporary folder that is removed again, passes the checker; raises
    :class:`~vaxsim.plan.errors.PlanRefused` otherwise."""
    with tempfile.TemporaryDirectory(prefix="vaxsim-plan-check-") as folder:
        bundle = plan.write(folder)
        violations = check(bundle, scenario)
    if violations:
        raise PlanRefused(f"re-plan {plan.plan_id}", [str(violation) for violation in violations])
    return plan

"""Errors of plan bundles that users can act on."""

from __future__ import annotations

from vaxsim.errors import VaxsimError


class PlanError(VaxsimError):
    """A plan bundle could not be read (the message names the file and, where known, the line)."""


class PlanRefused(PlanError):
    """A bundle that fails :func:`vaxsim.plan.check` is never followed or exported; ``violations``
    are the checker's messages (``file:line: key: message``)."""

    SHOWN = 20

    def __init__(self, bundle: str, violations: list[str]):
        self.bundle = str(bundle)
        self.violations = list(violations)
        super().__init__(self.bundle, self.violations)  # type(exc)(*exc.args) rebuilds it

    def __str__(self) -> str:
        count = len(self.violations)
        listed = "\n".join(f"  {violation}" for violation in self.violations[: self.SHOWN])
        more = f"\n  ... and {count - self.SHOWN} more" if count > self.SHOWN else ""
        return (
            f"{self.bundle}: the plan fails `vaxsim plan check` ({count} violation"
            f"{'s' if count != 1 else ''}); it is not used:\n{listed}{more}"
        )

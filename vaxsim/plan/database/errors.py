"""Errors of loading plans into a database that users can act on."""

from __future__ import annotations

from vaxsim.plan.errors import PlanError


class PlanDatabaseError(PlanError):
    """A bundle was refused or a lifecycle step is not allowed; ``problems`` lists every reason
    (for a bundle that fails the checker: the checker's ``file:line: key: message`` lines)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.message = message
        self.problems = list(problems or [])
        super().__init__(message, self.problems)  # type(exc)(*exc.args) rebuilds it

    def __str__(self) -> str:
        return self.message

"""Errors of plan bundles that users can act on."""

from __future__ import annotations

from vaxsim.errors import VaxsimError


class PlanError(VaxsimError):
    """A plan bundle could not be read (the message names the file and, where known, the line)."""

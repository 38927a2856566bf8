"""Errors and warnings of the cold chain.

:class:`ConservationError` means the bookkeeping broke (a bug, never a user error): it names
the lot, the node and the day where ``received = administered + wasted + shipped out + on hand``
stopped holding. :class:`ColdChainInputError` lists every problem of a model the cold chain
cannot run (for models built without the scenario checks, e.g. in notebooks and tests).
"""

from __future__ import annotations

from collections.abc import Iterable

from vaxsim.errors import VaxsimError


class ConservationError(VaxsimError):
    """The conservation identity failed; ``breaks`` holds one dict per failing lot and node."""

    def __init__(self, day: int | None, breaks: list[dict], total: int | None = None):
        self.day = day
        self.breaks = breaks
        total = len(breaks) if total is None else total
        when = "at the end of the run" if day is None else f"on day {day}"
        lines = [
            f"lot {b['lot']!r} at {b['node']!r}: received {b['received']} != administered "
            f"{b['administered']} + wasted {b['wasted']} + shipped out {b['shipped']} + on hand "
            f"{b['on_hand']} (off by {b['difference']:+d})"
            for b in breaks
        ]
        more = f"\n  ... and {total - len(breaks)} more" if total > len(breaks) else ""
        self.message = (
            f"cold-chain conservation broken {when} for {total} lot-node pair(s):\n  "
            + "\n  ".join(lines)
            + more
        )
        # SimPy re-raises a process's exception as ``type(exc)(*exc.args)``: the args rebuild it.
        super().__init__(day, breaks, total)

    def __str__(self) -> str:
        return self.message


class ColdChainInputError(VaxsimError):
    """The model cannot be simulated by the cold chain; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__(self.problems)  # the arguments, so that type(exc)(*exc.args) rebuilds it

    def __str__(self) -> str:
        return "the cold chain cannot run this model:\n  " + "\n  ".join(self.problems)


class ColdChainOrderError(VaxsimError):
    """A daily step was called out of order (see :class:`~vaxsim.coldchain.ColdChain`)."""


class ColdChainWarning(UserWarning):
    """Something a planner should see but that does not stop the run (e.g. store overflow)."""

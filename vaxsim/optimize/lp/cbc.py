"""PuLP's CBC command, with the CBC process tied to vaxsim: killing vaxsim (SIGKILL, SIGTERM,
or any other end) ends the solver too, instead of leaving it running with parent pid 1.

PuLP starts CBC with ``subprocess.Popen`` inside ``PULP_CBC_CMD.solve_CBC`` and offers no way
to pass ``preexec_fn``; :class:`TiedCBC` runs that method with PuLP's ``subprocess`` name bound
to a module whose ``Popen`` adds :func:`vaxsim.processes.dies_with_parent`.
"""

from __future__ import annotations

import subprocess
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

import pulp
from pulp.apis import coin_api

from vaxsim.processes import dies_with_parent

_SWAP = threading.Lock()  # the binding is module-wide: one solve at a time swaps it


def _tied_subprocess() -> types.ModuleType:
    """A stand-in for the ``subprocess`` module whose ``Popen`` ties the child to this process."""
    tie = dies_with_parent()
    tied = types.ModuleType("subprocess")
    tied.__dict__.update(vars(subprocess))

    def popen(*args, **kwargs) -> subprocess.Popen:
        if tie is not None and kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = tie
        return subprocess.Popen(*args, **kwargs)

    tied.Popen = popen  # type: ignore[attr-defined]
    return tied


@contextmanager
def _tied() -> Iterator[None]:
    with _SWAP:
        saved = coin_api.subprocess
        coin_api.subprocess = _tied_subprocess()
        try:
            yield
        finally:
            coin_api.subprocess = saved


class TiedCBC(pulp.PULP_CBC_CMD):
    """``pulp.PULP_CBC_CMD`` whose CBC process dies with vaxsim (same options)."""

    def solve_CBC(self, lp, use_mps=True):  # noqa: N802 (PuLP's name)
        with _tied():
            return super().solve_CBC(lp, use_mps)

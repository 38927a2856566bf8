"""The checker's verdict on a bundle being loaded: run inline for a small bundle, or in its own
process for a large one, so checking and loading use both cores and the load waits for the
verdict only before it commits (a refused bundle's transaction is rolled back)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path

from vaxsim.plan.checker import check
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.datapackage import table_path
from vaxsim.plan.tables import TABLES

#: Bundles whose tables are larger than this are checked in a separate process while loading.
BACKGROUND_BYTES = 32 << 20


def refusal(bundle: Path, problems: list[str]) -> PlanDatabaseError:
    """The error that refuses ``bundle`` with the checker's ``problems``."""
    count = len(problems)
    return PlanDatabaseError(
        f"{bundle}: refused: the bundle fails `vaxsim plan check` ({count} violation"
        f"{'s' if count != 1 else ''}); nothing was loaded",
        problems,
    )


def _check_and_send(bundle: str, sender: Connection) -> None:
    sender.send([str(problem) for problem in check(bundle)])
    sender.close()


def _table_bytes(bundle: Path) -> int:
    files = [bundle / table_path(name) for name in TABLES]
    return sum(file.stat().st_size for file in files if file.is_file())


class Verdict:
    """The checker's answer on ``bundle``, computed now (small bundle) or in the background."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self._problems: list[str] | None = None
        self._process = None
        if _table_bytes(bundle) <= BACKGROUND_BYTES:
            self._problems = [str(problem) for problem in check(bundle)]
            return
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited state
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_check_and_send, args=(str(bundle), sender), daemon=True)
        self._process.start()
        sender.close()

    @property
    def ready(self) -> bool:
        """Is the verdict known without waiting?"""
        return self._problems is not None

    def problems(self) -> list[str]:
        """The violations (``file:line: key: message``), waiting for the checker if needed."""
        if self._problems is None:
            try:
                self._problems = self._receiver.recv()
            except EOFError:
                code = self._process.exitcode if self._process else None
                raise PlanDatabaseError(
                    f"{self.bundle}: the checker stopped without a verdict (exit code {code}); "
                    "nothing was loaded"
                ) from None
            finally:
                self.stop()
        return self._problems

    def raise_if_refused(self) -> None:
        """Raise the refusal when the bundle fails the checker."""
        problems = self.problems()
        if problems:
            raise refusal(self.bundle, problems)

    def stop(self) -> None:
        """End the background checker (if any) and wait for it."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._receiver.close()
            self._process = None

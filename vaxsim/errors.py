"""Errors that users can act on: every problem names its file, line and field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``('products', 'pfizer', 'series', 'intervals', 0)`` → ``products.pfizer.series.intervals[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, and where: ``file:line: field.path: message``."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class VaxsimError(Exception):
    """Base class of errors vaxsim reports to users without a traceback.

    Every subclass keeps its constructor's arguments in ``args`` (and its message in ``__str__``),
    because SimPy re-raises a process's exception as ``type(exc)(*exc.args)`` and pickle (worker
    processes, Dask) rebuilds it the same way: an error must survive both unchanged.
    """


class ScenarioError(VaxsimError):
    """A scenario could not be read or is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

"""What the plan checker reports: one :class:`Violation` per broken rule, with its file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """A rule a bundle breaks, and where.

    ``file`` is the path inside the bundle (``tables/capacity.csv``); ``line`` the 1-based line
    of that file (the CSV header is line 1, so the first data row is line 2), or ``None`` when
    the problem is the whole file; ``key`` names the row by its key (``capacity_id=...``);
    ``rule`` is the family of the check (``manifest``, ``schema``, ``plan.json``,
    ``invariant 1`` .. ``invariant 8``, ``scenario``).
    """

    file: str
    line: int | None
    key: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


def key_text(names: list[str] | tuple[str, ...], values: list | tuple) -> str:
    """``capacity_id=cap-1`` or ``site_id=a, date=2021-08-05, lot_id=l`` for a row's key."""
    return ", ".join(
        f"{name}={'' if value is None else value}" for name, value in zip(names, values, strict=True)
    )

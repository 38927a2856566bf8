"""A JSON Schema shipped in the package: print it, rewrite it, or check it is up to date."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from vaxsim.io.atomic import atomic_write_text


def print_write_or_check(
    shipped: Path, text: str, *, write: bool, check: bool, regenerate: str, console: Console, errors: Console
) -> None:
    """``check``: exit 1 unless the ``shipped`` file equals ``text`` (naming the ``regenerate``
    command); ``write``: replace the file atomically; otherwise print ``text``."""
    if check:
        current = shipped.read_text(encoding="utf-8") if shipped.exists() else ""
        if current != text:
            errors.print(f"{shipped} is out of date: run `{regenerate}`", markup=False)
            raise typer.Exit(1)
        console.print(f"{shipped}: up to date", markup=False)
    elif write:
        atomic_write_text(shipped, text)
        console.print(f"wrote {shipped}", markup=False)
    else:
        sys.stdout.write(text)

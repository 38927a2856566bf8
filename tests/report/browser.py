"""Open a page in a real headless Chromium (Debian's ``chromium``; ``tools/services/chromium.sh``
installs it): the rendered DOM, the console messages and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass
class Rendered:
    dom: str
    console: list[str]
    screenshot: Path


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "chromium is missing: run tools/services/chromium.sh (make test does)"
    return path


def render(page: Path, work: Path) -> Rendered:
    """Load ``page`` twice (DOM, then a full-page screenshot) with a fresh profile each time."""
    url = page.resolve().as_uri()
    dump = _run([f"--user-data-dir={work / 'profile-dom'}", "--dump-dom", url])
    screenshot = work / "page.png"
    shot = _run(
        [
            f"--user-data-dir={work / 'profile-shot'}",
            "--window-size=1200,4000",
            f"--screenshot={screenshot}",
            url,
        ]
    )
    console = [line for line in (dump.stderr + shot.stderr).splitlines() if ":CONSOLE" in line]
    return Rendered(dump.stdout, console, screenshot)


def _run(arguments: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run([chromium(), *FLAGS, *arguments], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result

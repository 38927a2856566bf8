"""Time `vaxsim plan load` of a national bundle (vietnam-2021) into SQLite and PostgreSQL.

    .venv/bin/vaxsim optimize scenarios/vietnam-2021.yaml -o /tmp/national      # once, ~2 min
    .venv/bin/python benchmarks/bench_plan_load.py /tmp/national/plan-vietnam-2021-r1

Each load runs the real command in its own process (the checker included: it runs in a second
process while the tables load, and the transaction commits only when it passes). PostgreSQL is
a throw-away server (tools/services/postgres_server.py) with fsync on. Peak memory is sampled
every 0.2 s over the command's process tree (the loader plus its checker), the largest sum seen.
Appends the figures, with the machine and its load average, to ``benchmarks/plan_load.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.services.postgres_server import start  # noqa: E402

RESULTS = ROOT / "benchmarks" / "plan_load.md"
VAXSIM = Path(sys.executable).parent / "vaxsim"


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for known in pids:
        try:
            for task in os.listdir(f"/proc/{known}/task"):
                text = Path(f"/proc/{known}/task/{task}/children").read_text()
                pids += [int(child) for child in text.split()]
        except OSError:
            continue
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed_load(bundle: Path, db: str) -> dict:
    """Run ``vaxsim plan load BUNDLE --db DB``: wall seconds, CPU seconds, peak tree RSS."""
    before = os.times()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VAXSIM), "plan", "load", str(bundle), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kib(pid) for pid in _tree(process.pid)))
        time.sleep(0.2)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    after = os.times()
    if process.returncode != 0:
        raise SystemExit(f"load failed ({process.returncode}):\n{out}\n{err}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_gib": peak / 2**20, "output": out.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    arguments = parser.parse_args()
    manifest = json.loads((arguments.bundle / "manifest.json").read_text())
    rows = {Path(f["path"]).stem: f["rows"] for f in manifest["files"] if f["rows"] is not None}
    _append(
        [
            f"## {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} (bundle {arguments.bundle.name})",
            "",
            f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            f"- rows: {', '.join(f'{name} {count}' for name, count in rows.items())}",
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        _measure("SQLite", arguments.bundle, str(Path(folder) / "plans.sqlite"))
    server = start(fsync=True)
    try:
        _measure("PostgreSQL", arguments.bundle, server.url)
    finally:
        server.stop()


def _measure(name: str, bundle: Path, db: str) -> None:
    """Load ``bundle`` into ``db`` and append the figures at once (a later failure keeps them)."""
    before = os.getloadavg()
    figure = timed_load(bundle, db)
    _append(
        [
            f"- {name}: {figure['seconds']:.1f} s wall, {figure['cpu_seconds']:.1f} s CPU (loader and "
            f"checker), peak memory {figure['peak_gib']:.2f} GiB; load average (1, 5, 15 min) "
            "{:.2f}, {:.2f}, {:.2f} before, {:.2f}, {:.2f}, {:.2f} after; ".format(*before, *os.getloadavg())
            + f"`{figure['output']}`"
        ]
    )


def _append(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    with RESULTS.open("a", encoding="utf-8") as stream:
        stream.write(("\n" if lines[0].startswith("## ") else "") + text)


if __name__ == "__main__":
    main()

"""Benchmark: ``vaxsim run SCENARIO`` end to end, as a planner runs it.

Times the command in a fresh process (import, load and check the scenario, simulate with the
site queues and the cold chain, write the Parquet tables, results.json and PNG plots), with its
CPU time (the command and its worker processes), the load average and peak memory (PSS of the
whole process family). Appends the figures to ``benchmarks/cli.jsonl``.

Run: ``.venv/bin/python benchmarks/bench_cli.py scenarios/demo-district.yaml --repeats 5`` or
``.venv/bin/python benchmarks/bench_cli.py scenarios/vietnam-2021.yaml``. Targets (issue 3):
the demo under 5 s, vietnam-2021 under 60 s and 4 GiB, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import MemorySampler, machine, report  # benchmarks/measure.py, beside this script

import vaxsim

RECORD = Path(__file__).with_name("cli.jsonl")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(scenario: Path, extra: list[str]) -> dict:
    """One ``vaxsim run`` in a new process; wall and CPU seconds, the simulate time it prints."""
    with tempfile.TemporaryDirectory() as folder:
        sampler = MemorySampler()
        sampler.start()
        cpu, started = children_cpu(), time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "vaxsim", "run", str(scenario), "-o", folder, *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
    simulated = re.search(r"simulated in\s*│\s*([\d.]+) s", done.stdout)
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(children_cpu() - cpu, 1),
        "simulate_seconds": float(simulated.group(1)) if simulated else None,
        "peak_memory_mib": round(sampler.peak_mib),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="do not append to cli.jsonl")
    args, extra = parser.parse_known_args()  # anything else goes to vaxsim run
    args.extra = extra
    runs = []
    for _ in range(args.repeats):
        runs.append(run_once(args.scenario, args.extra))
        print(json.dumps(runs[-1]), flush=True)
    walls = [run["wall_seconds"] for run in runs]
    figures = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "vaxsim": vaxsim.__version__,
        "command": f"vaxsim run {args.scenario.name} {' '.join(args.extra)}".strip(),
        "median_wall_seconds": round(statistics.median(walls), 2),
        "best_wall_seconds": min(walls),
        "runs": runs,
    }
    report(figures, None if args.no_record else RECORD)


if __name__ == "__main__":
    main()

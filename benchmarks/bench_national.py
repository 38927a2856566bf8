"""Benchmark: the whole vietnam-2021 campaign (96 M people, 313 days), site queues included.

Run: ``.venv/bin/python benchmarks/bench_national.py [--workers N] [--no-site-queues]``.
Prints wall time per phase, CPU time, the load average (other jobs on the machine slow the wall
time), peak memory (this process and its worker processes) and doses simulated per second,
with the cold chain on (every dose through lots, stores and vials), and appends the figures
with the machine they came from to ``benchmarks/national.jsonl``. Targets (issue 3): under
60 s and under 4 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time
from pathlib import Path

from measure import MemorySampler, cpu_seconds, machine, report  # benchmarks/measure.py, beside this script

import vaxsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "vietnam-2021.yaml"
RECORD = Path(__file__).with_name("national.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="site-queue processes (default: CPUs)")
    parser.add_argument("--no-site-queues", action="store_true", help="campaign flow only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="do not append to national.jsonl")
    args = parser.parse_args()

    sampler = MemorySampler()
    sampler.start()
    started = time.perf_counter()
    scenario = vaxsim.load(SCENARIO)
    loaded = time.perf_counter()
    model = vaxsim.compile_model(scenario)
    compiled = time.perf_counter()
    results = vaxsim.simulate(model, args.seed, site_queues=not args.no_site_queues, workers=args.workers)
    simulated = time.perf_counter()
    sampler.stopped.set()
    summary = results.summary()
    figures = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "vaxsim": vaxsim.__version__,
        "workers": args.workers or os.cpu_count(),
        "site_queues": not args.no_site_queues,
        "seconds": {
            "load": round(loaded - started, 2),
            "compile": round(compiled - loaded, 2),
            "simulate": round(simulated - compiled, 2),
            "total": round(simulated - started, 2),
        },
        "cpu_seconds": round(cpu_seconds(), 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "cold_chain": True,
        "peak_memory_mib": {
            "all_processes_pss": round(sampler.peak_mib),
            "main_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        },
        "people": summary["population"],
        "doses_given": summary["doses_given"],
        "doses_per_second": round(summary["doses_given"] / (simulated - compiled)),
        # every person passes each station of their site type once
        "people_through_site_queues": int(results.waits.groupby("site_type").people.max().sum())
        if len(results.waits)
        else 0,
    }
    report(figures, None if args.no_record else RECORD)


if __name__ == "__main__":
    main()

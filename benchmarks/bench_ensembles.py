"""Benchmark: ensembles on 2 workers: serial vs local processes vs a Dask LocalCluster.

Run: ``.venv/bin/python benchmarks/bench_ensembles.py [--quick] [--replications N]
[--workers N] [--no-national]``.

- demo: ``--replications`` (default 100) seeded replications of scenarios/demo-district.yaml
  (site queues on) run three ways: in this process (``executor=1``), on local processes
  (``executor=N``) and on a Dask ``LocalCluster`` with N single-threaded workers. Each mode runs
  in its own subprocess (so memory figures are its own) and stores its replications in its own
  sweep folder; the benchmark checks that every stored file is byte-identical across modes.
- national: 4 vietnam-2021 replications on N local processes (skipped by ``--quick`` or
  ``--no-national``).

Prints wall time, CPU seconds of the whole process family (the parallel modes' extra CPU per
replication over the serial one: their fixed costs, which other jobs on the machine move far less
than the wall time), speed-up over serial, peak memory of the largest single process (a worker's
peak; PSS) and of the whole process family, and the load average at the end (other jobs on
the machine slow the wall time); appends the figures to ``benchmarks/ensembles.jsonl``.
Targets (issue 14): 2 workers at >= 1.8x the serial speed; Dask within 10 % of local processes.
``--quick`` runs 20 demo replications only, for a check on a quiet machine in a minute or two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distributed import Client
from measure import MemorySampler, machine, report  # benchmarks/measure.py, beside this script

import vaxsim
from vaxsim.run.executors import local_cluster

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo-district.yaml"
VIETNAM = ROOT / "scenarios" / "vietnam-2021.yaml"
RECORD = Path(__file__).with_name("ensembles.jsonl")


def run_mode(mode: str, scenario: Path, replications: int, workers: int, folder: Path) -> dict:
    """One mode in this process: run the replications, measure, return the figures."""
    # every 0.5 s: reading the PSS of four 250 MiB processes every 0.1 s took 12 % of a core in
    # this process, taken from the workers on 2 cores (the serial mode, one process, paid less)
    sampler = MemorySampler(every=0.5)
    sampler.start()
    cpu_before = sampler.cpu_seconds()
    started = time.perf_counter()
    if mode == "dask":
        with (
            local_cluster(workers) as cluster,
            Client(cluster) as client,
        ):
            ready = time.perf_counter()
            vaxsim.replicate(scenario, replications, client, folder=folder, progress=False)
    else:
        ready = time.perf_counter()
        vaxsim.replicate(
            scenario, replications, 1 if mode == "serial" else workers, folder=folder, progress=False
        )
    finished = time.perf_counter()
    cpu = sampler.cpu_seconds() - cpu_before
    sampler.stopped.set()
    sampler.join()
    return {
        "mode": mode,
        "wall_seconds": round(finished - started, 2),
        "cpu_seconds": round(cpu, 2),
        "sampler_cpu_seconds": round(sampler.own_cpu_seconds, 2),
        "cluster_start_seconds": round(ready - started, 2),
        "peak_process_mib": round(sampler.peak_process_mib),
        "peak_family_mib": round(sampler.peak_mib),
        "load_average_1min": os.getloadavg()[0],
    }


def digests(folder: Path) -> dict[str, str]:
    root = folder / "replications"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def measure(mode: str, scenario: Path, replications: int, workers: int, work: Path) -> dict:
    """Run one mode in a fresh subprocess (its own memory, no warm caches)."""
    folder = work / mode
    command = [sys.executable, __file__, "--child", mode, "--scenario", str(scenario)]
    command += ["--replications", str(replications), "--workers", str(workers), "--folder", str(folder)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["digest"] = hashlib.sha256(json.dumps(digests(folder), sort_keys=True).encode()).hexdigest()[:16]
    print(json.dumps(figures), file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 demo replications, no national part")
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-national", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not append to ensembles.jsonl")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", type=Path, default=DEMO, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.child, args.scenario, args.replications, args.workers, args.folder)))
        return
    replications = 20 if args.quick else args.replications
    with tempfile.TemporaryDirectory() as work:
        demo = {
            m: measure(m, DEMO, replications, args.workers, Path(work))
            for m in ("serial", "processes", "dask")
        }
        national = None
        if not (args.quick or args.no_national):
            national = measure("processes", VIETNAM, 4, args.workers, Path(work) / "vietnam")
    serial = demo["serial"]["wall_seconds"]
    figures = {
        "benchmark": "ensembles",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "demo_replications": replications,
        "workers": args.workers,
        "demo": demo,
        "speed_up": {m: round(serial / demo[m]["wall_seconds"], 2) for m in ("processes", "dask")},
        "dask_vs_processes": round(demo["dask"]["wall_seconds"] / demo["processes"]["wall_seconds"], 3),
        # CPU the parallel modes spend beyond the serial one, per replication (other jobs on the
        # machine move it far less than the wall times)
        "extra_cpu_ms_per_replication": {
            m: round(1000 * (demo[m]["cpu_seconds"] - demo["serial"]["cpu_seconds"]) / replications, 1)
            for m in ("processes", "dask")
        },
        "identical_results": len({demo[m]["digest"] for m in demo}) == 1,
        "vietnam_4_replications": national,
    }
    report(figures, None if args.no_record else RECORD)


if __name__ == "__main__":
    main()

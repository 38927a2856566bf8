"""Benchmark: ensembles on 2 workers: serial vs local processes vs a Dask LocalCluster.

Run: ``.venv/bin/python benchmarks/bench_ensembles.py [--quick] [--replications N]
[--workers N] [--no-national] [--modes serial,processes,dask]``.

- demo: ``--replications`` (default 100) seeded replications of scenarios/demo-district.yaml
  (site queues on) run three ways (``--modes``, in that order): in this process
  (``executor=1``), on local processes (``executor=N``) and on a Dask ``LocalCluster`` with N
  single-threaded workers (``vaxsim.run.executors.local_cluster``). Each mode runs in its own
  subprocess (so memory figures are its own) and stores its replications in its own sweep
  folder; the benchmark checks that every stored file is byte-identical across modes.
- national: 4 vietnam-2021 replications in this process and on N local processes (skipped by
  ``--quick`` or ``--no-national``): wall time, speed-up, peak memory of the parent and of the
  largest worker.

Prints wall time (vaxsim's imports, once per session, timed apart: ``imports_seconds``), CPU
seconds of the whole process family (the parallel modes' extra CPU per replication over the
serial one: their fixed costs, which other jobs on the machine move far less
than the wall time), speed-up over serial, Dask's time over the local processes' with and
without starting the cluster, peak memory (PSS) of the largest single process, of the parent, of
the largest worker and of the whole process family, and the 1-minute load average at the start
and end of each mode (other jobs on the machine slow the wall time); appends the figures to
``benchmarks/ensembles.jsonl``. Targets (issue 14): 2 workers at >= 1.8x the serial speed; Dask
within 10 % of local processes. ``--quick`` runs 20 demo replications only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
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

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo-district.yaml"
VIETNAM = ROOT / "scenarios" / "vietnam-2021.yaml"
RECORD = Path(__file__).with_name("ensembles.jsonl")
MODES = ("serial", "processes", "dask")


def run_mode(mode: str, scenario: Path, replications: int, workers: int, folder: Path) -> dict:
    """One mode in this process: run the replications, measure, return the figures."""
    # every 0.5 s: reading the PSS of four 250 MiB processes every 0.1 s took 12 % of a core in
    # this process, taken from the workers on 2 cores (the serial mode, one process, paid less)
    # vaxsim's modules for a sweep are imported before the clock starts (timed apart): a Python
    # session imports them once, not once per sweep. Until 2026-12-07 07:50 every mode's wall
    # time included them (~1.2 s of CPU): a serial stretch in the parallel modes.
    imports_started = time.perf_counter()
    local_cluster = importlib.import_module("vaxsim.run.executors").local_cluster
    vaxsim.replicate  # noqa: B018
    imports_seconds = time.perf_counter() - imports_started
    sampler = MemorySampler(every=0.5)
    sampler.start()
    load_at_start = os.getloadavg()[0]
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
        "imports_seconds": round(imports_seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "sampler_cpu_seconds": round(sampler.own_cpu_seconds, 2),
        "cluster_start_seconds": round(ready - started, 2),
        "peak_process_mib": round(sampler.peak_process_mib),
        "peak_parent_mib": round(sampler.peak_own_mib),
        "peak_worker_mib": round(sampler.peak_worker_mib),
        "peak_family_mib": round(sampler.peak_mib),
        "load_average_1min_start": load_at_start,
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
    parser.add_argument(
        "--modes", default=",".join(MODES), help="demo modes to run, in this order (default: %(default)s)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", type=Path, default=DEMO, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.child, args.scenario, args.replications, args.workers, args.folder)))
        return
    replications = 20 if args.quick else args.replications
    modes = args.modes.split(",")
    if not set(modes) <= set(MODES):
        parser.error(f"--modes: choose from {','.join(MODES)}")
    with tempfile.TemporaryDirectory() as work:
        demo = {m: measure(m, DEMO, replications, args.workers, Path(work)) for m in modes}
        national = None
        if not (args.quick or args.no_national):
            national = {
                m: measure(m, VIETNAM, 4, args.workers, Path(work) / "vietnam")
                for m in ("serial", "processes")
            }
    figures = {
        "benchmark": "ensembles",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "demo_replications": replications,
        "workers": args.workers,
        "demo": demo,
        **comparisons(demo, replications),
        "identical_results": len({demo[m]["digest"] for m in demo}) == 1,
        "vietnam_4_replications": national and {
            **national,
            "speed_up": round(national["serial"]["wall_seconds"] / national["processes"]["wall_seconds"], 2),
            "identical_results": national["serial"]["digest"] == national["processes"]["digest"],
        },
    }
    report(figures, None if args.no_record else RECORD)


def comparisons(demo: dict[str, dict], replications: int) -> dict:
    """Speed-ups over serial, Dask's time over the local processes' (with and without starting
    the cluster) and the parallel modes' extra CPU per replication, for the modes measured."""
    figures: dict = {}
    if "serial" in demo:
        serial = demo["serial"]
        parallel = [m for m in ("processes", "dask") if m in demo]
        figures["speed_up"] = {
            m: round(serial["wall_seconds"] / demo[m]["wall_seconds"], 2) for m in parallel
        }
        # CPU the parallel modes spend beyond the serial one, per replication (other jobs on the
        # machine move it far less than the wall times)
        figures["extra_cpu_ms_per_replication"] = {
            m: round(1000 * (demo[m]["cpu_seconds"] - serial["cpu_seconds"]) / replications, 1)
            for m in parallel
        }
    if {"processes", "dask"} <= set(demo):
        processes, dask = demo["processes"]["wall_seconds"], demo["dask"]
        # with: the cluster started inside the timed section, as the local processes are; without:
        # a cluster that exists before the sweep (how a user's cluster normally is)
        figures["dask_vs_processes"] = round(dask["wall_seconds"] / processes, 3)
        figures["dask_vs_processes_without_start"] = round(
            (dask["wall_seconds"] - dask["cluster_start_seconds"]) / processes, 3
        )
    return figures


if __name__ == "__main__":
    main()

"""Where an ensemble's CPU goes: parent, workers, and inside the workers the replications.

Run: ``.venv/bin/python benchmarks/ensembles_cpu.py [--replications 40] [--workers 2]
[--modes serial,processes,dask,side-by-side] [--repeat 1]``.

The demo's replications (site queues on, seeds 42, 43, ...) run in each mode in fresh
subprocesses, stored in a sweep folder; no memory sampler runs:

- ``serial``, ``processes`` (``executor=N``), ``dask`` (a ``LocalCluster`` of N single-threaded
  workers with :data:`vaxsim.run.executors.REPLICATION_DASK_CONFIG`, started before the clock);
- ``side-by-side``: N independent serial sweeps at once, each with its share of the seeds. No
  ensemble machinery is shared, so its CPU per replication over ``serial``'s is what running
  N replications at once costs on this machine (shared caches, memory bandwidth, the host's
  clock), the ceiling of any parallel mode: ``N * serial / side-by-side`` total CPU.

Per replication, milliseconds of CPU (user + system):

- ``parent``: the process(es) calling :func:`vaxsim.replicate` (every thread: storing the
  replications, the pool's threads; Dask's scheduler, nannies and client) from the call to its
  return;
- ``workers``: the worker processes: local ones from the pool's start to its end (reaped,
  ``RUSAGE_CHILDREN``), Dask's during the sweep alone (the cluster exists before it);
- ``replication``: of the CPU above, the thread CPU inside
  :func:`vaxsim.run.replication.run_replication` (simulating and keeping the tables), recorded
  by each process that ran one; ``simulate`` the part inside ``simulate()``, ``gc`` the part in
  Python's cyclic garbage collector;
- ``overhead``: ``parent + workers - replication``: what the mode costs around the
  replications.

Other jobs on a shared machine move CPU time far less than wall time (only through the caches,
memory bandwidth and clock they share); wall time is printed for reference only, with the
seconds until the first replication starts (``head``), after the last one ends
(``after_last``) and the workers' time outside replications (``idle_worker``). Figures go to
stdout as JSON lines.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo-district.yaml"
MODES = ("serial", "processes", "dask", "side-by-side")
#: The demo's campaign.seed: the seeds of a benchmark with n replications are 42 ... 41 + n.
FIRST_SEED = 42
#: Where every process that runs a replication appends its thread CPU (set for the children).
LOG_ENV = "VAXSIM_BENCH_CPU_LOG"


def install() -> None:
    """Wrap run_replication and simulate so that each records its thread CPU in the log file
    (in this process; Dask workers import this module as a preload and get it too)."""
    from vaxsim.run import replication

    plain_replication, plain_simulate = replication.run_replication, replication.simulate
    collecting = {"seconds": 0.0, "since": 0.0}

    def count_gc(phase: str, info: dict) -> None:  # noqa: ARG001 - gc.callbacks' signature
        if phase == "start":
            collecting["since"] = time.thread_time()
        else:
            collecting["seconds"] += time.thread_time() - collecting["since"]

    gc.callbacks.append(count_gc)

    def timed_simulate(*args, **kwargs):
        started = time.thread_time()
        results = plain_simulate(*args, **kwargs)
        timed_simulate.seconds = time.thread_time() - started
        return results

    def timed_replication(scenario, seed, site_queues):
        started, began, collected = time.thread_time(), time.monotonic(), collecting["seconds"]
        result = plain_replication(scenario, seed, site_queues)
        seconds = time.thread_time() - started
        line = {
            "pid": os.getpid(),
            "seed": seed,
            "replication": seconds,
            "simulate": timed_simulate.seconds,
            "gc": collecting["seconds"] - collected,
            "began": began,
            "ended": time.monotonic(),
        }
        with open(os.environ[LOG_ENV], "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")
        return result

    replication.simulate = timed_simulate
    replication.run_replication = timed_replication


def dask_setup(dask_worker=None) -> None:  # noqa: ARG001 - Dask's preload hook
    """Dask preload hook: wrap the replication functions in the worker."""
    install()


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def descendants_cpu() -> float:
    """CPU seconds so far of every process below this one."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        times = child.cpu_times()
        total += times.user + times.system
    return total


def run_mode(mode: str, seeds: list[int], workers: int, folder: Path) -> dict:
    """One mode in this process; CPU split as described in the module docstring."""
    import vaxsim
    from vaxsim.run.executors import REPLICATION_DASK_CONFIG

    install()
    vaxsim.replicate  # noqa: B018 - imported before the clock starts: once per session, not per sweep
    children_before = cpu(resource.RUSAGE_CHILDREN)
    if mode == "dask":
        import dask
        from distributed import Client, LocalCluster

        # local_cluster's settings, and this module preloaded too (to log the workers' CPU)
        preload = [*REPLICATION_DASK_CONFIG["distributed.worker.preload"], "ensembles_cpu"]
        with dask.config.set({**REPLICATION_DASK_CONFIG, "distributed.worker.preload": preload}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
        with cluster, Client(cluster) as client:
            # the cluster's processes live on: their CPU during the sweep alone (not their start)
            workers_before = descendants_cpu()
            parent_before, started = cpu(resource.RUSAGE_SELF), time.monotonic()
            vaxsim.replicate(DEMO, seeds, client, folder=folder, progress=False)
            parent, ended = cpu(resource.RUSAGE_SELF) - parent_before, time.monotonic()
            children = descendants_cpu() - workers_before
        return {"started": started, "ended": ended, "parent": parent, "workers": children}
    parent_before, started = cpu(resource.RUSAGE_SELF), time.monotonic()
    executor = workers if mode == "processes" else 1
    vaxsim.replicate(DEMO, seeds, executor, folder=folder, progress=False)
    parent, ended = cpu(resource.RUSAGE_SELF) - parent_before, time.monotonic()
    children = cpu(resource.RUSAGE_CHILDREN) - children_before
    return {"started": started, "ended": ended, "parent": parent, "workers": children}


def children_figures(mode: str, replications: int, workers: int, work: Path) -> dict:
    """Run one mode in fresh subprocesses: one, or for ``side-by-side`` ``workers`` serial
    sweeps at once, each with its share of the seeds; their figures added up."""
    # this tree's vaxsim first (a copy of the script in an export of another commit measures
    # that commit), then this folder (Dask's workers preload this module)
    path = [str(ROOT), str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, LOG_ENV: str(work / "log"), "PYTHONPATH": os.pathsep.join(filter(None, path))}
    shares = workers if mode == "side-by-side" else 1
    children = []
    for share in range(shares):
        seeds = range(FIRST_SEED + share, FIRST_SEED + replications, shares)
        command = [sys.executable, __file__, "--child", mode, "--seeds", ",".join(map(str, seeds))]
        command += ["--workers", str(workers), "--folder", str(work / f"sweep{share}")]
        children.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env))
    each = []
    for child in children:
        output, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"{mode}: a child failed ({child.returncode})")
        each.append(json.loads(output.strip().splitlines()[-1]))
    return {
        "started": min(one["started"] for one in each),
        "ended": max(one["ended"] for one in each),
        **{name: sum(one[name] for one in each) for name in ("parent", "workers")},
    }


def measure(mode: str, replications: int, workers: int, work: Path) -> dict:
    """Run one mode and add what its replications logged, per replication."""
    load = os.getloadavg()[0]
    figures = children_figures(mode, replications, workers, work)
    lines = [json.loads(line) for line in (work / "log").read_text().splitlines()]
    assert len(lines) == replications, (mode, len(lines))
    ms = 1000 / replications
    replication = sum(line["replication"] for line in lines)
    slots = 1 if mode == "serial" else workers
    return {
        "mode": mode,
        "replications": replications,
        "load_1min_start": round(load, 2),
        "wall_s": round(figures["ended"] - figures["started"], 2),
        # until the first replication starts, and from the last one's end to the ensemble
        "head_s": round(min(line["began"] for line in lines) - figures["started"], 3),
        "after_last_s": round(figures["ended"] - max(line["ended"] for line in lines), 3),
        # the workers' wall time not inside a replication (one per worker), start to end
        "idle_worker_s": round(idle_worker_seconds(lines, figures, slots), 2),
        "parent_ms": round(figures["parent"] * ms, 1),
        "workers_ms": round(figures["workers"] * ms, 1),
        "total_ms": round((figures["parent"] + figures["workers"]) * ms, 1),
        "replication_ms": round(replication * ms, 1),
        "simulate_ms": round(sum(line["simulate"] for line in lines) * ms, 1),
        "gc_ms": round(sum(line["gc"] for line in lines) * ms, 1),
        "overhead_ms": round((figures["parent"] + figures["workers"] - replication) * ms, 1),
        "processes": len({line["pid"] for line in lines}),
    }


def idle_worker_seconds(lines: list[dict], figures: dict, slots: int) -> float:
    """Seconds the ``slots`` workers spent outside replications from the call to its return:
    the parallel modes' serial stretches, tail and task round trips."""
    busy = sum(line["ended"] - line["began"] for line in lines)
    return slots * (figures["ended"] - figures["started"]) - busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES), help="default: %(default)s")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seeds", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        seeds = [int(seed) for seed in args.seeds.split(",")]
        print(json.dumps(run_mode(args.child, seeds, args.workers, args.folder)))
        return
    for _ in range(args.repeat):
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory() as work:
                print(json.dumps(measure(mode, args.replications, args.workers, Path(work))), flush=True)


if __name__ == "__main__":
    main()

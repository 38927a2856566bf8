"""Time the plan bundle writer, reader and checker on a national plan (vietnam-2021).

    .venv/bin/python benchmarks/bench_plan_bundle.py                       # optimize first (~75 s)
    .venv/bin/python benchmarks/bench_plan_bundle.py --plan-pickle plan.pkl  # a pickled Plan
    .venv/bin/python benchmarks/bench_plan_bundle.py --save-pickle plan.pkl  # keep the optimized plan

Appends the figures, with the machine and its load average, to ``benchmarks/plan_bundle.md``.
Peak memory is the process's maximum resident set size after each step (it only grows).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import pickle
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import vaxsim
import vaxsim.plan

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "vietnam-2021.yaml"
RESULTS = ROOT / "benchmarks" / "plan_bundle.md"


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def git_sha() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-pickle", type=Path, help="a pickled vaxsim Plan (skips optimizing)")
    parser.add_argument("--save-pickle", type=Path, help="pickle the optimized plan here")
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--note", default="", help="a note for the results table")
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to the .md")
    args = parser.parse_args()

    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    figures: dict[str, str] = {}
    if args.plan_pickle:
        with args.plan_pickle.open("rb") as file:
            plan = pickle.load(file)
    else:
        start = time.perf_counter()
        plan = vaxsim.optimize(vaxsim.load(args.scenario), solver="highs", threads=2)
        figures["optimize"] = f"{time.perf_counter() - start:.1f} s"
        if args.save_pickle:
            with args.save_pickle.open("wb") as file:
                pickle.dump(plan, file)
    sizes = {name: len(table) for name, table in plan.tables().items()}
    print("rows:", sizes, flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-plan-") as folder:
        start = time.perf_counter()
        bundle = plan.write(folder)
        figures["write"] = f"{time.perf_counter() - start:.1f} s"
        figures["peak after write"] = f"{peak_gib():.2f} GiB"
        print("write", figures["write"], flush=True)
        del plan

        start = time.perf_counter()
        same = vaxsim.plan.read(bundle)
        figures["read"] = f"{time.perf_counter() - start:.1f} s"
        figures["peak after read"] = f"{peak_gib():.2f} GiB"
        print("read", figures["read"], flush=True)
        del same

        start = time.perf_counter()
        found = vaxsim.plan.check(bundle, args.scenario)
        figures["check"] = f"{time.perf_counter() - start:.1f} s"
        figures["peak after check"] = f"{peak_gib():.2f} GiB"
        print("check", figures["check"], flush=True)
    by_rule = collections.Counter(violation.rule for violation in found)
    figures["violations"] = ", ".join(f"{rule}: {n}" for rule, n in sorted(by_rule.items())) or "none"
    print(figures, flush=True)

    if args.no_record:
        return
    load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"
    machine += f", Python {platform.python_version()}"
    lines = [
        f"\n## {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} (git {git_sha()})"
        + (f": {args.note}" if args.note else ""),
        "",
        f"- machine: {machine}",
        f"- load average (1, 5, 15 min): {load_before} before, {load_after} after",
        f"- plan rows: {', '.join(f'{k} {v}' for k, v in sizes.items())}",
        *(f"- {name}: {value}" for name, value in figures.items()),
        "",
    ]
    with RESULTS.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines))


if __name__ == "__main__":
    main()

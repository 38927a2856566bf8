"""Benchmark the site engines: SimPy reference vs vectorised kernel.

Two workloads:

- district day: 15 sites × 2 sessions × ~150 people, 4 stations + vial preparation, with
  different numbers of nurses and preparers per site. Both engines run the same
  ``SessionInput``; we report people per second (median of repeats, after a warm-up run), the
  kernel/reference ratio, that the per-person times are identical, and wait percentiles.
- clinic hub: the ``hub`` site type of ``scenarios/clinic-hub.yaml`` (hourly blocks booked for
  the block's start, walks and observation drawn per person, preparers working ahead in
  batches, a 6-hour in-use time), 10 days of 1 200 people: the same comparison.
- national day: ~10 000 site-sessions × 100–150 people, three site types (4, 4 and 2 stations),
  kernel only: wall time and peak memory.

Run: ``python benchmarks/bench_site_kernel.py`` (``--quick`` for a small national day).
Prints a Markdown report; the recorded results live in ``benchmarks/site_kernel.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import vaxsim
from vaxsim.scenario.sites import SiteType
from vaxsim.sites import (
    SessionInput,
    draw_session_input,
    plan_site_day,
    simulate_kernel,
    simulate_reference,
)
from vaxsim.sites.examples import commune_station
from vaxsim.sites.queue_order import simulate_queue_order
from vaxsim.sites.site_day import replicate_site_day

ROOT = Path(__file__).resolve().parents[1]


def mobile_team() -> SiteType:
    """Two stations (screening, injection), one nurse, vials drawn up by the nurse's partner."""
    return SiteType.model_validate({
        "kind": "mobile",
        "sessions": [{"start": "08:00", "end": "11:00"}],
        "stations": [
            {"name": "screening", "role": "screening", "servers": 2,
             "service_minutes": {"kind": "normal", "mean": 2.0, "sd": 1.0}},
            {"name": "injection", "role": "injection", "servers": 1,
             "service_minutes": {"kind": "fixed", "value": 1.2}},
        ],
        "observation": {"minutes": 30},
        "preparation": {"preparers": 1, "minutes_per_vial": {"kind": "fixed", "value": 2.0}},
        "crowding_limit": 40,
    })


def district_input(seed: int) -> SessionInput:
    """15 commune stations × 2 sessions × ~150 people (10 booked per 15-minute slot)."""
    rng = np.random.default_rng(seed)
    plans = []
    for site in range(15):
        site_type = commune_station(preparers=1 + site % 2, injection_servers=2 + site % 2)
        plans += plan_site_day(site_type, 10, 15, 10, 0.95, 0.05, rng, site=f"site_{site:02d}")
    return draw_session_input(plans, rng)


def national_input(site_sessions: int, seed: int) -> SessionInput:
    """About ``site_sessions`` sessions: commune stations (2 sessions), mass sites with more
    staff (2 sessions, busier) and mobile teams (1 session, 2 stations), 100–150 people each."""
    rng = np.random.default_rng(seed)
    types = [commune_station(preparers=p, injection_servers=n) for p in (1, 2) for n in (2, 3)]
    mass = commune_station(preparers=2, injection_servers=4, crowding_limit=150)
    mobile = mobile_team()
    plans = []
    site = 0
    while len(plans) < site_sessions:
        kind = site % 10
        if kind < 7:
            plans += plan_site_day(types[site % 4], 8, 15, 10, 0.95, 0.05, rng, site=f"c{site}")
        elif kind < 9:
            plans += plan_site_day(mass, 9, 15, 20, 0.95, 0.05, rng, site=f"m{site}")
        else:
            plans += plan_site_day(mobile, 10, 15, 10, 0.95, 0.0, rng, site=f"t{site}")
        site += 1
    return draw_session_input(plans[:site_sessions], rng)


def timed(run, repeats: int) -> list[float]:
    """Wall times in seconds of ``repeats`` calls (after one warm-up call)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def district(repeats_reference: int, repeats_kernel: int) -> None:
    site_input = district_input(seed=2021)
    people = site_input.people
    reference_times = timed(lambda: simulate_reference(site_input), repeats_reference)
    kernel_times = timed(lambda: simulate_kernel(site_input), repeats_kernel)
    queue_times = timed(lambda: simulate_queue_order(site_input), repeats_kernel)
    reference = simulate_reference(site_input)
    kernel = simulate_kernel(site_input)
    worst = max(
        float(np.nanmax(np.abs(getattr(kernel, name) - getattr(reference, name))))
        for name in ("join", "seized", "start", "end", "leave")
    )
    ref_rate = people / statistics.median(reference_times)
    ker_rate = people / statistics.median(kernel_times)
    print("## District day\n")
    print(f"{site_input.sessions} sessions, {people} people "
          f"(max {site_input.max_people} per session), 4 stations + preparation\n")
    print("| engine | median wall time | people / s | repeats |")
    print("|---|---|---|---|")
    print(f"| reference (SimPy) | {statistics.median(reference_times) * 1e3:.1f} ms "
          f"| {ref_rate:,.0f} | {repeats_reference} |")
    print(f"| kernel (numpy) | {statistics.median(kernel_times) * 1e3:.2f} ms "
          f"| {ker_rate:,.0f} | {repeats_kernel} |")
    queue_rate = people / statistics.median(queue_times)
    print(f"| queue-order kernel (numpy, national runs) | {statistics.median(queue_times) * 1e3:.2f} "
          f"ms | {queue_rate:,.0f} | {repeats_kernel} |")
    print(f"\n**kernel / reference throughput: {ker_rate / ref_rate:.0f}×**; queue-order kernel / "
          f"reference: {queue_rate / ref_rate:.0f}× "
          f"(best-of ratio {min(reference_times) / min(kernel_times):.0f}×)\n")
    print(f"Largest per-person time difference between engines on the same input: {worst:g} "
          "min\n")
    other_seed = simulate_reference(district_input(seed=2022))
    print("Waits (minutes) by station; the last row of each station is the reference on an")
    print("independent seed (same workload, other random draws).\n")
    print("| station | engine | wait p50 | p90 | p99 | mean (min) |")
    print("|---|---|---|---|---|---|")
    runs = (("reference", reference), ("kernel", kernel), ("reference, seed 2022", other_seed))
    for k, station in enumerate(site_input.station_names[0]):
        for name, result in runs:
            wait = result.wait[:, :, k]
            wait = wait[~np.isnan(wait)]
            p50, p90, p99 = np.percentile(wait, [50, 90, 99])
            print(f"| {station} | {name} | {p50:.2f} | {p90:.2f} | {p99:.2f} "
                  f"| {wait.mean():.2f} |")
    print()


def hub(repeats_reference: int, repeats_kernel: int) -> None:
    hub_type = vaxsim.load(ROOT / "scenarios" / "clinic-hub.yaml").site_types["hub"]
    site_input = replicate_site_day(hub_type, hub_type.booked_per_slot, 30, 6, replications=10,
                                    seed=2021, in_use_minutes=360.0)
    people = site_input.people
    reference_times = timed(lambda: simulate_reference(site_input), repeats_reference)
    kernel_times = timed(lambda: simulate_kernel(site_input), repeats_kernel)
    reference, kernel = simulate_reference(site_input), simulate_kernel(site_input)
    worst = max(
        float(np.nanmax(np.abs(getattr(kernel, name) - getattr(reference, name))))
        for name in ("join", "seized", "start", "end", "leave", "task_start", "task_end")
    )
    ref_rate = people / statistics.median(reference_times)
    ker_rate = people / statistics.median(kernel_times)
    print("## Clinic hub (scenarios/clinic-hub.yaml)\n")
    print(f"{site_input.sessions} sessions, {people} people, block-start arrivals, preparation "
          "ahead of demand\n")
    print("| engine | median wall time | people / s | repeats |")
    print("|---|---|---|---|")
    print(f"| reference (SimPy) | {statistics.median(reference_times) * 1e3:.1f} ms "
          f"| {ref_rate:,.0f} | {repeats_reference} |")
    print(f"| kernel (numpy) | {statistics.median(kernel_times) * 1e3:.2f} ms "
          f"| {ker_rate:,.0f} | {repeats_kernel} |")
    print(f"\n**kernel / reference throughput: {ker_rate / ref_rate:.0f}×**; largest per-person "
          f"time difference on the same input: {worst:g} min; doses replaced (expired): "
          f"{int(kernel.replaced.sum())}, reference {int(reference.replaced.sum())}\n")


def national(site_sessions: int) -> None:
    start = time.perf_counter()
    site_input = national_input(site_sessions, seed=7)
    drawing = time.perf_counter() - start
    kernel_times = timed(lambda: simulate_kernel(site_input), 3)
    queue_times = timed(lambda: simulate_queue_order(site_input), 3)
    start = time.perf_counter()
    result = simulate_kernel(site_input)
    sessions = result.sessions
    stations = result.stations
    summaries = time.perf_counter() - start - statistics.median(kernel_times)
    tracemalloc.start()
    simulate_kernel(site_input)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_bytes = sum(
        value.nbytes for value in vars(site_input).values() if isinstance(value, np.ndarray)
    )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    print("## National day (kernel)\n")
    print(f"{site_input.sessions:,} site-sessions, {site_input.people:,} people "
          f"(max {site_input.max_people} per session, {site_input.max_stations} stations)\n")
    print("| step | value |")
    print("|---|---|")
    print(f"| draw arrivals and service times (SessionInput) | {drawing:.2f} s |")
    print(f"| kernel, median of 3 | {statistics.median(kernel_times):.2f} s "
          f"({site_input.people / statistics.median(kernel_times):,.0f} people/s) |")
    print(f"| queue-order kernel (national runs), median of 3 | {statistics.median(queue_times):.2f} s "
          f"({site_input.people / statistics.median(queue_times):,.0f} people/s) |")
    print(f"| session and station tables | {summaries:.2f} s |")
    print(f"| SessionInput arrays | {input_bytes / 2**20:.0f} MiB |")
    print(f"| kernel peak traced memory (tracemalloc) | {peak / 2**20:.0f} MiB |")
    print(f"| process peak RSS (ru_maxrss) | {max_rss:.0f} MiB |")
    injection_p90 = stations[stations.role == "injection"].wait_p90.median()
    print(f"\nPeak people on site: median {sessions.peak_on_site.median():.0f}, "
          f"max {sessions.peak_on_site.max()}; injection wait p90 median "
          f"{injection_p90:.2f} min\n")


def machine() -> None:
    print("## Machine\n")
    print(f"- date: {datetime.date.today().isoformat()}")
    print(f"- cores: {os.cpu_count()} (nproc)")
    print(f"- CPU: {platform.processor() or platform.machine()}")
    print(f"- Python {platform.python_version()}, numpy {np.__version__}")
    import simpy

    print(f"- SimPy {simpy.__version__}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 sessions for the national day")
    parser.add_argument("--national-sessions", type=int, default=10_000)
    args = parser.parse_args()
    machine()
    district(repeats_reference=5, repeats_kernel=50)
    hub(repeats_reference=3, repeats_kernel=20)
    national(1_000 if args.quick else args.national_sessions)


if __name__ == "__main__":
    main()

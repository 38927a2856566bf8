"""What the benchmarks measure besides wall time: peak memory of a process family, CPU time."""

from __future__ import annotations

import json
import os
import platform
import resource
import threading
import time
from pathlib import Path


class MemorySampler(threading.Thread):
    """Samples the proportional set size (PSS, shared pages split between the processes that
    share them) of this process and its worker processes every ``every`` seconds; ``peak_mib`` is the
    largest total seen, ``peak_process_mib`` the largest single process seen, ``peak_own_mib``
    this process's peak and ``peak_worker_mib`` the largest of the others (a worker's peak; a
    Dask nanny is far smaller than its worker). Forked workers share the parent's pages, so
    RSS would count them twice.

    It also keeps the CPU time (user + system) last seen of every process of the family:
    :meth:`cpu_seconds` is their sum, a figure that other jobs on the machine slow far less
    than the wall time (a process that ends between two samples loses at most ``every`` seconds)."""

    def __init__(self, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.peak_mib = 0.0
        self.peak_process_mib = 0.0
        self.peak_own_mib = 0.0
        self.peak_worker_mib = 0.0
        self.cpu_by_process: dict[tuple[int, int], float] = {}
        #: CPU seconds the sampling itself took (reading a process's PSS makes the kernel walk
        #: its page tables: milliseconds for a 250 MiB worker), part of this process's CPU time
        self.own_cpu_seconds = 0.0
        self.stopped = threading.Event()

    def cpu_seconds(self) -> float:
        """CPU seconds of every process of the family seen so far (this one read now)."""
        self._sample_cpu([os.getpid()])
        return sum(self.cpu_by_process.values())

    def _sample_cpu(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields after the name: [11] utime, [12] stime, [19] start time (pids are reused)
            ticks = os.sysconf("SC_CLK_TCK")
            self.cpu_by_process[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / ticks

    @staticmethod
    def _pss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _family(pid: int) -> list[int]:
        pids = [pid]
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                pids += MemorySampler._family(int(child))
        return pids

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                family = self._family(os.getpid())
                each = [self._pss_kib(pid) for pid in family]
            except OSError:
                continue
            self._sample_cpu(family)
            self.peak_mib = max(self.peak_mib, sum(each) / 1024)
            self.peak_process_mib = max(self.peak_process_mib, max(each) / 1024)
            self.peak_own_mib = max(self.peak_own_mib, each[0] / 1024)  # family[0] is this process
            self.peak_worker_mib = max(self.peak_worker_mib, max(each[1:], default=0) / 1024)
            self.own_cpu_seconds = time.thread_time()


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine() -> dict[str, object]:
    """What the figures were measured on: CPUs, processor, Python and numpy versions."""
    import numpy as np

    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def report(figures: dict, record: Path | None) -> None:
    """Print ``figures`` as JSON and, unless ``record`` is None, append them as one line to
    that JSON-lines file (the benchmark's history)."""
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if record is not None:
        with record.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(figures, ensure_ascii=False) + "\n")

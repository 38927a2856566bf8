"""Nothing is left behind: workers die with a killed parent, and CBC's files stay in a private
folder that is removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sparse
from pulp.apis.core import LpSolver_CMD

from tests.conftest import ROOT
from vaxsim.optimize.lp.lp import LinearProgram
from vaxsim.optimize.lp.solvers import solve
from vaxsim.optimize.options import SolverOptions

PARENT = """
import sys, time
from vaxsim.processes import worker_pool
pool = worker_pool(2)
futures = [pool.submit(time.sleep, 120) for _ in range(2)]
time.sleep(1.0)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_workers_die_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _tiny_lp() -> LinearProgram:
    # minimise x0 + 2 x1 subject to x0 + x1 >= 3, 0 <= x <= 10
    return LinearProgram(
        name="tiny",
        cost=np.array([1.0, 2.0]),
        offset=0.0,
        matrix=sparse.csr_matrix(np.array([[1.0, 1.0]])),
        row_lower=np.array([3.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.zeros(2),
        col_upper=np.full(2, 10.0),
        integer=np.array([False, False]),
        terms={},
        columns={},
        rows={},
    )


def test_cbc_files_live_in_a_private_folder_that_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    written: list[Path] = []
    create = LpSolver_CMD.create_tmp_files

    def recorded(self, name, *extensions):
        paths = list(create(self, name, *extensions))
        written.extend(Path(path) for path in paths)
        return iter(paths)

    monkeypatch.setattr(LpSolver_CMD, "create_tmp_files", recorded)
    solution = solve(_tiny_lp(), SolverOptions(solver="cbc"))
    assert np.allclose(solution.x, [3.0, 0.0])
    folders = {path.parent for path in written}
    assert written and all(folder.name.startswith("vaxsim-cbc-") for folder in folders)
    assert all(folder.parent == tmp_path and not folder.exists() for folder in folders)
    assert list(tmp_path.iterdir()) == []


# A market-split problem (Cornuéjols and Dawande): 4 rows of 30 binaries whose split is not
# exact; CBC's branch and bound runs for minutes on it, long enough to be killed mid-solve.
CBC_PARENT = """
import numpy as np, scipy.sparse as sparse
from vaxsim.optimize.lp.lp import LinearProgram
from vaxsim.optimize.lp.solvers import solve
from vaxsim.optimize.options import SolverOptions
rows, n = 4, 30
a = np.random.default_rng(7).integers(0, 100, size=(rows, n)).astype(float)
d = np.floor(a.sum(axis=1) / 2) + 0.5  # half-integral targets: no exact split exists
matrix = sparse.csr_matrix(np.hstack([a, np.eye(rows), -np.eye(rows)]))
columns = n + 2 * rows
lp = LinearProgram(
    name="market-split", cost=np.r_[np.zeros(n), np.ones(2 * rows)], offset=0.0, matrix=matrix,
    row_lower=d, row_upper=d, col_lower=np.zeros(columns),
    col_upper=np.r_[np.ones(n), np.full(2 * rows, np.inf)],
    integer=np.r_[np.ones(n, bool), np.zeros(2 * rows, bool)], terms={}, columns={}, rows={},
)
print("solving", flush=True)
solve(lp, SolverOptions(solver="cbc", gap=0.0))
"""


def _cbc_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().split(")")[-1].split()
            command = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(stat[1]) == parent and b"cbc" in Path(command.decode(errors="replace")).name.encode().lower():
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_cbc_dies_when_vaxsim_is_killed(signal_number):
    parent = subprocess.Popen([sys.executable, "-c", CBC_PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "solving"
    deadline = time.monotonic() + 60
    while not (solvers := _cbc_children(parent.pid)) and time.monotonic() < deadline:
        assert parent.poll() is None, "the solve ended before it could be killed"
        time.sleep(0.05)
    assert solvers, "no CBC process started"
    os.kill(parent.pid, signal_number)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in solvers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in solvers if _alive(pid)]
    for pid in survivors:  # do not leave a runaway solver on the machine if the test fails
        os.kill(pid, signal.SIGKILL)
    assert survivors == []

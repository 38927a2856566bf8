"""Time and peak memory of each resource refusal of issue 17 (target: under 10 s and 2 GB).

Each case runs ``python -m vaxsim ...`` in a child process (start-up included) and reads the
child's own peak RSS from ``wait4``. Run: ``.venv/bin/python benchmarks/bench_refusals.py``;
the numbers are recorded in ``benchmarks/hardening.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo-district.yaml"


def measure(arguments: list[str]) -> dict:
    """Wall seconds, peak RSS (MiB), exit status and the first line of stderr of one command."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "vaxsim", *arguments]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": child.returncode,
        "traceback": "Traceback" in stderr,
        "message": stderr.strip().splitlines()[0][:140] if stderr.strip() else "",
    }


def cases(folder: Path) -> dict[str, list[str]]:
    """The refusals of the issue, each as a command line."""
    def scenario(name: str, text: str) -> str:
        path = folder / name
        path.write_text(text)
        return str(path)

    os.symlink("/dev/urandom", folder / "urandom.yaml")
    with (folder / "list-100mb.yaml").open("w") as stream:
        stream.write("campaign:\n  items:\n")
        stream.write("  - 1\n" * (100 * 2**20 // 6))
    with (folder / "list-15mb.yaml").open("w") as stream:
        stream.write("campaign:\n  items:\n")
        stream.write("  - 1\n" * (15 * 2**20 // 6))
    plans = folder / "plans"
    subprocess.run([sys.executable, "-m", "vaxsim", "optimize", str(DEMO), "-o", str(plans)], cwd=ROOT,
                   check=True, capture_output=True)
    bundle = next(plans.iterdir())
    zero = folder / "zero-bundle"
    shutil.copytree(bundle, zero)
    (zero / "tables" / "lots.csv").unlink()
    os.symlink("/dev/zero", zero / "tables" / "lots.csv")
    deep = folder / "deep-bundle"
    shutil.copytree(bundle, deep)
    (deep / "plan.json").write_text("[" * 200_000 + "]" * 200_000)
    generated = "geography.provinces.0.districts.0.generated_sites={commune_station: %d}"
    return {
        "extends: /dev/zero": ["validate", scenario("zero.yaml", "extends: /dev/zero\n")],
        "extends: symlink to /dev/urandom": ["validate", scenario("u.yaml", "extends: urandom.yaml\n")],
        "extends: /etc/shadow": ["validate", scenario("shadow.yaml", "extends: /etc/shadow\n")],
        "100 MB YAML list": ["validate", str(folder / "list-100mb.yaml")],
        "15 MB YAML list (under the size limit)": ["validate", str(folder / "list-15mb.yaml")],
        "generated_sites 1,000,000,000": ["validate", str(DEMO), "--set", generated % 1_000_000_000],
        "generated_sites 1,000,000": ["validate", str(DEMO), "--set", generated % 1_000_000],
        "population 2^63": ["validate", str(DEMO), "--set",
                            "geography.provinces.0.districts.0.population.18-49=9223372036854775808"],
        "bundle table symlinked to /dev/zero": ["plan", "check", str(zero)],
        "200,000-deep JSON in a bundle": ["plan", "check", str(deep)],
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vaxsim-refusals-") as folder:
        results = {name: measure(arguments) for name, arguments in cases(Path(folder)).items()}
    load = os.getloadavg()[0]
    print(json.dumps({"load_average_1min": round(load, 2), "cases": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

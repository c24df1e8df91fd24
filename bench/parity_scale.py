"""Parity at scale: 100, 500 and 1,000 apps, a full diff and a pull request touching 1% of them.

For each size, a temporary GitOps repo of N/2 charts x 2 environments (bench/parity_throughput.py's
charts) is committed, then 1% of the apps change (their prod values) in a second commit. Timed as
fresh processes, median of ROUNDS:

- `parity --base HEAD~1 --render-all`: the full diff, every app rendered on both sides (2N renders);
- `parity --base HEAD~1`: what CI runs on the pull request: only the apps whose inputs changed render;
- `--shard 1/4` of each: one CI matrix job's share.

    python bench/parity_scale.py [--sizes 100,500,1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from parity_throughput import build_repo, children_cpu, git, gitops_cmp


def measure(argv: list[str], rounds: int) -> tuple[float, float]:
    walls, cpus = [], []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    for _ in range(rounds):
        cpu, started = children_cpu(), time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
        cpus.append(children_cpu() - cpu)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}\n{proc.stderr.decode()[-2000:]}")
    return statistics.median(walls), statistics.median(cpus)


def scenario(work: Path, apps: int, rounds: int) -> list[list[str]]:
    repo = work / f"repo-{apps}"
    charts = apps // 2
    build_repo(repo, charts)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    touched = max(1, apps // 100)
    for i in range(touched):  # one app each: the prod values of `touched` charts
        prod = repo / "charts" / f"svc{i * (charts // touched):02d}" / "values" / "prod.yaml"
        prod.write_text(prod.read_text().replace("max: 10", "max: 12"))
    git(repo, "commit", "-q", "-am", "change")
    parity = [*gitops_cmp(), "parity", "--repo", str(repo), "--format", "json", "--kube-version", "1.30.2",
              "--base", "HEAD~1"]
    rows = []
    for label, extra in (("full diff (--render-all)", ["--render-all"]), ("1% changed", []),
                         ("full diff, --shard 1/4", ["--render-all", "--shard", "1/4"]),
                         ("1% changed, --shard 1/4", ["--shard", "1/4"])):
        wall, cpu = measure([*parity, *extra], rounds)
        rows.append([str(apps), label, f"{wall:.2f}", f"{cpu:.2f}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="parity-scale-"))
    try:
        rows = [row for n in args.sizes.split(",") for row in scenario(work, int(n), args.rounds)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nmedian of {args.rounds}; {os.cpu_count()} CPUs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| apps | run | wall s | CPU s |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

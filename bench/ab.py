"""A/B of whole `generate` processes: trees (checkouts) against each other, with or without a worker.

Each entry is a tree on PYTHONPATH, optionally `@auto` for generate through a `gitops-cmp serve` of
that tree (started here, stopped at the end) or `@off` for in-process. Interleaved rounds on the
example's webapp (prod); prints the median wall time and the median CPU time (user+sys) of the
generate process itself, which a loaded machine disturbs less than wall time. Through a worker the
render's CPU is spent in the worker's child, so compare those rows by wall time.

    python bench/ab.py /work/main,/path/to/branch 21
    python bench/ab.py .@off,.@auto 21
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import API_VERSIONS, EXAMPLE


def main(entries: list[str], rounds: int) -> None:
    chart = EXAMPLE / "charts" / "webapp"
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
            and not k.startswith(("ARGOCD_", "KUBE_", "GITOPS_CMP_"))}
    app = {"ARGOCD_APP_NAME": "webapp-prod", "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod",
           "ARGOCD_APP_PARAMETERS": "null", "KUBE_VERSION": "1.30.2", "KUBE_API_VERSIONS": API_VERSIONS}
    envs, servers = {}, []
    for entry in entries:
        tree, _, worker = entry.partition("@")
        env = {**base, **app, "PYTHONPATH": str(Path(tree).resolve()), "GITOPS_CMP_WORKER": worker or "off"}
        if worker == "auto":
            directory = Path(tempfile.mkdtemp(prefix="gitops-cmp-ab-"))
            env["GITOPS_CMP_SOCKET"] = str(directory / "worker.sock")
            servers.append(subprocess.Popen([sys.executable, "-m", "cmp", "serve", "--socket", env["GITOPS_CMP_SOCKET"]],
                                            env={**base, "PYTHONPATH": env["PYTHONPATH"]}, cwd=directory,
                                            stderr=subprocess.DEVNULL))
        envs[entry] = env
    try:
        time.sleep(3 if servers else 0)  # the workers' children load the engine
        wall: dict[str, list[float]] = {e: [] for e in entries}
        cpu: dict[str, list[float]] = {e: [] for e in entries}
        for entry in entries:  # once each first: bytecode written, worker used once
            subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=chart, env=envs[entry], capture_output=True)
        for _ in range(rounds):
            for entry in entries:
                started = time.perf_counter()
                proc = subprocess.Popen([sys.executable, "-m", "cmp", "generate"], cwd=chart, env=envs[entry],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
                wall[entry].append(time.perf_counter() - started)
                cpu[entry].append(usage.ru_utime + usage.ru_stime)
                if status != 0:
                    raise SystemExit(f"{entry}: generate exited with status {status}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
    load = os.getloadavg()
    print(f"{rounds} interleaved rounds; {os.cpu_count()} CPUs; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for entry in entries:
        print(f"{entry}: wall median {statistics.median(wall[entry]) * 1000:.1f} ms,"
              f" CPU median {statistics.median(cpu[entry]) * 1000:.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1].split(","), int(sys.argv[2]) if len(sys.argv) > 2 else 21)

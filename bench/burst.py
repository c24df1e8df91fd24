"""A commit reaches every app at once: N `generate`s started together, against N `helm template`s.

Argo CD asks the plugin for every app a commit touched, concurrently. This starts N renders of
the example's webapp (prod) at the same moment, each the plugin's `init` then `generate` as whole
processes, and times the burst until the
last one exits: through a resident `gitops-cmp serve` (`--workers W`), once with the memo off (every
request renders: new inputs) and once answering from its memo (the app's inputs judged before: the
apps a commit elsewhere in the monorepo did not touch), in-process (`GITOPS_CMP_WORKER=off`), and N `helm template` processes of the same chart.
Besides the wall time, the CPU the burst cost: the clients' (user+sys of the N processes) and the
worker's (its render processes and the ones it forks to replace them), measured after a pause
that lets the replacements load. Median of ROUNDS bursts.

`--image-launcher` starts the plugin's commands as the sidecar image does (its own launcher run with
`python3 -S`, Dockerfile) instead of `python -m cmp`; it needs a release install.

    python bench/burst.py [--apps 10] [--workers 2] [--rounds 5] [--image-launcher]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import shlex

from _common import API_VERSIONS, EXAMPLE, argocd_env, machine, plugin_command, table, tempdir
from _helm import helm_binary, helm_env, template_argv
from generate_vs_helm import start_worker

SETTLE_SECONDS = 1.5  # after a burst: the worker's replacement processes load Helm's engine


def tree_cpu(pid: int) -> float:
    """User+sys seconds of `pid` and of its children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def burst(argv: list[str], cwd: Path, env: dict[str, str], apps: int, worker: int | None) -> tuple[float, float, float]:
    """(wall s, clients' CPU s, worker's CPU s) of `apps` processes started together."""
    clients, served = children_cpu(), tree_cpu(worker) if worker else 0.0
    started = time.perf_counter()
    procs = [subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(apps)]
    codes = [proc.wait() for proc in procs]
    wall = time.perf_counter() - started
    if set(codes) != {0}:
        raise SystemExit(f"{argv[:3]}: exit codes {sorted(set(codes))}")
    time.sleep(SETTLE_SECONDS)
    return wall, children_cpu() - clients, (tree_cpu(worker) - served) if worker else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--image-launcher", action="store_true",
                        help="start init and generate as the sidecar image does (python3 -S, a release install)")
    args = parser.parse_args()
    scratch = tempdir()
    repo = scratch / "gitops-repo"
    shutil.copytree(EXAMPLE, repo)
    chart = repo / "charts" / "webapp"
    home = scratch / "helm-home"
    home.mkdir()
    server, socket_path = start_worker(scratch, "burst", ["--memo-bytes", "0", "--workers", str(args.workers)])
    kept, kept_socket = start_worker(scratch, "kept", ["--workers", str(args.workers)])
    genv = argocd_env("webapp-prod", "charts/webapp", "prod")
    # each app as Argo CD runs the plugin: init, then generate (sh costs about 1 ms)
    command = shlex.join(plugin_command(scratch, args.image_launcher))
    generate = ["/bin/sh", "-c", f"{command} init && exec {command} generate"]
    judged = {**genv, "GITOPS_CMP_SOCKET": str(kept_socket)}
    for _ in range(2):  # the worker keeps the app's judged result (the same inputs: a commit elsewhere)
        subprocess.run(generate, cwd=chart, env=judged, capture_output=True, check=True)
    modes = {
        f"through serve --workers {args.workers}, new inputs": (generate, {**genv, "GITOPS_CMP_SOCKET": str(socket_path)}, server.pid),
        f"through serve --workers {args.workers}, inputs judged before": (generate, judged, kept.pid),
        "in-process": (generate, {**genv, "GITOPS_CMP_WORKER": "off"}, None),
        "helm template": (template_argv(chart, "webapp-prod", "webapp-prod", [chart / "values" / "prod.yaml"], "1.30.2",
                                        tuple(API_VERSIONS.split(","))), helm_env(home), None),
    }
    got: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in modes}
    try:
        for _ in range(args.rounds):
            for mode, (argv, env, worker) in modes.items():
                got[mode].append(burst(argv, chart, env, args.apps, worker))
    finally:
        for worker in (server, kept):
            worker.terminate()
            worker.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)
    helm_wall = statistics.median(w for w, _, _ in got["helm template"])
    rows = []
    for mode, runs in got.items():
        wall = statistics.median(w for w, _, _ in runs)
        rows.append([mode, f"{wall * 1000:.0f} ms", f"{wall / helm_wall:.2f}x",
                     f"{statistics.median(c for _, c, _ in runs) * 1000 / args.apps:.0f} ms",
                     f"{statistics.median(s for _, _, s in runs) * 1000 / args.apps:.0f} ms"])
    load = os.getloadavg()
    print(f"\n{args.apps} renders (init + generate) of the example's webapp at once, median of {args.rounds} bursts; {machine()};"
          f" load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print(table(["", "burst", "vs helm", "CPU per app, clients", "CPU per app, worker"], rows))


if __name__ == "__main__":
    main()

"""Throughput: one `gitops-cmp parity` call against 100 sequential `gitops-cmp generate` processes.

Builds a temporary GitOps repo of 50 charts x 2 environments (100 Applications, plugin shape),
commits it, commits a change to 10 charts' prod values, then times, each as a fresh process:

- parity without --base (100 renders) and with --base HEAD~1 (200 renders, 10 apps changed),
  each with the default --jobs (the usable CPUs; small runs stay in-process) and with --jobs 1;
- 100 sequential `generate` processes, each with the Argo CD env Argo would set (what a
  plugin-per-app CI loop costs).

It checks that parity's --out files are byte-identical to the generate outputs, then prints a
table with the rendering processes, wall time, CPU time (user+sys of the process and its workers)
and the speed-up over the generate loop.

    python bench/parity_throughput.py [--charts 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENVS = ("dev", "prod")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app.kubernetes.io/name: {{ .Chart.Name }}, app.kubernetes.io/instance: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app.kubernetes.io/instance: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app.kubernetes.io/instance: {{ .Release.Name }}}}
    spec:
      serviceAccountName: {{ .Release.Name }}
      containers:
        - name: app
          image: "ghcr.io/org/{{ .Chart.Name }}:{{ .Values.tag }}"
          ports: [{name: http, containerPort: 8080}]
          envFrom: [{configMapRef: {name: {{ .Release.Name }}-settings}}]
          resources: {{- toYaml .Values.resources | nindent 12 }}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {app.kubernetes.io/instance: {{ .Release.Name }}}
  ports: [{name: http, port: 80, targetPort: http}]
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-settings}
data:
  {{- range $k, $v := .Values.settings }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
"""
SERVICE_ACCOUNT = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: {{ .Release.Name }}}\n"
HPA = """\
{{- if .Values.autoscaling }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: {{ .Release.Name }}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ .Release.Name }}}
  minReplicas: {{ .Values.replicas }}
  maxReplicas: {{ .Values.autoscaling.max }}
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
{{- end }}
"""
APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: argocd}}
spec:
  project: default
  source:
    repoURL: https://github.com/org/gitops-repo
    path: charts/{chart}
    plugin: {{name: gitops-helm-v1, env: [{{name: ENVIRONMENT, value: {env}}}]}}
  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}
  syncPolicy:
    automated: {{prune: true, selfHeal: true}}
    retry: {{limit: 5, backoff: {{duration: 5s, factor: 2, maxDuration: 3m}}}}
"""


def values(env: str, replicas: int) -> str:
    settings = "".join(f"  key_{k}: value-{env}-{k}\n" for k in range(20))
    resources = "resources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {cpu: 500m, memory: 256Mi}\n"
    scaling = "autoscaling: {max: 10}\n" if env == "prod" else "autoscaling: null\n"
    return f"replicas: {replicas}\ntag: '1.{replicas}.0'\n{resources}{scaling}settings:\n{settings}"


def build_repo(root: Path, charts: int) -> list[tuple[str, str, str]]:
    """(app name, chart path, env) for every Application written."""
    root.mkdir(parents=True)
    (root / ".gitops-cmp.yaml").write_text("environments: [dev, prod]\nstrictEnvironments: [prod]\n")
    apps = []
    for i in range(charts):
        name = f"svc{i:02d}"
        chart = root / "charts" / name
        (chart / "templates").mkdir(parents=True)
        (chart / "values").mkdir()
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text("replicas: 1\n")
        for file, text in (("deployment.yaml", DEPLOYMENT), ("service.yaml", SERVICE), ("configmap.yaml", CONFIGMAP),
                           ("serviceaccount.yaml", SERVICE_ACCOUNT), ("hpa.yaml", HPA)):
            (chart / "templates" / file).write_text(text)
        for env in ENVS:
            (chart / "values" / f"{env}.yaml").write_text(values(env, 3 if env == "prod" else 1))
            (root / "apps" / name).mkdir(parents=True, exist_ok=True)
            (root / "apps" / name / f"{env}.yaml").write_text(APP.format(name=f"{name}-{env}", chart=name, env=env))
            apps.append((f"{name}-{env}", f"charts/{name}", env))
    return apps


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@dataclass(frozen=True)
class Timing:
    label: str
    renders: int
    processes: str  # rendering processes: parity's log event says; generate is one per app
    wall: float
    cpu: float


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def gitops_cmp() -> list[str]:
    script = Path(sys.executable).parent / "gitops-cmp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cmp"]


def timed(label: str, renders: int, commands: list[tuple[list[str], Path, dict[str, str]]]) -> tuple[Timing, list[bytes]]:
    outputs, logs = [], []
    cpu, started = children_cpu(), time.perf_counter()
    for argv, cwd, env in commands:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{label}: {' '.join(argv)} exited {proc.returncode}\n{proc.stderr.decode()[-2000:]}")
        outputs.append(proc.stdout)
        logs.append(proc.stderr)
    wall, used = time.perf_counter() - started, children_cpu() - cpu
    processes = str(len(commands)) if len(commands) > 1 else str(json.loads(logs[0].splitlines()[-1])["workers"])
    return Timing(label, renders, processes, wall, used), outputs


def argocd_env(app: str, path: str, env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    return {**clean, "ARGOCD_APP_NAME": app, "ARGOCD_APP_NAMESPACE": app, "ARGOCD_ENV_ENVIRONMENT": env,
            "ARGOCD_APP_PARAMETERS": "null", "ARGOCD_APP_SOURCE_PATH": path, "KUBE_VERSION": "1.30.2"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charts", type=int, default=50, help="charts (two apps each; default 50)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        return run(work, args.charts)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, charts: int) -> int:
    repo = work / "repo"
    apps = build_repo(repo, charts)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for i in range(0, charts, max(1, charts // 10)):
        prod = repo / "charts" / f"svc{i:02d}" / "values" / "prod.yaml"
        prod.write_text(prod.read_text().replace("max: 10", "max: 12"))
    git(repo, "commit", "-q", "-am", "change")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    parity = [*gitops_cmp(), "parity", "--repo", str(repo), "--format", "json", "--kube-version", "1.30.2"]
    n = len(apps)
    rows = [
        timed("parity", n, [([*parity, "--out", str(work / "out")], work, env)])[0],
        timed("parity --jobs 1", n, [([*parity, "--jobs", "1"], work, env)])[0],
        timed("parity --base HEAD~1", 2 * n, [([*parity, "--base", "HEAD~1"], work, env)])[0],
        timed("parity --base HEAD~1 --jobs 1", 2 * n, [([*parity, "--base", "HEAD~1", "--jobs", "1"], work, env)])[0],
    ]
    generate = [([*gitops_cmp(), "generate"], repo / path, argocd_env(app, path, e)) for app, path, e in apps]
    timing, outputs = timed(f"{n} x generate (sequential)", n, generate)
    rows.append(timing)
    for (app, _, _), out in zip(apps, outputs, strict=True):
        if (work / "out" / f"{app}.yaml").read_bytes() != out:
            raise SystemExit(f"--out {app}.yaml differs from generate's output")
    print_table(rows, os.cpu_count() or 1)
    return 0


def print_table(rows: list[Timing], cpus: int) -> None:
    baseline = rows[-1].wall
    print(f"{rows[-1].renders} apps, {cpus} CPUs visible; parity --out equals generate byte for byte\n")
    print(f"{'mode':<32} {'renders':>7} {'procs':>5} {'wall s':>7} {'CPU s':>7} {'CPU/wall':>8} {'vs generate':>11}")
    for row in rows:
        print(f"{row.label:<32} {row.renders:>7} {row.processes:>5} {row.wall:>7.2f} {row.cpu:>7.2f}"
              f" {row.cpu / row.wall:>8.2f} {baseline / row.wall:>10.1f}x")


if __name__ == "__main__":
    raise SystemExit(main())

"""Shared by the bench scripts: fixture charts, an Argo CD-like environment, interleaved timing."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"
PYTHON = sys.executable

LARGE_TEMPLATE = """\
{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{{ $i }}
  labels:
    app.kubernetes.io/name: large
data:
  {{- range $j := until (int $.Values.keys) }}
  setting_{{ $j }}: {{ printf "%s-%d-%d" $.Values.text $i $j | quote }}
  {{- end }}
{{- end }}
"""


def example_repo(dest: Path) -> Path:
    """A copy of the example repo with a `large` chart added: about 2 MB of ConfigMaps."""
    repo = dest / "gitops-repo"
    shutil.copytree(EXAMPLE, repo)
    chart = repo / "charts" / "large"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: large\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("count: 400\nkeys: 60\ntext: the quick brown fox jumps over the lazy dog\n")
    (chart / "values" / "prod.yaml").write_text("{}\n")
    (chart / "templates" / "configmaps.yaml").write_text(LARGE_TEMPLATE)
    return repo


def argocd_env(app: str, path: str, env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_"))}
    return {**base, "ARGOCD_APP_NAME": app, "ARGOCD_APP_NAMESPACE": app, "ARGOCD_ENV_ENVIRONMENT": env,
            "ARGOCD_APP_PARAMETERS": "null", "ARGOCD_APP_SOURCE_PATH": path, "KUBE_VERSION": "1.30.2"}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed, proc.stdout


def interleaved(commands: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each command once per round, alternating, so machine noise hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(command())
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="gitops-cmp-bench-"))


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"

"""16 concurrent `generate` processes over the same and different apps, as a busy repo-server
runs them: each must emit exactly what a sequential run emits, without writing to HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

APPS = {
    "webapp-prod": ("charts/webapp", "prod"),
    "webapp-dev": ("charts/webapp", "dev"),
    "monitoring-prod": ("charts/monitoring", "prod"),
}


def generate(repo: Path, app: str, home: Path) -> tuple[int, str, str]:
    path, env = APPS[app]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBE_", "XDG_", "HELM_"))}
    environ.update(HOME=str(home), ARGOCD_APP_NAME=app, ARGOCD_APP_NAMESPACE=app, ARGOCD_ENV_ENVIRONMENT=env,
                   ARGOCD_APP_PARAMETERS="null", ARGOCD_APP_SOURCE_PATH=path, KUBE_VERSION="1.30.2")
    proc = subprocess.run([sys.executable, "-m", "cmp", "generate"], cwd=repo / path, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_sixteen_concurrent_generates_match_sequential_runs(example_repo: Path, tmp_path: Path):
    home = tmp_path / "readonly-home"
    home.mkdir()
    home.chmod(0o555)
    expected = {app: generate(example_repo, app, home) for app in APPS}
    assert all(code == 0 and out for code, out, _ in expected.values())

    jobs = [list(APPS)[i % len(APPS)] for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda app: generate(example_repo, app, home), jobs))

    for app, (code, out, err) in zip(jobs, results):
        assert code == 0, err
        assert out == expected[app][1], f"{app}: concurrent output differs from the sequential one"
    assert list(home.iterdir()) == []

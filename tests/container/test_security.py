"""Issue 12's attacks inside the built image, run as Argo CD runs it: uid 999, read-only root, tmpfs
/tmp, no network, and a memory limit. Each fails closed with one line on stderr and nothing on stdout.

Before: the template loop below was killed by the kernel in a 512 MiB container (exit 137, no
message; a 200 MB output needs about 2.3 GB).
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from container.conftest import ContainerRun
from security.attack import HostileRepo, assert_no_leak, mint

pytestmark = pytest.mark.container

MEMORY_LIMIT = "512m"
LOOP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data:
{{- range $i := until 200000 }}
  k{{ $i }}: {{ repeat 1000 "x" | quote }}
{{- end }}
"""


def _as_argocd_unpacks(src: Path, dest: Path) -> Path:
    """The repo as argocd-cmp-server unpacks it: links kept as links, files 0644, dirs 0755, uid 999."""
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    for path in (dest, *dest.rglob("*")):
        if path.is_symlink():
            continue
        path.chmod(0o755 if path.is_dir() else 0o644)
        if os.geteuid() == 0:
            os.chown(path, 999, 999)
    return dest


def _generate(sidecar: Any, repo: Path, app_path: str, env: dict[str, str]) -> ContainerRun:
    return sidecar("generate", env=env, repo=repo, app_path=app_path, mem_limit=MEMORY_LIMIT)


def _env(app: str, path: str, **extra: str) -> dict[str, str]:
    return {"ARGOCD_APP_NAME": app, "ARGOCD_APP_NAMESPACE": app, "ARGOCD_ENV_ENVIRONMENT": "prod",
            "ARGOCD_APP_SOURCE_PATH": path, "ARGOCD_APP_PARAMETERS": "null", **extra}


def test_a_template_loop_stops_before_the_kernel_kills_it(sidecar, tmp_path: Path):
    src = HostileRepo(tmp_path / "src")
    src.chart("loop", templates={"cm.yaml": LOOP}, values={"prod": "{}\n"})
    # The output limit set out of the way: the memory guard alone must stop it, from the cgroup's limit.
    src.config("limits: {maxOutputBytes: 1099511627775}\n")
    repo = _as_argocd_unpacks(src.root, tmp_path / "repo")
    run = _generate(sidecar, repo, "charts/loop", _env("loop", "charts/loop"))
    assert (run.code, run.out) == (3, b""), (run.code, run.err[-2000:])
    assert "MiB of memory" in run.err and "85% of the container's memory limit" in run.err, run.err
    assert "Traceback" not in run.err


def test_the_output_limit_holds_in_the_image(sidecar, tmp_path: Path):
    src = HostileRepo(tmp_path / "src")
    src.chart("loop", templates={"cm.yaml": LOOP}, values={"prod": "{}\n"})
    repo = _as_argocd_unpacks(src.root, tmp_path / "repo")
    run = _generate(sidecar, repo, "charts/loop", _env("loop", "charts/loop"))
    assert (run.code, run.out) == (3, b""), (run.code, run.err[-2000:])
    assert "MiB of memory" in run.err or "limits.maxOutputBytes" in run.err, run.err


def test_nothing_is_echoed_and_links_out_are_refused_in_the_image(sidecar, tmp_path: Path):
    """A `required` message quoting a value, and a link to the sidecar's own environment holding a
    token: neither reaches stderr (the Argo CD UI)."""
    rng = random.Random(12)
    value, token = mint(rng), mint(rng)
    src = HostileRepo(tmp_path / "src")
    src.chart("echo", values={"prod": f"motd: {value}\n"}, templates={
        "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "r.yaml": '{{ required (printf "motd %s needs a host" .Values.motd) .Values.host }}\n'})
    src.chart("link", values={"prod": "{}\n"}, templates={
        "cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {e: {{ .Files.Get "files/env" | quote }}}\n'})
    src.symlink("charts/link/files/env", "/proc/self/environ")
    repo = _as_argocd_unpacks(src.root, tmp_path / "repo")
    echoed = _generate(sidecar, repo, "charts/echo", _env("echo", "charts/echo"))
    assert (echoed.code, echoed.out) == (3, b""), echoed.err
    assert "echo/templates/r.yaml:1" in echoed.err and "needs a host" in echoed.err, echoed.err
    linked = _generate(sidecar, repo, "charts/link", _env("link", "charts/link", GIT_TOKEN=token))
    assert (linked.code, linked.out) == (2, b""), linked.err
    assert "resolves outside the repository" in linked.err, linked.err
    assert_no_leak([value, token], echoed.out, echoed.err, linked.out, linked.err)

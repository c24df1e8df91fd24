"""Paths and helpers shared by tests (conftest.py holds the fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"

# The plugin-shaped Application of charts/web for prod, as the standard writes it.
WEB_PROD_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web-prod, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://example.invalid/gitops
    path: charts/web
    plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: prod}]}
  destination: {server: https://kubernetes.default.svc, namespace: web-prod}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
"""


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def write_web_repo(root: Path, *, template: str, config: str) -> Path:
    """A repo with charts/web (env: prod in values/prod.yaml), apps/web-prod.yaml and its config."""
    chart = root / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("env: none\n")
    (chart / "values" / "prod.yaml").write_text("env: prod\n")
    (chart / "templates" / "cm.yaml").write_text(template)
    (root / "apps").mkdir()
    (root / "apps" / "web-prod.yaml").write_text(WEB_PROD_APP)
    (root / ".gitops-cmp.yaml").write_text(config)
    return root


def tgz(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar of `files` (member name -> bytes), as `helm package` writes a chart."""
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def write_chart(root: Path, *, template: str, values: str = "{}\n", config: str = "{}\n", name: str = "app") -> Path:
    """A one-template chart at root/chart with values/prod.yaml, and root/.gitops-cmp.yaml: a repo."""
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(template)
    (chart / "values" / "prod.yaml").write_text(values)
    (root / ".gitops-cmp.yaml").write_text(config)
    return chart


def golden_workspace(case: Path, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """(case.yaml, a repo to run it in): the case's files, over a copy of the example repo when the case
    says `repo: example`, with an empty .gitops-cmp.yaml unless the case brings one."""
    from cmp import yamlio

    spec = yamlio.load_one((case / "case.yaml").read_text(), "case.yaml")
    work = tmp_path / "repo"
    if spec.get("repo") == "example":
        shutil.copytree(EXAMPLE, work, symlinks=True)
    shutil.copytree(case, work, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("case.yaml", "expected*", "got*"))
    if not (work / ".gitops-cmp.yaml").exists():
        (work / ".gitops-cmp.yaml").write_text("{}\n")
    return spec, work

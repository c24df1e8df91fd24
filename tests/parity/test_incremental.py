"""Apps whose inputs git reports unchanged are reported unchanged without a render: the report is
the one `--render-all` gives, for each kind of change that could reach a render."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

CLUSTER = ["--kube-version", "1.30.2", "--api-versions", "monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor"]


def parity(repo: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "cmp", "parity", "--base", "main", "--format", "json", *CLUSTER,
                           *extra], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def statuses(report: dict) -> dict[str, str]:
    return {app["name"]: app["status"] for app in report["apps"]}


def without_timings(report: dict) -> list[dict]:
    return [{k: v for k, v in app.items() if k != "timings_ms"} for app in report["apps"]]


def rendered(report: dict) -> set[str]:
    """Apps that were rendered: a render records its timings, a reused verdict has none."""
    return {app["name"] for app in report["apps"] if app["timings_ms"]}


def change_template(repo: Path) -> None:
    path = repo / "charts" / "webapp" / "templates" / "service.yaml"
    path.write_text(path.read_text() + "  sessionAffinity: ClientIP\n")


def untracked_ignored_file(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.secret.yaml\n")
    (repo / "charts" / "monitoring" / "templates" / "extra.secret.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n")


def symlinked_template(repo: Path) -> None:
    (repo / "shared").mkdir()
    (repo / "shared" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n")


def change_values(repo: Path) -> None:
    path = repo / "charts" / "webapp" / "values" / "dev.yaml"
    path.write_text(path.read_text() + "\nreplicaCount: 7\n")


def change_application(repo: Path) -> None:
    path = repo / "apps" / "webapp" / "dev.yaml"
    path.write_text(path.read_text().replace("namespace: webapp-dev", "namespace: webapp-dev2"))


def remove_application(repo: Path) -> None:
    (repo / "apps" / "webapp" / "dev.yaml").unlink()  # its chart is unchanged: the base must still have it


def change_config(repo: Path) -> None:
    path = repo / ".gitops-cmp.yaml"
    path.write_text(path.read_text() + "\n# a comment is a change too\n")


@pytest.mark.parametrize("change", [change_template, untracked_ignored_file, change_values, change_application,
                                    remove_application, change_config])
def test_the_report_is_the_one_rendering_every_app_gives(git_repo: Path, change):
    change(git_repo)
    fast, full = parity(git_repo), parity(git_repo, "--render-all")
    assert statuses(fast) == statuses(full)
    assert without_timings(fast) == without_timings(full)
    assert rendered(full) == set(statuses(full))
    assert rendered(fast) < rendered(full) or change is change_config  # config: nothing is reused


def test_only_the_changed_chart_is_rendered(git_repo: Path):
    change_template(git_repo)
    report = parity(git_repo)
    assert rendered(report) == {"webapp-dev", "webapp-prod"}
    assert statuses(report)["monitoring-prod"] == "unchanged"
    assert statuses(report)["webapp-prod"] == "changed"


def test_a_chart_with_a_symlink_is_always_rendered(git_repo: Path, git):
    symlinked_template(git_repo)
    link = git_repo / "charts" / "monitoring" / "templates" / "shared.yaml"
    os.symlink("../../../shared/cm.yaml", link)
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "a shared template")
    (git_repo / "shared" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: changed}\n")
    report = parity(git_repo)
    assert "monitoring-prod" in rendered(report)
    assert statuses(report)["monitoring-prod"] == statuses(parity(git_repo, "--render-all"))["monitoring-prod"]


def test_out_renders_every_app(git_repo: Path, tmp_path: Path):
    report = parity(git_repo, "--out", str(tmp_path / "out"))
    assert rendered(report) == set(statuses(report))
    assert len(list((tmp_path / "out").iterdir())) == len(statuses(report))

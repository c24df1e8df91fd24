"""What parity leaves out of the base tree (charts and Application files git reports the same as the
working tree's) changes nothing: each test makes a change that a wrong shortcut would miss (a base
render reading the working tree's file, a base Application read as the head's) and checks the
report with `--render-all`, which renders both sides of every app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import ROOT

CLUSTER = ["--kube-version", "1.30.2", "--api-versions", "monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor"]
EXTRA_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"


def parity(repo: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "cmp", "parity", "--base", "main", "--format", "json", *CLUSTER,
                           *extra], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def app(report: dict, name: str) -> dict:
    return next(a for a in report["apps"] if a["name"] == name)


def test_an_ignored_file_in_an_unchanged_chart_is_not_in_the_base_render(git_repo: Path):
    (git_repo / ".gitignore").write_text("*.local.yaml\n")
    (git_repo / "charts" / "monitoring" / "templates" / "extra.local.yaml").write_text(EXTRA_CM)
    for extra in ((), ("--render-all",)):
        monitoring = app(parity(git_repo, *extra), "monitoring-prod")
        assert monitoring["status"] == "changed"
        assert [(c["resource"], c["change"]) for c in monitoring["changes"]] == [("v1/ConfigMap extra", "added")]


def test_a_changed_application_is_read_from_the_base(git_repo: Path):
    path = git_repo / "apps" / "webapp" / "dev.yaml"
    path.write_text(path.read_text().replace("value: dev", "value: prod"))
    for extra in ((), ("--render-all",)):
        report = parity(git_repo, *extra)
        assert app(report, "webapp-dev")["status"] == "changed"
        assert app(report, "webapp-prod")["status"] == "unchanged"


def test_an_application_removed_in_head_still_renders_its_base(git_repo: Path):
    (git_repo / "apps" / "monitoring" / "prod.yaml").unlink()
    monitoring = app(parity(git_repo, "--render-all"), "monitoring-prod")
    assert monitoring["status"] == "removed" and monitoring["changes"]


def shared_values_app(repo: Path, git) -> None:
    """webapp-extra: the webapp chart with a value file outside it, named through `..`."""
    (repo / "shared").mkdir()
    (repo / "shared" / "extra.yaml").write_text("containerPort: 8081\n")
    text = (repo / "apps" / "webapp" / "prod.yaml").read_text()
    text = text.replace("name: webapp-prod", "name: webapp-extra").replace("namespace: webapp-prod",
                                                                           "namespace: webapp-extra")
    text = text.replace("        - name: ENVIRONMENT\n          value: prod\n",
                        "        - name: ENVIRONMENT\n          value: prod\n"
                        "        - name: VALUE_FILES\n          value: ../../shared/extra.yaml\n")
    (repo / "apps" / "webapp" / "extra.yaml").write_text(text)
    git(repo.parent, "add", ".")
    git(repo.parent, "commit", "-q", "-m", "a shared value file")


def test_a_value_file_named_through_dotdot_is_read_as_it_is_at_the_base(git_repo: Path, git):
    shared_values_app(git_repo, git)
    assert app(parity(git_repo), "webapp-extra")["status"] == "unchanged"
    (git_repo / "shared" / "extra.yaml").write_text("containerPort: 8082\n")
    for extra in ((), ("--render-all",)):
        assert app(parity(git_repo, *extra), "webapp-extra")["status"] == "changed", extra


def test_an_applicationset_in_the_base_reads_the_whole_base_tree(git_repo: Path, git):
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: dirs}\nspec:\n"
            "  generators: [{git: {repoURL: 'https://github.com/org/gitops-repo.git', revision: HEAD,"
            " directories: [{path: 'charts/webapp'}]}}]\n"
            "  template:\n    metadata: {name: '{{path.basename}}-gen'}\n    spec:\n      project: default\n"
            "      source:\n        repoURL: https://github.com/org/gitops-repo\n        path: '{{path}}'\n"
            "        plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: dev}]}\n"
            "      destination: {server: https://kubernetes.default.svc, namespace: gen}\n"
            "      syncPolicy:\n        automated: {prune: true, selfHeal: true}\n"
            "        retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}\n")
    (git_repo / "apps" / "set.yaml").write_text(text)
    git(git_repo.parent, "add", ".")
    git(git_repo.parent, "commit", "-q", "-m", "an ApplicationSet")
    report = parity(git_repo, "--render-all")
    assert app(report, "webapp-gen")["status"] == "unchanged", report


def test_a_value_file_reached_through_a_linked_directory_is_read_as_it_is_at_the_base(git_repo: Path, git):
    shared_values_app(git_repo, git)
    os.symlink("shared", git_repo / "linked")
    path = git_repo / "apps" / "webapp" / "extra.yaml"
    path.write_text(path.read_text().replace("../../shared/extra.yaml", "../../linked/extra.yaml"))
    git(git_repo.parent, "add", ".")
    git(git_repo.parent, "commit", "-q", "-m", "through a link")
    (git_repo / "shared" / "extra.yaml").write_text("containerPort: 8082\n")  # git: linked/extra.yaml unchanged
    for extra in ((), ("--render-all",)):
        assert app(parity(git_repo, *extra), "webapp-extra")["status"] == "changed", extra

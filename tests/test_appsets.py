"""ApplicationSets: static generators expanded (check and parity see their Applications), the rest
reported as skipped with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmp import appdocs, appsets

TEMPLATE = """
  template:
    metadata: {name: 'webapp-{{ env }}'}
    spec:
      project: default
      source:
        repoURL: https://github.com/org/gitops-repo
        path: charts/webapp
        plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: '{{env}}'}]}
      destination: {server: https://kubernetes.default.svc, namespace: 'webapp-{{env}}'}
      syncPolicy:
        automated: {prune: true, selfHeal: true}
        retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
"""


def appset(generators: str, extra: str = "", template: str = TEMPLATE) -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: webapp}\nspec:\n"
            f"{extra}  generators: {generators}\n{template}")


@pytest.fixture
def repo(example_repo: Path) -> Path:
    for app in (example_repo / "apps" / "webapp").iterdir():
        app.unlink()
    return example_repo


def test_a_list_generator_is_expanded_and_parity_renders_its_apps(repo: Path, cli, monkeypatch):
    (repo / "apps" / "webapp" / "set.yaml").write_text(appset("[{list: {elements: [{env: dev}, {env: prod}]}}]"))
    docs = appdocs.scan(repo).docs
    assert {d.name for d in docs} >= {"webapp-dev", "webapp-prod"}
    prod = next(d for d in docs if d.name == "webapp-prod")
    assert prod.display == "apps/webapp/set.yaml"
    assert prod.doc["spec"]["source"]["plugin"]["env"] == [{"name": "ENVIRONMENT", "value": "prod"}]
    result = cli("parity", "--repo", str(repo), "--format", "json")
    apps = {a["name"]: a["status"] for a in json.loads(result.out)["apps"]}
    assert apps["webapp-dev"] == apps["webapp-prod"] == "added", result.out
    assert cli("check", str(repo)).code == 0


def test_generated_apps_are_checked_by_the_app_rules(repo: Path, cli):
    text = appset("[{list: {elements: [{env: prod}]}}]").replace("selfHeal: true", "selfHeal: false")
    (repo / "apps" / "webapp" / "set.yaml").write_text(text)
    result = cli("check", str(repo), "--format", "json")
    (finding,) = [f for f in json.loads(result.out)["findings"] if f["rule"] == "app-sync-policy"]
    assert finding["path"] == "apps/webapp/set.yaml" and "webapp-prod" in finding["message"]
    assert result.code == 1


def test_git_directories_of_this_repo(repo: Path):
    text = appset("[{git: {repoURL: 'https://github.com/org/gitops-repo.git', revision: HEAD,"
                  " directories: [{path: 'charts/*'}, {path: charts/monitoring, exclude: true}]}}]",
                  template=TEMPLATE.replace("'webapp-{{ env }}'", "'{{path.basename}}-dev'")
                  .replace("path: charts/webapp", "path: '{{path}}'"))
    (repo / "apps" / "webapp" / "set.yaml").write_text(text)
    names = {d.name: d.doc["spec"]["source"]["path"] for d in appdocs.scan(repo).docs}
    assert names.get("webapp-dev") == "charts/webapp"
    assert "monitoring-dev" not in names


def test_git_files_of_this_repo(repo: Path):
    (repo / "envs").mkdir()
    (repo / "envs" / "dev").mkdir()
    (repo / "envs" / "dev" / "config.yaml").write_text("env: dev\ncluster: {name: in-cluster}\n")
    (repo / "envs" / "prod").mkdir()
    (repo / "envs" / "prod" / "config.json").write_text('{"env": "prod", "cluster": {"name": "main"}}\n')
    text = appset("[{git: {repoURL: https://github.com/org/gitops-repo, revision: HEAD,"
                  " files: [{path: 'envs/*/config.*'}]}}]",
                  template=TEMPLATE.replace("'webapp-{{ env }}'", "'webapp-{{env}}-{{cluster.name}}-{{path[1]}}'"))
    (repo / "apps" / "webapp" / "set.yaml").write_text(text)
    names = {d.name for d in appdocs.scan(repo).docs}
    assert {"webapp-dev-in-cluster-dev", "webapp-prod-main-prod"} <= names


@pytest.mark.parametrize(("generators", "extra", "reason"), [
    ("[{clusters: {}}]", "", "the clusters generator depends on the clusters registered in Argo CD"),
    ("[{pullRequest: {github: {owner: o, repo: r}}}]", "", "the pullRequest generator depends on open pull requests"),
    ("[{matrix: {generators: [{list: {elements: [{env: a}]}}, {clusters: {}}]}}]", "", "matrix generators are not expanded"),
    ("[{list: {elements: [{env: dev}]}}]", "  goTemplate: true\n", "goTemplate: true"),
    ("[{git: {repoURL: https://github.com/other/repo, revision: HEAD, directories: [{path: '*'}]}}]", "",
     "git generator reads another repository"),
])
def test_what_cannot_be_expanded_is_skipped_with_the_reason(repo: Path, cli, generators: str, extra: str, reason: str):
    (repo / "apps" / "webapp" / "set.yaml").write_text(appset(generators, extra))
    parity = json.loads(cli("parity", "--repo", str(repo), "--format", "json").out)
    (skip,) = [s for s in parity["skipped"] if s["name"] == "ApplicationSet webapp"]
    assert reason in skip["reason"] and skip["source"] == "apps/webapp/set.yaml"
    check = cli("check", str(repo), "--format", "json")
    (warning,) = [f for f in json.loads(check.out)["findings"] if f["rule"] == "applicationset"]
    assert warning["severity"] == "warning" and reason in warning["message"]
    assert (warning["path"], warning["line"]) == ("apps/webapp/set.yaml", 1)


def test_fill_leaves_unknown_parameters_as_fasttemplate_does():
    assert appsets.fill({"a": "{{x}}-{{ y }}-{{}}"}, {"x": "1"}) == {"a": "1-{{ y }}-{{}}"}


def test_a_glob_cannot_leave_the_repository(repo: Path):
    text = appset("[{git: {repoURL: https://github.com/org/gitops-repo, revision: HEAD,"
                  " files: [{path: '../*/config.yaml'}]}}]")
    (repo / "apps" / "webapp" / "set.yaml").write_text(text)
    (skip,) = appdocs.scan(repo).skipped
    assert "leads outside the repository" in skip.reason


def test_the_number_of_generated_apps_is_bounded(repo: Path):
    elements = ", ".join(f"{{env: e{i}}}" for i in range(appsets.MAX_APPS + 1))
    (repo / "apps" / "webapp" / "set.yaml").write_text(appset(f"[{{list: {{elements: [{elements}]}}}}]"))
    (skip,) = appdocs.scan(repo).skipped
    assert f"more than {appsets.MAX_APPS}" in skip.reason

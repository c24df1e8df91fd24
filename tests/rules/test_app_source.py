"""app-source: namespace, source path, value files, plugin name, app-of-apps children."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support import EXAMPLE, ROOT

from cmp.application import PLUGIN_NAME
from cmp.config import RepoConfig
from cmp.findings import Finding
from cmp.rules import RULES, app_source

PLUGIN_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  source:
    path: charts/webapp
    plugin:
      name: gitops-helm-v1
      env:
        - name: ENVIRONMENT
          value: prod
  destination:
    namespace: web
"""
HELM_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: mon
spec:
  source:
    path: charts/monitoring
    helm:
      valueFiles:
        - values/prod.yaml
  destination:
    namespace: mon
"""
ROOT_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
spec:
  source:
    path: apps
    directory:
      recurse: true
      exclude: '{root.yaml,ignored/*}'
  destination:
    namespace: argocd
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE / "charts", root / "charts")
    (root / "apps").mkdir()
    return root


def check(repo: Path, **apps: str) -> list[Finding]:
    for name, text in apps.items():
        path = repo / "apps" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(app_source.check_repo(repo, RepoConfig()))


def messages(findings: list[Finding]) -> list[str]:
    return [f.message.split(": ", 1)[1] for f in findings]


@pytest.mark.parametrize(
    "apps",
    [
        pytest.param({"web": PLUGIN_APP}, id="plugin-shape"),
        pytest.param({"mon": HELM_APP}, id="helm-shape"),
        pytest.param({"root": ROOT_APP, "team/web": PLUGIN_APP}, id="app-of-apps"),
        pytest.param({"web": PLUGIN_APP.replace("          value: prod\n", "          value: prod\n"
                      "        - name: VALUE_FILES\n          value: values/dev.yaml\n")}, id="plugin-value-files"),
        pytest.param({"web": PLUGIN_APP.replace("      env:", "      parameters:\n        - name: valueFiles\n"
                      "          array: [values/dev.yaml]\n      env:")}, id="plugin-parameter"),
        pytest.param({"remote": HELM_APP.replace("    path: charts/monitoring\n", "    chart: nginx\n")}, id="remote-chart"),
        pytest.param({"mon": HELM_APP.replace("- values/prod.yaml", "- $values/prod.yaml")}, id="multi-source-ref"),
    ],
)
def test_noop(repo: Path, apps: dict[str, str]):
    assert check(repo, **apps) == []


@pytest.mark.parametrize(
    ("apps", "line", "message"),
    [
        pytest.param({"web": PLUGIN_APP.replace("    namespace: web\n", "    server: x\n")}, 13,
                     "no spec.destination.namespace", id="no-namespace"),
        pytest.param({"web": PLUGIN_APP.replace("charts/webapp", "charts/webap")}, 7,
                     "source path 'charts/webap' is not a directory in the repository", id="path-typo"),
        pytest.param({"web": PLUGIN_APP.replace("charts/webapp", "../outside")}, 7,
                     "source path '../outside' is not a directory", id="path-escape"),
        pytest.param({"web": PLUGIN_APP.replace("value: prod", "value: staging")}, 10,
                     "value file 'values/staging.yaml' does not exist (looked for charts/webapp/values/staging.yaml)",
                     id="no-env-values"),
        pytest.param({"mon": HELM_APP.replace("values/prod.yaml", "values/qa.yaml")}, 9,
                     "value file 'values/qa.yaml' does not exist", id="helm-value-file"),
        pytest.param({"mon": HELM_APP.replace("values/prod.yaml", "../../../etc/passwd")}, 9,
                     "value file '../../../etc/passwd' resolves outside the repository", id="value-file-escape"),
        pytest.param({"web": PLUGIN_APP.replace("gitops-helm-v1", "gitops-helm")}, 9,
                     f"plugin name 'gitops-helm' matches no declared plugin ({PLUGIN_NAME})", id="plugin-no-version"),
        pytest.param({"web": PLUGIN_APP.replace("      env:\n        - name: ENVIRONMENT\n          value: prod\n", "")},
                     8, "the plugin has no ENVIRONMENT env entry and no value files", id="plugin-no-env"),
        pytest.param({"root": ROOT_APP}, 7, "app-of-apps: no child Application under apps/", id="no-children"),
        pytest.param({"root": ROOT_APP, "ignored/web": PLUGIN_APP}, 7, "app-of-apps: no child Application",
                     id="children-excluded"),
        pytest.param({"root": ROOT_APP.replace("recurse: true", "recurse: false"), "team/web": PLUGIN_APP}, 7,
                     "app-of-apps: no child Application under apps/ (recurse: False", id="children-not-recursed"),
    ],
)
def test_flags(repo: Path, apps: dict[str, str], line: int, message: str):
    findings = check(repo, **apps)
    assert len(findings) == 1, findings
    assert findings[0].rule == "app-source" and findings[0].line == line
    assert message in findings[0].message


def test_plain_directory_source_without_manifests(repo: Path):
    (repo / "platform").mkdir()
    findings = check(repo, cfg=ROOT_APP.replace("path: apps", "path: platform"))
    assert messages(findings) == ["directory source platform/ holds no manifest; with prune: true Argo CD would"
                                  " delete everything the app deployed"]


def test_unreadable_application_file(repo: Path):
    findings = check(repo, bad="a: [\n")
    assert [(f.path, f.rule) for f in findings] == [("apps/bad.yaml", "app-source")]
    assert "cannot read Applications" in findings[0].message


def test_a_plugin_declared_in_the_repo(repo: Path):
    plugin = yaml.safe_dump({"apiVersion": "argoproj.io/v1alpha1", "kind": "ConfigManagementPlugin",
                             "metadata": {"name": "other"}, "spec": {"version": "v2"}})
    (repo / "platform").mkdir()
    (repo / "platform" / "cmp.yaml").write_text(yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cmp"}, "data": {"plugin.yaml": plugin}}))
    assert app_source.declared_plugins(repo) == {PLUGIN_NAME, "other-v2"}
    assert check(repo, web=PLUGIN_APP.replace("gitops-helm-v1", "other-v2")) == []


def test_plugin_name_matches_the_shipped_plugin_yaml():
    plugin = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert PLUGIN_NAME == f"{plugin['metadata']['name']}-{plugin['spec']['version']}"


def test_the_example_repo_passes():
    assert list(app_source.check_repo(EXAMPLE, RepoConfig())) == []


def test_registered_as_a_repo_check():
    assert RULES["app-source"].check_repo is app_source.check_repo


@pytest.mark.parametrize(("pattern", "expanded"), [("a", ["a"]), ("{a,b}/*", ["a/*", "b/*"]),
                                                   ("{a,b}{c,d}", ["ac", "ad", "bc", "bd"])])
def test_expand_braces(pattern, expanded):
    assert app_source.expand_braces(pattern) == expanded

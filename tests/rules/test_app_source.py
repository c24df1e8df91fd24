"""app-source: namespace, source path, value files, plugin name, app-of-apps children."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EXAMPLE, ROOT

from cmp.application import PLUGIN_NAME
from cmp.config import RepoConfig, normalize_repo_url
from cmp.findings import Finding
from cmp.appdocs import AppDoc
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
    # its env is that plugin's own business: renders and parity skip its apps, so check does too
    odd_env = PLUGIN_APP.replace("gitops-helm-v1", "other-v2").replace("value: prod", "value: 5")
    assert check(repo, web=odd_env) == []


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


INGRESS_APP = HELM_APP.replace("name: mon", "name: ingress").replace("    path: charts/monitoring\n", """\
    repoURL: https://github.com/kubernetes/ingress-nginx
    path: charts/ingress-nginx
""")


def test_an_app_from_another_repository_is_not_checked_against_this_one(repo: Path):
    root = ROOT_APP.replace("    path: apps\n", "    repoURL: https://github.com/org/gitops-repo\n    path: apps\n")
    assert check(repo, root=root.replace("root.yaml,", ""), ingress=INGRESS_APP) == []


def test_the_configs_repo_urls_name_this_repository(repo: Path):
    (repo / "apps" / "ingress.yaml").write_text(INGRESS_APP)
    config = RepoConfig(repo_urls=frozenset({normalize_repo_url("https://github.com/org/gitops-repo")}))
    assert list(app_source.check_repo(repo, config)) == []
    mine = RepoConfig(repo_urls=frozenset({normalize_repo_url("https://github.com/kubernetes/ingress-nginx")}))
    assert [f.message for f in app_source.check_repo(repo, mine)] == [
        "Application 'ingress': source path 'charts/ingress-nginx' is not a directory in the repository"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(("gitops-helm-v1", "[1]"), "plugin.name must be a string", id="plugin-name-list"),
        pytest.param(("gitops-helm-v1", "{a: b}"), "plugin.name must be a string", id="plugin-name-map"),
        pytest.param(("      env:\n        - name: ENVIRONMENT\n          value: prod\n", "      env: 5\n"),
                     "plugin.env must be a list", id="env-number"),
        pytest.param(("        - name: ENVIRONMENT\n", "        - 7\n        - name: ENVIRONMENT\n"),
                     "plugin.env entries must be mappings", id="env-entry-number"),
        pytest.param(("          value: prod\n", "          value: [prod]\n"),
                     "plugin env ENVIRONMENT must be a string", id="env-value-list"),
        pytest.param(("      env:", "      parameters: 5\n      env:"), "plugin.parameters must be a list",
                     id="parameters-number"),
        pytest.param(("      env:", "      parameters: [{name: valueFiles, array: 5}]\n      env:"),
                     "parameter valueFiles: array must be a list of strings", id="parameter-array-number"),
        pytest.param(("    namespace: web\n", "    namespace: [web]\n"), "no spec.destination.namespace",
                     id="namespace-list"),
        pytest.param(("    path: charts/webapp\n", "    path: [charts/webapp]\n"), "the source has no path",
                     id="path-list"),
        pytest.param(("charts/webapp", "\"charts/web\\0app\""), "source path 'charts/web\\x00app' is not a directory",
                     id="path-nul"),
        pytest.param(("  source:\n", "  sources: [1]\n  source:\n"), "spec.sources[0] is not a mapping",
                     id="sources-item-number"),
        pytest.param(("  source:\n", "  sources: 5\n  source:\n"), "spec.sources must be a list", id="sources-number"),
        pytest.param(("  source:\n", "  source: null\n  elsewhere:\n"), "no spec.source mapping", id="no-source"),
    ],
)
def test_odd_shapes_are_findings_not_exceptions(repo: Path, edit: tuple[str, str], message: str):
    old, new = edit
    assert old in PLUGIN_APP
    findings = check(repo, web=PLUGIN_APP.replace(old, new, 1))
    assert message in " | ".join(f.message for f in findings), findings
    assert all(f.rule == "app-source" for f in findings)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(("      valueFiles:\n        - values/prod.yaml\n", "      valueFiles: values/prod.yaml\n"),
                     "helm.valueFiles must be a list of strings", id="value-files-string"),
        pytest.param(("        - values/prod.yaml\n", "        - [values/prod.yaml]\n"),
                     "helm.valueFiles must be a list of strings", id="value-file-list"),
    ],
)
def test_odd_helm_shapes_are_findings(repo: Path, edit: tuple[str, str], message: str):
    findings = check(repo, mon=HELM_APP.replace(*edit))
    assert [message in f.message for f in findings] == [True], findings


def test_odd_children_and_plugin_declarations_do_not_break_the_check(repo: Path):
    (repo / "plugin.yaml").write_text("kind: ConfigManagementPlugin\nmetadata: [1]\nspec: [1]\n")
    (repo / "platform").mkdir()
    (repo / "platform" / "cm.yaml").write_text("kind: ConfigMap\ndata: [1]\n")
    child = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: [1]\n"
    findings = check(repo, root=ROOT_APP.replace("recurse: true", "recurse: true\n      include: [1]"),
                     **{"team/odd": child})
    assert findings and all(f.rule == "app-source" for f in findings)


SHAPES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                      max_leaves=12)


def odd(valid: object) -> st.SearchStrategy[object]:
    """The valid value, or any shape at all."""
    return st.one_of(st.just(valid), SHAPES)


def mapping(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.fixed_dictionaries(fields), SHAPES)


SOURCE = mapping(repoURL=odd("https://github.com/org/gitops-repo"), path=odd("charts/webapp"),
                 plugin=mapping(name=odd(PLUGIN_NAME), env=odd([{"name": "ENVIRONMENT", "value": "prod"}]),
                                parameters=odd([{"name": "valueFiles", "array": ["values/dev.yaml"]}])),
                 helm=mapping(valueFiles=odd(["values/prod.yaml"])),
                 directory=mapping(include=odd("*.yaml"), recurse=odd(True)))
APPLICATIONS = st.fixed_dictionaries({
    "metadata": odd({"name": "web"}),
    "spec": mapping(source=SOURCE, sources=st.one_of(st.none(), st.lists(SOURCE, max_size=2), SHAPES),
                    destination=mapping(namespace=odd("web"))),
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=APPLICATIONS)
def test_any_shape_is_findings_never_an_exception(repo: Path, doc):
    app = AppDoc("apps/web.yaml", yaml.safe_dump(doc), doc)
    for finding in app_source.check_application(app, repo.resolve(), {PLUGIN_NAME}, frozenset()):
        assert finding.rule == "app-source"


def with_parameters(parameters: str) -> str:
    return PLUGIN_APP.replace("      env:", f"      parameters: {parameters}\n      env:")


# Each fault a render refuses is a finding at the field that holds it (the messages, next to the
# render's: tests/test_valuefiles.py). Line 10 is `parameters:`, 11 `env:`.
@pytest.mark.parametrize(
    ("parameters", "found"),
    [
        pytest.param("[{name: valueFiles}]", [(10, "plugin.parameters: valueFiles must be an array or a string")],
                     id="no-array-or-string"),
        pytest.param("[7, {name: valueFiles, array: [values/dev.yaml]}]",
                     [(10, "plugin.parameters entries must be mappings")], id="non-mapping"),
        pytest.param("[{name: valueFiles, array: ['', values/qa.yaml]}]",
                     [(10, "plugin.parameters: valueFiles array entry 1 is blank"),
                      (11, "value file 'values/qa.yaml' does not exist (looked for charts/webapp/values/qa.yaml)")],
                     id="blank-entry-and-the-next-is-still-checked"),
        pytest.param("[{name: valueFiles, array: [], string: values/dev.yaml}]",
                     [(10, "plugin.parameters: valueFiles has both an array and a string: give only one")],
                     id="empty-array-and-a-string"),
        pytest.param('[{name: valueFiles, array: ["a\\0b"]}]',
                     [(10, "plugin.parameters: 'a\\x00b' is not a usable path (NUL byte)")], id="nul-byte"),
        pytest.param("{}", [(10, "plugin.parameters must be a list, found a mapping")], id="empty-mapping"),
    ],
)
def test_parameter_faults_are_located(repo: Path, parameters: str, found: list[tuple[int, str]]):
    findings = check(repo, web=with_parameters(parameters))
    located = [(f.line, f.column, message) for f, message in zip(findings, messages(findings))]
    assert located == [(line, 7, message) for line, message in found]


VALUE_FILES = "          value: prod\n        - name: VALUE_FILES\n          value: "


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(("          value: prod\n", VALUE_FILES + '"values/dev.yaml,a\\0b"\n'),
                     "plugin env VALUE_FILES: 'a\\x00b' is not a usable path (NUL byte)", id="value-files-nul"),
        pytest.param(("value: prod", "value: x/../prod"), "plugin env ENVIRONMENT: invalid environment name"
                     " 'x/../prod': use letters, digits, '.', '_' or '-'", id="environment-dotdot"),
        pytest.param(("        - name: ENVIRONMENT\n          value: prod\n", "        - name: VALUE_FILES\n"
                      "          value: values/p..d.yaml\n"), "plugin value files: value file 'values/p..d.yaml':"
                     " invalid environment name 'p..d': use letters, digits, '.', '_' or '-'", id="env-off-value-files"),
    ],
)
def test_env_faults_a_render_refuses_are_flagged_at_env(repo: Path, edit: tuple[str, str], message: str):
    assert edit[0] in PLUGIN_APP
    findings = check(repo, web=PLUGIN_APP.replace(*edit))
    assert [(f.line, m) for f, m in zip(findings, messages(findings))][0] == (10, message)

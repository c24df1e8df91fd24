"""`render --app` renders exactly what `generate` emits for the same Application."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import write_chart

APPS = [
    ("apps/webapp/prod.yaml", "charts/webapp", {"ARGOCD_APP_NAME": "webapp-prod", "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"}),
    ("apps/webapp/dev.yaml", "charts/webapp", {"ARGOCD_APP_NAME": "argocd_webapp-dev", "ARGOCD_APP_NAMESPACE": "webapp-dev", "ARGOCD_ENV_ENVIRONMENT": "dev"}),
    # The seed's native helm.valueFiles shape renders as the plugin would with ENVIRONMENT=prod.
    ("apps/monitoring/prod.yaml", "charts/monitoring", {"ARGOCD_APP_NAME": "monitoring-prod", "ARGOCD_APP_NAMESPACE": "monitoring-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"}),
]
CLUSTER = {"KUBE_VERSION": "1.30.2", "KUBE_API_VERSIONS": "monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor,v1"}


@pytest.mark.parametrize(("app", "path", "env"), APPS, ids=[a[0] for a in APPS])
def test_render_app_is_byte_identical_to_generate(example_repo: Path, cli, argocd_env, monkeypatch, app, path, env):
    rendered = cli("render", "--app", str(example_repo / app), "--kube-version", CLUSTER["KUBE_VERSION"],
                   "--api-versions", CLUSTER["KUBE_API_VERSIONS"])
    assert rendered.code == 0, rendered.err

    argocd_env(**env, **CLUSTER, ARGOCD_APP_PARAMETERS="null", ARGOCD_APP_SOURCE_PATH=path)
    monkeypatch.chdir(example_repo / path)
    generated = cli("generate")

    assert generated.code == 0, generated.err
    assert rendered.out == generated.out
    assert rendered.out.startswith("---\n# Source: ")


def test_render_app_with_extra_value_files_matches_generate(example_repo: Path, cli, argocd_env, monkeypatch):
    chart = example_repo / "charts" / "webapp"
    (chart / "values" / "canary.yaml").write_text("replicaCount: 5\nautoscaling: {enabled: false}\n")
    app = example_repo / "apps" / "webapp" / "canary.yaml"
    app.write_text((example_repo / "apps" / "webapp" / "prod.yaml").read_text().replace(
        "          value: prod\n",
        "          value: prod\n      parameters:\n        - name: valueFiles\n          array: [values/canary.yaml]\n"))
    rendered = cli("render", "--app", str(app))
    argocd_env(ARGOCD_APP_NAME="webapp-prod", ARGOCD_APP_NAMESPACE="webapp-prod", ARGOCD_ENV_ENVIRONMENT="prod",
               ARGOCD_APP_PARAMETERS='[{"name":"valueFiles","array":["values/canary.yaml"]}]')
    monkeypatch.chdir(chart)
    generated = cli("generate")
    assert rendered.code == generated.code == 0, rendered.err + generated.err
    assert "\"replicas\": 5" in rendered.out
    assert rendered.out == generated.out


def test_render_is_identical_across_runs(cli):
    from support import EXAMPLE

    first = cli("render", str(EXAMPLE / "charts" / "webapp"), "--env", "prod")
    second = cli("render", str(EXAMPLE / "charts" / "webapp"), "--env", "prod")
    assert first.out == second.out and first.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["render"], "render needs CHART_DIR and --env ENV", id="nothing"),
        pytest.param(["render", "charts/webapp"], "render needs CHART_DIR and --env ENV", id="no-env"),
        pytest.param(["render", "--app", "apps/webapp/prod.yaml", "--env", "dev"], "--app takes the chart", id="app-and-env"),
        pytest.param(["render", "--app", "apps/app-of-apps.yaml"], "cannot be rendered: neither a gitops-helm plugin source", id="directory-app"),
        pytest.param(["render", "--app", "charts/webapp/values.yaml"], "expected exactly one Argo CD Application, found 0", id="not-an-app"),
        pytest.param(["render", "charts/webapp", "--env", "staging"], "environment 'staging' is not one of dev, prod", id="unknown-env"),
        pytest.param(["render", "charts/webapp", "--env", "prod", "--values", "/etc/hostname"], "value file path leads outside the repository", id="values-outside"),
        pytest.param(["render", "charts/webapp", "--env", "prod", "--values", "../../outside.yaml"], "value file path leads outside the repository", id="dotdot-escape"),
        pytest.param(["render", "charts/webapp", "--env", "prod", "--kube-version", "banana"], "--kube-version: 'banana' is not a Kubernetes version", id="kube-version"),
    ],
)
def test_usage_and_input_errors(example_repo: Path, cli, monkeypatch, argv, message):
    monkeypatch.chdir(example_repo)
    (example_repo.parent / "outside.yaml").write_text("a: 1\n")
    result = cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_missing_chart_outside_any_repo_is_named_by_its_path(tmp_path: Path, cli):
    # outside a repo the chart is its own root: the message used to name it "."
    missing = tmp_path / "nope"
    result = cli("render", str(missing), "--env", "prod")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"gitops-cmp: error: {missing}: chart directory not found\n"


def test_a_blocked_render_says_why_first_and_logs_last(example_repo: Path, cli, argocd_env, monkeypatch):
    """Argo CD shows stderr as the app's error: the reason leads, the JSON log line does not split it."""
    prod = example_repo / "charts" / "webapp" / "values" / "prod.yaml"
    prod.write_text(prod.read_text().replace("tag: ", "tag: latest # was ", 1))
    argocd_env(ARGOCD_APP_NAME="webapp-prod", ARGOCD_APP_NAMESPACE="webapp-prod", ARGOCD_ENV_ENVIRONMENT="prod",
               ARGOCD_APP_PARAMETERS="null", ARGOCD_APP_SOURCE_PATH="charts/webapp")
    monkeypatch.chdir(example_repo / "charts" / "webapp")
    result = cli("--log-format", "json", "generate")
    lines = result.err.splitlines()
    assert result.code == 1 and result.out == ""
    assert lines[0] == "gitops-cmp: error: 1 policy violation(s); nothing was emitted"
    assert lines[1].startswith("charts/webapp/templates/deployment.yaml: [error] ") and "(pinned-images)" in lines[1]
    assert lines[2].startswith("{") and len(lines) == 3


def test_every_missing_dependency_is_named_by_the_render(tmp_path: Path, cli):
    """The pipeline's chart is loaded from memory: its dependency check names all absent subcharts too."""
    chart = write_chart(tmp_path, template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" + "".join(
        f"  - {{name: {n}, version: 1.x.x, repository: oci://registry.example/charts}}\n" for n in ("redis", "common")))
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 3 and result.out == ""
    assert "2 of 2 dependencies not vendored" in result.err
    assert "'redis' (oci://registry.example/charts, version 1.x.x) is missing" in result.err
    assert "'common' (oci://registry.example/charts, version 1.x.x) is missing" in result.err


def test_a_vendored_dependency_outside_the_constraint_renders(tmp_path: Path, cli):
    chart = write_chart(tmp_path, template="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
                                      "  - {name: redis, version: 2.x.x, repository: oci://registry.example/charts}\n")
    sub = chart / "charts" / "redis"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: redis\nversion: 1.0.0\n")
    (sub / "templates" / "sa.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: redis}\n")
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 0, result.err
    assert "ServiceAccount" in result.out and "ConfigMap" in result.out

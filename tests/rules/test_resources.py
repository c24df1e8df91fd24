"""container-resources: in strict environments every container sets CPU and memory requests and limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmp.rules import RULES, resources

FULL = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def deployment(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec: dict = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
            "spec": {"template": {"spec": spec}}}


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(deployment({"name": "a", "resources": FULL}), id="complete"),
        pytest.param({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}, id="no-pod"),
        pytest.param({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "resources": FULL}],
                      "ephemeralContainers": [{"name": "debug"}]}}, id="ephemeral-skipped"),
        pytest.param({"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {
            "spec": {"containers": [{"name": "a", "resources": FULL}]}}}}}}, id="cronjob"),
        pytest.param(deployment({"name": "a", "resources": {**FULL, "limits": {"cpu": 1, "memory": "1Gi"}}}),
                     id="numeric-cpu"),
    ],
)
def test_noop(obj):
    assert list(resources.containers_missing(obj)) == []


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(deployment({"name": "a"}), [("/spec/template/spec/containers/0/resources",
                                                  ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"])],
                     id="none"),
        pytest.param(deployment({"name": "a", "resources": {"requests": FULL["requests"]}}),
                     [("/spec/template/spec/containers/0/resources", ["limits.cpu", "limits.memory"])], id="requests-only"),
        pytest.param(deployment({"name": "a", "resources": {**FULL, "limits": {"memory": "1Gi", "cpu": ""}}}),
                     [("/spec/template/spec/containers/0/resources", ["limits.cpu"])], id="empty-cpu"),
        pytest.param(deployment({"name": "a", "resources": FULL}, init=({"name": "i"},)),
                     [("/spec/template/spec/initContainers/0/resources",
                       ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"])], id="init-container"),
        pytest.param({"apiVersion": "batch/v1", "kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {
            "spec": {"containers": [{"name": "a", "resources": {"limits": FULL["limits"]}}]}}}}}},
                     [("/spec/jobTemplate/spec/template/spec/containers/0/resources", ["requests.cpu", "requests.memory"])],
                     id="cronjob"),
    ],
)
def test_flags(obj, expected):
    assert list(resources.containers_missing(obj)) == expected


CHART_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example/web:1.0.0
          {{- with .Values.resources }}
          resources: {{- toYaml . | nindent 12 }}
          {{- end }}
"""


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    (tmp_path / ".gitops-cmp.yaml").write_text("strictEnvironments: [prod]\n")
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "templates" / "deploy.yaml").write_text(CHART_DEPLOYMENT)
    (chart / "values" / "prod.yaml").write_text("resources:\n  requests: {cpu: 100m, memory: 64Mi}\n")
    (chart / "values" / "dev.yaml").write_text("{}\n")
    (chart / "values" / "full.yaml").write_text(
        "resources:\n  requests: {cpu: 100m, memory: 64Mi}\n  limits: {cpu: 200m, memory: 128Mi}\n")
    return chart


def test_blocks_the_render_in_a_strict_environment(chart: Path, cli):
    result = cli("render", str(chart), "--env", "prod")
    assert result.code == 1
    assert result.out == ""
    assert ("chart/templates/deploy.yaml: [error] apps/v1/Deployment web /spec/template/spec/containers/0/resources:"
            " container sets no limits.cpu, limits.memory in strict environment 'prod'; set CPU and memory requests"
            " and limits in values/prod.yaml (container-resources)") in result.err


def test_dev_may_leave_them_out(chart: Path, cli):
    result = cli("render", str(chart), "--env", "dev")
    assert result.code == 0, result.err
    assert "\"kind\": \"Deployment\"" in result.out


def test_complete_resources_render_in_prod(chart: Path, cli):
    result = cli("render", str(chart), "--env", "prod", "--values", str(chart / "values" / "full.yaml"))
    assert result.code == 0, result.err


def test_the_example_prod_apps_pass(cli):
    from support import EXAMPLE

    assert cli("render", "--app", str(EXAMPLE / "apps" / "webapp" / "prod.yaml")).code == 0


def test_registered_as_an_output_rule():
    assert RULES["container-resources"].check_output is resources.check_output


@pytest.mark.parametrize("spec", [{"jobTemplate": [1]}, {"jobTemplate": {"spec": {"template": "x"}}}, [1], None])
def test_odd_cronjob_shapes_are_not_workloads_and_never_crash(spec):
    from cmp.rules.pinned_images import containers_images
    from cmp.rules.resources import containers_missing

    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": spec}
    assert list(containers_images(obj)) == [] and list(containers_missing(obj)) == []

"""Class 6, environment dodges: a render is judged as the environment whose values it uses, or it fails.

The chart's image is unpinned: prod (a strict environment) refuses it, dev accepts it. The attack
renders prod's values while being judged as another environment ('' or dev), so prod's strict rules
are skipped and the unpinned image ships to prod. Every spelling of prod's values file must either
be judged as prod (exit 1, the pinned-images finding) or be refused (exit 2), never emitted.
"""

from __future__ import annotations

import json

import pytest
from security.attack import HostileRepo

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "nginx:{{ .Values.tag }}"
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
"""


@pytest.fixture
def chart(hostile_repo: HostileRepo):
    hostile_repo.chart("web", templates={"deploy.yaml": DEPLOYMENT},
                       values={"prod": "tag: latest\nreplicas: 3\n", "dev": "tag: latest\n"})
    hostile_repo.write("charts/web/shared.yaml", "{}\n")
    hostile_repo.symlink("charts/web/prod-link.yaml", "values/prod.yaml")
    hostile_repo.symlink("charts/web/v", "values")
    return hostile_repo.path("charts/web")


def _generate(gitops_cmp, chart, environment: str, value_files: str = "", parameters: object = None):
    env = {"ARGOCD_APP_NAME": "web", "ARGOCD_APP_NAMESPACE": "web", "ARGOCD_APP_SOURCE_PATH": "charts/web",
           "ARGOCD_ENV_ENVIRONMENT": environment}
    if value_files:
        env["ARGOCD_ENV_VALUE_FILES"] = value_files
    if parameters is not None:
        env["ARGOCD_APP_PARAMETERS"] = json.dumps(parameters)
    return gitops_cmp("generate", cwd=chart, env=env)


SPELLINGS = ["values/prod.yaml", "./values/prod.yaml", "values//prod.yaml", "values/./prod.yaml",
             "values/../values/prod.yaml", "../web/values/prod.yaml", "prod-link.yaml", "v/prod.yaml",
             "shared.yaml,values/../values/prod.yaml"]


def _judged_as_prod_or_refused(result) -> None:
    assert result.out == "", "prod's values were emitted without prod's rules"
    assert result.code in (1, 2), result.err
    if result.code == 1:
        assert "(pinned-images)" in result.err and "strict environment" in result.err, result.err
    else:
        assert "environment 'prod'" in result.err, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_empty_environment_with_prods_values_is_judged_as_prod(chart, gitops_cmp, spelling: str):
    _judged_as_prod_or_refused(_generate(gitops_cmp, chart, "", value_files=spelling))


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_another_environment_with_prods_values_is_refused(chart, gitops_cmp, spelling: str):
    result = _generate(gitops_cmp, chart, "dev", value_files=spelling)
    assert (result.code, result.out) == (2, ""), result.err
    assert "environment 'prod'" in result.err and "judged" in result.err, result.err


def test_the_value_files_parameter_is_held_to_the_same(chart, gitops_cmp):
    result = _generate(gitops_cmp, chart, "", parameters=[{"name": "valueFiles", "array": ["v/prod.yaml"]}])
    _judged_as_prod_or_refused(result)


def test_render_with_another_envs_values_file_is_refused(chart, cli):
    result = cli("render", str(chart), "--env", "dev", "--values", str(chart / "values" / "prod.yaml"))
    assert (result.code, result.out) == (2, ""), result.err
    assert "environment 'prod'" in result.err


def test_an_env_file_that_is_a_link_to_another_envs_file_is_refused(hostile_repo, cli):
    chart = hostile_repo.chart("web", templates={"deploy.yaml": DEPLOYMENT}, values={"prod": "tag: latest\n"})
    hostile_repo.symlink("charts/web/values/dev.yaml", "prod.yaml")
    result = cli("render", str(chart), "--env", "dev")
    assert (result.code, result.out) == (2, ""), result.err
    assert "environment 'prod'" in result.err


def test_the_dev_render_itself_still_passes(chart, gitops_cmp):
    """The control: dev's own values, judged as dev, are fine (an unpinned image is allowed there)."""
    result = _generate(gitops_cmp, chart, "dev", value_files="shared.yaml")
    assert result.code == 0 and "nginx:latest" in result.out, result.err


def test_an_environment_named_in_the_config_counts_as_one(chart, hostile_repo, gitops_cmp):
    hostile_repo.config("environments: [dev, prod, staging]\nstrictEnvironments: [prod]\n")
    hostile_repo.write("charts/web/values/staging.yaml", "tag: latest\n")
    result = _generate(gitops_cmp, chart, "dev", value_files="v/staging.yaml")
    assert (result.code, result.out) == (2, ""), result.err
    assert "environment 'staging'" in result.err


def test_an_overlay_in_values_that_is_no_environment_still_applies(chart, hostile_repo, gitops_cmp):
    """`values/canary.yaml` over prod: canary has no rules of its own, so prod judges it (exit 1 here:
    prod refuses the unpinned image, which is the point), and dev may use it too."""
    hostile_repo.write("charts/web/values/canary.yaml", "replicas: 1\n")
    assert _generate(gitops_cmp, chart, "prod", value_files="values/canary.yaml").code == 1
    assert _generate(gitops_cmp, chart, "dev", value_files="values/canary.yaml").code == 0

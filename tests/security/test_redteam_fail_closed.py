"""Red-team attacks that already fail closed and that no other test here covers (issue 12, 13): the
value files an Application names (paths out of the checkout, into .git/, into another app's
checkout, through a link), and a `.gitops-cmp.yaml` that is no mapping or whose `allow` the platform
does not let the repo use."""

from __future__ import annotations

import json

import pytest
from security.attack import assert_no_leak, generate_env

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"


@pytest.fixture
def sibling(tmp_path, planted):
    """Another app's checkout beside this one (Argo CD unpacks each repo in its own directory)."""
    secret = planted()
    other = tmp_path / "other-app" / "charts" / "x" / "values"
    other.mkdir(parents=True)
    (other / "prod.yaml").write_text(f"password: {secret}\n")
    return secret


@pytest.mark.parametrize("named", ["/etc/passwd", "/proc/self/environ", ".git/config", "../../.git/config",
                                   "../../../other-app/charts/x/values/prod.yaml", "values/../../../../other-app/charts/x/values/prod.yaml",
                                   "link/prod.yaml"])
def test_a_value_file_the_application_names_outside_the_checkout_is_refused(hostile_repo, gitops_cmp, sibling, named):
    chart = hostile_repo.chart("web")
    hostile_repo.write(".git/config", f"[http]\n  extraheader = AUTHORIZATION: basic {sibling}\n")
    hostile_repo.symlink("charts/web/link", "../../../other-app/charts/x/values")
    env = generate_env("web", ARGOCD_ENV_ENVIRONMENT="dev", ARGOCD_ENV_VALUE_FILES=named,
                       ARGOCD_APP_SOURCE_PATH="charts/web", GITOPS_CMP_WORKER="off")
    result = gitops_cmp("generate", cwd=chart, env=env)
    assert result.code == 2 and result.out == "", result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1, result.err
    assert_no_leak([sibling], result.out, result.err)


@pytest.mark.parametrize("parameters", [[{"name": "valueFiles", "array": ["/etc/passwd"]}],
                                        [{"name": "valueFiles", "string": "values/dev.yaml,../../../other-app/charts/x/values/prod.yaml"}]])
def test_the_valuefiles_parameter_cannot_name_a_file_outside_the_checkout(hostile_repo, gitops_cmp, sibling, parameters):
    chart = hostile_repo.chart("web")
    env = generate_env("web", ARGOCD_ENV_ENVIRONMENT="dev", ARGOCD_APP_PARAMETERS=json.dumps(parameters),
                       ARGOCD_APP_SOURCE_PATH="charts/web", GITOPS_CMP_WORKER="off")
    result = gitops_cmp("generate", cwd=chart, env=env)
    assert result.code == 2 and result.out == "", result.err
    assert_no_leak([sibling], result.out, result.err)


@pytest.mark.parametrize("text", ["- allow: everything\n", "just a string\n", "42\n", "!!binary aGk=\n"])
def test_a_repo_config_that_is_not_a_mapping_is_refused(hostile_repo, cli, text):
    hostile_repo.config(text)
    chart = hostile_repo.chart("web")
    result = cli("render", str(chart), "--env", "dev")
    assert result.code == 2 and result.out == "", result.err


def test_a_repo_allow_glob_for_everything_counts_for_nothing_under_the_platform(hostile_repo, cli, tmp_path, planted):
    secret = planted()
    platform = tmp_path / "platform.yaml"
    platform.write_text("repoMayAllow: []\n")
    hostile_repo.config("allow:\n  - {path: '**', rule: secret-value, reason: x}\n  - {path: '*', rule: secret-value, reason: x}\n"
                        "strictEnvironments: []\nenvConditionalMode: warn\n")
    chart = hostile_repo.chart("web", templates={"s.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"
                                                 f"data: {{DB_PASSWORD: {secret}}}\n"})
    result = cli("render", str(chart), "--env", "prod", "--platform-config", str(platform))
    assert result.code == 1 and result.out == "" and "secret-value" in result.err, result.err
    assert_no_leak([secret], result.err)

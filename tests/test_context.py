"""The Argo CD environment -> RenderRequest, from plain dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmp.context import from_argocd_env, parse_api_versions, parse_kube_version, release_name
from cmp.errors import InputError

BASE = {"ARGOCD_APP_NAME": "webapp-prod", "ARGOCD_APP_NAMESPACE": "webapp-prod", "ARGOCD_ENV_ENVIRONMENT": "prod"}


def request(tmp_path: Path, **env: str):
    app_dir = tmp_path / "repo" / "charts" / "webapp"
    app_dir.mkdir(parents=True, exist_ok=True)
    return from_argocd_env({**BASE, "ARGOCD_APP_SOURCE_PATH": "charts/webapp", **env}, app_dir)


def test_full_environment(tmp_path: Path):
    req = request(tmp_path, ARGOCD_APP_NAME="apps_webapp-prod", KUBE_VERSION="1.30.2",
                  KUBE_API_VERSIONS="apps/v1,apps/v1/Deployment,v1,v1/Pod",
                  ARGOCD_ENV_VALUE_FILES="values/a.yaml, values/b.yaml",
                  ARGOCD_APP_PARAMETERS='[{"name":"valueFiles","array":["values/c.yaml"]},{"name":"other","string":"x"}]')
    app_dir = tmp_path / "repo" / "charts" / "webapp"
    assert req.release == "webapp-prod"
    assert req.namespace == "webapp-prod"
    assert req.env == "prod"
    assert req.repo_root == (tmp_path / "repo").resolve()
    assert req.kube_version == "1.30.2"
    assert req.api_versions == ("apps/v1", "apps/v1/Deployment", "v1", "v1/Pod")
    assert req.value_files == tuple(app_dir / f"values/{n}.yaml" for n in "abc")


@pytest.mark.parametrize("params", ["null", "", "[]"])
def test_no_parameters(tmp_path: Path, params: str):
    assert request(tmp_path, ARGOCD_APP_PARAMETERS=params).value_files == ()


def test_value_files_parameter_as_string(tmp_path: Path):
    req = request(tmp_path, ARGOCD_APP_PARAMETERS='[{"name":"valueFiles","string":"values/a.yaml,values/b.yaml"}]')
    assert [p.name for p in req.value_files] == ["a.yaml", "b.yaml"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"ARGOCD_APP_NAME": ""}, "ARGOCD_APP_NAME is not set", id="no-app-name"),
        pytest.param({"ARGOCD_APP_NAMESPACE": ""}, "ARGOCD_APP_NAMESPACE is not set", id="no-namespace"),
        pytest.param({"ARGOCD_ENV_ENVIRONMENT": ""}, "ARGOCD_ENV_ENVIRONMENT is empty and no value files", id="no-env"),
        pytest.param({"ARGOCD_ENV_ENVIRONMENT": "../prod"}, "invalid environment name '../prod'", id="env-path"),
        pytest.param({"ARGOCD_ENV_ENVIRONMENT": "prod;rm -rf /"}, "invalid environment name", id="env-shell"),
        pytest.param({"ARGOCD_ENV_ENVIRONMENT": "prod/x"}, "invalid environment name", id="env-separator"),
        pytest.param({"ARGOCD_APP_PARAMETERS": "[{"}, "ARGOCD_APP_PARAMETERS: not valid JSON", id="bad-json"),
        pytest.param({"ARGOCD_APP_PARAMETERS": '{"name":"x"}'}, "expected a JSON array", id="not-array"),
        pytest.param({"ARGOCD_APP_PARAMETERS": '[{"name":"valueFiles","map":{}}]'}, "valueFiles must be an array or a string", id="bad-param"),
        pytest.param({"KUBE_VERSION": "latest"}, "KUBE_VERSION: 'latest' is not a Kubernetes version", id="kube-version"),
        pytest.param({"KUBE_API_VERSIONS": "apps/v1,<script>"}, "KUBE_API_VERSIONS: '<script>' is not an API version", id="api-versions"),
    ],
)
def test_bad_environment_is_an_input_error(tmp_path: Path, env: dict[str, str], message: str):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        request(tmp_path, **env)


def test_empty_env_is_fine_with_value_files(tmp_path: Path):
    req = request(tmp_path, ARGOCD_ENV_ENVIRONMENT="", ARGOCD_ENV_VALUE_FILES="config/only.yaml")
    assert req.env == "" and len(req.value_files) == 1


def test_without_environment_the_env_is_read_off_the_value_files_in_order(tmp_path: Path):
    # Otherwise an empty ENVIRONMENT with VALUE_FILES=values/prod.yaml would skip prod's rules.
    req = request(tmp_path, ARGOCD_ENV_ENVIRONMENT="", ARGOCD_ENV_VALUE_FILES="values/common.yaml,values/prod.yaml,extra.yaml")
    assert req.env == "prod"
    assert not req.env_file
    assert [p.name for p in req.value_files] == ["common.yaml", "prod.yaml", "extra.yaml"]


def test_nul_bytes_in_value_file_names_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="not a usable path"):
        request(tmp_path, ARGOCD_APP_PARAMETERS='[{"name":"valueFiles","array":["a\\u0000b"]}]')


@pytest.mark.parametrize(("name", "release"), [("webapp-prod", "webapp-prod"), ("team-a_webapp-prod", "webapp-prod")])
def test_release_name_drops_the_namespace_prefix(name: str, release: str):
    assert release_name(name) == release


@pytest.mark.parametrize("value", ["1.30.2", "v1.30.2", "1.30", "1.30.2+k3s1", "v1.29.0-eks-1234"])
def test_kube_versions_argo_cd_sends(value: str):
    assert parse_kube_version(value, "KUBE_VERSION") == value


def test_api_versions_include_core_and_kinds():
    assert parse_api_versions("v1,v1/Pod,apps/v1,monitoring.coreos.com/v1/ServiceMonitor", "X") == (
        "v1", "v1/Pod", "apps/v1", "monitoring.coreos.com/v1/ServiceMonitor")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"ARGOCD_APP_PARAMETERS": '[{"name":"valueFiles"}]'},
                     "ARGOCD_APP_PARAMETERS: valueFiles must be an array or a string", id="no-array-or-string"),
        pytest.param({"ARGOCD_APP_PARAMETERS": '[{"name":"valueFiles","array":[1]}]'},
                     "ARGOCD_APP_PARAMETERS: valueFiles entries must be strings", id="entry-int"),
        pytest.param({"ARGOCD_APP_PARAMETERS": "{}"}, "ARGOCD_APP_PARAMETERS: expected a JSON array of parameters",
                     id="empty-object"),
        pytest.param({"ARGOCD_APP_PARAMETERS": '[{"name":"valueFiles","array":[],"string":"a.yaml"}]'},
                     "ARGOCD_APP_PARAMETERS: valueFiles has both an array and a string: give only one",
                     id="empty-array-and-a-string"),  # the rest of the grammar: tests/test_valuefiles.py
        pytest.param({"ARGOCD_ENV_VALUE_FILES": "a\0b", "ARGOCD_APP_PARAMETERS": "[{"},
                     "ARGOCD_ENV_VALUE_FILES: 'a\\x00b' is not a usable path (NUL byte)", id="value-files-first"),
    ],
)
def test_value_file_errors_exactly(tmp_path: Path, env: dict[str, str], message: str):
    with pytest.raises(InputError) as raised:
        request(tmp_path, **env)
    assert str(raised.value) == message


def test_repo_root_of_a_gitops_repo_inside_another_git_checkout():
    """examples/gitops-repo lives in this project's checkout: the directory holding apps/ and
    charts/ is its root, not the project's top level."""
    from support import EXAMPLE

    from cmp.context import find_repo_root

    assert find_repo_root(EXAMPLE / "charts" / "webapp" / "templates") == EXAMPLE.resolve()


def test_sidecar_root_is_bounded_by_the_source_root(tmp_path: Path):
    """Argo CD's copy has no .git: the source root bounds the search, as the git top level does."""
    app_dir = tmp_path / "repo" / "charts" / "webapp"
    (app_dir / "charts").mkdir(parents=True)  # vendored dependencies: a chart is never a root
    (app_dir / "Chart.yaml").write_text("apiVersion: v2\nname: webapp\nversion: 0.1.0\n")
    (tmp_path / "charts").mkdir()  # above the source root: never looked at
    req = from_argocd_env({**BASE, "ARGOCD_APP_SOURCE_PATH": "charts/webapp"}, app_dir)
    assert req.repo_root == (tmp_path / "repo").resolve()

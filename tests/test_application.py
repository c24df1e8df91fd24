"""Argo CD Application manifests -> what gitops-cmp renders, or why it does not."""

from __future__ import annotations

import copy

import pytest

from cmp.application import AppSource, Skipped, parse
from cmp.config import normalize_repo_url
from cmp.errors import InputError

PLUGIN_APP = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
    "metadata": {"name": "webapp-prod", "namespace": "argocd"},
    "spec": {"source": {"repoURL": "https://github.com/org/gitops-repo", "path": "charts/webapp",
                        "plugin": {"name": "gitops-helm-v1", "env": [{"name": "ENVIRONMENT", "value": "prod"}]}},
             "destination": {"namespace": "webapp-prod"}},
}
HELM_APP = copy.deepcopy(PLUGIN_APP)
HELM_APP["spec"]["source"].pop("plugin")
HELM_APP["spec"]["source"]["helm"] = {"valueFiles": ["values/common.yaml", "values/prod.yaml"]}


def with_(base: dict, path: str, value) -> dict:
    doc = copy.deepcopy(base)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    node[last] = value
    return doc


def test_plugin_shape():
    app = parse(PLUGIN_APP, "a.yaml")
    assert app == AppSource("webapp-prod", "webapp-prod", "charts/webapp", "prod", (), "plugin", "a.yaml")


def test_native_shape_keeps_argo_cds_value_file_order_and_reads_the_env_off_it():
    app = parse(HELM_APP, "a.yaml")
    assert isinstance(app, AppSource)
    assert (app.env, app.value_files, app.env_file) == ("prod", ("values/common.yaml", "values/prod.yaml"), False)


def test_plugin_without_environment_reads_the_env_off_its_value_files():
    doc = with_(PLUGIN_APP, "spec.source.plugin.env", [{"name": "VALUE_FILES", "value": "values/prod.yaml"}])
    app = parse(doc, "a.yaml")
    assert isinstance(app, AppSource) and (app.env, app.env_file) == ("prod", False)


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        pytest.param(with_(HELM_APP, "spec.source.helm.releaseName", "custom"), "uses helm.releaseName", id="releaseName"),
        pytest.param(with_(HELM_APP, "spec.source.helm.valuesObject", {"a": 1}), "uses helm.valuesObject", id="valuesObject"),
        pytest.param(with_(HELM_APP, "spec.source.helm.skipCrds", True), "uses helm.skipCrds", id="skipCrds"),
        pytest.param(with_(PLUGIN_APP, "spec.source.repoURL", "https://github.com/kubernetes/ingress-nginx"),
                     "source is another repository", id="other-repo"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.name", ["x"]), "is not gitops-helm-v1", id="odd-plugin-name"),
        pytest.param(with_(PLUGIN_APP, "spec", {"sources": [{}], "destination": {"namespace": "x"}}), "multi-source", id="multi-source"),
    ],
)
def test_skipped_with_the_reason(doc: dict, reason: str):
    app = parse(doc, "a.yaml", frozenset({normalize_repo_url("https://github.com/org/gitops-repo.git/")}))
    assert isinstance(app, Skipped)
    assert reason in app.reason


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(with_(PLUGIN_APP, "metadata", [1]), "metadata must be a mapping, found a list", id="metadata-list"),
        pytest.param(with_(PLUGIN_APP, "spec", [1]), "spec must be a mapping, found a list", id="spec-list"),
        pytest.param(with_(PLUGIN_APP, "spec.destination", [1]), "destination must be a mapping", id="destination-list"),
        pytest.param(with_(PLUGIN_APP, "metadata.name", 7), "has no metadata.name", id="name-int"),
        pytest.param(with_(PLUGIN_APP, "spec.destination", {}), "has no spec.destination.namespace", id="no-namespace"),
        pytest.param(with_(PLUGIN_APP, "spec.source.path", "charts/\x00x"), "NUL byte", id="nul-path"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.parameters", [{"name": "valueFiles", "array": [1]}]),
                     "valueFiles entries must be strings", id="param-int"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.parameters", {"name": "valueFiles"}),
                     "expected a list of parameters", id="params-mapping"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.env", [{"name": "ENVIRONMENT", "value": "../prod"}]),
                     "invalid environment name", id="env-path"),
        pytest.param(with_(HELM_APP, "spec.source.helm.valueFiles", [1]), "must be a list of strings", id="helm-files-int"),
        pytest.param(with_(HELM_APP, "spec.source.helm.valueFiles", "values/prod.yaml"), "must be a list of strings", id="helm-files-str"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.env", 5), "plugin.env must be a list", id="plugin-env-int"),
        pytest.param(with_(PLUGIN_APP, "spec.source.plugin.parameters", 5), "expected a list of parameters", id="params-int"),
    ],
)
def test_broken_applications_are_input_errors(doc: dict, message: str):
    with pytest.raises(InputError, match=message):
        parse(doc, "a.yaml")


def test_without_repo_urls_every_path_source_is_rendered():
    assert isinstance(parse(with_(PLUGIN_APP, "spec.source.repoURL", "https://elsewhere/x"), "a.yaml"), AppSource)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        pytest.param([{"name": "valueFiles", "array": ["a\x00b"]}, {"name": "valueFiles", "array": [1]}],
                     "a.yaml: plugin parameters: 'a\\x00b' is not a usable path (NUL byte)", id="first-problem-wins"),
    ],
)
def test_plugin_parameter_errors_name_the_application(parameters, message: str):
    # Each fault, through render --app and app-source alike: tests/test_valuefiles.py
    with pytest.raises(InputError) as raised:
        parse(with_(PLUGIN_APP, "spec.source.plugin.parameters", parameters), "a.yaml")
    assert str(raised.value) == message


def test_value_files_env_errors_come_before_parameter_errors():
    doc = with_(PLUGIN_APP, "spec.source.plugin.env", [{"name": "VALUE_FILES", "value": "a\x00b"}])
    with pytest.raises(InputError, match="plugin env VALUE_FILES: 'a\\\\x00b' is not a usable path"):
        parse(with_(doc, "spec.source.plugin.parameters", [{"name": "valueFiles"}]), "a.yaml")

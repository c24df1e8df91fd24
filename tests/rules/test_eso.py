"""eso-standard: the standard's store kind, provider and OIDC auth; ExternalSecrets name an allowed store;
deprecated API versions against the cluster's."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmp.config import RepoConfig
from cmp.rules import RULES, eso

API = "external-secrets.io/v1beta1"


def store(provider: dict, kind: str = "ClusterSecretStore") -> dict:
    return {"apiVersion": API, "kind": kind, "metadata": {"name": "s"}, "spec": {"provider": provider}}


def external_secret(spec: dict, kind: str = "ExternalSecret") -> dict:
    return {"apiVersion": API, "kind": kind, "metadata": {"name": "e"}, "spec": spec}


REF = {"name": "aws-secretsmanager", "kind": "ClusterSecretStore"}
AWS_JWT = {"aws": {"service": "SecretsManager", "region": "eu-west-1",
                   "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets"}}}}}
# Every kind and provider allowed: the static-credential and store-reference checks alone.
ANY = eso.Standard(("SecretStore", "ClusterSecretStore"), ("aws", "vault", "gcpsm", "azurekv", "kubernetes"))


@pytest.mark.parametrize("obj", [
    pytest.param(store({"aws": {"service": "SecretsManager", "region": "eu-west-1",
                                "auth": {"jwt": {"serviceAccountRef": {"name": "external-secrets"}}}}}), id="aws-jwt"),
    pytest.param(store({"aws": {"service": "SecretsManager", "region": "eu-west-1"}}), id="aws-controller-identity"),
    pytest.param(store({"vault": {"server": "https://v", "caProvider": {"type": "Secret", "name": "ca"},
                                  "auth": {"kubernetes": {"role": "r", "serviceAccountRef": {"name": "sa"}}}}},
                       kind="SecretStore"), id="vault-kubernetes-auth"),
    pytest.param(store({"gcpsm": {"projectID": "p", "auth": {"workloadIdentity": {"clusterName": "c"}}}}),
                 id="gcp-workload-identity"),
    pytest.param(external_secret({"secretStoreRef": REF, "data": []}), id="external-secret"),
    pytest.param(external_secret({"data": [{"secretKey": "a", "sourceRef": {"storeRef": REF}, "remoteRef": {}}],
                                  "dataFrom": [{"sourceRef": {"generatorRef": {"name": "pw"}}}]}), id="per-entry-refs"),
    pytest.param(external_secret({"externalSecretSpec": {"secretStoreRef": REF}}, kind="ClusterExternalSecret"),
                 id="cluster-external-secret"),
    pytest.param({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}, id="not-eso"),
    pytest.param({"apiVersion": "other.io/v1", "kind": "ExternalSecret", "spec": {}}, id="other-group"),
])
def test_noop(obj: dict):
    assert list(eso.problems(obj, ANY)) == []


@pytest.mark.parametrize(("obj", "path"), [
    pytest.param(store({"aws": {"auth": {"secretRef": {"accessKeyIDSecretRef": {"name": "a", "key": "id"}}}}}),
                 ("spec", "provider", "aws", "auth", "secretRef"), id="aws-access-keys"),
    pytest.param(store({"vault": {"auth": {"tokenSecretRef": {"name": "t", "key": "token"}}}}, kind="SecretStore"),
                 ("spec", "provider", "vault", "auth", "tokenSecretRef"), id="vault-token"),
    pytest.param(store({"vault": {"auth": {"appRole": {"roleId": "r", "secretRef": {"name": "a", "key": "s"}}}}}),
                 ("spec", "provider", "vault", "auth", "appRole", "secretRef"), id="vault-approle"),
    pytest.param(store({"azurekv": {"authType": "ServicePrincipal", "authSecretRef": {"clientId": {"name": "a"}}}}),
                 ("spec", "provider", "azurekv", "authSecretRef"), id="azure-service-principal"),
    pytest.param(store({"kubernetes": {"auth": {"token": {"bearerToken": {"name": "t", "key": "token"}}}}}),
                 ("spec", "provider", "kubernetes", "auth", "token", "bearerToken"), id="kubernetes-bearer-token"),
    pytest.param(external_secret({"target": {"name": "t"}, "data": [{"secretKey": "a", "remoteRef": {"key": "k"}}]}),
                 ("spec", "secretStoreRef"), id="no-store"),
    pytest.param(external_secret({"secretStoreRef": {"kind": "ClusterSecretStore", "name": ""}}),
                 ("spec", "secretStoreRef"), id="empty-store-name"),
    pytest.param(external_secret({"externalSecretSpec": {"data": []}}, kind="ClusterExternalSecret"),
                 ("spec", "externalSecretSpec", "secretStoreRef"), id="cluster-external-secret"),
])
def test_flags(obj: dict, path: tuple):
    assert [p.path for p in eso.problems(obj, ANY)] == [path]


@pytest.mark.parametrize(("obj", "paths"), [
    pytest.param(store(AWS_JWT), [], id="cluster-store-aws-sm-jwt"),
    pytest.param(store({"aws": {"service": "SecretsManager", "region": "eu-west-1"}}), [], id="cluster-store-irsa"),
    pytest.param(store({"aws": {"service": "SecretsManager", "region": "eu-west-1"}}, kind="SecretStore"),
                 [("kind",), ("spec", "provider", "aws", "auth")], id="namespaced-store-without-auth"),
    pytest.param(store(AWS_JWT, kind="SecretStore"), [("kind",)], id="namespaced-store-with-jwt"),
    pytest.param(store({"aws": {"service": "ParameterStore", "region": "eu-west-1"}}),
                 [("spec", "provider", "aws")], id="parameter-store"),
    pytest.param(store({"vault": {"server": "https://v", "auth": {"jwt": {"path": "jwt"}}}}),
                 [("spec", "provider", "vault")], id="vault"),
    pytest.param(external_secret({"secretStoreRef": {"name": "s", "kind": "SecretStore"}}),
                 [("spec", "secretStoreRef", "kind")], id="external-secret-to-secret-store"),
    pytest.param(external_secret({"secretStoreRef": {"name": "s"}}),
                 [("spec", "secretStoreRef", "kind")], id="external-secret-kind-defaults-to-secret-store"),
    pytest.param(external_secret({"secretStoreRef": REF, "data": [
        {"secretKey": "a", "sourceRef": {"storeRef": {"name": "s", "kind": "SecretStore"}}, "remoteRef": {}}]}),
                 [("spec", "data", 0, "sourceRef", "storeRef", "kind")], id="entry-source-ref-to-secret-store"),
    pytest.param(external_secret({"externalSecretSpec": {"secretStoreRef": {"name": "s"}}}, kind="ClusterExternalSecret"),
                 [("spec", "externalSecretSpec", "secretStoreRef", "kind")], id="cluster-external-secret-kind"),
    pytest.param({"apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret", "metadata": {"name": "p"},
                  "spec": {"secretStoreRefs": [{"name": "s", "kind": "SecretStore"}, REF]}},
                 [("spec", "secretStoreRefs", 0, "kind")], id="push-secret-store-refs"),
])
def test_the_standard_as_written(obj: dict, paths: list):
    obj = {**obj, "apiVersion": obj["apiVersion"].replace("v1beta1", "v1")}
    assert [p.path for p in eso.problems(obj)] == paths


def test_settings_widen_the_standard():
    obj = {**store({"vault": {"server": "https://v", "auth": {"jwt": {"path": "jwt"}}}}, kind="SecretStore"),
           "apiVersion": "external-secrets.io/v1"}
    config = RepoConfig(eso_store_kinds=("ClusterSecretStore", "SecretStore"), eso_providers=("aws/SecretsManager", "vault"))
    assert list(eso.problems(obj, eso.Standard.of(config))) == []


@pytest.mark.parametrize(("api", "served", "expected"), [
    pytest.param("v1beta1", ("external-secrets.io/v1", "external-secrets.io/v1beta1"), "warning", id="deprecated-served"),
    pytest.param("v1beta1", ("v1", "external-secrets.io/v1"), "error", id="no-longer-served"),
    pytest.param("v1beta1", ("v1", "external-secrets.io/v1beta1"), None, id="cluster-without-v1"),
    pytest.param("v1beta1", (), None, id="cluster-unknown"),
    pytest.param("v1alpha1", (), "warning", id="v1alpha1-always-old"),
    pytest.param("v1", ("external-secrets.io/v1",), None, id="current"),
    pytest.param("v1beta1", ("external-secrets.io/v1/ExternalSecret", "external-secrets.io/v1beta1/ExternalSecret"),
                 "warning", id="kind-qualified-api-versions"),
])
def test_api_versions_against_the_cluster(api: str, served: tuple, expected: str | None):
    obj = {**external_secret({"secretStoreRef": REF}), "apiVersion": f"external-secrets.io/{api}"}
    found = [p.severity.value for p in eso.problems(obj, eso.Standard(api_versions=served))]
    assert found == ([expected] if expected else [])


def test_push_secret_v1alpha1_is_current():
    obj = {"apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret", "metadata": {"name": "p"},
           "spec": {"secretStoreRefs": [REF]}}
    assert list(eso.problems(obj, eso.Standard(api_versions=("external-secrets.io/v1",)))) == []


def test_check_repo_names_file_and_line(tmp_path: Path):
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "store.yaml").write_text(
        "# the platform's store\n---\napiVersion: external-secrets.io/v1beta1\nkind: ClusterSecretStore\n"
        "metadata: {name: aws}\nspec:\n  provider:\n    aws:\n      service: SecretsManager\n      auth:\n"
        "        secretRef:\n          accessKeyIDSecretRef: {name: a, key: id}\n")
    (finding,) = eso.check_repo(tmp_path, RepoConfig())
    assert (finding.path, finding.line, finding.rule) == ("platform/store.yaml", 11, "eso-standard")
    assert "/spec/provider/aws/auth/secretRef: authenticates with a static credential" in finding.message


def test_registered_with_docs():
    rule = RULES["eso-standard"]
    assert rule.check_output and rule.check_repo and "FAIL:" in rule.doc

"""eso-standard: SecretStores authenticate over OIDC, ExternalSecrets name a store."""

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
    assert list(eso.problems(obj)) == []


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
    assert [p for p, _ in eso.problems(obj)] == [path]


def test_check_repo_names_file_and_line(tmp_path: Path):
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "store.yaml").write_text(
        "# the platform's store\n---\napiVersion: external-secrets.io/v1beta1\nkind: ClusterSecretStore\n"
        "metadata: {name: aws}\nspec:\n  provider:\n    aws:\n      auth:\n        secretRef:\n"
        "          accessKeyIDSecretRef: {name: a, key: id}\n")
    (finding,) = eso.check_repo(tmp_path, RepoConfig())
    assert (finding.path, finding.line, finding.rule) == ("platform/store.yaml", 10, "eso-standard")
    assert "/spec/provider/aws/auth/secretRef: authenticates with a static credential" in finding.message


def test_registered_with_docs():
    rule = RULES["eso-standard"]
    assert rule.check_output and rule.check_repo and "FAIL:" in rule.doc

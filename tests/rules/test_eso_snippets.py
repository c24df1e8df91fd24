"""eso-standard on External Secrets Operator's own documentation snippets (pinned snapshot; see
tests/secret_peers.py), under the default standard: a ClusterSecretStore reading AWS Secrets Manager
over OIDC, ExternalSecrets that reference it.

Labels were made by reading each snippet against the standard as written (not by running the rule):
what each must be flagged for, by category. Every other snippet is scanned too, and the figures printed.
"""

from __future__ import annotations

from collections import Counter

import pytest
import secret_peers as peers

from cmp import yamlio
from cmp.rules import eso

pytestmark = pytest.mark.skipif(not peers.ESO.available(),
                                reason=f"no snapshot of {peers.ESO.repo} at {peers.ESO.commit}")

STORE_KIND, REF_KIND, PROVIDER, STATIC, NO_AUTH, NO_STORE = (
    "store kind", "store reference kind", "provider", "static credential", "namespaced store without auth",
    "no store")

LABELS: dict[str, set[str]] = {
    # The standard's side: ExternalSecrets reading a ClusterSecretStore.
    "aws-anchore-engine-access-credentials-external-secret.yaml": set(),
    "aws-jenkins-credential-github-ssh-external-secret.yaml": set(),
    "aws-jenkins-credential-sonarqube-api-token-external-secret.yaml": set(),
    "aws-jenkins-credentials-harbor-chart-robot-external-secret.yaml": set(),
    # AWS Secrets Manager, but a namespaced store with static access keys.
    "aws-sm-store.yaml": {STORE_KIND, STATIC},
    "basic-secret-store.yaml": {STORE_KIND, STATIC},
    # A namespaced store with no auth block: the controller's identity for anyone in the namespace.
    "aws-sm-store-secretsmanager-config.yaml": {STORE_KIND, NO_AUTH},
    # ExternalSecrets that reference a namespaced SecretStore.
    "aws-sm-external-secret.yaml": {REF_KIND},
    "akeyless-external-secret.yaml": {REF_KIND},
    # Other AWS services and other providers.
    "aws-parameter-store.yaml": {STORE_KIND, PROVIDER, STATIC},
    "aws-acm-store.yaml": {STORE_KIND, PROVIDER, STATIC},
    "vault-iam-store-static-creds.yaml": {STORE_KIND, PROVIDER, STATIC},
    "full-cluster-secret-store.yaml": {PROVIDER, STATIC},
}


def category(problem: eso.Problem) -> str:
    path, message = problem.path, problem.message
    if path == ("kind",):
        return STORE_KIND
    if path[-1] == "kind":
        return REF_KIND
    if "static credential" in message:
        return STATIC
    if "without an auth block" in message:
        return NO_AUTH
    if path[-1] == "secretStoreRef":
        return NO_STORE
    if len(path) == 3 and path[:2] == ("spec", "provider"):
        return PROVIDER
    return "api version" if path == ("apiVersion",) else "other"


def snippet_problems(name: str) -> set[str]:
    docs = yamlio.load_all(peers.ESO.show(f"docs/snippets/{name}"), name)
    return {category(p) for doc in docs for p in eso.problems(doc)}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_snippet(name: str):
    assert snippet_problems(name) == LABELS[name]


def test_every_snippet_scans_and_the_figures_are_printed():
    seen: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    not_yaml = 0
    for path in peers.ESO.ls("docs/snippets/"):
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            docs = yamlio.load_all(peers.ESO.show(path), path)
        except Exception:  # noqa: BLE001 - a snippet with mkdocs template syntax is not YAML; not a sample
            not_yaml += 1
            continue
        for doc in docs:
            if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(eso.GROUP):
                kind = str(doc.get("kind"))
                seen[kind] += 1
                flagged[kind] += bool(list(eso.problems(doc)))
    print(f"\nESO {peers.ESO.commit[:12]} docs/snippets: " + ", ".join(
        f"{kind} {flagged[kind]}/{n} flagged" for kind, n in seen.most_common()) + f"; {not_yaml} files not YAML")
    assert seen["ExternalSecret"] > 50 and seen["SecretStore"] > 30
    assert flagged["SecretStore"] == seen["SecretStore"]  # namespaced stores are never the standard

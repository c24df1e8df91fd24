"""eso-standard: External Secrets Operator objects follow the standard: OIDC auth, a store reference.

- A `SecretStore` or `ClusterSecretStore` must not authenticate with static credentials: any
  `secretRef`/`*SecretRef` (AWS access keys, Vault tokens/AppRole/userpass, GCP/Azure service
  principal keys, ...) or a Kubernetes `bearerToken`/`clientKey` under `spec.provider` is a
  finding. Use service-account auth over OIDC/JWT (AWS: `auth.jwt.serviceAccountRef`, IRSA or EKS
  Pod Identity; no `auth` at all uses the controller's own identity). CA bundles are not credentials.
- An `ExternalSecret` (and a `ClusterExternalSecret`'s `externalSecretSpec`) must name its store:
  `spec.secretStoreRef.name`, or a `sourceRef` on every `data`/`dataFrom` entry.

PASS: `provider: {aws: {service: SecretsManager, region: eu-west-1, auth: {jwt: {serviceAccountRef:
{name: external-secrets}}}}}`; `secretStoreRef: {name: aws-secretsmanager, kind: ClusterSecretStore}`.
FAIL: `auth: {secretRef: {accessKeyIDSecretRef: {name: aws-creds, key: id}, ...}}`;
`provider: {vault: {auth: {tokenSecretRef: {...}}}}`; an ExternalSecret without `secretStoreRef`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmp.findings import Finding, Severity
from cmp.pipeline.manifests import Manifest
from cmp.rules.secrets import named, pointer
from cmp.secrets.locate import line_of

if TYPE_CHECKING:
    from cmp.config import RepoConfig
    from cmp.pipeline.inputs import Inputs

ID = "eso-standard"
GROUP = "external-secrets.io/"
STORES = frozenset({"SecretStore", "ClusterSecretStore"})
_STATIC_KEYS = frozenset({"bearertoken", "clientkey", "accesskeyid", "secretaccesskey", "sessiontoken"})
_NOT_CREDENTIALS = frozenset({"caprovider", "cabundle", "caref"})

Problem = tuple[tuple[str | int, ...], str]


def check_output(inputs: Inputs, manifests: list[Manifest]) -> Iterator[Finding]:
    for manifest in manifests:
        listed = manifest.kind.endswith("List") and isinstance(manifest.obj.get("items"), list)
        for index, obj in enumerate(manifest.objects()):
            prefix: tuple[str | int, ...] = ("items", index) if listed else ()
            for path, message in problems(obj):
                yield _finding(manifest.source, 0, obj, (*prefix, *path), message)


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.secrets import files

    for repo_file in files.repo_files(repo_root, config.limits.max_file_bytes):
        for doc in repo_file.documents:
            for path, message in problems(doc.data):
                line = line_of(doc.text, path, doc.first_line)
                yield _finding(repo_file.path, line, doc.data, path, message)


def problems(obj: Any) -> Iterator[Problem]:
    if not isinstance(obj, dict) or not str(obj.get("apiVersion", "")).startswith(GROUP):
        return
    spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    kind = obj.get("kind")
    if kind in STORES:
        yield from static_credentials(spec.get("provider"), ("spec", "provider"))
    elif kind == "ExternalSecret":
        yield from missing_store(spec, ("spec",))
    elif kind == "ClusterExternalSecret":
        inner = spec.get("externalSecretSpec")
        yield from missing_store(inner if isinstance(inner, dict) else {}, ("spec", "externalSecretSpec"))


def static_credentials(node: Any, path: tuple[str | int, ...]) -> Iterator[Problem]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from static_credentials(item, (*path, i))
    if not isinstance(node, dict):
        return
    for key, child in node.items():
        name = str(key).lower()
        if name in _NOT_CREDENTIALS:
            continue
        if (name.endswith("secretref") or name in _STATIC_KEYS) and child:
            yield (*path, str(key)), (
                f"authenticates with a static credential reference ({key}); use OIDC/JWT service-account"
                " auth (aws: auth.jwt.serviceAccountRef, or IRSA / EKS Pod Identity on the controller)"
            )
        else:
            yield from static_credentials(child, (*path, str(key)))


def missing_store(spec: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[Problem]:
    store = spec.get("secretStoreRef")
    if isinstance(store, dict) and isinstance(store.get("name"), str) and store["name"].strip():
        return
    entries = [e for key in ("data", "dataFrom") for e in (spec.get(key) or []) if isinstance(e, dict)]
    if entries and all(_has_source(e) for e in entries):
        return
    yield (*path, "secretStoreRef"), (
        "names no secret store (secretStoreRef.name, or a sourceRef on every data/dataFrom entry);"
        " reference the ClusterSecretStore that reads AWS Secrets Manager over OIDC"
    )


def _has_source(entry: dict[str, Any]) -> bool:
    source = entry.get("sourceRef")
    if not isinstance(source, dict):
        return False
    ref = source.get("storeRef") or source.get("generatorRef")
    return isinstance(ref, dict) and bool(ref.get("name"))


def _finding(shown: str, line: int, obj: Any, path: tuple[str | int, ...], message: str) -> Finding:
    return Finding(shown, line, 0, ID, Severity.ERROR, f"{named(obj)} {pointer(path)}: {message}")

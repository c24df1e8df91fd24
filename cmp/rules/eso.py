"""eso-standard: External Secrets Operator objects follow the standard as it is written: ExternalSecrets
reference a ClusterSecretStore, the store reads AWS Secrets Manager, and it authenticates over OIDC
federation (service-account JWT / IRSA), never with a static credential.

- A store's kind must be an allowed one (`esoStoreKinds` in `.gitops-cmp.yaml`, default
  `[ClusterSecretStore]`): a namespaced `SecretStore` is a finding.
- A store's provider must be an allowed one (`esoProviders`, default `[aws/SecretsManager]`: the
  `aws` provider with `service: SecretsManager`; a bare provider name such as `vault` allows any
  service of it): `ParameterStore`, Vault, GCP, Azure, ... are findings under the default.
- A store must not authenticate with static credentials: any `secretRef`/`*SecretRef` (AWS access
  keys, Vault tokens/AppRole/userpass, GCP/Azure service principal keys, ...) or a Kubernetes
  `bearerToken`/`clientKey` under `spec.provider` is a finding. Use OIDC federation: AWS
  `auth.jwt.serviceAccountRef`, or no `auth` at all on a ClusterSecretStore (the controller's own
  IRSA / EKS Pod Identity). A namespaced `SecretStore` (when allowed) must carry an auth block:
  without one it borrows the controller's identity for whoever can create one in any namespace.
  CA bundles are not credentials.
- An `ExternalSecret` (and a `ClusterExternalSecret`'s `externalSecretSpec`) must name its store
  (`spec.secretStoreRef.name`, or a `sourceRef` on every `data`/`dataFrom` entry), and every store
  it names (`secretStoreRef`, `sourceRef.storeRef`; a `PushSecret`'s `secretStoreRefs`) must be of
  an allowed kind. ESO reads a missing `kind` as `SecretStore`, and so does this rule.
- API versions: `external-secrets.io/v1alpha1` and `v1beta1` of these kinds are deprecated in favour
  of `v1`. When the cluster's API versions are known (`KUBE_API_VERSIONS`, `--api-versions`) and list
  `external-secrets.io/v1`, an older version is a finding (an error when the cluster no longer
  serves it, a warning while it does); without them, `v1alpha1` is a warning.

PASS: `kind: ClusterSecretStore` with `provider: {aws: {service: SecretsManager, region: eu-west-1,
auth: {jwt: {serviceAccountRef: {name: external-secrets, namespace: external-secrets}}}}}`;
`secretStoreRef: {name: aws-secretsmanager, kind: ClusterSecretStore}`.
FAIL: `kind: SecretStore` (namespaced), with or without an `auth` block; `secretStoreRef: {name: x}`
(kind defaults to SecretStore); `auth: {secretRef: {accessKeyIDSecretRef: {...}}}`;
`provider: {vault: {auth: {tokenSecretRef: {...}}}}`; `service: ParameterStore`; an ExternalSecret
without `secretStoreRef`; `apiVersion: external-secrets.io/v1beta1` on a cluster that serves v1.
NOT CHECKED: what the store's IAM role may read (that is AWS policy, not the manifest), generators
(`generators.external-secrets.io`), and `PushSecret` selectors beyond their store kinds.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp.config import DEFAULT_ESO_PROVIDERS, DEFAULT_ESO_STORE_KINDS
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

# The kinds that moved to external-secrets.io/v1 (PushSecret and the generators stay v1alpha1).
VERSIONED = frozenset({"ExternalSecret", "ClusterExternalSecret", "SecretStore", "ClusterSecretStore"})
DEPRECATED_VERSIONS = ("v1alpha1", "v1beta1")


class Problem(NamedTuple):
    path: tuple[str | int, ...]
    message: str
    severity: Severity = Severity.ERROR


class Standard(NamedTuple):
    """What `.gitops-cmp.yaml` allows (esoStoreKinds, esoProviders), and the cluster's API versions."""

    store_kinds: tuple[str, ...] = DEFAULT_ESO_STORE_KINDS
    providers: tuple[str, ...] = DEFAULT_ESO_PROVIDERS
    api_versions: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: "RepoConfig", api_versions: tuple[str, ...] = ()) -> "Standard":
        return cls(config.eso_store_kinds, config.eso_providers, api_versions)


def check_output(inputs: "Inputs", manifests: list[Manifest]) -> Iterator[Finding]:
    standard = Standard.of(inputs.config, inputs.request.api_versions)
    for manifest in manifests:
        # problems() looks only at external-secrets.io objects: a manifest that is neither one nor a List
        # (whose items may be) has none, and a render holds thousands such.
        if str(manifest.obj.get("apiVersion", "")).startswith(GROUP) or manifest.kind.endswith("List"):
            yield from manifest_findings(manifest, standard)


def manifest_findings(manifest: Manifest, standard: Standard = Standard()) -> Iterator[Finding]:
    listed = manifest.kind.endswith("List") and isinstance(manifest.obj.get("items"), list)
    for index, obj in enumerate(manifest.objects()):
        prefix: tuple[str | int, ...] = ("items", index) if listed else ()
        for problem in problems(obj, standard):
            yield _finding(manifest.source, 0, obj, (*prefix, *problem.path), problem)


def check_repo(repo_root: Path, config: "RepoConfig") -> Iterator[Finding]:
    from cmp.secrets import files

    standard = Standard.of(config)  # a repository has no cluster: only v1alpha1 is known to be old
    for repo_file in files.repo_files(repo_root, config.limits.max_file_bytes):
        for doc in repo_file.documents:
            for problem in problems(doc.data, standard):
                line = line_of(doc.text, problem.path, doc.first_line)
                yield _finding(repo_file.path, line, doc.data, problem.path, problem)


def problems(obj: Any, standard: Standard = Standard()) -> Iterator[Problem]:
    if not isinstance(obj, dict) or not str(obj.get("apiVersion", "")).startswith(GROUP):
        return
    spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    kind = obj.get("kind")
    yield from api_version(obj, standard)
    if kind in STORES:
        yield from store(str(kind), spec, standard)
    elif kind == "ExternalSecret":
        yield from missing_store(spec, ("spec",))
        yield from store_refs(spec, ("spec",), standard)
    elif kind == "ClusterExternalSecret":
        inner = spec.get("externalSecretSpec")
        inner = inner if isinstance(inner, dict) else {}
        yield from missing_store(inner, ("spec", "externalSecretSpec"))
        yield from store_refs(inner, ("spec", "externalSecretSpec"), standard)
    elif kind == "PushSecret":
        refs = spec.get("secretStoreRefs")
        for i, ref in enumerate(refs if isinstance(refs, list) else []):
            yield from store_kind(ref, ("spec", "secretStoreRefs", i), standard)


def api_version(obj: dict[str, Any], standard: Standard) -> Iterator[Problem]:
    version = str(obj["apiVersion"])[len(GROUP):]
    kind = obj.get("kind")
    if kind not in VERSIONED or version not in DEPRECATED_VERSIONS:
        return
    served = {v for v in standard.api_versions if v.startswith(GROUP)}
    current = GROUP + "v1" in served or f"{GROUP}v1/{kind}" in served
    if current and not ({GROUP + version, f"{GROUP}{version}/{kind}"} & served):
        yield Problem(("apiVersion",), f"{GROUP}{version} is not served by the cluster (its API versions list"
                                       f" {GROUP}v1); render {kind} as {GROUP}v1")
    elif current or version == "v1alpha1":
        yield Problem(("apiVersion",), f"{GROUP}{version} is deprecated; render {kind} as {GROUP}v1",
                      Severity.WARNING)


def store(kind: str, spec: dict[str, Any], standard: Standard) -> Iterator[Problem]:
    if kind not in standard.store_kinds:
        yield Problem(("kind",), f"a {kind} is not an allowed store kind (allowed: {', '.join(standard.store_kinds)};"
                                 " esoStoreKinds); use the platform's ClusterSecretStore")
    provider = spec.get("provider")
    yield from provider_allowed(provider, standard)
    yield from static_credentials(provider, ("spec", "provider"))
    if kind == "SecretStore":
        yield from namespaced_auth(provider)


def provider_allowed(provider: Any, standard: Standard) -> Iterator[Problem]:
    if not isinstance(provider, dict) or not provider:
        yield Problem(("spec", "provider"), "names no provider; the standard is aws with service SecretsManager")
        return
    for name, config in provider.items():
        service = config.get("service") if isinstance(config, dict) else None
        qualified = f"{name}/{service}" if isinstance(service, str) else str(name)
        if str(name) not in standard.providers and qualified not in standard.providers:
            yield Problem(("spec", "provider", str(name)),
                          f"provider {qualified} is not an allowed one (allowed: {', '.join(standard.providers)};"
                          " esoProviders)")


def namespaced_auth(provider: Any) -> Iterator[Problem]:
    for name, config in (provider.items() if isinstance(provider, dict) else ()):
        if isinstance(config, dict) and not config.get("auth") and not config.get("authType"):
            yield Problem(("spec", "provider", str(name), "auth"),
                          "a namespaced SecretStore without an auth block borrows the controller's identity"
                          " for anyone who can create one in the namespace; authenticate with"
                          " auth.jwt.serviceAccountRef (OIDC), or use the ClusterSecretStore")


def store_refs(spec: dict[str, Any], path: tuple[str | int, ...], standard: Standard) -> Iterator[Problem]:
    if isinstance(spec.get("secretStoreRef"), dict):
        yield from store_kind(spec["secretStoreRef"], (*path, "secretStoreRef"), standard)
    for key in ("data", "dataFrom"):
        entries = spec.get(key)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            source = entry.get("sourceRef") if isinstance(entry, dict) else None
            if isinstance(source, dict) and isinstance(source.get("storeRef"), dict):
                yield from store_kind(source["storeRef"], (*path, key, i, "sourceRef", "storeRef"), standard)


def store_kind(ref: Any, path: tuple[str | int, ...], standard: Standard) -> Iterator[Problem]:
    if not isinstance(ref, dict):
        return
    kind = ref.get("kind") or "SecretStore"  # ESO's default
    if str(kind) not in standard.store_kinds:
        said = "" if ref.get("kind") else " (no kind: ESO reads it as SecretStore)"
        yield Problem((*path, "kind"), f"references a {kind}{said}; reference an allowed store kind"
                                       f" ({', '.join(standard.store_kinds)}; esoStoreKinds)")


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
            yield Problem((*path, str(key)), (
                f"authenticates with a static credential reference ({key}); use OIDC/JWT service-account"
                " auth (aws: auth.jwt.serviceAccountRef, or IRSA / EKS Pod Identity on the controller)"
            ))
        else:
            yield from static_credentials(child, (*path, str(key)))


def missing_store(spec: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[Problem]:
    store = spec.get("secretStoreRef")
    if isinstance(store, dict) and isinstance(store.get("name"), str) and store["name"].strip():
        return
    entries = [e for key in ("data", "dataFrom") for e in (spec.get(key) or []) if isinstance(e, dict)]
    if entries and all(_has_source(e) for e in entries):
        return
    yield Problem((*path, "secretStoreRef"), (
        "names no secret store (secretStoreRef.name, or a sourceRef on every data/dataFrom entry);"
        " reference the ClusterSecretStore that reads AWS Secrets Manager over OIDC"
    ))


def _has_source(entry: dict[str, Any]) -> bool:
    source = entry.get("sourceRef")
    if not isinstance(source, dict):
        return False
    ref = source.get("storeRef") or source.get("generatorRef")
    return isinstance(ref, dict) and bool(ref.get("name"))


def _finding(shown: str, line: int, obj: Any, path: tuple[str | int, ...], problem: Problem) -> Finding:
    return Finding(shown, line, 0, ID, problem.severity, f"{named(obj)} {pointer(path)}: {problem.message}")

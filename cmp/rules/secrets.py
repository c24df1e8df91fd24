"""secret-value: no secret value reaches the cluster or lives in the repository.

Secrets live in AWS Secrets Manager; an ExternalSecret syncs them over OIDC. So a value that is a
secret is a finding wherever it appears:

- in the rendered output (every object, `List` items and hooks included): a `Secret` with `data`
  or `stringData` (base64 decoded and looked into: a `.dockerconfigjson` names its registries);
  a literal under a sensitive name (container `env`, ConfigMap data, annotations, `--password`-style
  args, ESO `target.template.data`, `key=value` lines of embedded config files);
  credential-shaped strings anywhere, under any key (the ~300 vendor token formats of the maintained
  catalog in cmp/secrets/catalog.py: GitHub, GitLab, Slack, Hugging Face, Anthropic, OpenAI, Sentry,
  Vault, Azure AD, Stripe, ...; AWS key IDs, PEM private keys, JWTs, URLs with a password,
  `Authorization` headers by structure), also inside base64;
- in the value files the render used (the chart's values.yaml, values/<env>.yaml, extra files),
  even when no template prints the value;
- in `gitops-cmp check`: every YAML file of the repository (templates line by line), also those
  inside subcharts packaged as `charts/*.tgz` (named `<archive>:<member>`).

A finding names the file (the template, as Helm's `# Source:` names it, or the value file), the
line when known, the JSON path of the key and a fingerprint (a salted hash prefix). It never shows
the value. Allow one value with an allow entry naming its fingerprint.

PASS: `valueFrom.secretKeyRef`, `envFrom[].secretRef`, `secretName`, `existingSecret`, ESO
`remoteRef: {key: prod/webapp/db, property: password}`, image digests, `checksum/secret`
annotations, git SHAs, UUIDs, `caBundle` and other public certificates or keys, placeholders
(`${VAR}`, `$(VAR)`, `<...>`, `{{ .password }}`), empty values, file paths (`passwordFile:
/run/secrets/db`), `PASSWORD_MIN_LENGTH: "12"`, IAM role ARNs, projected service-account tokens,
token-shaped fillers (`ghp_xxxx...`, `xoxp-...-####`), `clusterSecretKey: cluster` (names a key),
commented-out config lines (`#password: x`), names under maybe-secret keys (`bucket_key: Sales-1.2`),
SOPS ciphertext (`ENC[AES256_GCM,data:...]`), timestamps (`passwordMtime`), toleration and item keys.
NOT CAUGHT, deliberately: a vendor-less random value under a name that says nothing (`item: 5f0c...`):
no scanner tells it from a hash; context-only vendor formats outside a sensitive name.
FAIL: `env: [{name: DB_PASSWORD, value: hunter2}]`, `kind: Secret` with `data`,
`auth.password: s3cret` in values/prod.yaml, `--api-token=...` in args, `AKIA...` anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmp import redact
from cmp.findings import Finding, Severity
from cmp.pipeline.manifests import Manifest, signature
from cmp.secrets.locate import line_of
from cmp.secrets.scan import Hit, scan_object, scan_objects, scan_text, scan_values

if TYPE_CHECKING:  # the repository's files are read when a repo is checked, not by every render
    from cmp.config import RepoConfig
    from cmp.pipeline.inputs import Inputs
    from cmp.secrets import files

ID = "secret-value"
HINT_SECRET = "render an ExternalSecret instead; the value belongs in AWS Secrets Manager"
HINT_VALUE = "keep the value in AWS Secrets Manager and reference it through an ExternalSecret"


def check_inputs(inputs: Inputs) -> Iterator[Finding]:
    for value_file in (inputs.base_values, *inputs.value_files):
        if value_file is not None:
            yield from value_findings(value_file.display, value_file.text, value_file.data)


def check_output(inputs: Inputs, manifests: list[Manifest]) -> Iterator[Finding]:
    """manifest_findings of each manifest, every object of the render scanned in one batch."""
    scanned = [(manifest, index, obj) for manifest in manifests for index, obj in enumerate(manifest.objects())]
    hits = scan_objects([obj for _, _, obj in scanned])
    for (manifest, index, obj), found in zip(scanned, hits):
        if found:
            yield from _object_findings(manifest, index, obj, found)


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.config import FILE_LIMIT
    from cmp.secrets import files

    for repo_file in chain(files.repo_files(repo_root, config.limits.max_file_bytes),
                           files.archive_files(repo_root, config.limits)):
        if repo_file.unreadable:  # as a chart that cannot be read: a finding, the scan goes on
            yield Finding(repo_file.path, 0, 0, ID, Severity.ERROR, f"not scanned for secrets: {repo_file.unreadable}")
        elif repo_file.too_large:
            yield Finding(repo_file.path, 0, 0, ID, Severity.WARNING,
                          f"not scanned for secrets: over the {config.limits.max_file_bytes}-byte limit"
                          f" ({FILE_LIMIT})")
        elif not repo_file.parsed:
            yield from text_findings(repo_file.path, repo_file.text)
        else:
            for doc in repo_file.documents:
                yield from document_findings(repo_file.path, doc)


def value_findings(shown: str, text: str, data: Any) -> Iterator[Finding]:
    hits = scan_values(data)
    yield from _findings(shown, hits, "", lambda hit: _line(text, hit))


def text_findings(shown: str, text: str) -> Iterator[Finding]:
    """A file that is not YAML data, such as a Helm template: lines, no JSON paths."""
    yield from _findings(shown, scan_text(text), "", lambda hit: hit.line)


def manifest_findings(manifest: Manifest) -> Iterator[Finding]:
    for index, obj in enumerate(manifest.objects()):
        found = scan_object(obj)
        if found:
            yield from _object_findings(manifest, index, obj, found)


def _object_findings(manifest: Manifest, index: int, obj: dict[str, Any], found: list[Hit]) -> Iterator[Finding]:
    """The hits in `obj`, the `index`th object of `manifest` (an item of a `List`, or the manifest's own)."""
    listed = manifest.kind.endswith("List") and isinstance(manifest.obj.get("items"), list)
    prefix: tuple[str | int, ...] = ("items", index) if listed else ()
    hits = [Hit((*prefix, *h.path), h.label, h.fingerprint, h.line) for h in found]
    yield from _findings(manifest.source, hits, named(obj) + " ", lambda hit: 0)


def document_findings(shown: str, doc: files.Document) -> Iterator[Finding]:
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and isinstance(data.get("kind"), str):
        hits, what = scan_object(data), named(data) + " "
    else:
        hits, what = scan_values(data), ""
    yield from _findings(shown, hits, what, lambda hit: _line(doc.text, hit, doc.first_line))


def named(obj: dict[str, Any]) -> str:
    """How findings name an object (`v1/Secret ns/name`), whatever shape its metadata has."""
    if not isinstance(obj.get("metadata", {}), dict):
        return f"{obj.get('apiVersion', '')}/{obj.get('kind', '')}"
    return signature(obj).rstrip()


def _findings(shown: str, hits: Iterable[Hit], what: str, line: Callable[[Hit], int]) -> Iterator[Finding]:
    for hit in hits:
        hint = HINT_SECRET if hit.label.startswith("Secret ") else HINT_VALUE
        where = f"{what}{pointer(hit.path)}".strip()
        message = f"{where + ': ' if where else ''}{redact.names_in(hit.label)} [fingerprint {hit.fingerprint}]; {hint}"
        yield Finding(shown, line(hit), 0, ID, Severity.ERROR, message, hit.fingerprint)


def _line(text: str, hit: Hit, first_line: int = 1) -> int:
    found = line_of(text, hit.path, first_line)
    if found and hit.line > 1 and _block_scalar(text, found - first_line):
        return found + hit.line  # a line inside a `|` block: the block starts on the next line
    return found


def _block_scalar(text: str, row: int) -> bool:
    lines = text.splitlines()
    return 0 <= row < len(lines) and lines[row].rstrip().endswith(("|", "|-", "|+", ">", ">-", ">+"))


def pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901 JSON pointer: `/spec/template/spec/containers/0/env/1/value`."""
    if not path:
        return ""
    return "".join("/" + redact.pointer_part(str(p)).replace("~", "~0").replace("/", "~1") for p in path)

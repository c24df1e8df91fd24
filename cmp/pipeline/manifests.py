"""Stage 4: split Helm's output into Kubernetes objects, in a stable order.

Each document keeps the parsed object (what the rules read and what cmp.pipeline.emit writes, so
Argo CD applies exactly that) and the text Helm rendered (for finding line numbers). Ordering follows
`helm template`: CRDs, then Helm's install order by kind.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

from cmp import yamlio
from cmp.chartmodel import is_notes
from cmp.errors import InputError, RenderError

# Helm's releaseutil.SplitManifests separator, so documents split exactly where Helm splits them.
# `split_documents` splits where `re.split(SEPARATOR, text)` does, without running the regex at
# every whitespace character (a third of a 2 MB render's split-and-parse time).
SEPARATOR = r"(?:^|\s*\n)---\s*"

# What Go's strings.TrimSpace trims (unicode.IsSpace); Python's str.strip() would take \x1c-\x1f too.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

# Helm's kind_sorter InstallOrder; unknown kinds come after, by name.
INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
_RANK = {kind: i for i, kind in enumerate(INSTALL_ORDER)}


class Manifest(NamedTuple):
    source: str  # the template (or crds/ file) Helm rendered it from, as `# Source:` names it
    doc_index: int  # document index within that source
    text: str
    obj: dict[str, Any]
    is_crd_file: bool = False
    duplicates: tuple[yamlio.Duplicate, ...] = ()  # repeated keys: the last one won, as in Argo CD

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def is_hook(self) -> bool:
        annotations = (self.obj.get("metadata") or {}).get("annotations") or {}
        return isinstance(annotations, dict) and "helm.sh/hook" in annotations

    def objects(self) -> Iterator[dict[str, Any]]:
        """The object itself, or the items of a `List`."""
        if self.kind.endswith("List") and isinstance(self.obj.get("items"), list):
            yield from self.obj["items"]
        else:
            yield self.obj

    def sort_key(self) -> tuple[int, int, str, str, int]:
        # `helm template` order: CRDs from crds/, then manifests, then hooks; by install order within.
        kind = self.kind
        rank = _RANK.get(kind, len(INSTALL_ORDER))
        group = 0 if self.is_crd_file else 2 if self.is_hook else 1
        return (group, rank, kind if rank == len(INSTALL_ORDER) else "", self.source, self.doc_index)


def signature(obj: dict[str, Any]) -> str:
    """`group/version/Kind namespace/name`: how reports name one resource."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    name = meta.get("name") or meta.get("generateName") or ""
    return f"{obj.get('apiVersion', '')}/{obj.get('kind', '')} {ns + '/' if ns else ''}{name}"


class Parser(Protocol):
    def load_all(self, doc: str, source: str, duplicates: list[yamlio.Duplicate]) -> list[Any]: ...


def collect(templates: dict[str, str], crds: list[dict[str, str]], parser: Parser | None = None) -> list[Manifest]:
    """Every object Helm rendered, NOTES and partials dropped, in `helm template` order. `parser`:
    what parses each document in place of yamlio.load_all (a worker's memo.OutputDocs)."""
    found: list[Manifest] = []
    for crd in crds:
        found.extend(split(crd["filename"], crd["data"], is_crd_file=True, parser=parser))
    for path in sorted(templates):
        if not is_notes(path):
            found.extend(split(path, templates[path], parser=parser))
    return sorted(found, key=Manifest.sort_key)


def split_documents(text: str) -> list[str]:
    """`re.split(SEPARATOR, text)`: every match is `---` at the start of the text, or a run of
    whitespace that ends in a newline followed by `---`; it takes the whitespace after `---` too."""
    pieces: list[str] = []
    start = 0  # of the current piece, which is where the regex resumes its search
    if text.startswith("---"):
        pieces.append("")
        start = _skip_space(text, 3)
    found = text.find("\n---", start)
    while found >= 0:
        begin = found
        while begin > start and text[begin - 1].isspace():
            begin -= 1
        pieces.append(text[start:begin])
        start = _skip_space(text, found + 4)
        found = text.find("\n---", start)
    pieces.append(text[start:])
    return pieces


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def split(source: str, text: str, *, is_crd_file: bool = False, parser: Parser | None = None) -> Iterator[Manifest]:
    load_all = yamlio.load_all if parser is None else parser.load_all
    for index, piece in enumerate(d for d in split_documents(text) if d and not d.isspace()):  # d.strip()
        # Each document as it stands in `helm template`'s stream, which Argo CD parses: trimmed
        # (releaseutil.SplitManifests, strings.TrimSpace) and followed by a newline. Parsed without
        # that newline, a block scalar ending the document would lose its final line break.
        trimmed = piece.strip(GO_SPACE)
        doc = trimmed + "\n"
        duplicates: list[yamlio.Duplicate] = []
        try:
            parsed = load_all(doc, source, duplicates)
        except InputError as exc:
            raise RenderError(f"{source}: rendered document {index + 1} is not valid YAML", str(exc)) from None
        if len(parsed) > 1:  # after `...`: Argo CD reads the first document only, a reviewer may read both
            raise RenderError(f"{source}: rendered document {index + 1} holds {len(parsed)} YAML documents"
                              " (a `...` end marker inside it); write `---` between documents")
        if not parsed or parsed[0] is None:
            continue  # comments only: Argo CD skips it too
        obj = parsed[0]
        check_object(obj, source, index)
        yield Manifest(source, index, trimmed, obj, is_crd_file, tuple(duplicates))  # GO_SPACE holds \n


def check_object(obj: Any, source: str, index: int) -> None:
    if not isinstance(obj, dict):
        raise RenderError(
            f"{source}: rendered document {index + 1} is {yamlio.kind(obj)}, not a Kubernetes object"
        )
    for field in ("apiVersion", "kind"):
        if not obj.get(field) or not isinstance(obj[field], str):
            raise RenderError(f"{source}: rendered document {index + 1} has no {field}; every document must be a Kubernetes object")
    if obj["kind"].endswith("List") and isinstance(obj.get("items"), list):
        for i, item in enumerate(obj["items"]):
            if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
                raise RenderError(f"{source}: rendered document {index + 1}: list item {i} has no apiVersion/kind")

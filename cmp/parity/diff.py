"""Rendered streams -> resources -> per-resource RFC 6902 patches (base to head) and readable diffs.

A resource is named by `group/version/Kind namespace/name` (List items count one by one). A
resource only on one side is compared with `{}`, so its patch is a plain list of `add` (or
`remove`) operations. Both sides are redacted before diffing (cmp.parity.redact): patches and
diffs show that a secret-like field changed, never its value.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from cmp import yamlio
from cmp.parity.redact import redact, redact_pair
from cmp.pipeline.manifests import signature

ADDED = "added"
REMOVED = "removed"
MODIFIED = "modified"


@dataclass(frozen=True)
class Change:
    resource: str
    change: str  # added | removed | modified
    patch: tuple[dict[str, Any], ...]  # RFC 6902 operations, base to head
    diff: str  # unified diff of the redacted YAML, for people

    @property
    def counts(self) -> tuple[int, int]:
        """(lines added, lines removed) in `diff`."""
        lines = self.diff.splitlines()[2:]
        return (sum(1 for ln in lines if ln.startswith("+")), sum(1 for ln in lines if ln.startswith("-")))


def resources(stream: str, source: str) -> dict[str, dict[str, Any]]:
    """resource name -> object (JSON values only), in stream order; a repeated name gets ` #2`..."""
    return _resources(yamlio.load_all(stream, source))


def resources_twice(stream: str, source: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """`resources` of the stream, twice (no object shared): the base and head of an app whose two
    renders gave the same bytes, parsed once."""
    docs = yamlio.load_all(stream, source)
    return _resources(docs), _resources(docs)


def changes_of_equal(stream: str, source: str) -> tuple[Change, ...]:
    """`changes(*resources_twice(stream, source))`: the changes between two renders that gave the
    same bytes. The stream is parsed (and its resources named) all the same; then, unless the text
    could hold a NaN (`.nan` and its spellings), the answer is none: JSON values other than NaN equal
    themselves, so every resource equals its copy, and the copy and the comparison are skipped."""
    docs = yamlio.load_all(stream, source)
    first = _resources(docs)
    if "nan" not in stream.lower():
        return ()
    return changes(first, _resources(docs))


def _resources(docs: list[Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        items = doc["items"] if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list) else [doc]
        for item in items:
            if isinstance(item, dict):
                name = signature(item)
                key, n = name, 1
                while key in found:
                    n += 1
                    key = f"{name} #{n}"
                found[key] = jsonable(item)
    return found


def jsonable(obj: dict[str, Any]) -> dict[str, Any]:
    """What the API server sees: JSON types only (YAML binary, int keys and the like become strings)."""
    result: dict[str, Any] = json.loads(json.dumps(obj, default=str))
    return result


def changes(base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]],
            readable: bool = True) -> tuple[Change, ...]:
    """Every resource that differs: head order first, then the ones only base had. Without
    `readable` the unified diffs are left empty (a whole app added or removed shows none)."""
    found: list[Change] = []
    for name, obj in head.items():
        old = base.get(name)
        if old is None:
            found.append(_change(name, ADDED, {}, redact(obj), readable))
        elif old != obj:
            found.append(_change(name, MODIFIED, *redact_pair(old, obj), readable))
    for name, old in base.items():
        if name not in head:
            found.append(_change(name, REMOVED, redact(old), {}, readable))
    return tuple(found)


def _change(name: str, kind: str, before: dict[str, Any], after: dict[str, Any], readable: bool) -> Change:
    import jsonpatch

    patch = tuple(jsonpatch.make_patch(before, after).patch)
    return Change(name, kind, patch, unified(name, kind, before, after) if readable else "")


def unified(name: str, kind: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    old = to_yaml(before).splitlines() if kind != ADDED else []
    new = to_yaml(after).splitlines() if kind != REMOVED else []
    lines = difflib.unified_diff(old, new, "/dev/null" if kind == ADDED else f"base/{name}",
                                 "/dev/null" if kind == REMOVED else f"head/{name}", n=3, lineterm="")
    return "\n".join(lines) + "\n"


def to_yaml(obj: dict[str, Any]) -> str:
    import yaml

    text: str = yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=1 << 20)
    return text

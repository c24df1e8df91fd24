"""Walk a values tree, a Kubernetes object or a text file and report every secret as a Hit.

Per leaf, the key name is judged at once (cached); credential patterns, embedded `key=value`
config and base64 contents are then searched in one batch per tree, and only when a cheap
prefilter over all its strings joined says a candidate exists. So a 2 MB render costs one walk
plus a few C-speed regex passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cmp.secrets import decode, detectors
from cmp.secrets.fingerprint import fingerprint
from cmp.secrets.names import Sensitivity, classify
from cmp.secrets.shapes import is_literal, is_placeholder, is_public_material, looks_random

Path = tuple["str | int", ...]

# Every detector's pattern contains one of these; most trees contain none, and the search over all
# their strings joined runs at C speed (each branch starts with a literal, so the engine skips ahead).
_ANCHORS = re.compile(
    r"_(?:(?<=gh[pousr]_)|(?<=github_pat_)|live_|test_|(?<=whsec_)|(?<=npm_))"
    r"|-(?:(?<=gl[a-z][a-z]-)|(?<=gl[a-z][a-z][a-z]-)|(?<=gl[a-z]{4}-)|(?<=glagent-)|(?<=xox[a-z]-)"
    r"|(?<=GOCSPX-)|(?<=pypi-))"
    r"|A(?:KIA|SIA|BIA|CCA|GPA|IDA|ROA|Iza|ccountKey=)|GR1348941|PRIVATE KEY|SG\.|T3BlbkFJ|SK[0-9a-f]{32}"
    r"|J(?<=eyJ)|:(?=//[^\s/@]*:)|hooks\.slack\.com|[Aa]uthorization|[?&;]sig="
)
_SENSITIVE_WORD = re.compile(r"(?i:pass|pwd|secret|token|api.?key|private|credential|auth|_key|key=|key:)")
_PAIR = re.compile(
    r"""(?:-D|--?)?(?P<k>[A-Za-z_][\w.-]*)["']?[ \t]*(?:=|:(?=[ \t"']))[ \t]*(?P<q>["']?)(?P<v>[^\s"',;&}\]]+)(?P=q)"""
    r"""[ \t]*(?=$|[,;&}\]\r]|[ \t]+(?:-|\#|//))""",
    re.MULTILINE,
)
_FLAG = re.compile(r"""(?:^|\s)--?(?P<k>[A-Za-z][\w-]*)[ \t]+(?P<q>["']?)(?P<v>[^\s"'-][^\s"']*)(?P=q)""",
                   re.MULTILINE)
_TEXT_NAME = re.compile(r"""^[ \t]*-?[ \t]*(?:name|key):[ \t]*["']?([\w.-]+)["']?[ \t]*$""")
_NO_EMBEDDED = frozenset({"description", "message", "summary", "help", "notes"})


@dataclass(frozen=True)
class Hit:
    """One secret: where it is and what it looks like. Deliberately has no field for the value."""

    path: Path
    label: str
    fingerprint: str
    line: int = 0  # line inside a multi-line value or text file (1-based), 0 when not meaningful
    by_name: bool = False  # judged from the leaf's own key name (a pattern match at the same path wins)


def scan_values(data: Any) -> list[Hit]:
    """A values file (or any YAML document that is not a Kubernetes object)."""
    walk = _Walk()
    walk.node(data, (), "")
    return walk.finish()


def scan_object(obj: dict[str, Any]) -> list[Hit]:
    """A Kubernetes object: Secret payloads are findings themselves; ESO references are skipped."""
    walk = _Walk()
    walk.node(_without_references(obj), (), "")
    return walk.finish()


def scan_text(text: str) -> list[Hit]:
    """A file that is not YAML data (a Helm template): line-based pairs and credential patterns."""
    walk = _Walk()
    walk.hits.extend(_text_hits(text, (), decoded=False))
    return walk.finish()


def _without_references(obj: dict[str, Any]) -> dict[str, Any]:
    api = str(obj.get("apiVersion", ""))
    if not api.startswith("external-secrets.io/") or not isinstance(obj.get("spec"), dict):
        return obj
    spec = dict(obj["spec"])
    for key in ("data", "dataFrom"):
        spec.pop(key, None)
    inner = spec.get("externalSecretSpec")
    if isinstance(inner, dict):
        spec["externalSecretSpec"] = {k: v for k, v in inner.items() if k not in ("data", "dataFrom")}
    return {**obj, "spec": spec}


class _Walk:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.strings: list[tuple[Path, str, str]] = []  # (path, name, value) for the batch stage

    def node(self, value: Any, path: Path, name: str) -> None:
        if isinstance(value, dict):
            self.mapping(value, path)
        elif isinstance(value, list):
            self.sequence(value, path)
        else:
            self.leaf(value, path, name)

    def mapping(self, value: dict[Any, Any], path: Path) -> None:
        if value.get("kind") == "Secret" and "apiVersion" in value:
            self.hits.extend(secret_payload(value, path))
            value = {k: v for k, v in value.items() if k not in ("data", "stringData")}
        paired = _pair_name(value)
        for key, child in value.items():
            name = paired if paired and key == "value" else str(key)
            self.node(child, (*path, str(key)), name)

    def sequence(self, value: list[Any], path: Path) -> None:
        for i, item in enumerate(value):
            self.node(item, (*path, i), "")
            if isinstance(item, str) and item.startswith("-") and "=" not in item and i + 1 < len(value):
                self.flag(item.lstrip("-"), value[i + 1], (*path, i + 1))

    def flag(self, flag: str, value: Any, path: Path) -> None:
        # `args: ["--password", "hunter2"]`; the `--password=hunter2` form is an embedded pair.
        if isinstance(value, str) and not value.startswith("-"):
            self.judge(flag, value, path, f"flag '--{flag}'")

    def leaf(self, value: Any, path: Path, name: str) -> None:
        if name:
            self.judge(name, value, path)
        if isinstance(value, str) and len(value) >= detectors.MIN_LENGTH:
            self.strings.append((path, name, value))

    def judge(self, name: str, value: Any, path: Path, where: str = "") -> None:
        hit = judged(name, value, path, where or f"sensitive name {name!r}")
        if hit is not None:
            self.hits.append(Hit(hit.path, hit.label, hit.fingerprint, 0, by_name=True))

    def finish(self) -> list[Hit]:
        if self.strings:
            self.batch()
        return _dedupe(self.hits)

    def batch(self) -> None:
        joined = "\x00".join(s for _, _, s in self.strings)
        patterns = _ANCHORS.search(joined) is not None
        embedded = _SENSITIVE_WORD.search(joined) is not None
        registry = '"auths"' in joined
        for path, name, value in self.strings:
            if registry and '"auths"' in value:
                found = list(_registry_hits(value, path, ""))
                if found:
                    self.hits.extend(found)
                    continue
            if patterns and _ANCHORS.search(value):
                self.hits.extend(_pattern_hits(value, path))
            if embedded and name not in _NO_EMBEDDED and _SENSITIVE_WORD.search(value):
                self.hits.extend(_pair_hits(value, path))
            decoded = decode.maybe_base64(value)
            if decoded is not None:
                self.hits.extend(_text_hits(decoded, path, decoded=True))


def _pair_name(value: dict[Any, Any]) -> str:
    """`{name: DB_PASSWORD, value: ...}` (env, extraEnv, Argo CD helm.parameters): the value's name."""
    if "value" not in value:
        return ""
    for key in ("name", "key"):
        if isinstance(value.get(key), str):
            return str(value[key])
    return ""


def secret_payload(obj: dict[str, Any], path: Path = ()) -> Iterator[Hit]:
    """Every non-empty entry of a Secret's data/stringData, labelled by what it contains."""
    for field, encoded in (("data", True), ("stringData", False)):
        entries = obj.get(field)
        if not isinstance(entries, dict):
            continue
        for key, raw in entries.items():
            if raw is None or not str(raw).strip():
                continue
            content, note = _content(str(raw), encoded)
            if is_public_material(content) or is_placeholder(content):
                continue
            label = f"Secret {field} entry {str(key)!r} carries {_describe(content)}{note}"
            yield Hit((*path, field, str(key)), label, fingerprint(content))


def _content(raw: str, encoded: bool) -> tuple[str, str]:
    if not encoded:
        return raw, ""
    data = decode.base64_bytes(raw)
    if data is None:
        return raw, " (not valid base64)"
    text = decode.as_text(data)
    return (text, "") if text is not None else (raw, " (binary)")


def _describe(content: str) -> str:
    hosts = decode.registry_hosts(content)
    if hosts:
        return f"registry credentials for {', '.join(hosts)}"
    found = next(detectors.find(content), None)
    return f"a {found.label}" if found else "a value"


def _pattern_hits(value: str, path: Path, suffix: str = "", decoded: bool = False) -> Iterator[Hit]:
    for match in detectors.find(value):
        line = value.count("\n", 0, match.offset) + 1 if "\n" in value and not decoded else 0
        yield Hit(path, match.label + suffix, fingerprint(match.secret), line)


def _registry_hits(value: str, path: Path, suffix: str) -> Iterator[Hit]:
    for host in decode.registry_hosts(value):
        yield Hit(path, f"registry credentials for {host}{suffix}", fingerprint(value))


def judged(name: str, value: Any, path: Path, where: str, line: int = 0) -> Hit | None:
    """A hit when `value` is a secret by virtue of the name it sits under."""
    sensitivity = classify(name)
    if sensitivity is Sensitivity.NONE:
        return None
    if sensitivity is Sensitivity.SURE:
        text, how = is_literal(value), "literal value"
    else:
        text, how = looks_random(value), "random-looking value"
    return None if text is None else Hit(path, f"{how} under {where}", fingerprint(text), line)


def _pair_hits(value: str, path: Path, suffix: str = "", decoded: bool = False) -> Iterator[Hit]:
    """`password=...`, `"token": "..."`, `--api-key ...` inside a config file, JSON or command line."""
    multiline = "\n" in value and not decoded
    for pattern in (_PAIR, _FLAG):
        for match in pattern.finditer(value):
            line = value.count("\n", 0, match.start()) + 1 if multiline else 0
            where = f"embedded key {match.group('k')!r}" + (f" (line {line} of the value)" if line else "") + suffix
            hit = judged(match.group("k"), match.group("v"), path, where, line)
            if hit is not None:
                yield hit


def _text_hits(text: str, path: Path, *, decoded: bool) -> Iterator[Hit]:
    suffix = " (base64-encoded)" if decoded else ""
    registry = list(_registry_hits(text, path, suffix))
    if registry:
        yield from registry  # its password and auth fields are one credential: one finding
        return
    yield from _pattern_hits(text, path, suffix, decoded)
    if _SENSITIVE_WORD.search(text):
        yield from _pair_hits(text, path, suffix, decoded)
    if not decoded:
        yield from _name_value_lines(text, path)


def _name_value_lines(text: str, path: Path) -> Iterator[Hit]:
    """In raw YAML text: `- name: DB_PASSWORD` followed by `value: hunter2`."""
    pending = ""
    for number, line in enumerate(text.splitlines(), 1):
        named = _TEXT_NAME.match(line)
        if named:
            pending = named.group(1)
            continue
        stripped = line.strip()
        if pending and stripped.startswith("value:"):
            value = stripped[len("value:"):].split(" #", 1)[0].strip().strip("\"'")
            hit = judged(pending, value, path, f"sensitive name {pending!r}", number)
            if hit is not None:
                yield hit
        if stripped and not stripped.startswith(("value", "#")):
            pending = ""


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per (path, fingerprint, line); a credential pattern's label beats the name-based one."""
    precise = {hit.path for hit in hits if not hit.by_name}
    best: dict[tuple[Path, str, int], Hit] = {}
    for hit in hits:
        if not (hit.by_name and hit.path in precise):
            best.setdefault((hit.path, hit.fingerprint, hit.line), hit)
    return list(best.values())

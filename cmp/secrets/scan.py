"""Walk a values tree, a Kubernetes object or a text file and report every secret as a Hit.

Per leaf, the key name is judged at once (cached). Every distinct string long enough to hold a
credential is then joined into one text (per tree, or per render: scan_objects), and C-speed passes
over it find where credential anchors, catalog keywords and sensitive words are; only those strings
get the full patterns and the embedded `key=value` search, once per distinct string. So a 2 MB
render costs one walk plus a few passes over what it does not repeat.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, chain
from operator import itemgetter
from collections.abc import Iterator
from typing import Any, NamedTuple

from cmp.secrets import decode, detectors, embedded, maintained
from cmp.secrets.fingerprint import fingerprint
from cmp.secrets.names import Sensitivity, classify, names_a_key
from cmp.secrets.shapes import (
    is_identifier,
    is_literal,
    is_placeholder,
    is_public_material,
    is_stand_in,
    looks_random,
)

Path = tuple["str | int", ...]

_NONE = Sensitivity.NONE
_NO_EMBEDDED = frozenset({"description", "message", "summary", "help", "notes"})  # prose, not config
_SEPARATOR = "\x00"


class Hit(NamedTuple):
    """One secret: where it is and what it looks like. Deliberately has no field for the value."""

    path: Path
    label: str
    fingerprint: str
    line: int = 0  # line inside a multi-line value or text file (1-based), 0 when not meaningful
    by_name: bool = False  # judged from the leaf's own key name (a pattern match at the same path wins)


def scan_values(data: Any) -> list[Hit]:
    """A values file (or any YAML document that is not a Kubernetes object)."""
    walk = _Walk()
    walk.node(data)
    _batch([walk], _Known())
    return _dedupe(walk.hits)


def scan_object(obj: dict[str, Any]) -> list[Hit]:
    """A Kubernetes object: Secret payloads are findings themselves; ESO references are skipped."""
    return scan_objects([obj])[0]


def scan_objects(objs: list[dict[str, Any]]) -> list[list[Hit]]:
    """scan_object of each object (the same hits), the strings of many judged in one batch: a render's
    thousand small objects cost a few joins and passes of each search, not a thousand. A batch ends
    at _BATCH_STRINGS strings, so what is held for it stays small (and young, for the collector).
    What the passes found in a string is kept for the whole call: a render repeats its strings (a
    CRD's descriptions, labels), and each distinct one is searched once."""
    found: list[list[Hit]] = []
    walks: list[_Walk] = []
    known = _Known()
    held = 0
    for obj in objs:
        walk = _Walk()
        walk.node(_without_references(obj))
        walks.append(walk)
        held += len(walk.strings)
        if held >= _BATCH_STRINGS:
            found += _judged(walks, known)
            walks, held = [], 0
    return found + _judged(walks, known)


_BATCH_STRINGS = 512


def _judged(walks: list[_Walk], known: _Known) -> list[list[Hit]]:
    _batch(walks, known)
    return [_dedupe(walk.hits) for walk in walks]


def scan_text(text: str) -> list[Hit]:
    """A file that is not YAML data (a Helm template): credential patterns and pairs, by line."""
    hits = list(_text_hits(text, (), whole_file=True))
    for name, value, line in embedded.name_value_lines(text):
        hit = judged(name, value, (), f"sensitive name {name!r}", line)
        if hit is not None:
            hits.append(hit)
    return _dedupe(hits)


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


# A string for the batch stage: (the path of its parent, its key or index there, the name it is judged
# under, the value). The path is built only for a string that is looked into: most never are.
_Entry = tuple[Path, "str | int | None", str, str]
_MIN_LENGTH = detectors.MIN_LENGTH


class _Walk:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.strings: list[_Entry] = []

    def node(self, value: Any) -> None:
        """The root of a document."""
        if isinstance(value, dict):
            self.mapping(value, ())
        elif isinstance(value, list):
            self.sequence(value, ())
        elif isinstance(value, str) and len(value) >= _MIN_LENGTH:
            self.strings.append(((), None, "", value))

    def mapping(self, value: dict[Any, Any], path: Path) -> None:
        if value.get("kind") == "Secret" and "apiVersion" in value:
            self.hits.extend(secret_payload(value, path))
            value = {k: v for k, v in value.items() if k not in ("data", "stringData")}
        paired = _pair_name(value) if "value" in value else ""
        strings = self.strings
        for key, child in value.items():
            if type(key) is not str and not isinstance(key, str):  # the type test first: the usual case
                key = str(key)
            if type(child) is not str:
                if isinstance(child, dict):
                    self.mapping(child, (*path, key))
                    continue
                if isinstance(child, list):
                    self.sequence(child, (*path, key))
                    continue
            name = paired if paired and key == "value" else key
            if key == "secretKey" and "secretName" in value and isinstance(child, str) and is_identifier(child):
                pass  # `{secretName: vault-license, secretKey: license}`: which key of that Secret, no secret
            elif classify(name) is not _NONE:
                self.judge(name, child, (*path, key), f"sensitive name {name!r}")
            if isinstance(child, str) and len(child) >= _MIN_LENGTH:
                strings.append((path, key, name, child))

    def sequence(self, value: list[Any], path: Path) -> None:
        strings = self.strings
        for i, item in enumerate(value):
            if isinstance(item, dict):
                self.mapping(item, (*path, i))
            elif isinstance(item, list):
                self.sequence(item, (*path, i))
            elif isinstance(item, str):
                if len(item) >= _MIN_LENGTH:
                    strings.append((path, i, "", item))
                if item.startswith("-") and "=" not in item and i + 1 < len(value):
                    # `args: ["--password", "hunter2"]`; the `--password=hunter2` form is an embedded pair.
                    flag, following = item.lstrip("-"), value[i + 1]
                    if isinstance(following, str) and not following.startswith("-") and classify(flag) is not _NONE:
                        self.judge(flag, following, (*path, i + 1), f"flag '--{flag}'")

    def judge(self, name: str, value: Any, path: Path, where: str) -> None:
        hit = judged(name, value, path, where)
        if hit is not None:
            self.hits.append(Hit(hit.path, hit.label, hit.fingerprint, 0, by_name=True))


_ANCHOR, _KEYWORD, _SENSITIVE = 1, 2, 4
_VALUE = itemgetter(3)  # of an _Entry


class _Known:
    """What a scan_objects call found in its strings, by string: a render repeats them (a CRD's
    descriptions, labels), and each distinct one is searched and looked into once."""

    __slots__ = ("flags", "judged")

    def __init__(self) -> None:
        self.flags: dict[str, int] = {}  # what the passes found: _ANCHOR | _KEYWORD | _SENSITIVE
        self.judged: dict[tuple[str, bool], list[Hit]] = {}  # (string, pairs looked into) -> its hits


def _batch(walks: list[_Walk], known: _Known) -> None:
    """The distinct strings of every walk not in `known` joined into one text, C-speed passes over it
    to find which hold a credential anchor, a catalog keyword or a sensitive word; only those strings
    get the full patterns and the embedded `key=value` search, and strings shaped like base64 are
    decoded and looked into. Each walk's hits are appended in the order of its strings, as if it were
    batched alone. `known` is read and extended.

    A string's flags depend on it alone: no anchor, keyword or word match holds the separator, except
    `api.?key`, which finds `api` ending one string and `key` starting the next; the pair search then
    looks into the first string alone and finds what its own flag would have found. Strings lowercase
    position for position here; a batch with one that does not (İ) is judged by _batch_joined, where
    its whole object is lowercased ASCII only."""
    flags, judged = known.flags, known.judged
    fresh = dict.fromkeys(map(_VALUE, chain.from_iterable([walk.strings for walk in walks])))
    for value in fresh.keys() & flags.keys():
        del fresh[value]
    joined = _SEPARATOR.join(fresh)
    lowered = joined.lower()
    if len(lowered) != len(joined):
        _batch_joined(walks)
        return
    values = list(fresh)
    starts = [0, *accumulate(len(value) + 1 for value in values)]
    found = [0] * len(values)
    for index in _owners(detectors.ANCHORS, joined, starts):
        found[index] |= _ANCHOR
    for index in _keyword_owners(lowered, starts):
        found[index] |= _KEYWORD
    # A sensitive word matters only in a string with a separator (_has_separator): when no string has
    # one (a render of names and identifiers), that pass would be for nothing.
    if "=" in joined or ":" in joined or " " in joined or "\n" in joined:
        for index in _owners(embedded.SENSITIVE, lowered, starts):
            found[index] |= _SENSITIVE
    flags.update(zip(values, found))
    minimum = decode.MIN_ENCODED
    for walk in walks:
        for parent, last, name, value in walk.strings:
            found_in = flags[value]
            # A string shorter or not a multiple of 4 long is no base64 (maybe_base64 says None).
            if not (found_in or (len(value) >= minimum and not len(value) % 4) or '"auth' in value):
                continue
            paired = bool(found_in & _SENSITIVE) and name not in _NO_EMBEDDED and _has_separator(value)
            hits = judged.get((value, paired))
            if hits is None:
                hits = judged[value, paired] = _string_hits(value, found_in, paired)
            if hits:
                path = parent if last is None else (*parent, last)
                walk.hits.extend(Hit(path, *hit[1:]) for hit in hits)


def _string_hits(value: str, found_in: int, paired: bool) -> list[Hit]:
    """What one string of a walk holds (its hits with an empty path): `found_in` its flags, `paired`
    whether its pairs are looked into."""
    path: Path = ()
    hits: list[Hit] = []
    if '"auth' in value and _found(hits, _registry_hits(value, path, "")):
        return hits  # its password and auth fields are one credential: one finding
    if found_in & (_ANCHOR | _KEYWORD):
        hits.extend(_pattern_hits(value, path, hand_kept=bool(found_in & _ANCHOR), catalog=bool(found_in & _KEYWORD)))
    if paired:
        hits.extend(_pair_hits(value, path))
    decoded = decode.maybe_base64(value) if len(value) >= decode.MIN_ENCODED and not len(value) % 4 else None
    if decoded is not None:
        hits.extend(_text_hits(decoded, path, decoded=True))
    return hits


# Between two walks' strings in a batch: a string of its own, so each walk's strings are joined and
# searched exactly as they would be alone. No credential anchor, sensitive word or catalog keyword
# holds or starts at a newline, and none spans `\x00\n\x00` (`api.?key` spans one `\x00`, as it does
# between two strings of one walk).
_BETWEEN_WALKS = "\n"


def _batch_joined(walks: list[_Walk]) -> None:
    """_batch for a batch holding a string that lowercases longer: every string of every walk joined
    into one text (each walk lowercased as a whole, as embedded.lower does), the passes over it, then
    each string judged where they found something."""
    texts: list[str] = []
    entries: list[tuple[_Walk, _Entry] | None] = []
    segments: list[tuple[int, int]] = []  # each walk's strings: (first index, index after the last)
    for walk in walks:
        if not walk.strings:
            continue
        if texts:
            texts.append(_BETWEEN_WALKS)
            entries.append(None)
        first = len(texts)
        texts.extend(value for _, _, _, value in walk.strings)
        entries.extend((walk, entry) for entry in walk.strings)
        segments.append((first, len(texts)))
    if not texts:
        return
    joined = _SEPARATOR.join(texts)
    starts = [0, *accumulate(len(text) + 1 for text in texts)]
    lowered = _lowered(joined, texts, segments)
    # Which strings hold a credential anchor, which a catalog keyword: the full patterns run only
    # there, and only the families that can match (a URL's `://` needs no catalog pass of its own).
    anchors, keywords = _owners(detectors.ANCHORS, joined, starts), _keyword_owners(lowered, starts)
    anchored = anchors | keywords
    # A sensitive word matters only in a string with a separator (_has_separator): when no string has
    # one (a render of names and identifiers), that pass would be for nothing.
    separated = "=" in joined or ":" in joined or " " in joined or joined.count("\n") > len(segments) - 1
    sensitive = _owners(embedded.SENSITIVE, lowered, starts) if separated else set()
    registry = '"auth' in joined
    for index in range(len(texts)):
        value = texts[index]
        long_enough = len(value) >= decode.MIN_ENCODED and not len(value) % 4  # else maybe_base64 says None
        if not (long_enough or index in anchored or index in sensitive or (registry and '"auth' in value)):
            continue
        found = entries[index]
        if found is None:
            continue
        walk, (parent, last, name, _) = found
        path = parent if last is None else (*parent, last)
        if registry and '"auth' in value and _found(walk.hits, _registry_hits(value, path, "")):
            continue  # its password and auth fields are one credential: one finding
        if index in anchored:
            walk.hits.extend(_pattern_hits(value, path, lowered=lowered[starts[index]:starts[index + 1] - 1],
                                           hand_kept=index in anchors, catalog=index in keywords))
        if index in sensitive and name not in _NO_EMBEDDED and _has_separator(value):
            walk.hits.extend(_pair_hits(value, path))
        decoded = decode.maybe_base64(value) if long_enough else None
        if decoded is not None:
            walk.hits.extend(_text_hits(decoded, path, decoded=True))


def _lowered(joined: str, texts: list[str], segments: list[tuple[int, int]]) -> str:
    """`joined` lowercased as each walk's strings are when batched alone (embedded.lower of their join:
    a walk holding a character that lowercases to two, such as İ, is lowered ASCII only)."""
    lowered = joined.lower()
    if len(lowered) == len(joined):
        return lowered  # every walk's text keeps its length too, and its lowering is this slice of it
    between = _SEPARATOR + _BETWEEN_WALKS + _SEPARATOR
    return between.join(embedded.lower(_SEPARATOR.join(texts[first:end])) for first, end in segments)


def _has_separator(value: str) -> bool:
    # A pair needs `=`, `:` or a space between key and value; a bare word or path holds none.
    return "=" in value or ":" in value or " " in value or "\n" in value


def _owners(pattern: re.Pattern[str], joined: str, starts: list[int]) -> set[int]:
    """Which of the joined strings hold a match: one search per such string, then on to the next."""
    owners: set[int] = set()
    position = 0
    while (match := pattern.search(joined, position)) is not None:
        index = bisect_right(starts, match.start()) - 1
        owners.add(index)
        position = starts[index + 1]
    return owners


def _keyword_owners(lowered: str, starts: list[int]) -> set[int]:
    """Which of the joined strings hold a keyword of the maintained catalog."""
    return {bisect_right(starts, end) - 1 for end, _ in maintained.keyword_ends(lowered)}


def _found(hits: list[Hit], new: Iterator[Hit]) -> bool:
    before = len(hits)
    hits.extend(new)
    return len(hits) > before


def _pair_name(value: dict[Any, Any]) -> str:
    """`{name: DB_PASSWORD, value: ...}` (env, extraEnv, Argo CD helm.parameters): the value's name."""
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
            if is_public_material(content) or is_stand_in(content):
                continue  # a filled-in format (`ghp_xxxx`) in a Secret is still a Secret with data
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


def judged(name: str, value: Any, path: Path, where: str, line: int = 0) -> Hit | None:
    """A hit when `value` is a secret by virtue of the name it sits under."""
    sensitivity = classify(name)
    if sensitivity is _NONE or (names_a_key(name) and isinstance(value, str) and is_identifier(value)):
        return None
    if sensitivity is Sensitivity.SURE:
        text, how = is_literal(value), "literal value"
    else:
        text, how = looks_random(value), "random-looking value"
    return None if text is None else Hit(path, f"{how} under {where}", fingerprint(text), line)


def _pattern_hits(value: str, path: Path, suffix: str = "", numbered: bool = True, lowered: str | None = None,
                  *, hand_kept: bool = True, catalog: bool = True) -> Iterator[Hit]:
    for match in detectors.find(value, lowered, hand_kept=hand_kept, catalog=catalog):
        line = value.count("\n", 0, match.offset) + 1 if numbered and "\n" in value else 0
        yield Hit(path, match.label + suffix, fingerprint(match.secret), line)


def _registry_hits(value: str, path: Path, suffix: str) -> Iterator[Hit]:
    for host in decode.registry_hosts(value):
        yield Hit(path, f"registry credentials for {host}{suffix}", fingerprint(value))


def _pair_hits(value: str, path: Path, suffix: str = "", numbered: bool = True, whole_file: bool = False
               ) -> Iterator[Hit]:
    """`password=...`, `"token": "..."`, `--api-key ...` inside a config file, JSON or command line."""
    multiline = numbered and "\n" in value
    for pair in embedded.pairs(value):
        line = value.count("\n", 0, pair.offset) + 1 if multiline else 0
        if whole_file:
            where = f"key {pair.key!r}"
        else:
            where = f"embedded key {pair.key!r}" + (f" (line {line} of the value)" if line else "")
        hit = judged(pair.key, pair.value, path, where + suffix, line)
        if hit is not None:
            yield hit


def _text_hits(text: str, path: Path, *, decoded: bool = False, whole_file: bool = False) -> Iterator[Hit]:
    """Everything in one text: a decoded base64 value, or a whole file."""
    suffix = " (base64-encoded)" if decoded else ""
    registry = list(_registry_hits(text, path, suffix))
    if registry:
        yield from registry  # its password and auth fields are one credential: one finding
        return
    yield from _pattern_hits(text, path, suffix, numbered=not decoded)
    yield from _pair_hits(text, path, suffix, numbered=not decoded, whole_file=whole_file)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One hit per (path, fingerprint, line); a credential pattern's label beats the name-based one."""
    if not hits:
        return []
    precise = {hit.path for hit in hits if not hit.by_name}
    best: dict[tuple[Path, str, int], Hit] = {}
    for hit in hits:
        if not (hit.by_name and hit.path in precise):
            best.setdefault((hit.path, hit.fingerprint, hit.line), hit)
    return list(best.values())

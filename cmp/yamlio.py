"""Safe, bounded YAML reading for every file gitops-cmp touches, with Go's YAML semantics.

Argo CD reads our stdout with sigs.k8s.io/yaml and Helm reads value files with it (gopkg.in/yaml.v2
into interface{}, then JSON), so that is how every file is read here: the rules judge what Argo CD
applies and Helm renders with. libyaml (CSafeLoader) parses; plain scalars resolve as Go resolves
them (go_resolve: y/n/on/off are booleans, `=`, `1:20` and timestamps are strings), merge keys `<<`
apply in document order (a later merge overrides an earlier key), map keys become JSON strings.
What Go reads differently or at random (unknown or binary tags, a redefined anchor, two keys that
become one JSON key, directives) is refused, and so is a duplicate key unless the caller asks for
Go's "last one wins". Alias expansion and nesting depth are bounded before anything is built.
tests/security/test_parser_differential.py holds the table of corners, checked against real Go.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml._yaml import CParser as _CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cmp.errors import InputError

MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 1000  # libyaml refuses deeper documents itself
_P = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _MERGE, _MAP, _SEQ = (
    _P + t for t in ("str", "int", "float", "bool", "null", "merge", "map", "seq"))

# gopkg.in/yaml.v2 resolve.go: plain scalars Go reads as something other than a string, by their text.
_WORDS: dict[str, tuple[str, Any]] = {
    **{w: (_BOOL, True) for w in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")},
    **{w: (_BOOL, False) for w in ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")},
    **{w: (_NULL, None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: (_FLOAT, math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{w: (_FLOAT, math.inf) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: (_FLOAT, -math.inf) for w in ("-.inf", "-.Inf", "-.INF")},
}
_GO_FLOAT = r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"  # yaml.v2's yamlStyleFloat
_DIGITS = {16: frozenset("0123456789abcdefABCDEF"), 10: frozenset("0123456789"), 8: frozenset("01234567"),
           2: frozenset("01")}
_INT64, _UINT64 = 2**63, 2**64
# _Builder recurses once per nesting level, a little more than libyaml's own bound (MAX_DEPTH).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 3 * MAX_DEPTH))
_ANCHOR = r"&([^\s,\[\]{}]+)"  # compiled only for an error message


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


def go_resolve(text: str) -> tuple[str, Any]:
    """(tag, value) of a plain scalar as gopkg.in/yaml.v2 decodes it into interface{} (what Argo CD
    and Helm read): YAML 1.1 booleans (y, n, on, off), no sexagesimal numbers, `=` and timestamps
    are strings, `08` is a float, ints are int64 or uint64 and wider ones floats."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[0]
    if first == ".":
        return (_FLOAT, float(text)) if _go_float(text) else (_STR, text)
    if first not in "+-0123456789":
        return _STR, text
    plain = text.replace("_", "")
    number = _go_int(plain)
    if number is not None:
        return _INT, number
    if _go_float(plain):
        value = float(plain)
        if not math.isinf(value):  # Go's ParseFloat fails out of range
            return _FLOAT, value
    return _STR, text


def _go_float(text: str) -> bool:
    """Whether `text` is a float as yaml.v2 spells one (compiled on first use: start-up cost)."""
    return re.fullmatch(_GO_FLOAT, text) is not None


def _go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64) (no sign), else None."""
    sign, body = (-1 if text[0] == "-" else 1, text[1:]) if text[:1] in "+-" else (0, text)
    prefix = body[:2].lower()
    base, digits = {"0x": (16, body[2:]), "0o": (8, body[2:]), "0b": (2, body[2:])}.get(prefix, (10, body))
    if base == 10 and len(body) > 1 and body[0] == "0":
        base, digits = 8, body[1:]
    if not digits or not _DIGITS[base].issuperset(digits):
        return None
    value = int(digits, base)
    if sign == 0:
        return value if value < _UINT64 else None
    value *= sign
    return value if -_INT64 <= value < _INT64 else None


class _Loader(yaml.CSafeLoader):
    """CSafeLoader whose plain scalars resolve as Go's YAML resolves them (go_resolve)."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            if value == "<<":
                return _MERGE
            return go_resolve(value)[0] if value in _WORDS or value[:1] in "+-.0123456789" else _STR
        tag: str = super().resolve(kind, value, implicit)
        return tag


def _check_budget(root: Node, source: str) -> None:
    """Bound the size of the document once aliases are expanded, and its depth, without recursion."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"{source}: YAML nested deeper than {MAX_DEPTH} levels")
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                line = node.start_mark.line + 1
                raise InputError(
                    f"{source}:{line}: YAML expands to more than {MAX_EXPANDED_NODES} nodes"
                    " (alias bomb?)"
                )
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class Duplicate(NamedTuple):
    line: int  # 1-based, of the later key, which wins (as in Go)
    first: int  # line of the earlier one


def load_all(text: str, source: str, duplicates: list[Duplicate] | None = None) -> list[Any]:
    """Every document of `text` as Go's YAML (sigs.k8s.io/yaml) reads it; `source` names the file in
    errors. A repeated key is an error, unless `duplicates` is given: then the last one wins, as in
    Go, and each repetition is appended there."""
    if "%" in text and (text.startswith("%") or "\n%" in text):  # `%` first: memchr, where `\n%` reads every line
        line = 1 if text.startswith("%") else text[: text.index("\n%")].count("\n") + 2
        raise InputError(f"{source}:{line}: a YAML directive (%YAML, %TAG) is not allowed: Go's YAML reads"
                         " documents with directives differently")
    fast = _load_plain(text)
    if fast is not None:
        return fast
    loader = _Loader(text)
    has_anchors = "&" in text
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            if has_anchors:  # without an anchor there is no alias, so nothing can expand
                _check_budget(node, source)
            docs.append(_Builder(text, source, duplicates).build(node))
    except yaml.composer.ComposerError as exc:
        raise _anchor_error(exc, text, source) if exc.problem == "second occurrence" else _input_error(exc, source) from None
    except yaml.MarkedYAMLError as exc:
        raise _input_error(exc, source) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: YAML nested too deeply to parse") from None
    finally:
        loader.dispose()
    return docs


_PLAIN_DEPTH = 200  # deeper documents take the node path (its recursion and errors)
_RESOLVED_FIRST = frozenset("+-.0123456789")


def _load_plain(text: str) -> list[Any] | None:
    """load_all's documents built straight from libyaml's events, for the common case: no anchor,
    alias, tag, merge key, repeated key or non-string key, nesting under _PLAIN_DEPTH. Anything else
    (and any error) returns None, and the node path reads the text again, with its checks and
    messages. What this builds equals the node path's result: plain scalars through go_resolve,
    every other scalar a string, keys in document order."""
    if not _EVENTS_ARE_VALUES:
        return None
    parser = _CParser(text)
    try:
        return _plain_documents(parser.get_event)
    except (yaml.YAMLError, _NotPlain):
        return None
    finally:
        parser.dispose()


class _NotPlain(Exception):
    """The document needs the node path (an anchor, alias, tag, merge key, repeated or non-string key)."""


class _Event:
    """What the event builders below give for an event that is not a plain scalar."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_MAPPING, _SEQUENCE, _END, _DOCUMENT, _STREAM_END, _NODE_PATH = (
    _Event(name) for name in ("mapping", "sequence", "end", "document", "stream end", "node path"))


# libyaml's events reach Python through PyYAML's Cython layer, which builds each one by calling the
# event class its module names (yaml._yaml.ScalarEvent, ...): a Python object and its __init__ per
# event, a third of the parse. These builders take their place there, so an event arrives as what
# the fast path needs: a plain or quoted scalar as its value (resolved as Go resolves it), anything
# the fast path leaves to the node path as _NODE_PATH, a collection's start or end as a marker.
# Nothing else in gitops-cmp reads PyYAML's events (yaml.parse, yaml.emit); the node path (get_node)
# builds its nodes from libyaml's events in C and is unaffected.


def _scalar_event(anchor: str | None, tag: str | None, implicit: tuple[bool, bool], value: str,
                  start_mark: Any, end_mark: Any, style: str | None) -> Any:
    if anchor is not None or tag is not None:
        return _NODE_PATH
    if implicit[0]:
        if value in _WORDS or value[:1] in _RESOLVED_FIRST:
            return go_resolve(value)[1]
        if value == "<<":  # a merge key, or `<<` as a value: the node path's rules
            return _NODE_PATH
    return value


def _mapping_event(anchor: str | None, tag: str | None, implicit: bool, start_mark: Any, end_mark: Any,
                   flow_style: bool) -> _Event:
    return _MAPPING if anchor is None and tag is None else _NODE_PATH


def _sequence_event(anchor: str | None, tag: str | None, implicit: bool, start_mark: Any, end_mark: Any,
                    flow_style: bool) -> _Event:
    return _SEQUENCE if anchor is None and tag is None else _NODE_PATH


def _end_event(start_mark: Any, end_mark: Any) -> _Event:
    return _END  # of a mapping or a list: libyaml nests them, so which one is known


_EVENT_BUILDERS: dict[str, Any] = {
    "ScalarEvent": _scalar_event,
    "MappingStartEvent": _mapping_event,
    "SequenceStartEvent": _sequence_event,
    "MappingEndEvent": _end_event,
    "SequenceEndEvent": _end_event,
    "AliasEvent": lambda anchor, start_mark, end_mark: _NODE_PATH,
    "StreamStartEvent": lambda start_mark, end_mark, encoding: _DOCUMENT,
    "DocumentStartEvent": lambda start_mark, end_mark, explicit, version, tags: _DOCUMENT,
    "DocumentEndEvent": lambda start_mark, end_mark, explicit: _DOCUMENT,
    "StreamEndEvent": lambda start_mark, end_mark: _STREAM_END,
}


def _install_event_builders() -> bool:
    """Put the builders in PyYAML's Cython module; whether its parser now gives what they build (a
    PyYAML that bound its event classes otherwise would not: then every document takes the node path)."""
    import yaml._yaml as cyaml

    for name, builder in _EVENT_BUILDERS.items():
        setattr(cyaml, name, builder)
    parser = _CParser("a: [1, '2']\n")
    try:
        events = [parser.get_event() for _ in range(10)]
    finally:
        parser.dispose()
    return events == [_DOCUMENT, _DOCUMENT, _MAPPING, "a", _SEQUENCE, 1, "2", _END, _END, _DOCUMENT]


_EVENTS_ARE_VALUES = _install_event_builders()


# One function per container kind, each reading its own events: the nesting is Python's call stack, so
# an event costs a type test and a store, not pushes and pops on stacks of containers and pending keys.


def _plain_documents(get_event: Any) -> list[Any]:
    docs: list[Any] = []
    while True:
        event = get_event()
        if type(event) is not _Event:
            docs.append(event)
        elif event is _MAPPING:
            docs.append(_plain_mapping(get_event, 1))
        elif event is _SEQUENCE:
            docs.append(_plain_sequence(get_event, 1))
        elif event is _STREAM_END:
            return docs
        elif event is not _DOCUMENT:
            raise _NotPlain


def _plain_mapping(get_event: Any, depth: int) -> dict[str, Any]:
    """The mapping whose start event was read, up to and with its end event; `depth`: open containers."""
    data: dict[str, Any] = {}
    while True:
        key = get_event()
        if type(key) is not str:
            if key is _END:
                return data
            raise _NotPlain  # a key that is not a string (Go's would become one), a collection, an alias
        if key in data:
            raise _NotPlain
        value = get_event()
        if type(value) is not _Event:
            data[key] = value
        elif value is _MAPPING and depth < _PLAIN_DEPTH:
            data[key] = _plain_mapping(get_event, depth + 1)
        elif value is _SEQUENCE and depth < _PLAIN_DEPTH:
            data[key] = _plain_sequence(get_event, depth + 1)
        else:
            raise _NotPlain


def _plain_sequence(get_event: Any, depth: int) -> list[Any]:
    """The list whose start event was read, up to and with its end event; `depth`: open containers."""
    items: list[Any] = []
    append = items.append
    while True:
        item = get_event()
        if type(item) is not _Event:
            append(item)
        elif item is _MAPPING and depth < _PLAIN_DEPTH:
            append(_plain_mapping(get_event, depth + 1))
        elif item is _END:
            return items
        elif item is _SEQUENCE and depth < _PLAIN_DEPTH:
            append(_plain_sequence(get_event, depth + 1))
        else:
            raise _NotPlain


def _anchor_error(exc: yaml.MarkedYAMLError, text: str, source: str) -> InputError:
    """libyaml's duplicate-anchor message names neither the anchor nor the rule: Go's YAML would let
    the later definition win for the aliases after it; we refuse rather than guess."""
    mark = exc.problem_mark
    assert mark is not None
    found = re.compile(_ANCHOR).search(text.splitlines()[mark.line], mark.column)
    from cmp.redact import is_name  # an anchor's name is the file's text: shown only if it is a name

    name = f" &{found.group(1)}" if found and is_name(found.group(1)) else ""
    first = f" (first defined on line {exc.context_mark.line + 1})" if exc.context_mark else ""
    return InputError(f"{source}:{mark.line + 1}:{mark.column + 1}: anchor{name} is defined again{first};"
                      " Go's YAML would use the later one for aliases after it: give each anchor its own name")


class _Builder:
    """Nodes to Python values with gopkg.in/yaml.v2's decoding into interface{}, then
    sigs.k8s.io/yaml's conversion to JSON: what Argo CD applies and Helm renders with."""

    def __init__(self, text: str, source: str, duplicates: list[Duplicate] | None) -> None:
        self.text = text
        self.lines: list[str] | None = None  # of text, split once if a tag needs looking at
        self.bang = "!" in text  # a tag somewhere: the non-specific `!` makes a plain scalar a string
        self.source = source
        self.duplicates = duplicates
        self.built: dict[int, Any] = {}  # alias targets, by node id: an alias is the same value

    def build(self, node: Node) -> Any:
        key = id(node)
        if key in self.built:
            return self.built[key]
        kind = type(node)
        if kind is ScalarNode:
            value = self.scalar(node)
        elif isinstance(node, MappingNode):
            self.check_tag(node, _MAP)
            value = self.mapping(node)
        else:
            self.check_tag(node, _SEQ)
            value = [self.build(item) for item in node.value]
        self.built[key] = value
        return value

    def scalar(self, node: Node) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _MERGE:  # `<<` as a value (a key is handled by mapping), or `!!merge x`: a string
            return text
        if tag not in (_INT, _FLOAT, _BOOL, _NULL):
            self.refuse(node)
        if self.bang and self.nonspecific(node):
            return text
        resolved, value = go_resolve(text) if text else (_NULL, None)
        if resolved == tag:
            return value
        if tag == _FLOAT and resolved == _INT:
            return float(value or 0)
        raise self.error(node, f"the value does not match its explicit tag {_short(tag)}")

    def nonspecific(self, node: Node) -> bool:
        """Whether the scalar carries the non-specific tag `!` (libyaml resolves it as untagged; Go
        reads a string)."""
        mark = node.start_mark
        if self.lines is None:
            self.lines = self.text.splitlines()
        line = self.lines[mark.line] if mark.line < len(self.lines) else ""
        return line.startswith(("! ", "!\t", "!<!>"), mark.column) or line[mark.column:] == "!"

    def mapping(self, node: MappingNode) -> dict[str, Any]:
        data: dict[str, Any] = {}
        explicit: dict[str, int] = {}  # key -> line of the key that set it
        kinds: dict[str, type] = {}  # key -> type of the YAML value it was written as
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.tag == _MERGE and key_node.value == "<<":
                self.merge(data, value_node, key_node)  # in document order: a later merge overrides (Go)
                continue
            key, typed = self.key(key_node)
            line = key_node.start_mark.line + 1
            if key in explicit and typed != kinds[key]:
                raise self.error(key_node, f"this key and the one on line {explicit[key]} are different YAML"
                                           " values that become the same JSON key; Argo CD would pick one at random")
            kinds[key] = typed
            if key in explicit:
                if self.duplicates is None:
                    raise DuplicateKeyError(None, None, f"duplicate key (first defined on line {explicit[key]})",
                                            key_node.start_mark)
                self.duplicates.append(Duplicate(line, explicit[key]))
            explicit[key] = line
            data[key] = self.build(value_node)
        return data

    def merge(self, data: dict[str, Any], node: Node, key_node: Node) -> None:
        if isinstance(node, SequenceNode) and node.start_mark.index < key_node.end_mark.index:
            # an alias (its node starts where the anchor was): Go merges an alias of a map only
            raise self.error(key_node, "a merge key `<<` takes an alias of a mapping, not of a list")
        if isinstance(node, SequenceNode):
            for item in reversed(node.value):  # earlier maps of the list take precedence (Go)
                self.merge_one(data, item)
        else:
            self.merge_one(data, node)

    def merge_one(self, data: dict[str, Any], node: Node) -> None:
        merged = self.build(node) if isinstance(node, MappingNode) else None
        if not isinstance(merged, dict):
            raise self.error(node, "a merge key `<<` needs a mapping or a list of mappings")
        data.update(merged)

    def key(self, node: Node) -> tuple[str, type]:
        """A map key as sigs.k8s.io/yaml turns it into a JSON key, and the type it had in YAML."""
        if type(node) is not ScalarNode:
            raise self.error(node, "a map key must be a scalar (Go's YAML refuses a list or map as a key)")
        value = self.scalar(node)
        if isinstance(value, str):
            return value, str
        if isinstance(value, bool):
            return ("true" if value else "false"), bool
        if isinstance(value, int):
            return str(value), int
        if isinstance(value, float):
            return _go_float_key(value), float
        raise self.error(node, "a map key is null; Argo CD and Helm refuse it")

    def check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            self.refuse(node)

    def refuse(self, node: Node) -> None:
        tag = node.tag
        shown = _short(tag) if tag.startswith(_P) and len(tag) < 40 and tag[len(_P):].isalpha() else "an unknown tag"
        raise self.error(node, f"{shown} is not allowed: manifests and values are plain YAML"
                               " (Go's YAML would read it differently from the checks)")

    def error(self, node: Node, problem: str) -> yaml.MarkedYAMLError:
        return yaml.MarkedYAMLError(None, None, problem, node.start_mark)


def _short(tag: str) -> str:
    return "!!" + tag[len(_P):] if tag.startswith(_P) else tag


def _go_float_key(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), as sigs.k8s.io/yaml writes a float map key."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    import struct

    single = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):  # the shortest digits that read back as the same float32
        text = f"{value:.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, exponent_text = text.split("e")
    digits, exponent = mantissa.replace(".", "").lstrip("-").rstrip("0") or "0", int(exponent_text)
    sign = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    whole, fraction = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1:]
    return f"{sign}{whole}{'.' + fraction if fraction else ''}"


def load_one(text: str, source: str) -> Any:
    docs = load_all(text, source)
    if len(docs) > 1:
        raise InputError(f"{source}: expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def _input_error(exc: yaml.MarkedYAMLError, source: str) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
    problem = exc.problem or "invalid YAML"
    if exc.context and not isinstance(exc, DuplicateKeyError):
        problem = f"{problem} ({exc.context})"
    return InputError(f"{where}: {problem}")


def read_text(path: Path, source: str, max_bytes: int, setting: str = "") -> str:
    """Read a UTF-8 text file no larger than `max_bytes`; an error names `setting`, the config key
    that sets the limit, when there is one."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{source}: {size} bytes is over the {max_bytes}-byte limit"
                             + (f" ({setting})" if setting else ""))
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None
    return decode(data, source)


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{source}:{line}: not valid UTF-8 (byte {exc.start})") from None


def kind(value: Any) -> str:
    """What a parsed YAML value is, in YAML's words (`a mapping`, `null`), for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another type"


def spelled(value: Any) -> str:
    """A scalar as YAML spells it (`true`, `"5s"`, `nothing` for a missing key or null); a
    mapping or list by its kind. Only for values that are not secret (Application fields)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return kind(value)


_DOCUMENT_MARKER = re.compile(r"^(---|\.\.\.)(\s|$)")
_DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?$")


def document_spans(text: str, *, keep_empty: bool, end_markers: bool) -> list[tuple[int, int]]:
    """(first line, line after the last), 0-based, of each document in `text` by its marker lines,
    for pointing at lines: load_all parses but returns no positions. A document holding only
    comments counts when `keep_empty` (as libyaml counts documents: every `---` opens one), except
    what precedes the first marker. `end_markers`: `...` ends a document too, and one with content
    on its `---` line (`--- {a: 1}`) starts on that line; otherwise only `---` lines split and a
    document starts on the line after its marker."""
    marker = _DOCUMENT_MARKER if end_markers else _DOCUMENT_START
    lines = text.splitlines()
    spans: list[tuple[int, int]] = []
    begin = 0
    opened = False  # by a marker: what precedes the first one is a document only if it has content
    for number, line in enumerate([*lines, "---"]):
        if marker.match(line):
            if (keep_empty and opened) or any(
                    ln.strip() and not ln.lstrip().startswith("#") for ln in lines[begin:number]):
                spans.append((begin, number))
            rest = line[3:].strip()
            inline = end_markers and line.startswith("---") and rest and not rest.startswith("#")
            begin = number if inline else number + 1
            opened = True
    return spans

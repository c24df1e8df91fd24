"""Safe, bounded YAML reading for every file gitops-cmp touches.

libyaml (CSafeLoader) parses; our constructor adds what the safe loader lacks: duplicate keys are
errors, timestamps stay strings (Helm and Argo CD see strings), and alias expansion and nesting
depth are bounded before anything is constructed, so a "billion laughs" file costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cmp.errors import InputError

MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 1000  # libyaml refuses deeper documents itself
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG, _MAP_TAG, _SEQ_TAG = (f"tag:yaml.org,2002:{t}" for t in ("str", "map", "seq"))
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _Loader(yaml.CSafeLoader):
    """CSafeLoader that rejects duplicate keys and keeps timestamps as strings."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Compare scalar keys as written (resolved tag + text): no second construction of every key.
        seen: dict[tuple[str, str], Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise DuplicateKeyError(
                    None, None, f"duplicate key {key_node.value!r} (first defined on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _refuse_tag(loader: _Loader, node: Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed: manifests and values"
        " are plain YAML (Argo CD's parser would turn it into a plain string the checks never saw)",
        node.start_mark)


# Explicit tags whose values Go's YAML decodes differently from Python's (a `!!binary` secret
# reaches the pod as plain text): refused rather than scanned in a form Argo CD never applies.
for _tag in ("binary", "set", "omap", "pairs", "timestamp"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


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


def load_all(text: str, source: str) -> list[Any]:
    """Every document of `text`; `source` names the file in error messages."""
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
            try:
                docs.append(_construct(loader, node, has_anchors))
            except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:
                # PyYAML's scalar constructors raise bare errors for `!!int abc`, `!!bool maybe`, ...
                line = node.start_mark.line + 1
                raise InputError(f"{source}:{line}: a value does not match its explicit tag ({exc})") from None
    except yaml.MarkedYAMLError as exc:
        raise _input_error(exc, source) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{source}: YAML nested too deeply to parse") from None
    finally:
        loader.dispose()
    return docs


def _construct(loader: _Loader, node: Node, has_anchors: bool) -> Any:
    """What `loader.construct_document(node)` returns. A document of string-keyed maps, lists and
    plain scalars without aliases (nearly every manifest and values file) takes a direct route, a
    fifth of the constructor's cost; anything else, and any error, is left to the constructor."""
    if not has_anchors:
        try:
            return _direct(loader, node)
        except Exception:  # an unusual node, a duplicate key, a bad scalar, deep nesting
            pass
    return loader.construct_document(node)


class _Unusual(Exception):
    pass


def _direct(loader: _Loader, node: Node) -> Any:
    kind, tag = type(node), node.tag
    if kind is ScalarNode:
        if tag == _STR_TAG:
            return node.value
        if tag in _SCALAR_TAGS:  # the constructor's own functions for these tags
            return loader.yaml_constructors[tag](loader, node)
    elif kind is MappingNode and tag == _MAP_TAG:
        data: dict[str, Any] = {}
        for key_node, value_node in node.value:
            # Only string keys: other scalar keys can be equal without being the same text
            # (`1`, `0x1`; `.nan` is not even equal to itself), which the constructor settles.
            if type(key_node) is not ScalarNode or key_node.tag != _STR_TAG or key_node.value in data:
                raise _Unusual
            data[key_node.value] = _direct(loader, value_node)
        return data
    elif kind is SequenceNode and tag == _SEQ_TAG:
        return [_direct(loader, item) for item in node.value]
    raise _Unusual


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


def read_text(path: Path, source: str, max_bytes: int) -> str:
    """Read a UTF-8 text file no larger than `max_bytes`."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{source}: {size} bytes is over the {max_bytes}-byte limit")
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

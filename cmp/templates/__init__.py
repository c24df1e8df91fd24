"""Go text/template as Helm uses it: a lexer and a parser that build an AST with source positions.

Rules read templates through this package, never with regexes: comments are not code, strings
may hold `}}`, actions may span lines. `parse(text)` never raises; a syntax error is a value
(`Tree.error`) at the offset Go's parser would report.

In a process that renders many charts (`parity` and its workers, `check`: they call `remember_parses`),
`parse` remembers the trees it built, keyed by the template's exact text, within a byte bound: parity
renders each chart's templates for both refs and every environment, from the same text. A tree is a
pure function of its text and immutable (tuples all the way down), so a remembered one is the tree a
fresh parse would build. A one-render process (`generate`, `render`) remembers nothing: the trees are
dropped before Helm renders, which then has their memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from cmp.templates import parser
from cmp.templates.nodes import Tree
from cmp.templates.parser import collector_paused

if TYPE_CHECKING:
    from cmp.pipeline.inputs import Inputs

__all__ = ["ParseCache", "parse", "parse_all", "remember_parses", "remembered", "remembering_parses", "trees"]

# A parsed tree holds about 11 bytes for each character of its text (measured on kube-prometheus-stack:
# 1.66 MB of templates, 19 MB of trees); the bound is on that estimate.
TREE_BYTES_PER_CHAR = 11
CACHE_BYTES = 64 * 1024**2
T = TypeVar("T")


class ParseCache:
    """`parser.parse`, remembered by text, and what else a caller remembers by a key of the exact
    inputs it is computed from (`remember`); least recently used first out past `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:  # 0: remember nothing
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: dict[Hashable, tuple[Any, int]] = {}  # key -> (value, cost); insertion order is recency
        self._lock = threading.Lock()

    def parse(self, text: str) -> Tree:
        if not self.max_bytes or "{{" not in text:  # no action: one Text node, cheaper than remembering
            return parser.parse(text)
        tree: Tree = self.remember(text, len(text) * TREE_BYTES_PER_CHAR, lambda: parser.parse(text))
        return tree

    def remember(self, key: Hashable, cost: int, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned for the same `key`. Only for a pure function of `key`
        whose value is never changed by anyone (immutable), and `cost` its estimated bytes."""
        if not self.max_bytes:
            return compute()
        with self._lock:
            hit = self._entries.pop(key, None)
            if hit is not None:
                self._entries[key] = hit
                value: T = hit[0]
                return value
        value = compute()
        if cost <= self.max_bytes:
            with self._lock:
                self._keep(key, value, cost)
        return value

    def _keep(self, key: Hashable, value: Any, cost: int) -> None:
        if key in self._entries:  # another thread computed it meanwhile
            return
        self._entries[key] = (value, cost)
        self.bytes += cost
        while self.bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self.bytes -= self._entries.pop(oldest)[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


_CACHE = ParseCache(0)


def remember_parses(max_bytes: int = CACHE_BYTES) -> None:
    """From now on, `parse` in this process remembers up to `max_bytes` (estimated) of trees."""
    _CACHE.max_bytes = max_bytes


@contextmanager
def remembering_parses(max_bytes: int = CACHE_BYTES) -> Iterator[None]:
    """`remember_parses` for the block; then what it remembered is dropped."""
    before = _CACHE.max_bytes
    remember_parses(max_bytes)
    try:
        yield
    finally:
        _CACHE.max_bytes = before
        _CACHE.clear()


def remembered(key: Hashable, cost: int, compute: Callable[[], T]) -> T:
    """`ParseCache.remember` in this process's cache: computed each time unless parses are remembered."""
    return _CACHE.remember(key, cost, compute)


def parse(text: str) -> Tree:
    """The template's tree (cmp.templates.parser.parse), parsed once per process for a given text."""
    return _CACHE.parse(text)


def parse_all(inputs: Inputs) -> tuple[Tree, ...]:
    """`parse` of each template of the chart, in the order of `inputs.templates`."""
    with collector_paused():
        return tuple(parse(t.text) for t in inputs.templates)


def trees(inputs: Inputs) -> tuple[Tree, ...]:
    """The chart's parsed templates: those the rule runner passed in `inputs.trees` (parsed once
    for all its rules, dropped with that copy of the inputs before Helm renders), else parsed now
    (a rule called on its own)."""
    if len(inputs.trees) == len(inputs.templates):
        return inputs.trees
    return parse_all(inputs)

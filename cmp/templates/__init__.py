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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cmp.templates import parser
from cmp.templates.nodes import Tree

if TYPE_CHECKING:
    from cmp.pipeline.inputs import Inputs

__all__ = ["ParseCache", "parse", "parse_all", "remember_parses", "remembering_parses", "trees"]

# A parsed tree holds about 11 bytes for each character of its text (measured on kube-prometheus-stack:
# 1.66 MB of templates, 19 MB of trees); the bound is on that estimate.
TREE_BYTES_PER_CHAR = 11
CACHE_BYTES = 64 * 1024**2


class ParseCache:
    """`parser.parse`, remembered by text, least recently used first out past `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:  # 0: remember nothing
        self.max_bytes = max_bytes
        self.bytes = 0
        self._trees: dict[str, Tree] = {}  # insertion order is recency order
        self._lock = threading.Lock()

    def parse(self, text: str) -> Tree:
        if not self.max_bytes or "{{" not in text:  # no action: one Text node, cheaper than remembering
            return parser.parse(text)
        with self._lock:
            tree = self._trees.pop(text, None)
            if tree is not None:
                self._trees[text] = tree
                return tree
        tree = parser.parse(text)
        cost = len(text) * TREE_BYTES_PER_CHAR
        if cost <= self.max_bytes:
            with self._lock:
                self._remember(text, tree, cost)
        return tree

    def _remember(self, text: str, tree: Tree, cost: int) -> None:
        if text in self._trees:  # another thread parsed it meanwhile
            return
        self._trees[text] = tree
        self.bytes += cost
        while self.bytes > self.max_bytes:
            oldest = next(iter(self._trees))
            del self._trees[oldest]
            self.bytes -= len(oldest) * TREE_BYTES_PER_CHAR

    def clear(self) -> None:
        with self._lock:
            self._trees.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._trees)


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


def parse(text: str) -> Tree:
    """The template's tree (cmp.templates.parser.parse), parsed once per process for a given text."""
    return _CACHE.parse(text)


def parse_all(inputs: Inputs) -> tuple[Tree, ...]:
    """`parse` of each template of the chart, in the order of `inputs.templates`."""
    return tuple(parse(t.text) for t in inputs.templates)


def trees(inputs: Inputs) -> tuple[Tree, ...]:
    """The chart's parsed templates: those the rule runner passed in `inputs.trees` (parsed once
    for all its rules, dropped with that copy of the inputs before Helm renders), else parsed now
    (a rule called on its own)."""
    if len(inputs.trees) == len(inputs.templates):
        return inputs.trees
    return parse_all(inputs)

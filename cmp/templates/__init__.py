"""Go text/template as Helm uses it: a lexer and a parser that build an AST with source positions.

Rules read templates through this package, never with regexes: comments are not code, strings
may hold `}}`, actions may span lines. `parse(text)` never raises; a syntax error is a value
(`Tree.error`) at the offset Go's parser would report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmp.templates.nodes import Tree
from cmp.templates.parser import parse

if TYPE_CHECKING:
    from cmp.pipeline.inputs import Inputs

__all__ = ["parse", "parse_all", "trees"]


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

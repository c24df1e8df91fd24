"""The AST of a Go text/template, as text/template/parse builds it, with source offsets.

Every node knows `pos` (offset of its first character) and `end` (offset just past it) in the
template text; `Source.where(offset)` turns an offset into a 1-based (line, column).

Nodes are NamedTuples rather than frozen dataclasses because every render's start-up creates
all 21 classes, and that costs 2 ms instead of 9.5 ms. Only tests compare nodes, each against a
node of the same class (as tuples, nodes of different classes with equal fields compare equal).
"""

from collections.abc import Iterable, Iterator
from typing import NamedTuple, Union


class Source(NamedTuple):
    text: str

    @staticmethod
    def of(text: str) -> "Source":
        return Source(text)

    def where(self, offset: int) -> tuple[int, int]:
        # Counted when asked (a finding, an allow comment), not indexed up front: a chart's CRD
        # templates hold tens of thousands of lines and no finding.
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1

    def snippet(self, start: int, end: int, limit: int = 100) -> str:
        """The text as written, on one line (runs of whitespace folded), cut at `limit` characters."""
        folded = " ".join(self.text[start:end].split())
        return folded if len(folded) <= limit else folded[: limit - 1] + "…"


# ---- operands -------------------------------------------------------------------------------


class Field(NamedTuple):
    """`.a.b`: fields of dot."""

    pos: int
    end: int
    names: tuple[str, ...]


class Variable(NamedTuple):
    """`$x.a.b` (name includes the `$`; `$` alone is the template's data)."""

    pos: int
    end: int
    name: str
    fields: tuple[str, ...] = ()


class Identifier(NamedTuple):
    """A function name."""

    pos: int
    end: int
    name: str


class Dot(NamedTuple):
    pos: int
    end: int


class Nil(NamedTuple):
    pos: int
    end: int


class Bool(NamedTuple):
    pos: int
    end: int
    value: bool


class Number(NamedTuple):
    pos: int
    end: int
    text: str


class String(NamedTuple):
    """A quoted or raw string; `value` is unquoted."""

    pos: int
    end: int
    value: str


class Chain(NamedTuple):
    """`(pipeline).a.b` or `"x".a`: fields of a term that is not dot or a variable."""

    pos: int
    end: int
    node: "Operand"
    fields: tuple[str, ...]


class Command(NamedTuple):
    """One pipeline stage: a function call, a method call or a single operand."""

    pos: int
    end: int
    args: tuple["Operand", ...]


class Pipe(NamedTuple):
    """`$x := a | b c`; also a parenthesised operand."""

    pos: int
    end: int
    decls: tuple[Variable, ...]
    is_assign: bool  # `=` rather than `:=`
    commands: tuple[Command, ...]


Operand = Union[Field, Variable, Identifier, Dot, Nil, Bool, Number, String, Chain, Pipe]

# ---- list nodes -----------------------------------------------------------------------------


class Text(NamedTuple):
    pos: int
    end: int


class Comment(NamedTuple):
    """`{{/* body */}}`; `body` is what is between the comment markers."""

    pos: int
    end: int
    body: str


class Action(NamedTuple):
    """`{{ pipeline }}`: prints the pipeline's value unless it only declares variables."""

    pos: int
    end: int
    pipe: Pipe


class Branch(NamedTuple):
    """`if`, `with` or `range`; `else_body` holds a single Branch for `else if` / `else with`."""

    pos: int
    end: int
    keyword: str
    pipe: Pipe
    body: tuple["Node", ...]
    else_body: tuple["Node", ...] | None
    header_end: int  # offset just past the `}}` that closes `{{if ...}}`


class Define(NamedTuple):
    """`{{define "name"}}...{{end}}`."""

    pos: int
    end: int
    name: str
    body: tuple["Node", ...]


class Template(NamedTuple):
    """`{{template "name" pipeline}}`; a `{{block "name" pipeline}}body{{end}}` also defines
    `name` as `body` (then `body` is not None)."""

    pos: int
    end: int
    name: str
    pipe: Pipe | None
    body: tuple["Node", ...] | None = None


class LoopControl(NamedTuple):
    """`{{break}}` or `{{continue}}`."""

    pos: int
    end: int
    keyword: str


Node = Union[Text, Comment, Action, Branch, Define, Template, LoopControl]


def walk(nodes: Iterable[Node]) -> Iterator[Node]:
    """Every node, in source order: a branch, define or block before its body, a branch's body
    before its else."""
    for node in nodes:
        yield node
        if isinstance(node, Branch):
            yield from walk(node.body)
            yield from walk(node.else_body or ())
        elif isinstance(node, (Define, Template)):
            yield from walk(node.body or ())


class ParseError(NamedTuple):
    offset: int
    message: str


class Tree(NamedTuple):
    """A parsed template. With `error` set, `nodes` holds what parsed before it (may be empty)."""

    source: Source
    nodes: tuple["Node", ...]
    error: ParseError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

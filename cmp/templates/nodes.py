"""The AST of a Go text/template, as text/template/parse builds it, with source offsets.

Every node knows `pos` (offset of its first character) and `end` (offset just past it) in the
template text; `Source.where(offset)` turns an offset into a 1-based (line, column).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, slots=True)
class Source:
    text: str
    line_starts: tuple[int, ...] = field(default=(), compare=False)

    @staticmethod
    def of(text: str) -> Source:
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        return Source(text, tuple(starts))

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def snippet(self, start: int, end: int, limit: int = 100) -> str:
        """The text as written, on one line (runs of whitespace folded), cut at `limit` characters."""
        folded = " ".join(self.text[start:end].split())
        return folded if len(folded) <= limit else folded[: limit - 1] + "…"


# ---- operands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """`.a.b`: fields of dot."""

    pos: int
    end: int
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variable:
    """`$x.a.b` (name includes the `$`; `$` alone is the template's data)."""

    pos: int
    end: int
    name: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Identifier:
    """A function name."""

    pos: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class Dot:
    pos: int
    end: int


@dataclass(frozen=True, slots=True)
class Nil:
    pos: int
    end: int


@dataclass(frozen=True, slots=True)
class Bool:
    pos: int
    end: int
    value: bool


@dataclass(frozen=True, slots=True)
class Number:
    pos: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class String:
    """A quoted or raw string; `value` is unquoted."""

    pos: int
    end: int
    value: str


@dataclass(frozen=True, slots=True)
class Chain:
    """`(pipeline).a.b` or `"x".a`: fields of a term that is not dot or a variable."""

    pos: int
    end: int
    node: Operand
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Command:
    """One pipeline stage: a function call, a method call or a single operand."""

    pos: int
    end: int
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Pipe:
    """`$x := a | b c`; also a parenthesised operand."""

    pos: int
    end: int
    decls: tuple[Variable, ...]
    is_assign: bool  # `=` rather than `:=`
    commands: tuple[Command, ...]


Operand = Union[Field, Variable, Identifier, Dot, Nil, Bool, Number, String, Chain, Pipe]

# ---- list nodes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    pos: int
    end: int


@dataclass(frozen=True, slots=True)
class Comment:
    """`{{/* body */}}`; `body` is what is between the comment markers."""

    pos: int
    end: int
    body: str


@dataclass(frozen=True, slots=True)
class Action:
    """`{{ pipeline }}`: prints the pipeline's value unless it only declares variables."""

    pos: int
    end: int
    pipe: Pipe


@dataclass(frozen=True, slots=True)
class Branch:
    """`if`, `with` or `range`; `else_body` holds a single Branch for `else if` / `else with`."""

    pos: int
    end: int
    keyword: str
    pipe: Pipe
    body: tuple[Node, ...]
    else_body: tuple[Node, ...] | None
    header_end: int  # offset just past the `}}` that closes `{{if ...}}`


@dataclass(frozen=True, slots=True)
class Define:
    """`{{define "name"}}...{{end}}`."""

    pos: int
    end: int
    name: str
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Template:
    """`{{template "name" pipeline}}`; a `{{block "name" pipeline}}body{{end}}` also defines
    `name` as `body` (then `body` is not None)."""

    pos: int
    end: int
    name: str
    pipe: Pipe | None
    body: tuple[Node, ...] | None = None


@dataclass(frozen=True, slots=True)
class LoopControl:
    """`{{break}}` or `{{continue}}`."""

    pos: int
    end: int
    keyword: str


Node = Union[Text, Comment, Action, Branch, Define, Template, LoopControl]


@dataclass(frozen=True, slots=True)
class ParseError:
    offset: int
    message: str


@dataclass(frozen=True, slots=True)
class Tree:
    """A parsed template. With `error` set, `nodes` holds what parsed before it (may be empty)."""

    source: Source
    nodes: tuple[Node, ...]
    error: ParseError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

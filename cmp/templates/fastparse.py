"""The parser's fast path: a template that parses without an error, read straight from its text.

`parse(text)` returns the top-level nodes that `parser.parse` builds for `text`, or None as soon as
it meets anything it does not read: any error (the lexer's or the parser's), and the tokens that
`lexer._slow_token` reads (character constants, signed, fractional or non-decimal numbers, a stray
character). Then `parser.parse` lexes and parses the text as before and finds the error, with Go's
message and offset. Real charts take this path: it matches each token with one regex and builds
the nodes from the match, where the lexer builds a Token that the parser reads again, and it reads
a run of fields (`.Values.a.b`, `$x.a`) as one match.

What it accepts it parses exactly as the lexer and parser do: every check they make (variables,
`{{break}}` outside a range, nesting depth, pipeline stages, ...) is a reason to return None here.
tests/templates/test_fastparse.py and the differential tests compare the two on every input.
"""

from __future__ import annotations

import re

from cmp.templates.lexer import _TERM, K_BOOL, K_KEYWORD, K_NIL, _unquote, _WORD_KINDS
from cmp.templates.nodes import (Action, Bool, Branch, Chain, Command, Comment, Define, Dot, Field,
                                 Identifier, LoopControl, Nil, Node, Number, Operand, Pipe, String,
                                 Template, Text, Variable)

MAX_DEPTH = 100  # nesting of control structures and parentheses; real charts stay far below

# lexer._TOKEN with runs of unspaced fields in one match (groups 2 and 5) and one group per
# character of `|()`. A run stops where the lexer's fields stop: at a field not followed by a
# terminator the whole alternative fails (the run is possessive), and the fast path gives up.
_TOKEN = re.compile(
    r"[ \t\r\n]*(?:(\}\})"                       # 1 }}
    r"|((?:\.(?!\d)\w+)++)" + _TERM +            # 2 fields: .a.b
    r"|((?!\d)\w+)" + _TERM +                    # 3 identifier, keyword, bool or nil
    r'|("(?:[^"\\\n]|\\[^\n])*")'                # 4 quoted string
    r"|(\$\w*+(?:\.(?!\d)\w+)*+)" + _TERM +      # 5 variable and its fields: $x.a
    r"|(\|)|(\()|(\))"                           # 6 7 8
    r"|(\.)" + _TERM +                           # 9 dot
    r"|([0-9]+)(?![\w.])"                        # 10 decimal integer
    r"|(:=)"                                     # 11
    r"|(`[^`]*`))"                               # 12 raw string
    r"|[ \t\r\n]*([ \t\r\n]-\}\})"               # 13 ` -}}`
)
_SLOW = re.compile(r"[ \t\r\n]*([,=])")  # `,` (range declarations) and `=`: the lexer's slow path
_FIELDS, _WORD, _STRING, _VARIABLE, _PIPE, _LPAREN, _RPAREN, _DOT, _NUMBER, _DECLARE, _RAW = range(2, 13)
_RIGHTS = (1, 13)
_SPACES = frozenset(" \t\r\n")  # a one-character slice in it: never the empty one past the end
_NOT_EXECUTABLE = frozenset({Bool, Dot, Nil, Number, String})  # as a later pipeline stage
_new = tuple.__new__  # nodes built without the NamedTuple's Python __new__ (fields given in full)


class _GiveUp(Exception):
    """The text holds something the fast path does not read: parser.parse reads it."""


def parse(text: str) -> tuple[Node, ...] | None:
    """The top-level nodes of `text` if it parses without an error (and only tokens the fast path
    reads), else None."""
    try:
        return tuple(_Fast(text).top())
    except (_GiveUp, RecursionError):
        return None


class _Fast:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0  # offset of the next unread character
        self.vars: list[str] = ["$"]
        self.depth = 0
        self.range_depth = 0
        self.last_end = 0  # offset after the token that closed the last pipeline

    # ---- tokens (the cold paths; pipeline reads its tokens itself) -------------------------

    def token(self, pos: int) -> re.Match[str]:
        match = _TOKEN.match(self.text, pos)
        if match is None:
            raise _GiveUp
        return match

    def right(self, pos: int) -> int:
        """The offset after the `}}` that must come at `pos`."""
        match = self.token(pos)
        if match.lastindex not in _RIGHTS:
            raise _GiveUp
        return match.end()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _GiveUp

    # ---- lists ----------------------------------------------------------------------------

    def top(self) -> list[Node]:
        text = self.text
        size = len(text)
        nodes: list[Node] = []
        while True:
            pos = self.pos
            start = text.find("{{", pos)
            if start < 0:
                if pos < size:
                    nodes.append(_new(Text, (pos, size)))
                return nodes
            if start > pos:
                nodes.append(_new(Text, (pos, start)))
            node, stop = self.action(start, True)
            if stop is not None:
                raise _GiveUp
            nodes.append(node)  # type: ignore[arg-type]  # an action without a stop is a node

    def item_list(self) -> tuple[tuple[Node, ...], LoopControl]:
        """Nodes up to `{{end}}` or `{{else}}`, which is returned as a LoopControl marker."""
        text = self.text
        nodes: list[Node] = []
        while True:
            pos = self.pos
            start = text.find("{{", pos)
            if start < 0:
                raise _GiveUp
            if start > pos:
                nodes.append(_new(Text, (pos, start)))
            # A fifth of a chart's actions, read as action() would: `{{`, trim marker, `end`, `}}`.
            if text.startswith("{{- end }}", start):
                self.pos = start + 10
                return tuple(nodes), _new(LoopControl, (start, start + 10, "end"))
            if text.startswith("{{ end }}", start):
                self.pos = start + 9
                return tuple(nodes), _new(LoopControl, (start, start + 9, "end"))
            node, stop = self.action(start, False)
            if stop is not None:
                return tuple(nodes), stop
            nodes.append(node)  # type: ignore[arg-type]

    def action(self, start: int, top: bool) -> tuple[Node | None, LoopControl | None]:
        text = self.text
        pos = start + 2
        if text.startswith("-", pos) and text[pos + 1:pos + 2] in _SPACES:
            pos += 2
        if text.startswith("/*", pos):
            return self.comment(start, pos), None
        match = self.token(pos)
        if match.lastindex == _WORD:
            begin, end = match.span(_WORD)
            word = text[begin:end]
            if _WORD_KINDS.get(word) is K_KEYWORD:
                self.pos = end
                return self.keyword(start, word, top)
        pipe = self.pipeline(match, False, "")
        return _new(Action, (start, self.last_end, pipe)), None

    def comment(self, start: int, pos: int) -> Comment:
        text = self.text
        close = text.find("*/", pos + 2)
        if close < 0:
            raise _GiveUp
        after = close + 2
        if text.startswith("}}", after):
            end = after + 2
        elif text[after:after + 1] in _SPACES and text.startswith("-}}", after + 1):
            end = after + 4
        else:
            raise _GiveUp
        self.pos = end
        return _new(Comment, (start, end, text[pos + 2:close]))

    def keyword(self, start: int, word: str, top: bool) -> tuple[Node | None, LoopControl | None]:
        if word == "end":
            self.pos = end = self.right(self.pos)
            return None, _new(LoopControl, (start, end, "end"))
        if word == "else":
            return None, self.else_marker(start)
        if word == "if" or word == "with" or word == "range":
            return self.branch(start, word), None
        if word == "break" or word == "continue":
            self.pos = end = self.right(self.pos)
            if not self.range_depth:
                raise _GiveUp
            return _new(LoopControl, (start, end, word)), None
        if word == "template":
            return self.template(start), None
        if word == "block":
            return self.block(start), None
        if top:  # define
            return self.define(start), None
        raise _GiveUp

    def else_marker(self, start: int) -> LoopControl:
        match = self.token(self.pos)
        if match.lastindex == _WORD:
            begin, end = match.span(_WORD)
            word = self.text[begin:end]
            if word == "if" or word == "with":
                self.pos = end  # the nested branch reads its pipeline next
                return _new(LoopControl, (start, begin, "else " + word))
        if match.lastindex not in _RIGHTS:
            raise _GiveUp
        self.pos = match.end()
        return _new(LoopControl, (start, self.pos, "else"))

    # ---- control structures -----------------------------------------------------------------

    def branch(self, start: int, keyword: str) -> Branch:
        self.enter()
        saved = len(self.vars)
        if keyword == "range":
            self.range_depth += 1
        pipe = self.pipeline(self.token(self.pos), False, keyword)
        header_end = self.last_end
        body, stop = self.item_list()
        else_body: tuple[Node, ...] | None = None
        if stop[2] == "end":
            end = stop[1]
        elif stop[2] == "else":
            if keyword == "range":
                self.range_depth -= 1  # {{break}} in a range's else is outside the loop
            else_body, stop = self.item_list()
            if keyword == "range":
                self.range_depth += 1
            if stop[2] != "end":
                raise _GiveUp
            end = stop[1]
        else:
            nested_keyword = stop[2][5:]
            if nested_keyword != keyword:  # only `else if` in if, `else with` in with
                raise _GiveUp
            nested = self.branch(stop[0], nested_keyword)
            else_body = (nested,)
            end = nested.end
        if keyword == "range":
            self.range_depth -= 1
        del self.vars[saved:]
        self.depth -= 1
        return _new(Branch, (start, end, keyword, pipe, body, else_body, header_end))

    def template_name(self) -> str:
        match = self.token(self.pos)
        group = match.lastindex
        begin, end = match.span(group)  # type: ignore[arg-type]  # a match of _TOKEN has a group
        self.pos = end
        if group == _STRING:
            return _unquote(self.text[begin + 1:end - 1])
        if group == _RAW:
            return self.text[begin + 1:end - 1]
        raise _GiveUp

    def template(self, start: int) -> Template:
        name = self.template_name()
        match = self.token(self.pos)
        pipe = None
        if match.lastindex in _RIGHTS:
            self.pos = self.last_end = match.end()
        else:
            pipe = self.pipeline(match, False, "")
        return _new(Template, (start, self.last_end, name, pipe, None))

    def block(self, start: int) -> Template:
        name = self.template_name()
        pipe = self.pipeline(self.token(self.pos), False, "")
        body = self.definition_body()
        return _new(Template, (start, self.last_end, name, pipe, body))

    def define(self, start: int) -> Define:
        name = self.template_name()
        self.pos = self.right(self.pos)
        body = self.definition_body()
        return _new(Define, (start, self.last_end, name, body))

    def definition_body(self) -> tuple[Node, ...]:
        saved_vars, saved_range = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        self.enter()
        body, stop = self.item_list()
        if stop[2] != "end":
            raise _GiveUp
        self.depth -= 1
        self.vars, self.range_depth = saved_vars, saved_range
        self.last_end = stop[1]
        return body

    # ---- pipelines ------------------------------------------------------------------------

    def declarations(self, first: re.Match[str], context: str) -> tuple[tuple[Variable, ...], bool, int] | None:
        """`$x :=`, `$x =`, `$k, $v :=` (range) at `first`: the variables, whether they are assigned
        and the offset after the operator; None when `first` starts an operand instead."""
        text = self.text
        begin, end = first.span(_VARIABLE)
        name = text[begin:end]
        if "." in name:  # `$x.a`: fields follow the variable
            return None
        operator = self.operator(end)
        if operator is None:
            return None
        kind, after = operator
        if kind == ",":
            if context != "range":
                return None
            second = self.token(after)
            if second.lastindex != _VARIABLE:
                raise _GiveUp
            begin2, end2 = second.span(_VARIABLE)
            name2 = text[begin2:end2]
            operator = self.operator(end2)
            if operator is None or operator[0] == "," or "." in name2:
                raise _GiveUp
            assign = operator[0] == "="
            decls = (self.declare(begin, end, name, assign), self.declare(begin2, end2, name2, assign))
            return decls, assign, operator[1]
        assign = kind == "="
        return (self.declare(begin, end, name, assign),), assign, after

    def operator(self, pos: int) -> tuple[str, int] | None:
        """`:=`, `=` or `,` at `pos` (and the offset after it), or None for another token."""
        match = _TOKEN.match(self.text, pos)
        if match is not None:
            if match.lastindex == _DECLARE:
                return ":=", match.end()
            return None
        slow = _SLOW.match(self.text, pos)
        if slow is None:
            raise _GiveUp
        return slow.group(1), slow.end()

    def declare(self, begin: int, end: int, name: str, assign: bool) -> Variable:
        if assign:
            if name not in self.vars:
                raise _GiveUp
        else:
            self.vars.append(name)
        return _new(Variable, (begin, end, name, ()))

    def pipeline(self, match: re.Match[str], paren: bool, context: str) -> Pipe:
        """The pipeline whose first token is `match`, up to its `}}` (or `)` when `paren`), which
        it consumes. `context` is the keyword that starts it (range declares two variables)."""
        text = self.text
        token = _TOKEN.match
        group: int = match.lastindex  # type: ignore[assignment]  # a match of _TOKEN has a group
        begin, end = match.span(group)
        first = begin
        decls: tuple[Variable, ...] = ()
        is_assign = False
        if group == _VARIABLE:
            declared = self.declarations(match, context)
            if declared is not None:
                decls, is_assign, end = declared
                match = token(text, end)  # type: ignore[assignment]
                if match is None:
                    raise _GiveUp
                group = match.lastindex  # type: ignore[assignment]
                begin, end = match.span(group)
        closer = _RPAREN if paren else 1
        commands: list[Command] = []
        while True:
            if group == closer or group == 13 and not paren:
                self.pos = self.last_end = end
                if len(commands) != 1:
                    if not commands:
                        raise _GiveUp
                    for command in commands[1:]:
                        if type(command[2][0]) in _NOT_EXECUTABLE:
                            raise _GiveUp
                return _new(Pipe, (first, begin, decls, is_assign, tuple(commands)))
            args: list[Operand] = []
            while True:  # one command: its operands, up to `|`, `}}` or `)`
                node: Operand
                if group == _FIELDS:
                    node = _new(Field, (begin, end, tuple(text[begin + 1:end].split("."))))
                elif group == _WORD:
                    word = text[begin:end]
                    kind = _WORD_KINDS.get(word)
                    if kind is None:
                        node = _new(Identifier, (begin, end, word))
                    elif kind is K_BOOL:
                        node = _new(Bool, (begin, end, word == "true"))
                    elif kind is K_NIL:
                        node = _new(Nil, (begin, end))
                    else:
                        raise _GiveUp
                elif group == _VARIABLE:
                    name = text[begin:end]
                    fields: tuple[str, ...] = ()
                    if "." in name:
                        name, *rest = name.split(".")
                        fields = tuple(rest)
                    if name not in self.vars:
                        raise _GiveUp
                    node = _new(Variable, (begin, end, name, fields))
                elif group == _STRING:
                    node = _new(String, (begin, end, _unquote(text[begin + 1:end - 1])))
                elif group == _LPAREN:
                    self.enter()
                    nested = token(text, end)
                    if nested is None:
                        raise _GiveUp
                    inner = self.pipeline(nested, True, "")
                    self.depth -= 1
                    node = _new(Pipe, (begin, self.last_end, inner[2], inner[3], inner[4]))
                    end = self.pos
                elif group == _DOT:
                    node = _new(Dot, (begin, end))
                elif group == _NUMBER:
                    node = _new(Number, (begin, end, text[begin:end]))
                elif group == _RAW:
                    node = _new(String, (begin, end, text[begin + 1:end - 1]))
                else:
                    raise _GiveUp
                pos = end
                match = token(text, pos)  # type: ignore[assignment]
                if match is None:
                    raise _GiveUp
                group = match.lastindex  # type: ignore[assignment]
                begin, end = match.span(group)
                if group == _FIELDS and begin == pos:  # fields of a term that is not dot or a variable
                    if type(node) is not Identifier and type(node) is not Pipe:
                        raise _GiveUp
                    node = _new(Chain, (node[0], end, node, tuple(text[begin + 1:end].split("."))))
                    pos = end
                    match = token(text, pos)  # type: ignore[assignment]
                    if match is None:
                        raise _GiveUp
                    group = match.lastindex  # type: ignore[assignment]
                    begin, end = match.span(group)
                args.append(node)
                if group == closer or group == 13 and not paren:
                    break
                if group == _PIPE:
                    match = token(text, end)  # type: ignore[assignment]
                    if match is None:
                        raise _GiveUp
                    group = match.lastindex  # type: ignore[assignment]
                    begin, end = match.span(group)
                    break
                if begin == pos:  # operands are separated by whitespace
                    raise _GiveUp
            commands.append(_new(Command, (args[0][0], args[-1][1], tuple(args))))

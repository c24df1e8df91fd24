"""Go text/template's parser (text/template/parse/parse.go): tokens to a Tree of nodes.

`parse(text)` never raises. What Go's parser rejects becomes `Tree.error` (offset and message);
`Tree.nodes` then keeps the top-level nodes that parsed before the error. Function names are not
checked (Helm adds Sprig's and its own); variables are, as Go does.

Rules get a chart's parsed templates from the rule runner (`Inputs.trees`, see cmp.templates.trees):
a render parses each template once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from cmp.templates import fastparse
from cmp.templates.fastparse import MAX_DEPTH  # nesting of control structures and parentheses
from cmp.templates.lexer import (K_ASSIGN, K_BOOL, K_CHAR, K_CHAR_CONSTANT, K_COMMENT, K_DECLARE, K_DOT, K_EOF,
                                 K_ERROR, K_FIELD, K_IDENTIFIER, K_KEYWORD, K_LEFT, K_LEFT_PAREN, K_NIL, K_NUMBER,
                                 K_PIPE, K_RAW_STRING, K_RIGHT, K_RIGHT_PAREN, K_STRING, K_TEXT, K_VARIABLE, Kind,
                                 Token, lex)
from cmp.templates.nodes import (Action, Bool, Branch, Chain, Command, Comment, Define, Dot, Field,
                                 Identifier, LoopControl, Nil, Node, Number, Operand, ParseError, Pipe,
                                 Source, String, Template, Text, Tree, Variable)


class _Stop(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse(text: str) -> Tree:
    source = Source.of(text)
    if "{{" not in text:  # no action (a CRD, a static manifest): the lexer would find one Text
        return Tree(source, (Text(0, len(text)),) if text else ())
    with collector_paused():
        nodes = fastparse.parse(text)  # a template without an error (every real chart's)
        if nodes is not None:
            return Tree(source, nodes)
        parser = _Parser(text)
        try:
            parser.parse_top()
        except _Stop as stop:
            return Tree(source, tuple(parser.top), ParseError(stop.offset, stop.message))
        return Tree(source, tuple(parser.top))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector stays off while the block runs (and is restored after it).

    Parsing and scanning build hundreds of thousands of tuples and no reference cycle. Each
    allocation counts towards the collector's next pass, and on kube-prometheus-stack's templates
    those passes (over the tokens alive during the parse, and the whole heap) took a third of the
    parse's time. Paused, the collector looks at what survived once, after the block."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_new = tuple.__new__  # nodes built without the NamedTuple's Python __new__ (fields given in full)
_NOT_EXECUTABLE = frozenset({Bool, Dot, Nil, Number, String})  # as a later pipeline stage


class _Parser:
    """Recursive descent over `lex`'s tokens (read by index: token[0] kind, [1] start, [2] end,
    [3] value, [4] spaced).

    The hot paths (item_list, action, pipeline) read the token list directly instead of through
    next/peek. Go's parser, and this one, stops at the lexer's ERROR token as soon as it looks at it:
    wherever a hot path meets a token it did not expect, it goes through `unexpected`, which raises
    the lexer's error first. tests/templates/reference_parser.py keeps the parser that read every
    token through next/peek, and the differential tests compare the two."""

    def __init__(self, text: str) -> None:
        tokens = lex(text)
        self.tokens = tokens + [tokens[-1]] * 2  # lex() ends with EOF or ERROR; room to read past it
        self.at = 0  # index of the next token
        self.top: list[Node] = []
        self.vars: list[str] = ["$"]
        self.depth = 0
        self.range_depth = 0
        self.last_end = 0  # offset after the token that closed the last pipeline

    # ---- tokens ---------------------------------------------------------------------------

    def next(self) -> Token:
        token = self.peek()
        if token.kind is not K_EOF:  # EOF repeats: reading past it stays on it
            self.at += 1
        return token

    def peek(self) -> Token:
        token = self.tokens[self.at]
        if token.kind is K_ERROR:
            raise _Stop(token.start, token.value)
        return token

    def backup(self, token: Token) -> None:
        if token.kind is not K_EOF:
            self.at -= 1

    def expect(self, kind: Kind, context: str) -> Token:
        token = self.next()
        if token.kind is not kind:
            self.unexpected(token, context)
        return token

    @staticmethod
    def unexpected(token: Token, context: str) -> NoReturn:
        if token.kind is K_ERROR:  # the lexer's error comes first: the parser stops where it looks at it
            raise _Stop(token.start, token.value)
        if token.kind is K_EOF:
            raise _Stop(token.start, f"unexpected EOF in {context}")
        shown = token.value if token.kind is not K_STRING else f'"{token.value}"'
        raise _Stop(token.start, f"unexpected {shown or token.kind.value!s} in {context}")

    # ---- lists ----------------------------------------------------------------------------

    def parse_top(self) -> None:
        tokens = self.tokens
        while True:
            token = tokens[self.at]
            kind = token[0]
            if kind is K_EOF:
                return
            if kind is K_LEFT:
                after = tokens[self.at + 1]
                if after[0] is K_KEYWORD and after[3] == "define":
                    self.at += 2
                    self.top.append(self.define(token))
                    continue
            node, stop = self.text_or_action(token)
            if stop is not None:
                raise _Stop(stop.pos, f"unexpected {{{{{stop.keyword}}}}}")
            if node is not None:
                self.top.append(node)

    def item_list(self, context: str) -> tuple[tuple[Node, ...], LoopControl]:
        """Nodes up to `{{end}}` or `{{else}}`, which is returned as a LoopControl marker."""
        tokens = self.tokens
        nodes: list[Node] = []
        while True:
            token = tokens[self.at]
            if token[0] is K_EOF:
                raise _Stop(token[1], f"unexpected EOF: {context} has no {{{{end}}}}")
            node, stop = self.text_or_action(token)
            if stop is not None:
                return tuple(nodes), stop
            if node is not None:
                nodes.append(node)

    def text_or_action(self, token: Token) -> tuple[Node | None, LoopControl | None]:
        """The node that starts at `token` (the next one), which it consumes."""
        kind = token[0]
        if kind is K_LEFT:
            self.at += 1
            return self.action(token)
        if kind is K_TEXT:
            self.at += 1
            return _new(Text, (token[1], token[2])), None
        if kind is K_COMMENT:
            self.at += 1
            return _new(Comment, (token[1], token[2], token[3])), None
        self.unexpected(token, "input")

    def action(self, left: Token) -> tuple[Node | None, LoopControl | None]:
        token = self.tokens[self.at]
        if token[0] is K_KEYWORD:
            self.at += 1
            keyword = token[3]
            if keyword == "end" or keyword == "else":
                return None, self.end_or_else(left, keyword)
            if keyword == "if" or keyword == "with" or keyword == "range":
                return self.branch(left, keyword), None
            if keyword == "break" or keyword == "continue":
                return self.loop_control(left, keyword), None
            if keyword == "template":
                return self.template(left), None
            if keyword == "block":
                return self.block(left), None
            raise _Stop(token[1], "{{define}} is only allowed at the top level")
        pipe = self.pipeline("command", K_RIGHT)
        return _new(Action, (left[1], self.last_end, pipe)), None

    def end_or_else(self, left: Token, keyword: str) -> LoopControl:
        if keyword == "end":
            end = self.expect(K_RIGHT, "end")
            return LoopControl(left.start, end.end, "end")
        following = self.peek()
        if following.kind is K_KEYWORD and following.value in ("if", "with"):
            return LoopControl(left.start, following.start, "else " + following.value)
        end = self.expect(K_RIGHT, "else")
        return LoopControl(left.start, end.end, "else")

    # ---- control structures -----------------------------------------------------------------

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Stop(offset, f"nested more than {MAX_DEPTH} levels deep")

    def branch(self, left: Token, keyword: str) -> Branch:
        self.enter(left.start)
        saved = len(self.vars)
        if keyword == "range":
            self.range_depth += 1
        pipe = self.pipeline(keyword, K_RIGHT)
        header_end = self.last_end
        body, stop = self.item_list(keyword)
        else_body: tuple[Node, ...] | None = None
        if stop.keyword.startswith("else "):
            nested_keyword = stop.keyword.split()[1]
            if nested_keyword != keyword:  # Go allows only `else if` in if, `else with` in with
                raise _Stop(stop.pos, f"{{{{else {nested_keyword}}}}} is not allowed in {{{{{keyword}}}}}")
            self.next()  # the `if`/`with` keyword; the nested branch consumes our {{end}}
            nested = self.branch(Token(K_LEFT, stop.pos, stop.end, "{{"), nested_keyword)
            else_body = (nested,)
            end = nested.end
        elif stop.keyword == "else":
            if keyword == "range":
                self.range_depth -= 1  # {{break}} in a range's else is outside the loop
            else_body, stop = self.item_list(keyword)
            if keyword == "range":
                self.range_depth += 1
            if stop.keyword != "end":
                raise _Stop(stop.pos, f"expected {{{{end}}}}; found {{{{{stop.keyword}}}}}")
            end = stop.end
        else:
            end = stop.end
        if keyword == "range":
            self.range_depth -= 1
        del self.vars[saved:]
        self.depth -= 1
        return Branch(left.start, end, keyword, pipe, body, else_body, header_end)

    def loop_control(self, left: Token, keyword: str) -> LoopControl:
        end = self.expect(K_RIGHT, keyword)
        if not self.range_depth:
            raise _Stop(left.start, f"{{{{{keyword}}}}} outside {{{{range}}}}")
        return LoopControl(left.start, end.end, keyword)

    def template_name(self, context: str) -> str:
        token = self.next()
        if token.kind not in (K_STRING, K_RAW_STRING):
            self.unexpected(token, context)
        return token.value

    def template(self, left: Token) -> Template:
        name = self.template_name("template clause")
        pipe = None
        if self.peek().kind is not K_RIGHT:
            pipe = self.pipeline("template clause", K_RIGHT)
        else:
            self.last_end = self.next().end
        return Template(left.start, self.last_end, name, pipe)

    def block(self, left: Token) -> Template:
        name = self.template_name("block clause")
        pipe = self.pipeline("block clause", K_RIGHT)
        body = self.definition_body("block")
        return Template(left.start, self.last_end, name, pipe, body)

    def define(self, left: Token) -> Define:
        name = self.template_name("define clause")
        self.expect(K_RIGHT, "define clause")
        body = self.definition_body("define")
        return Define(left.start, self.last_end, name, body)

    def definition_body(self, context: str) -> tuple[Node, ...]:
        saved_vars, saved_range = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        self.enter(self.peek().start)
        body, stop = self.item_list(context)
        if stop.keyword != "end":
            raise _Stop(stop.pos, f"unexpected {{{{{stop.keyword}}}}} in {context}")
        self.depth -= 1
        self.vars, self.range_depth = saved_vars, saved_range
        self.last_end = stop.end
        return body

    # ---- pipelines ------------------------------------------------------------------------

    def pipeline(self, context: str, end_kind: Kind) -> Pipe:
        tokens = self.tokens
        first = tokens[self.at]
        if first[0] is K_VARIABLE:
            decls, is_assign = self.declarations(context)
        elif first[0] is K_ERROR:
            raise _Stop(first[1], first[3])
        else:
            decls, is_assign = [], False
        at = self.at
        commands: list[Command] = []
        while True:
            token = tokens[at]
            kind = token[0]
            if kind is end_kind:
                self.at = at + 1
                self.last_end = token[2]
                if len(commands) != 1:
                    self.check_pipeline(commands, context, token)
                return _new(Pipe, (first[1], token[1], tuple(decls), is_assign, tuple(commands)))
            args: list[Operand] = []
            where = context  # what a token that starts no operand is unexpected in
            while True:  # one command: its operands, up to `|`, `}}` or `)`
                if kind is K_FIELD:
                    at += 1
                    after = tokens[at]
                    if after[0] is K_FIELD and not after[4]:  # `.a.b`: one Field
                        names = [token[3]]
                        while after[0] is K_FIELD and not after[4]:
                            names.append(after[3])
                            at += 1
                            after = tokens[at]
                        node: Operand = _new(Field, (token[1], tokens[at - 1][2], tuple(names)))
                    else:
                        node = _new(Field, (token[1], token[2], (token[3],)))
                elif kind is K_IDENTIFIER:
                    at += 1
                    node = _new(Identifier, (token[1], token[2], token[3]))
                elif kind is K_VARIABLE:
                    if token[3] not in self.vars:
                        raise _Stop(token[1], f"undefined variable {token[3]!r}")
                    at += 1
                    after = tokens[at]
                    fields: list[str] = []
                    while after[0] is K_FIELD and not after[4]:  # `$x.a.b`
                        fields.append(after[3])
                        at += 1
                        after = tokens[at]
                    node = _new(Variable, (token[1], tokens[at - 1][2], token[3], tuple(fields)))
                elif kind is K_STRING or kind is K_RAW_STRING:
                    at += 1
                    node = _new(String, (token[1], token[2], token[3]))
                elif kind is K_DOT:
                    at += 1
                    node = _new(Dot, (token[1], token[2]))
                elif kind is K_LEFT_PAREN:
                    self.at = at + 1
                    self.enter(token[1])
                    inner = self.pipeline("parenthesized pipeline", K_RIGHT_PAREN)
                    self.depth -= 1
                    at = self.at
                    node = _new(Pipe, (token[1], self.last_end, inner[2], inner[3], inner[4]))
                elif kind is K_NUMBER or kind is K_CHAR_CONSTANT:
                    node = self.number(token)
                    at += 1
                elif kind is K_BOOL:
                    at += 1
                    node = _new(Bool, (token[1], token[2], token[3] == "true"))
                elif kind is K_NIL:
                    at += 1
                    node = _new(Nil, (token[1], token[2]))
                else:
                    self.unexpected(token, where)
                token = tokens[at]
                kind = token[0]
                if kind is K_FIELD and not token[4]:  # fields of a term that is not dot or a variable
                    self.at = at
                    node = self.chain(node)
                    at = self.at
                    token = tokens[at]
                    kind = token[0]
                args.append(node)
                if kind is K_RIGHT or kind is K_RIGHT_PAREN:
                    break
                if kind is K_PIPE:
                    at += 1
                    break
                if not token[4]:
                    self.unexpected(token, "operand")
                where = "operand"
            commands.append(_new(Command, (args[0][0], args[-1][1], tuple(args))))

    def declarations(self, context: str) -> tuple[list[Variable], bool]:
        first = self.peek()
        if first.kind is not K_VARIABLE:
            return [], False
        self.next()
        after = self.peek()
        if after.kind in (K_DECLARE, K_ASSIGN):
            self.next()
            return [self.declare(first, after.kind is K_ASSIGN)], after.kind is K_ASSIGN
        if after.kind is K_CHAR and after.value == "," and context == "range":
            self.next()
            second = self.expect(K_VARIABLE, "range declaration")
            op = self.next()
            if op.kind not in (K_DECLARE, K_ASSIGN):
                self.unexpected(op, "range declaration")
            assign = op.kind is K_ASSIGN
            return [self.declare(first, assign), self.declare(second, assign)], assign
        self.backup(first)
        return [], False

    def declare(self, token: Token, assign: bool) -> Variable:
        if assign:
            self.use_variable(token)
        else:
            self.vars.append(token.value)
        return Variable(token.start, token.end, token.value)

    def use_variable(self, token: Token) -> None:
        if token.value not in self.vars:
            raise _Stop(token.start, f"undefined variable {token.value!r}")

    @staticmethod
    def check_pipeline(commands: list[Command], context: str, end: Token) -> None:
        if not commands:
            raise _Stop(end.start, f"missing value for {context}")
        for i, command in enumerate(commands[1:], start=2):
            first = command.args[0]
            if type(first) in _NOT_EXECUTABLE:
                raise _Stop(first.pos, f"non executable command in pipeline stage {i}")

    def chain(self, node: Operand) -> Operand:
        """`(pipeline).a.b`, `fn.a`: the fields after a term that is not dot or a variable."""
        fields: list[str] = []
        end = node[1]
        while self.peek().kind is K_FIELD and not self.peek().spaced:
            field = self.next()
            fields.append(field.value)
            end = field.end
        if isinstance(node, (Bool, String, Number, Nil, Dot)):
            raise _Stop(node[1], "unexpected . after term")
        return Chain(node[0], end, node, tuple(fields))

    def number(self, token: Token) -> Number:
        text = token.value
        if token.kind is K_NUMBER and not text.isdigit() and not any(c.isdigit() for c in text):
            raise _Stop(token.start, f"illegal number syntax: {text!r}")
        if token.kind is K_CHAR_CONSTANT and len(text) != 1:
            raise _Stop(token.start, "malformed character constant")
        return _new(Number, (token.start, token.end, text))

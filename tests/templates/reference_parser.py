"""The template lexer and parser as they were before issue 15's rewrite (cmp/templates at
ea666ae): the reference that tests/templates/test_parser_differential.py and
tests/realcharts/test_template_parser.py compare the product's lexer and parser with.

It reads every character and token through small functions (the lexer one `_COMMON` match per
token and whitespace run, the parser `next`/`peek` per token), which made it easy to check against
Go's text/template and slow. Kept verbatim (only its imports changed); not product code.
"""

from __future__ import annotations

import re
from typing import NoReturn

from cmp.templates.lexer import (K_ASSIGN, K_BOOL, K_CHAR, K_CHAR_CONSTANT, K_COMMENT, K_DECLARE, K_DOT, K_EOF,
                                 K_ERROR, K_FIELD, K_IDENTIFIER, K_KEYWORD, K_LEFT, K_LEFT_PAREN, K_NIL, K_NUMBER,
                                 K_PIPE, K_RAW_STRING, K_RIGHT, K_RIGHT_PAREN, K_STRING, K_TEXT, K_VARIABLE, Kind,
                                 Token)
from cmp.templates.nodes import (Action, Bool, Branch, Chain, Command, Comment, Define, Dot, Field,
                                 Identifier, LoopControl, Nil, Node, Number, Operand, ParseError, Pipe,
                                 Source, String, Template, Text, Tree, Variable)

# Tokens are built with tuple.__new__: Token(...) runs the NamedTuple's Python __new__ (twice the cost).
_new = tuple.__new__
KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range",
                      "template", "with"})
LEFT, RIGHT = "{{", "}}"
LEFT_COMMENT, RIGHT_COMMENT = "/*", "*/"
_SPACE = " \t\r\n"
_SPACE_CHARS = frozenset(_SPACE)

_WORD = re.compile(r"\w+")
# Compiled by `_quoted` when first used: _COMMON lexes every well-formed string, and charts rarely
# hold a character constant.
_QUOTED = r'"(?:[^"\\\n]|\\[^\n])*"'
_CHAR_CONST = r"'(?:[^'\\\n]|\\[^\n])*'"
_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?"
    r"|0[oO][0-7_]*|0[bB][01_]*"
    r"|[0-9_]*(?:\.[0-9_]*)?(?:(?<=[0-9_.])[eE][+-]?[0-9_]+)?)i?"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "0": "\0"}


def lex(text: str) -> list[Token]:
    """Tokens of `text`, ending with EOF or with the first ERROR."""
    out: list[Token] = []
    pos = 0
    size = len(text)
    while pos >= 0:
        start = text.find(LEFT, pos)
        if start < 0:
            if pos < size:
                out.append(_new(Token, (K_TEXT, pos, size, text[pos:], False)))
            out.append(_new(Token, (K_EOF, size, size, "", False)))
            break
        if start > pos:
            out.append(_new(Token, (K_TEXT, pos, start, text[pos:start], False)))
        pos = _action(text, start, out)
    return out


# The frequent tokens inside an action, in one match; anything else goes through _inside().
_COMMON = re.compile(
    r"(?P<space>[ \t\r\n]+)|(?P<right>\}\})|(?P<field>\.(?!\d)\w+)|(?P<word>(?!\d)\w+)"
    r'|(?P<string>"(?:[^"\\\n]|\\[^\n])*")|(?P<var>\$\w*)|(?P<pipe>\|)|(?P<lparen>\()|(?P<rparen>\))'
)


def _action(text: str, start: int, out: list[Token]) -> int:
    """Tokens of one `{{ ... }}` into `out`; returns the offset after it, or -1 after an ERROR."""
    pos = start + len(LEFT)
    after_marker = 2 if _left_trim(text, pos) else 0
    if text.startswith(LEFT_COMMENT, pos + after_marker):
        return _comment(text, start, pos + after_marker, out)
    out.append(_new(Token, (K_LEFT, start, pos + after_marker, LEFT, False)))
    pos += after_marker
    depth = 0
    spaced = False
    size = len(text)
    match_common = _COMMON.match
    while True:
        match = match_common(text, pos)
        group = match.lastgroup if match else None
        if group == "space":
            end = match.end()  # type: ignore[union-attr]
            if text.startswith("-" + RIGHT, end):  # ` -}}`: the last space belongs to the delimiter
                if depth:
                    out.append(_error(end - 1, "unclosed left paren"))
                    return -1
                out.append(_new(Token, (K_RIGHT, end - 1, end + 3, RIGHT, True)))
                return end + 3
            pos, spaced = end, True
            continue
        if group == "right":
            if depth:
                out.append(_error(pos, "unclosed left paren"))
                return -1
            out.append(_new(Token, (K_RIGHT, pos, pos + 2, RIGHT, spaced)))
            return pos + 2
        if pos >= size:
            out.append(_error(pos, "unclosed action"))
            return -1
        if group == "word" or group == "field":  # _identifier and _common's field, inlined: the most frequent
            end = match.end()  # type: ignore[union-attr]
            if end < size and text[end] not in _TERMINATORS and not text.startswith(RIGHT, end):
                token = _error(end, f"bad character {text[end]!r}")
            elif group == "word":
                word = text[pos:end]
                token = _new(Token, (_WORD_KINDS.get(word, K_IDENTIFIER), pos, end, word, spaced))
            else:
                token = _new(Token, (K_FIELD, pos, end, text[pos + 1:end], spaced))
        elif match is not None and group:
            token = _common(text, pos, group, match, spaced)
        else:
            token = _inside(text, pos, text[pos], spaced)
        out.append(token)
        if token.kind is K_ERROR:
            return -1
        if token.kind is K_LEFT_PAREN:
            depth += 1
        elif token.kind is K_RIGHT_PAREN:
            depth -= 1
            if depth < 0:
                out.append(_error(pos, "unexpected right paren"))
                return -1
        pos = token.end
        spaced = False


_TERMINATORS = frozenset(" \t\r\n.,|:()")  # what _at_terminator accepts besides `}}` and the end
_WORD_KINDS = {**{word: K_KEYWORD for word in KEYWORDS}, "true": K_BOOL, "false": K_BOOL, "nil": K_NIL}


def _common(text: str, pos: int, group: str, match: re.Match[str], spaced: bool) -> Token:
    end = match.end()
    if group == "field":
        if not _at_terminator(text, end):
            return _error(end, f"bad character {text[end]!r}")
        return _new(Token, (K_FIELD, pos, end, text[pos + 1:end], spaced))
    if group == "word":
        return _identifier(text, pos, spaced)
    if group == "string":
        return _new(Token, (K_STRING, pos, end, _unquote(text[pos + 1:end - 1]), spaced))
    if group == "var":
        return _field_or_variable(text, pos, "$", spaced)
    return _new(Token, (_SIMPLE[text[pos]], pos, end, text[pos], spaced))


def _inside(text: str, pos: int, ch: str, spaced: bool) -> Token:
    if ch == ":":
        if text.startswith(":=", pos):
            return _new(Token, (K_DECLARE, pos, pos + 2, ":=", spaced))
        return _error(pos, "expected :=")
    simple = _SIMPLE.get(ch)
    if simple is not None:
        return _new(Token, (simple, pos, pos + 1, ch, spaced))
    if ch == '"':
        return _quoted(text, pos, _QUOTED, K_STRING, "unterminated quoted string", spaced)
    if ch == "'":
        return _quoted(text, pos, _CHAR_CONST, K_CHAR_CONSTANT, "unterminated character constant", spaced)
    if ch == "`":
        close = text.find("`", pos + 1)
        if close < 0:
            return _error(pos, "unterminated raw quoted string")
        return _new(Token, (K_RAW_STRING, pos, close + 1, text[pos + 1:close], spaced))
    if ch == "$" or (ch == "." and not text[pos + 1:pos + 2].isdigit()):
        return _field_or_variable(text, pos, ch, spaced)
    if ch in "+-." or ch.isdigit():
        return _number(text, pos, spaced)
    if ch == "_" or ch.isalnum():
        return _identifier(text, pos, spaced)
    if ch.isascii() and ch.isprintable():
        return _new(Token, (K_CHAR, pos, pos + 1, ch, spaced))
    return _error(pos, f"unrecognized character in action: {ch!r}")


_SIMPLE = {"=": K_ASSIGN, "|": K_PIPE, "(": K_LEFT_PAREN, ")": K_RIGHT_PAREN}


def _quoted(text: str, pos: int, pattern: str, kind: Kind, problem: str, spaced: bool) -> Token:
    match = re.compile(pattern).match(text, pos)
    if match is None:
        return _error(pos, problem)
    return _new(Token, (kind, pos, match.end(), _unquote(match.group()[1:-1]), spaced))


def _unquote(body: str) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _field_or_variable(text: str, pos: int, ch: str, spaced: bool) -> Token:
    word = _WORD.match(text, pos + 1)
    end = word.end() if word else pos + 1
    if word is None:
        if not _at_terminator(text, pos + 1):
            return _error(pos + 1, f"bad character {text[pos + 1]!r}")
        return _new(Token, (K_DOT if ch == "." else K_VARIABLE, pos, pos + 1, ch, spaced))
    if not _at_terminator(text, end):
        return _error(end, f"bad character {text[end]!r}")
    if ch == "$":
        return _new(Token, (K_VARIABLE, pos, end, text[pos:end], spaced))
    return _new(Token, (K_FIELD, pos, end, text[pos + 1:end], spaced))


def _identifier(text: str, pos: int, spaced: bool) -> Token:
    end = _WORD.match(text, pos).end()  # type: ignore[union-attr]
    if not _at_terminator(text, end):
        return _error(end, f"bad character {text[end]!r}")
    word = text[pos:end]
    if word in KEYWORDS:
        return _new(Token, (K_KEYWORD, pos, end, word, spaced))
    if word in ("true", "false"):
        return _new(Token, (K_BOOL, pos, end, word, spaced))
    if word == "nil":
        return _new(Token, (K_NIL, pos, end, word, spaced))
    return _new(Token, (K_IDENTIFIER, pos, end, word, spaced))


def _number(text: str, pos: int, spaced: bool) -> Token:
    end = _NUMBER.match(text, pos).end()  # type: ignore[union-attr]
    if end < len(text) and (text[end] == "_" or text[end].isalnum()):
        return _error(pos, f"bad number syntax: {text[pos:end + 1]!r}")
    if end == pos:
        return _error(pos, f"bad number syntax: {text[pos]!r}")
    return _new(Token, (K_NUMBER, pos, end, text[pos:end], spaced))


def _comment(text: str, start: int, pos: int, out: list[Token]) -> int:
    body_start = pos + len(LEFT_COMMENT)
    close = text.find(RIGHT_COMMENT, body_start)
    if close < 0:
        out.append(_error(start, "unclosed comment"))
        return -1
    right = _right_delim(text, close + len(RIGHT_COMMENT))
    if not right:
        out.append(_error(close, "comment ends before closing delimiter"))
        return -1
    end = close + len(RIGHT_COMMENT) + right
    out.append(_new(Token, (K_COMMENT, start, end, text[body_start:close], False)))
    return end


def _left_trim(text: str, pos: int) -> bool:
    return text.startswith("-", pos) and text[pos + 1:pos + 2] in _SPACE_CHARS


def _right_delim(text: str, pos: int) -> int:
    """Length of the right delimiter at `pos` (` -}}` with its trim marker, or `}}`), else 0."""
    if text.startswith(RIGHT, pos):
        return len(RIGHT)
    if text[pos:pos + 1] in _SPACE_CHARS and text.startswith("-" + RIGHT, pos + 1):
        return 2 + len(RIGHT)
    return 0


def _at_terminator(text: str, pos: int) -> bool:
    if pos >= len(text):
        return True
    return text[pos] in " \t\r\n.,|:()" or text.startswith(RIGHT, pos)


def _error(pos: int, message: str) -> Token:
    return _new(Token, (K_ERROR, pos, pos, message, False))


MAX_DEPTH = 100  # nesting of control structures and parentheses; real charts stay far below
_OPERAND_START = frozenset({K_BOOL, K_CHAR_CONSTANT, K_DOT, K_FIELD, K_IDENTIFIER,
                            K_NUMBER, K_NIL, K_RAW_STRING, K_STRING, K_VARIABLE,
                            K_LEFT_PAREN})


class _Stop(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse(text: str) -> Tree:
    source = Source.of(text)
    if "{{" not in text:  # no action (a CRD, a static manifest): the lexer would find one Text
        return Tree(source, (Text(0, len(text)),) if text else ())
    parser = _Parser(text)
    try:
        parser.parse_top()
    except _Stop as stop:
        return Tree(source, tuple(parser.top), ParseError(stop.offset, stop.message))
    return Tree(source, tuple(parser.top))


class _Parser:
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

    def unexpected(self, token: Token, context: str) -> NoReturn:
        if token.kind is K_EOF:
            raise _Stop(token.start, f"unexpected EOF in {context}")
        shown = token.value if token.kind is not K_STRING else f'"{token.value}"'
        raise _Stop(token.start, f"unexpected {shown or token.kind.value!s} in {context}")

    # ---- lists ----------------------------------------------------------------------------

    def parse_top(self) -> None:
        while self.peek().kind is not K_EOF:
            token = self.next()
            if token.kind is K_LEFT and self.peek().kind is K_KEYWORD and self.peek().value == "define":
                self.next()
                self.top.append(self.define(token))
                continue
            self.backup(token)
            node, stop = self.text_or_action()
            if stop is not None:
                raise _Stop(stop.pos, f"unexpected {{{{{stop.keyword}}}}}")
            if node is not None:
                self.top.append(node)

    def item_list(self, context: str) -> tuple[tuple[Node, ...], LoopControl]:
        """Nodes up to `{{end}}` or `{{else}}`, which is returned as a LoopControl marker."""
        nodes: list[Node] = []
        while self.peek().kind is not K_EOF:
            node, stop = self.text_or_action()
            if stop is not None:
                return tuple(nodes), stop
            if node is not None:
                nodes.append(node)
        raise _Stop(self.peek().start, f"unexpected EOF: {context} has no {{{{end}}}}")

    def text_or_action(self) -> tuple[Node | None, LoopControl | None]:
        token = self.next()
        if token.kind is K_TEXT:
            return Text(token.start, token.end), None
        if token.kind is K_COMMENT:
            return Comment(token.start, token.end, token.value), None
        if token.kind is K_LEFT:
            return self.action(token)
        self.unexpected(token, "input")

    def action(self, left: Token) -> tuple[Node | None, LoopControl | None]:
        token = self.peek()
        if token.kind is K_KEYWORD:
            self.next()
            keyword = token.value
            if keyword in ("end", "else"):
                return None, self.end_or_else(left, keyword)
            if keyword in ("if", "with", "range"):
                return self.branch(left, keyword), None
            if keyword in ("break", "continue"):
                return self.loop_control(left, keyword), None
            if keyword == "template":
                return self.template(left), None
            if keyword == "block":
                return self.block(left), None
            raise _Stop(token.start, "{{define}} is only allowed at the top level")
        pipe = self.pipeline("command", K_RIGHT)
        return Action(left.start, self.last_end, pipe), None

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
        start = self.peek().start
        decls, is_assign = self.declarations(context)
        commands: list[Command] = []
        while True:
            token = self.next()
            if token.kind is end_kind:
                self.last_end = token.end
                self.check_pipeline(commands, context, token)
                return Pipe(start, token.start, tuple(decls), is_assign, tuple(commands))
            if token.kind not in _OPERAND_START:
                self.unexpected(token, context)
            self.backup(token)
            commands.append(self.command())

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

    def check_pipeline(self, commands: list[Command], context: str, end: Token) -> None:
        if not commands:
            raise _Stop(end.start, f"missing value for {context}")
        for i, command in enumerate(commands[1:], start=2):
            first = command.args[0]
            if isinstance(first, (Bool, Dot, Nil, Number, String)):
                raise _Stop(first.pos, f"non executable command in pipeline stage {i}")

    def command(self) -> Command:
        args: list[Operand] = []
        while True:
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            token = self.peek()
            if token.kind in (K_RIGHT, K_RIGHT_PAREN):
                break
            if token.kind is K_PIPE:
                self.next()
                break
            if token.kind not in _OPERAND_START or not token.spaced:
                self.unexpected(token, "operand")
        if not args:
            raise _Stop(self.peek().start, "empty command")
        return Command(args[0].pos, args[-1].end, tuple(args))

    def operand(self) -> Operand | None:
        node = self.term()
        if node is None:
            return None
        fields: list[str] = []
        end = node.end
        while self.peek().kind is K_FIELD and not self.peek().spaced:
            field = self.next()
            fields.append(field.value)
            end = field.end
        if not fields:
            return node
        if isinstance(node, Field):
            return Field(node.pos, end, (*node.names, *fields))
        if isinstance(node, Variable):
            return Variable(node.pos, end, node.name, (*node.fields, *fields))
        if isinstance(node, (Bool, String, Number, Nil, Dot)):
            raise _Stop(node.end, "unexpected . after term")
        return Chain(node.pos, end, node, tuple(fields))

    def term(self) -> Operand | None:
        token = self.next()
        kind = token.kind
        if kind is K_IDENTIFIER:
            return Identifier(token.start, token.end, token.value)
        if kind is K_DOT:
            return Dot(token.start, token.end)
        if kind is K_NIL:
            return Nil(token.start, token.end)
        if kind is K_VARIABLE:
            self.use_variable(token)
            return Variable(token.start, token.end, token.value)
        if kind is K_FIELD:
            return Field(token.start, token.end, (token.value,))
        if kind is K_BOOL:
            return Bool(token.start, token.end, token.value == "true")
        if kind in (K_NUMBER, K_CHAR_CONSTANT):
            return self.number(token)
        if kind in (K_STRING, K_RAW_STRING):
            return String(token.start, token.end, token.value)
        if kind is K_LEFT_PAREN:
            self.enter(token.start)
            pipe = self.pipeline("parenthesized pipeline", K_RIGHT_PAREN)
            self.depth -= 1
            return Pipe(token.start, self.last_end, pipe.decls, pipe.is_assign, pipe.commands)
        self.backup(token)
        return None

    def number(self, token: Token) -> Number:
        text = token.value
        if token.kind is K_NUMBER and not any(c.isdigit() for c in text):
            raise _Stop(token.start, f"illegal number syntax: {text!r}")
        if token.kind is K_CHAR_CONSTANT and len(text) != 1:
            raise _Stop(token.start, "malformed character constant")
        return Number(token.start, token.end, text)

"""Go text/template's lexer (text/template/parse/lex.go), with Helm's `{{ }}` delimiters.

`lex` returns Tokens with offsets. It never raises: the first problem becomes an ERROR token
(whose `value` is the message) and ends the list, as Go's lexer ends its stream.
"""

import re
from enum import Enum
from typing import NamedTuple


class Kind(Enum):
    TEXT = "text"
    LEFT = "{{"
    RIGHT = "}}"
    COMMENT = "comment"
    FIELD = "field"
    VARIABLE = "variable"
    IDENTIFIER = "identifier"
    KEYWORD = "keyword"
    STRING = "string"
    RAW_STRING = "raw string"
    CHAR_CONSTANT = "character constant"
    NUMBER = "number"
    BOOL = "bool"
    NIL = "nil"
    DOT = "."
    DECLARE = ":="
    ASSIGN = "="
    PIPE = "|"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    CHAR = "character"  # any other printable ASCII character (`,` in range declarations)
    EOF = "EOF"
    ERROR = "error"


# Kind's members as module constants (the parser imports them too): on Python 3.11 `Kind.X` goes through EnumType.__getattr__
# (about 0.2 us a lookup), and lexing and parsing a large chart look members up a million times.
K_ASSIGN = Kind.ASSIGN
K_BOOL = Kind.BOOL
K_CHAR = Kind.CHAR
K_CHAR_CONSTANT = Kind.CHAR_CONSTANT
K_COMMENT = Kind.COMMENT
K_DECLARE = Kind.DECLARE
K_DOT = Kind.DOT
K_EOF = Kind.EOF
K_ERROR = Kind.ERROR
K_FIELD = Kind.FIELD
K_IDENTIFIER = Kind.IDENTIFIER
K_KEYWORD = Kind.KEYWORD
K_LEFT = Kind.LEFT
K_LEFT_PAREN = Kind.LEFT_PAREN
K_NIL = Kind.NIL
K_NUMBER = Kind.NUMBER
K_PIPE = Kind.PIPE
K_RAW_STRING = Kind.RAW_STRING
K_RIGHT = Kind.RIGHT
K_RIGHT_PAREN = Kind.RIGHT_PAREN
K_STRING = Kind.STRING
K_TEXT = Kind.TEXT
K_VARIABLE = Kind.VARIABLE


class Token(NamedTuple):  # a NamedTuple: lexing creates one per token and must stay cheap
    kind: Kind
    start: int
    end: int
    value: str
    spaced: bool = False  # whitespace came right before it (Go's itemSpace, folded in)


# Tokens are built with tuple.__new__: Token(...) runs the NamedTuple's Python __new__ (twice the cost).
_new = tuple.__new__
KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range",
                      "template", "with"})
LEFT, RIGHT = "{{", "}}"
LEFT_COMMENT, RIGHT_COMMENT = "/*", "*/"
_SPACE = " \t\r\n"
_SPACE_CHARS = frozenset(_SPACE)

_WORD = re.compile(r"\w+")
# Compiled by `_quoted` when first used: _TOKEN lexes every well-formed string, and charts rarely
# hold a character constant.
_QUOTED = r'"(?:[^"\\\n]|\\[^\n])*"'
_CHAR_CONST = r"'(?:[^'\\\n]|\\[^\n])*'"
_NUMBER = (  # compiled when first used, as _COMMON: _TOKEN lexes decimal integers
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


_TERM = r"(?=[ \t\r\n.,|:()]|\}\}|\Z)"  # what _at_terminator accepts: ends a field, word or variable
# The tokens of a well-formed action, one match each with the whitespace before it (the group that
# matched, `lastindex`, says which); anything else (signed or non-decimal numbers, character
# constants, `=`, `,`, every error) goes through _slow_token, one token at a time. Each alternative
# matches exactly where _slow_token would build the same token: a word, field or variable must be
# followed by a terminator, a decimal number by neither a word character nor `.`.
_TOKEN = (  # compiled when first used: the parser's fast path (fastparse) lexes real charts
    r"[ \t\r\n]*(?:(\}\})"                # 1 }}
    r"|(\.(?!\d)\w+)" + _TERM +            # 2 field
    r"|((?!\d)\w+)" + _TERM +              # 3 identifier, keyword, bool or nil
    r'|("(?:[^"\\\n]|\\[^\n])*")'          # 4 quoted string
    r"|(\$\w*)" + _TERM +                 # 5 variable
    r"|([|()])"                            # 6 pipe or paren
    r"|(\.)" + _TERM +                     # 7 dot
    r"|([0-9]+)(?![\w.])"                  # 8 decimal integer
    r"|(:=)"                               # 9
    r"|(`[^`]*`))"                         # 10 raw string
    r"|[ \t\r\n]*([ \t\r\n]-\}\})"          # 11 ` -}}`: the last space belongs to the delimiter
)
_RIGHT_GROUPS = (1, 11)


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
    match_token = re.compile(_TOKEN).match
    append = out.append
    while True:
        match = match_token(text, pos)
        if match is None:
            token = _slow_token(text, pos, spaced)
            if token is None:  # whitespace: the next token is spaced
                pos = _skip_space(text, pos)
                spaced = True
                continue
            append(token)
            kind = token.kind
            if kind is K_ERROR:
                return -1
            depth += (kind is K_LEFT_PAREN) - (kind is K_RIGHT_PAREN)
            if depth < 0:
                append(_error(token.start, "unexpected right paren"))
                return -1
            pos = token.end
            spaced = False
            continue
        group = match.lastindex
        begin, end = match.span(group)  # type: ignore[arg-type]  # a match of _TOKEN has a group
        space = spaced or begin > pos
        pos = end
        spaced = False
        if group == 2:
            append(_new(Token, (K_FIELD, begin, end, text[begin + 1:end], space)))
        elif group == 3:
            word = text[begin:end]
            append(_new(Token, (_WORD_KINDS.get(word, K_IDENTIFIER), begin, end, word, space)))
        elif group in _RIGHT_GROUPS:
            if depth:
                append(_error(begin, "unclosed left paren"))
                return -1
            append(_new(Token, (K_RIGHT, begin, end, RIGHT, space or group == 11)))
            return end
        elif group == 5:
            append(_new(Token, (K_VARIABLE, begin, end, text[begin:end], space)))
        elif group == 6:
            char = text[begin]
            kind = _SIMPLE[char]
            append(_new(Token, (kind, begin, end, char, space)))
            if kind is K_LEFT_PAREN:
                depth += 1
            elif kind is K_RIGHT_PAREN:
                depth -= 1
                if depth < 0:
                    append(_error(begin, "unexpected right paren"))
                    return -1
        elif group == 4:
            append(_new(Token, (K_STRING, begin, end, _unquote(text[begin + 1:end - 1]), space)))
        elif group == 7:
            append(_new(Token, (K_DOT, begin, end, ".", space)))
        elif group == 8:
            append(_new(Token, (K_NUMBER, begin, end, text[begin:end], space)))
        elif group == 9:
            append(_new(Token, (K_DECLARE, begin, end, ":=", space)))
        else:
            append(_new(Token, (K_RAW_STRING, begin, end, text[begin + 1:end - 1], space)))


def _slow_token(text: str, pos: int, spaced: bool) -> Token | None:
    """One token at `pos` where _TOKEN does not match, as the lexer read every token before
    _TOKEN; None for whitespace (never followed by `}}` or ` -}}` here: _TOKEN takes those)."""
    match = re.compile(_COMMON).match(text, pos)
    group = match.lastgroup if match else None
    if group == "space":
        return None
    if pos >= len(text):
        return _error(pos, "unclosed action")
    if group == "word" or group == "field":
        end = match.end()  # type: ignore[union-attr]
        if not _at_terminator(text, end):
            return _error(end, f"bad character {text[end]!r}")
        return _common(text, pos, group, match, spaced)  # type: ignore[arg-type]
    if match is not None and group:
        return _common(text, pos, group, match, spaced)
    return _inside(text, pos, text[pos], spaced)


def _skip_space(text: str, pos: int) -> int:
    return _SPACE_RUN.match(text, pos).end()  # type: ignore[union-attr]


# The lexer's token-at-a-time pattern (_slow_token), as before _TOKEN; compiled when first used.
_COMMON = (
    r"(?P<space>[ \t\r\n]+)|(?P<right>\}\})|(?P<field>\.(?!\d)\w+)|(?P<word>(?!\d)\w+)"
    r'|(?P<string>"(?:[^"\\\n]|\\[^\n])*")|(?P<var>\$\w*)|(?P<pipe>\|)|(?P<lparen>\()|(?P<rparen>\))'
)
_SPACE_RUN = re.compile(r"[ \t\r\n]*")


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
    end = re.compile(_NUMBER).match(text, pos).end()  # type: ignore[union-attr]
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

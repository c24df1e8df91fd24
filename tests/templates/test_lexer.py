from __future__ import annotations

import pytest

from cmp.templates.lexer import Kind, lex


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(t.kind, t.value) for t in lex(text)]


def test_text_and_action_with_trim_markers():
    assert kinds("a {{- .x -}} b") == [
        (Kind.TEXT, "a "), (Kind.LEFT, "{{"), (Kind.FIELD, "x"), (Kind.RIGHT, "}}"), (Kind.TEXT, " b"),
        (Kind.EOF, ""),
    ]


def test_minus_without_space_is_a_number_not_a_trim_marker():
    assert kinds("{{-3}}")[1] == (Kind.NUMBER, "-3")


def test_comment_is_one_token_even_with_delimiters_inside():
    assert kinds("{{/* {{ if }} */}}") == [(Kind.COMMENT, " {{ if }} "), (Kind.EOF, "")]


def test_raw_string_may_hold_the_right_delimiter_and_newlines():
    assert kinds("{{ `a }}\nb` }}")[1] == (Kind.RAW_STRING, "a }}\nb")


def test_quoted_string_is_unescaped():
    assert kinds(r'{{ "a\"b\n" }}')[1] == (Kind.STRING, 'a"b\n')


def test_fields_variables_and_keywords():
    assert kinds("{{ if $x.a }}")[1:5] == [
        (Kind.KEYWORD, "if"), (Kind.VARIABLE, "$x"), (Kind.FIELD, "a"), (Kind.RIGHT, "}}"),
    ]


def test_spaced_marks_whitespace_before_a_token():
    tokens = list(lex("{{ .a .b.c }}"))
    assert [(t.value, t.spaced) for t in tokens[1:5]] == [("a", True), ("b", True), ("c", False), ("}}", True)]


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("{{ .x", "unclosed action", id="unclosed-action"),
    pytest.param("{{/* x", "unclosed comment", id="unclosed-comment"),
    pytest.param("{{ \"x }}", "unterminated quoted string", id="unterminated-string"),
    pytest.param("{{ `x }}", "unterminated raw quoted string", id="unterminated-raw"),
    pytest.param("{{ .x-y }}", "bad character '-'", id="dash-in-field"),
    pytest.param("{{ 1e }}", "bad number syntax: '1e'", id="bad-number"),
    pytest.param("{{ ( }}", "unclosed left paren", id="unclosed-paren"),
])
def test_the_first_error_ends_the_stream(text, message):
    tokens = list(lex(text))
    assert tokens[-1].kind is Kind.ERROR
    assert tokens[-1].value == message

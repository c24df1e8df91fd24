"""The lexer and parser against the implementation they replaced (tests/templates/reference_parser.py):
the same tokens and the same tree, error and offset included, for any text. The real-chart corpus
has its own check (tests/realcharts/test_template_parser.py); here the fuzzing, where the errors are."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support import EXAMPLE
from templates import reference_parser

from cmp.templates.lexer import lex
from cmp.templates.parser import parse


def shape(value: Any) -> Any:
    """A tree or token with each node's class in it: NamedTuples of different classes with equal
    fields compare equal as tuples."""
    if isinstance(value, tuple):
        return type(value).__name__, tuple(shape(v) for v in value)
    return value


def assert_same(text: str) -> None:
    assert shape(lex(text)) == shape(reference_parser.lex(text))
    assert shape(parse(text)) == shape(reference_parser.parse(text))


PIECES = st.sampled_from(
    ["{{", "}}", "{{-", "-}}", "{{- ", " -}}", " ", "  ", "\n", "\t", "/*", "*/", "(", ")", "|", '"', '\\"', "`",
     "'", "'a'", "'ab'", "$", "$x", "$y", ":=", "=", ":", ",", ".", ".Values", ".env", ".a.b", "..", ".5", ".x-",
     "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "eq", "include",
     '"prod"', '"a}}b"', "1", "12", "-1", "+2", "0x1F", "1.5", "1e3", "1e", "0b1", "0o7", "1_0", "1i", "-", "_",
     "x", "x1", "ä", "٣", "²", "\\", "nil", "true", "false", "!", "#", "}", "{", "\r"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_template_like_text_lexes_and_parses_as_before(text: str):
    assert_same(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_lexes_and_parses_as_before(text: str):
    assert_same(text)


EXAMPLES = [p.read_text() for p in sorted(EXAMPLE.glob("charts/*/templates/*"))]


def mutated(text: str, data: st.DataObject) -> str:
    """`text` with up to 40 characters cut out at a drawn place and up to three PIECES put in."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    return text[:start] + data.draw(st.lists(PIECES, max_size=3).map("".join)) + text[end:]


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_real_templates_cut_and_changed_parse_as_before(text: str, data: st.DataObject):
    """The example's templates with a piece cut out or put in: errors at every kind of place."""
    assert_same(mutated(text, data))


def test_the_shape_tells_node_classes_apart():
    from cmp.templates.nodes import Dot, Nil

    assert Dot(1, 2) == Nil(1, 2) and shape(Dot(1, 2)) != shape(Nil(1, 2))

"""The parser's fast path (cmp/templates/fastparse.py) against the lexer and parser as they were
(tests/templates/reference_parser.py): where it returns nodes they are the reference's tree, which
has no error; where the reference finds an error it gives up, and parse() falls back to the lexer
and parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import EXAMPLE
from templates import reference_parser
from templates.test_parser_differential import PIECES, mutated, shape

from cmp.templates import fastparse
from cmp.templates.nodes import Source, Tree


def fast_or_none(text: str) -> Tree | None:
    nodes = fastparse.parse(text)
    return None if nodes is None else Tree(Source.of(text), nodes)


def assert_agrees(text: str) -> Tree | None:
    fast = fast_or_none(text)
    reference = reference_parser.parse(text)
    if reference.error is not None:
        assert fast is None, reference.error
    if fast is not None:
        assert shape(fast) == shape(reference)
    return fast


TAKEN = [
    pytest.param("plain {{ .Values.a.b }} text", id="fields"),
    pytest.param("{{- .x -}}{{ .x   -}}", id="trim-markers"),
    pytest.param("{{/* c */}}{{- /* c */ -}}x", id="comments"),
    pytest.param('{{ "a}}b" }}{{ `a}}\nb` | quote }}{{ "a\\"b\\n" }}', id="strings"),
    pytest.param("{{ (.x).y }}{{ ((print (print (.x)))) }}{{ fn.a.b }}", id="parens-and-chains"),
    pytest.param("{{ $x := 1 }}{{ $x = 2 }}{{ $x.a.b }}{{ $.Values.a }}{{ $ }}", id="variables"),
    pytest.param("{{ range $i, $v := .l }}{{ $i }}{{ $v }}{{ break }}{{ end }}", id="range-declarations"),
    pytest.param("{{ $i := 0 }}{{ $v := 0 }}{{ range $i , $v = .l }}{{ end }}", id="range-assignment-spaced"),
    pytest.param("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", id="else-if"),
    pytest.param("{{ with .a }}A{{ else with .b }}B{{ end }}", id="else-with"),
    pytest.param("{{ range .l }}{{ else }}none{{ end }}", id="range-else"),
    pytest.param('{{ define "h" }}{{ . }}{{ end }}{{ template "h" . }}{{ template `h` }}', id="define-template"),
    pytest.param('{{ block "b" .x }}body{{ end }}', id="block"),
    pytest.param("{{ true }}{{ false | not }}{{ nil }}{{ 42 }}{{ x | y | z }}", id="literals"),
    pytest.param("{{ x | }}", id="pipe-before-end"),
    pytest.param("{{ .a }}\n" * 3, id="text-after"),
    pytest.param("{{ if .a }}{{- end }}{{ if .b }}x{{ end }}{{ if .c }}{{- end -}}{{ if .d }}{{end}}", id="ends"),
]


@pytest.mark.parametrize("text", TAKEN)
def test_the_fast_path_parses_what_the_parser_parses(text: str):
    assert assert_agrees(text) is not None


LEFT_TO_THE_PARSER = [
    pytest.param("{{ 'a' }}", id="character-constant"),
    pytest.param("{{ -1 }}{{ 1.5 }}{{ 0x1F }}", id="other-numbers"),
    pytest.param("{{ .a", id="unclosed-action"),
    pytest.param("{{-}}", id="trim-marker-without-space"),
    pytest.param("{{-", id="trim-marker-at-the-end"),
    pytest.param("{{ $x }}", id="undefined-variable"),
    pytest.param("{{ $x = 1 }}", id="assignment-to-undefined"),
    pytest.param("{{ $a, $b := .l }}", id="two-variables-outside-range"),
    pytest.param("{{ range $a, $b.c := .l }}{{ end }}", id="field-in-declaration"),
    pytest.param("{{ break }}", id="break-outside-range"),
    pytest.param("{{ range .l }}{{ else }}{{ break }}{{ end }}", id="break-in-range-else"),
    pytest.param("{{ if .a }}{{ else with .b }}{{ end }}", id="else-with-in-if"),
    pytest.param("{{ if .a }}", id="missing-end"),
    pytest.param("{{ end }}", id="end-at-top"),
    pytest.param("{{- end }}", id="trimmed-end-at-top"),
    pytest.param('{{ define "x" }}{{ if 1 }}{{- end }}', id="end-of-the-branch-only"),
    pytest.param('{{ if 1 }}{{ define "x" }}{{ end }}{{ end }}', id="nested-define"),
    pytest.param('{{ define "x" }}{{ else }}{{ end }}', id="else-in-define"),
    pytest.param("{{ x | 1 }}{{ }}", id="pipeline-stages"),
    pytest.param('{{ "a".b }}{{ ..a }}{{ true.x }}', id="fields-of-a-literal"),
    pytest.param("{{ (x }}{{ x) }}", id="unbalanced-parens"),
    pytest.param("{{ x(y) }}{{ x,y }}{{ .a-b }}", id="unspaced-operands"),
    pytest.param("{{ /* not a comment */ }}", id="spaced-comment"),
    pytest.param("{{/* unclosed }}", id="unclosed-comment"),
    pytest.param("{{/* c */ }}", id="comment-without-delimiter"),
    pytest.param("{{ if " * 101 + "1 }}" + "{{ end }}" * 101, id="too-deep"),
    pytest.param("{{ " + "(" * 101 + "1" + ")" * 101 + " }}", id="too-deep-parens"),
]


@pytest.mark.parametrize("text", LEFT_TO_THE_PARSER)
def test_the_fast_path_leaves_errors_and_rare_tokens_to_the_parser(text: str):
    assert assert_agrees(text) is None


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_template_like_text_parses_as_the_reference_or_goes_to_the_parser(text: str):
    assert_agrees(text)


EXAMPLES = [p.read_text() for p in sorted(EXAMPLE.glob("charts/*/templates/*"))]


@pytest.mark.parametrize("text", EXAMPLES)
def test_the_example_charts_take_the_fast_path(text: str):
    assert "{{" not in text or assert_agrees(text) is not None


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_real_templates_cut_and_changed_agree(text: str, data: st.DataObject):
    assert_agrees(mutated(text, data))

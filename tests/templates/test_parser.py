"""The parser against Go's own: every verdict here is checked against Helm (real Helm parses the
same text), and arbitrary text never makes it raise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmp.templates import parse, parse_all, trees
from cmp.templates.nodes import (Action, Branch, Chain, Comment, Define, Field, Identifier, Pipe, Source, String,
                                 Template, Tree, walk)
from cmp.templates.parser import _Parser

# Tricky but valid Helm template syntax.
VALID = [
    pytest.param("{{ .Values.a }}", id="field"),
    pytest.param("{{- .x -}}", id="trim-markers"),
    pytest.param("{{ .x   -}}", id="right-trim-after-spaces"),
    pytest.param("{{-3}}", id="negative-number-not-trim"),
    pytest.param("{{/* c */}}{{- /* c */ -}}", id="comments"),
    pytest.param("{{/* {{ if eq .Values.env \"prod\" }} */}}", id="comment-holding-an-action"),
    pytest.param('{{ "a}}b" }}', id="string-holding-delimiter"),
    pytest.param("{{ `a}}\nb` | quote }}", id="raw-string-holding-delimiter-and-newline"),
    pytest.param("{{ print\n  .x\n  (printf \"%s\"\n    .y) }}", id="multi-line-action"),
    pytest.param("{{ ((print (print (.x)))) }}", id="nested-parens"),
    pytest.param("{{ (.x).y }}", id="chain-on-parens"),
    pytest.param("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", id="declare-and-assign"),
    pytest.param("{{ range $i, $e := .list }}{{ $i }}{{ break }}{{ end }}", id="range-two-vars-break"),
    pytest.param("{{ if .a }}a{{ else if .b }}b{{ else }}c{{ end }}", id="else-if"),
    pytest.param("{{ with .a }}a{{ else with .b }}b{{ end }}", id="else-with"),
    pytest.param('{{ define "a" }}{{ template "a" . }}{{ end }}', id="define-template"),
    pytest.param('{{ block "b" . }}x{{ end }}', id="block"),
    pytest.param('{{ .Capabilities.APIVersions.Has "policy/v1" }}', id="method-call"),
    pytest.param("{{ 0x1F }} {{ 1.5e3 }} {{ 'a' }} {{ nil | print }}", id="number-forms"),
    pytest.param("{{ .x | default \"a\" | quote }}", id="pipeline"),
]

# Syntax Go's parser rejects (so Helm refuses the chart).
INVALID = [
    pytest.param("{{ /* c */ }}", id="comment-after-space"),
    pytest.param("{{/* c */ }}", id="comment-space-before-delimiter"),
    pytest.param("{{ .x", id="unclosed-action"),
    pytest.param("{{ if .a }}", id="missing-end"),
    pytest.param("{{ end }}", id="stray-end"),
    pytest.param("{{ $x }}", id="undefined-variable"),
    pytest.param("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}", id="variable-out-of-scope"),
    pytest.param("{{ break }}", id="break-outside-range"),
    pytest.param("{{ range .l }}{{ else if .x }}{{ end }}", id="else-if-in-range"),
    pytest.param('{{ if true }}{{ define "a" }}{{ end }}{{ end }}', id="nested-define"),
    pytest.param("{{ 1 | 2 }}", id="non-executable-stage"),
    pytest.param("{{ }}", id="empty-action"),
    pytest.param('{{ print "a""b" }}', id="adjacent-operands"),
    pytest.param('{{ "a".b }}', id="field-of-string"),
    pytest.param("{{ template .x }}", id="template-name-not-string"),
    pytest.param("{{ print 'ab' }}", id="long-char-constant"),
]


def helm_parses(tmp_path, text: str) -> bool:
    """Whether Helm's Go parser accepts `text` (the render may still fail later; that is not syntax)."""
    import helm_python
    from helm_python import _native

    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "t.yaml").write_text(text)
    try:
        with helm_python.Chart.load(chart) as loaded:
            _native.call_string("helm_render", loaded._raw(), json.dumps({"list": [1]}),
                                json.dumps({"name": "r", "namespace": "n"}))
    except helm_python.HelmError as exc:
        return "parse error" not in str(exc.detail)
    return True


@pytest.mark.parametrize("text", VALID)
def test_valid_syntax_parses_like_go(tmp_path, text):
    assert parse(text).error is None
    assert helm_parses(tmp_path, text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_syntax_is_an_error_like_go(tmp_path, text):
    assert parse(text).error is not None
    assert not helm_parses(tmp_path, text)


def test_positions_are_one_based_line_and_column():
    tree = parse('kind: ConfigMap\ndata:\n  {{- if eq .Values.env "prod" }}\n  x: 1\n  {{- end }}\n')
    branch = next(n for n in tree.nodes if isinstance(n, Branch))
    assert tree.source.where(branch.pos) == (3, 3)
    assert tree.source.where(branch.pipe.commands[0].pos) == (3, 10)


def test_tree_shape():
    tree = parse('{{/* c */}}{{ define "h" }}{{ include "x" (dict "a" $.Values.b) | nindent 4 }}{{ end }}'
                 '{{ (.a).b }}{{ block "b" . }}q{{ end }}')
    comment, define, action, block = tree.nodes
    assert isinstance(comment, Comment) and comment.body == " c "
    assert isinstance(define, Define) and define.name == "h"
    include = define.body[0]
    assert isinstance(include, Action)
    first, second = include.pipe.commands
    assert [type(a) for a in first.args] == [Identifier, String, Pipe]
    assert isinstance(second.args[0], Identifier) and second.args[0].name == "nindent"
    assert isinstance(action, Action) and isinstance(action.pipe.commands[0].args[0], Chain)
    assert isinstance(block, Template) and block.body is not None


def test_fields_merge_into_one_node():
    action = parse("{{ .Values.global.env }}").nodes[0]
    assert isinstance(action, Action)
    assert action.pipe.commands[0].args[0] == Field(3, 21, ("Values", "global", "env"))


def test_an_error_keeps_what_parsed_before_it_and_its_offset():
    tree = parse("a {{ .x }} b {{ .y")
    assert tree.error is not None and tree.error.message == "unclosed action"
    assert tree.source.where(tree.error.offset) == (1, 19)
    assert [type(n).__name__ for n in tree.nodes] == ["Text", "Action", "Text"]


def test_deep_nesting_is_an_error_not_a_crash():
    deep = "{{ " + "(" * 5000 + ".x" + ")" * 5000 + " }}"
    assert parse(deep).error is not None
    ifs = "{{ if .x }}" * 3000 + "{{ end }}" * 3000
    assert parse(ifs).error is not None


TEMPLATE_ALPHABET = st.sampled_from(
    ["{{", "}}", "{{-", "-}}", " ", "\n", "/*", "*/", "(", ")", "|", '"', "`", "'", "$", "$x", ":=", "=",
     ".", ".Values", ".env", "if", "else", "end", "range", "with", "define", "template", "block", "break",
     "eq", '"prod"', "1", "-", ",", "x", "ä", "\\", "nil", "true"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TEMPLATE_ALPHABET, max_size=60).map("".join))
def test_parser_never_raises_on_template_like_text(text):
    tree = parse(text)
    assert tree.error is None or 0 <= tree.error.offset <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises_on_arbitrary_text(text):
    parse(text)


def test_trees_are_the_runners_when_passed_and_parsed_otherwise(example_repo):
    from cmp import config
    from cmp.context import RenderRequest
    from cmp.pipeline import inputs

    request = RenderRequest(example_repo, example_repo / "charts" / "webapp", "dev", None, None)
    gathered = inputs.gather(request, config.load(example_repo))
    parsed = parse_all(gathered)
    assert parsed == tuple(parse(t.text) for t in gathered.templates) and gathered.trees == ()
    assert trees(gathered._replace(trees=parsed)) is parsed
    assert trees(gathered) == parsed and trees(gathered) is not parsed


def test_walk_visits_every_node_in_source_order():
    tree = parse('{{define "d"}}{{/* c1 */}}{{end}}{{if .a}}{{.b}}{{else}}{{/* c2 */}}{{end}}'
                 '{{block "k" .}}{{.e}}{{end}}')
    kinds = [(type(n).__name__, getattr(n, "body", None) if isinstance(n, Comment) else None) for n in walk(tree.nodes)]
    assert kinds == [("Define", None), ("Comment", " c1 "), ("Branch", None), ("Action", None),
                     ("Comment", " c2 "), ("Template", None), ("Action", None)]


@given(st.text(alphabet=st.sampled_from("ab{}-/* \n\t\"'`$."), max_size=40).filter(lambda t: "{{" not in t))
def test_text_without_an_action_is_one_text_node_as_the_full_parser_builds_it(text):
    full = _Parser(text)
    full.parse_top()
    assert parse(text) == Tree(Source.of(text), tuple(full.top))

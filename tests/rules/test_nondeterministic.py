from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import EXAMPLE, ROOT

from cmp import config as repo_config
from cmp import verdict, yamlio
from cmp.context import RenderRequest
from cmp.findings import Severity
from cmp.pipeline import inputs
from cmp.rules import RENDER_RULES, nondeterministic
from cmp.rules.nondeterministic import ID, called, scan
from cmp.templates import lexer, parser
from cmp.templates.lexer import Kind, lex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('password: {{ randAlphaNum 16 | b64enc }}\n', [(1, 14, "randAlphaNum")], id="random"),
        pytest.param('stamp: {{ now | date "2006" }}\n', [(1, 11, "now")], id="clock"),
        pytest.param('id: {{- uuidv4 | quote -}}\n', [(1, 9, "uuidv4")], id="uuid-trimmed"),
        pytest.param('a: 1\n{{ $s := (lookup "v1" "Secret" .Release.Namespace "db") }}\n', [(2, 11, "lookup")], id="lookup-in-parens"),
        pytest.param('{{ $ca := genCA "x" 365 }}\n', [(1, 11, "genCA")], id="keygen"),
        pytest.param('{{ (lookup "v1" "Secret" "ns" "db").data.k }}\n', [(1, 5, "lookup")], id="field-of-call"),
        pytest.param('{{ if true }}\n  x: {{ randInt 1 9 }}\n{{ end }}\n', [(2, 9, "randInt")], id="nested"),
    ],
)
def test_flags(text: str, expected):
    found = list(scan(text, "t.yaml"))
    assert [(f.line, f.column, f.message.split("`")[1]) for f in found] == expected
    assert {(f.rule, f.severity) for f in found} == {(ID, Severity.WARNING)}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{{/* never call randAlphaNum or now here */}}\n", id="comment"),
        pytest.param('x: {{ "now" }} {{ `uuidv4` }}\n', id="strings"),
        pytest.param("now: {{ .Values.now }} {{ $.Values.lookup }}\n", id="fields"),
        pytest.param("plain text mentioning randAlphaNum and now\n", id="plain-text"),
        pytest.param("{{ sha256sum .Values.config }}\n", id="deterministic-hash"),
    ],
)
def test_noop(text: str):
    assert list(scan(text, "t.yaml")) == []


def test_render_reports_but_does_not_block(example_repo, cli):
    tpl = example_repo / "charts" / "webapp" / "templates" / "configmap.yaml"
    tpl.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stamp\ndata:\n  at: {{ now | quote }}\n")
    result = cli("render", str(example_repo / "charts" / "webapp"), "--env", "dev")
    assert result.code == 0
    assert "charts/webapp/templates/configmap.yaml:6:10: [warning] `now` depends on the clock" in result.err


def test_a_render_parses_each_template_once(example_repo, monkeypatch):
    """env-conditional and this rule read the same parse of each template (issue 7)."""
    stamp = example_repo / "charts" / "webapp" / "templates" / "configmap.yaml"
    stamp.write_text("kind: ConfigMap\ndata:\n  at: {{ now | quote }}\n")
    request = RenderRequest(example_repo, example_repo / "charts" / "webapp", "dev", None, None)
    gathered = inputs.gather(request, repo_config.load(example_repo))
    read: Counter[str] = Counter()

    def counting(read_text):
        def counted(text: str):
            read[text] += 1
            return read_text(text)
        return counted

    monkeypatch.setattr(parser, "parse", counting(parser.parse))
    monkeypatch.setattr(parser, "lex", counting(lex))
    monkeypatch.setattr(nondeterministic, "lex", counting(lex))
    found = verdict.check_inputs(gathered, RENDER_RULES)
    assert [(f.path, f.rule) for f in found] == [("charts/webapp/templates/configmap.yaml", ID)]
    assert read == Counter(t.text for t in gathered.templates)  # parsed, and not lexed again
    assert gathered.trees == ()  # the parsed copy went with the rules: nothing held while Helm renders


def corpus_templates() -> list[str]:
    texts = [p.read_text() for p in sorted(EXAMPLE.glob("charts/*/templates/*"))]
    for name in ("positive.yaml", "negative.yaml"):
        path = ROOT / "tests" / "corpus" / "env_conditional" / name
        texts += [case.get("helpers", "") + case["template"] for case in yamlio.load_one(path.read_text(), name)]
    return texts


def lexer_identifiers(text: str) -> list[tuple[int, str]]:
    return [(t.start, t.value) for t in lex(text) if t.kind is Kind.IDENTIFIER]


def test_the_tree_holds_every_identifier_the_lexer_finds():
    """What the rule read from the lexer before it shared env-conditional's trees."""
    for text in corpus_templates():
        assert list(called(parser.parse(text))) == lexer_identifiers(text)


CALL_ALPHABET = st.sampled_from(
    ["{{", "}}", "{{-", "-}}", " ", "\n", "/*", "*/", "(", ")", "|", '"', "$x", ":=", ".", ".Values", "if",
     "else", "end", "range", "with", "define", "block", "template", '"h"', "now", "lookup", "include", "1"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(CALL_ALPHABET, max_size=40).map("".join))
def test_calls_are_the_lexers_identifiers_also_when_the_text_does_not_parse(text):
    assert list(called(parser.parse(text))) == lexer_identifiers(text)

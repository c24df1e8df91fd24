from __future__ import annotations

import pytest

from cmp.findings import Severity
from cmp.rules.nondeterministic import ID, scan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('password: {{ randAlphaNum 16 | b64enc }}\n', [(1, 14, "randAlphaNum")], id="random"),
        pytest.param('stamp: {{ now | date "2006" }}\n', [(1, 11, "now")], id="clock"),
        pytest.param('id: {{- uuidv4 | quote -}}\n', [(1, 9, "uuidv4")], id="uuid-trimmed"),
        pytest.param('a: 1\n{{ $s := (lookup "v1" "Secret" .Release.Namespace "db") }}\n', [(2, 11, "lookup")], id="lookup-in-parens"),
        pytest.param('{{ $ca := genCA "x" 365 }}\n', [(1, 11, "genCA")], id="keygen"),
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

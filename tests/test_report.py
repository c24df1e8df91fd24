from __future__ import annotations

import io
import json

from cmp.findings import Finding, Severity
from cmp.report import REPORTERS, CheckReport

FINDINGS = (
    Finding("charts/a/templates/x.yaml", 3, 7, "env-conditional", Severity.ERROR, "`eq .Values.env \"prod\"`: 50% off, a:b"),
    Finding(".gitops-cmp.yaml", 0, 0, "stale-allow", Severity.WARNING, "remove it\nnow"),
)
REPORT = CheckReport(FINDINGS, charts=2, repos=1, rule_docs=(("env-conditional", "env-conditional: no env branches\n\nmore"),))


def render(name: str, report: CheckReport = REPORT) -> str:
    out = io.StringIO()
    REPORTERS[name](report, out)
    return out.getvalue()


def test_text():
    assert render("text") == (
        'charts/a/templates/x.yaml:3:7: [error] `eq .Values.env "prod"`: 50% off, a:b (env-conditional)\n'
        ".gitops-cmp.yaml: [warning] remove it\nnow (stale-allow)\n"
        "gitops-cmp check: 1 error(s), 1 warning(s) (2 chart(s) in 1 repo(s))\n"
    )
    assert render("text", CheckReport((), 0, 1)) == "gitops-cmp check: no findings (0 chart(s) in 1 repo(s))\n"


def test_json_is_the_spec_shape():
    assert json.loads(render("json")) == {"findings": [
        {"rule": "env-conditional", "severity": "error", "path": "charts/a/templates/x.yaml", "line": 3,
         "column": 7, "message": '`eq .Values.env "prod"`: 50% off, a:b'},
        {"rule": "stale-allow", "severity": "warning", "path": ".gitops-cmp.yaml", "line": 0, "column": 0,
         "message": "remove it\nnow"},
    ]}


def test_sarif():
    sarif = json.loads(render("sarif"))
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert rules == [{"id": "env-conditional", "shortDescription": {"text": "no env branches"}},
                     {"id": "stale-allow", "shortDescription": {"text": "stale-allow"}}]
    first, second = run["results"]
    assert first["ruleId"] == "env-conditional" and first["ruleIndex"] == 0 and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "charts/a/templates/x.yaml"}, "region": {"startLine": 3, "startColumn": 7}}
    assert second["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": ".gitops-cmp.yaml"}}


def test_github_annotations_are_escaped():
    assert render("github") == (
        "::error file=charts/a/templates/x.yaml,line=3,col=7,title=env-conditional::"
        '`eq .Values.env "prod"`: 50%25 off, a:b\n'
        "::warning file=.gitops-cmp.yaml,title=stale-allow::remove it%0Anow\n"
        "gitops-cmp check: 1 error(s), 1 warning(s)\n"
    )

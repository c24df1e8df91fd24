"""nondeterministic-template: a template calls a function whose result changes on every render.

Argo CD compares the rendered manifests with the cluster on every refresh, and CI parity compares
them with the base branch: a template that calls `randAlphaNum`, `now`, `uuidv4`, ... renders
differently each time, so the app is never in sync and every diff shows a change. `lookup`
reads the live cluster, which gitops-cmp (like Argo CD) never contacts: it always returns
nothing here, so what renders is not what the chart author meant. Reported as a warning by
`render`, `generate` and `check`; the functions are found as function calls in parsed template
actions, never in comments, strings or plain text.

FAIL: `{{ randAlphaNum 16 | b64enc }}`, `{{ now | date "2006-01-02" }}`, `{{ uuidv4 }}`,
      `{{ (lookup "v1" "Secret" .Release.Namespace "db").data }}`, `{{ genCA "x" 365 }}`
PASS: `{{/* do not use randAlphaNum here */}}`, `"now"` inside a string, `{{ .Values.now }}`,
      `{{ sha256sum .Values.config }}` (same input, same output)
"""

from __future__ import annotations

from collections.abc import Iterator

from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs
from cmp.templates.lexer import Kind, lex
from cmp.templates.nodes import Source

ID = "nondeterministic-template"

WHY = {
    **dict.fromkeys(("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randBytes", "randInt",
                     "shuffle"), "returns random output"),
    **dict.fromkeys(("now", "date_in_zone", "dateInZone", "ago"), "depends on the clock"),
    **dict.fromkeys(("uuidv4",), "returns a new UUID"),
    **dict.fromkeys(("genCA", "genCAWithKey", "genPrivateKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
                     "genSignedCert", "genSignedCertWithKey", "htpasswd", "bcrypt", "encryptAES"),
                    "generates new key material or salt"),
    "lookup": "reads the live cluster, which a GitOps render never sees (it always returns nothing)",
}


def check_inputs(inputs: Inputs) -> Iterator[Finding]:
    for template in inputs.templates:
        yield from scan(template.text, template.display)


def scan(text: str, path: str) -> Iterator[Finding]:
    if "{{" not in text:
        return
    source: Source | None = None
    for token in lex(text):
        if token.kind is Kind.IDENTIFIER and token.value in WHY:
            source = source or Source.of(text)
            line, column = source.where(token.start)
            yield Finding(path, line, column, ID, Severity.WARNING,
                          f"`{token.value}` {WHY[token.value]}: the app renders differently on every sync"
                          " and never settles; compute the value once and keep it in values or an"
                          " ExternalSecret")

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

from collections.abc import Iterable, Iterator

from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs
from cmp.templates.lexer import Kind, lex
from cmp.templates.nodes import Action, Branch, Chain, Define, Identifier, Node, Pipe, Template, Text, Tree
from cmp.templates import parse
from cmp.templates import trees as chart_trees

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

# `lookup` is reported (it never sees the cluster), but it returns the same nothing on every render.
VARYING = frozenset(WHY) - {"lookup"}


def check_inputs(inputs: Inputs) -> Iterator[Finding]:
    trees = chart_trees(inputs)  # parsed once by the runner, for env-conditional too
    for template, tree in zip(inputs.templates, trees):
        yield from findings(tree, template.display)


def scan(text: str, path: str) -> Iterator[Finding]:
    """The findings of one template on its own."""
    return findings(parse(text), path)


def findings(tree: Tree, path: str) -> Iterator[Finding]:
    for offset, name in called(tree):
        if name in WHY:
            line, column = tree.source.where(offset)
            yield Finding(path, line, column, ID, Severity.WARNING,
                          f"`{name}` {WHY[name]}: the app renders differently on every sync"
                          " and never settles; compute the value once and keep it in values or an"
                          " ExternalSecret")


def called(tree: Tree) -> Iterator[tuple[int, str]]:
    """(offset, name) of every function the template calls, in source order."""
    if tree.ok:
        found: list[tuple[int, str]] = []
        _list_calls(tree.nodes, found)
        return iter(found)
    # The tree stops at the syntax error (env-conditional reports it, Helm refuses the chart) and
    # the lexer goes on: lex this one again, so its findings stay those of the whole text.
    return ((t.start, t.value) for t in lex(tree.source.text) if t.kind is Kind.IDENTIFIER)


# Into a list, by recursion, tested by type: a chart's templates hold tens of thousands of nodes, and
# a generator per node and per pipeline cost twice the walk (tests compare it with the lexer's identifiers).
def _list_calls(nodes: Iterable[Node], found: list[tuple[int, str]]) -> None:
    for node in nodes:
        if type(node) is Text:  # most nodes
            continue
        if type(node) is Action:
            _pipe_calls(node.pipe, found)
        elif type(node) is Branch:
            _pipe_calls(node.pipe, found)
            _list_calls(node.body, found)
            if node.else_body:
                _list_calls(node.else_body, found)
        elif type(node) is Template:
            if node.pipe is not None:
                _pipe_calls(node.pipe, found)
            if node.body:
                _list_calls(node.body, found)
        elif type(node) is Define:
            _list_calls(node.body, found)


def _pipe_calls(pipe: Pipe, found: list[tuple[int, str]]) -> None:
    for command in pipe.commands:
        for arg in command.args:
            while type(arg) is Chain:
                arg = arg.node
            if type(arg) is Identifier:
                found.append((arg.pos, arg.name))
            elif type(arg) is Pipe:
                _pipe_calls(arg, found)

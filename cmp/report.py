"""`check` reporters, picked by name from REPORTERS: text, json, sarif, github.

Each writes a whole report for a CheckReport to a stream. Messages never carry secret values
(rules redact them), so every format may go to CI logs and code-scanning uploads as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

from cmp import __version__
from cmp.findings import Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class CheckReport(NamedTuple):
    findings: tuple[Finding, ...]
    charts: int
    repos: int
    rule_docs: tuple[tuple[str, str], ...] = ()  # (rule id, documentation) of the registered rules


def text(report: CheckReport, out: TextIO) -> None:
    """`path:line:col: [level] message (rule)` per finding, then a one-line summary."""
    for finding in report.findings:
        print(finding.format(), file=out)
    errors, warnings = _counts(report.findings)
    where = f"{report.charts} chart(s) in {report.repos} repo(s)"
    if not report.findings:
        print(f"gitops-cmp check: no findings ({where})", file=out)
    else:
        print(f"gitops-cmp check: {errors} error(s), {warnings} warning(s) ({where})", file=out)


def json_report(report: CheckReport, out: TextIO) -> None:
    """SPEC shape: {"findings": [{"rule", "severity", "path", "line", "column", "message"}]}."""
    findings = [
        {"rule": f.rule, "severity": f.severity.value, "path": f.path, "line": f.line,
         "column": f.column, "message": f.message}
        for f in report.findings
    ]
    json.dump({"findings": findings}, out, indent=2)
    out.write("\n")


def sarif(report: CheckReport, out: TextIO) -> None:
    """SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""
    docs = dict(report.rule_docs)
    rule_ids = sorted({*docs, *(f.rule for f in report.findings)})
    rules = [{"id": rule_id, "shortDescription": {"text": _summary(docs.get(rule_id, rule_id))}}
             for rule_id in rule_ids]
    run = {
        "tool": {"driver": {"name": "gitops-cmp", "version": __version__, "rules": rules}},
        "results": [_sarif_result(f, rule_ids.index(f.rule)) for f in report.findings],
    }
    json.dump({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, out, indent=2)
    out.write("\n")


def github(report: CheckReport, out: TextIO) -> None:
    """GitHub Actions workflow commands: one annotation per finding on the file and line."""
    for f in report.findings:
        props = [f"file={_escape_property(f.path)}"]
        if f.line:
            props.append(f"line={f.line}")
            if f.column:
                props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f.rule)}")
        print(f"::{f.severity.value} {','.join(props)}::{_escape_data(f.message)}", file=out)
    errors, warnings = _counts(report.findings)
    print(f"gitops-cmp check: {errors} error(s), {warnings} warning(s)", file=out)


REPORTERS: dict[str, Callable[[CheckReport, TextIO], None]] = {
    "text": text,
    "json": json_report,
    "sarif": sarif,
    "github": github,
}


def _counts(findings: tuple[Finding, ...]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    return errors, len(findings) - errors


def _summary(doc: str) -> str:
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return first.split(": ", 1)[1] if ": " in first else first


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": finding.path}}
    if finding.line:
        region = {"startLine": finding.line}
        if finding.column:
            region["startColumn"] = finding.column
        location["region"] = region
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": location}],
    }


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")

"""Stages 2 and 5: run the registered rules, then apply the repo's allowlist."""

from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from cmp.config import AllowEntry
from cmp.findings import Finding, Severity
from cmp.pipeline.inputs import Inputs
from cmp.pipeline.manifests import Manifest
from cmp.rules import RENDER_RULES
from cmp.templates.parser import parse_chart


def check_inputs(inputs: Inputs) -> list[Finding]:
    findings = [f for rule in RENDER_RULES if rule.check_inputs for f in rule.check_inputs(inputs)]
    parse_chart.cache_clear()  # the rules shared the chart's trees; Helm's render needs the memory
    return findings


def prepare_values(inputs: Inputs) -> dict[str, Any]:
    values = inputs.user_values
    for rule in RENDER_RULES:
        if rule.prepare_values:
            values = rule.prepare_values(inputs, values)
    return values


def check_output(inputs: Inputs, manifests: list[Manifest]) -> list[Finding]:
    return [
        f for rule in RENDER_RULES if rule.check_output for f in rule.check_output(inputs, manifests)
    ]


class Allowed(NamedTuple):
    kept: tuple[Finding, ...]
    silenced: tuple[tuple[Finding, AllowEntry], ...]


def apply_allowlist(findings: list[Finding], entries: tuple[AllowEntry, ...]) -> Allowed:
    kept: list[Finding] = []
    silenced: list[tuple[Finding, AllowEntry]] = []
    for finding in findings:
        entry = next((e for e in entries if matches(e, finding)), None)
        if entry is None:
            kept.append(finding)
        else:
            silenced.append((finding, entry))
    return Allowed(tuple(sorted(kept)), tuple(silenced))


def matches(entry: AllowEntry, finding: Finding) -> bool:
    if entry.rule != finding.rule or not fnmatchcase(finding.path, entry.path):
        return False
    return entry.fingerprint is None or entry.fingerprint == finding.fingerprint


def stale_entries(entries: tuple[AllowEntry, ...], used: tuple[AllowEntry, ...], source: str) -> list[Finding]:
    """Allowlist entries that matched nothing: reported so the allowlist cannot rot silently."""
    return [
        Finding(source, 0, 0, "stale-allow", Severity.WARNING,
                f"allow entry for rule {e.rule!r} at {e.path!r}"
                + (f" with fingerprint {e.fingerprint}" if e.fingerprint else "") + " matched nothing; remove it")
        for e in entries if e not in used
    ]

"""Issue 14: `gitops-cmp check` on every chart of the corpus. None is skipped silently: each is
counted, and one that cannot be read or rendered is a finding that says why, in agreement with
what the differential found for the chart's defaults."""

from __future__ import annotations

from pathlib import Path

from realcharts import corpus

from cmp.commands.check import INPUT_RULE, check
from cmp.findings import Severity
from cmp.pipeline.run import RENDER_RULE

FAILURES = {INPUT_RULE, RENDER_RULE}


def test_check_reads_every_chart_and_says_why_it_cannot(corpus_root: Path):
    expected = corpus.expected()
    problems: list[str] = []
    charts = corpus.index()
    for entry in charts:
        report = check([corpus.chart_dir(corpus_root, entry["name"])])
        if report.charts != 1:
            problems.append(f"{entry['name']}: check counted {report.charts} charts, expected 1")
        failures = [f for f in report.findings if f.rule in FAILURES]
        assert all(f.severity is Severity.ERROR and f.message.strip() for f in failures), failures
        want = expected.get(f"{entry['name']}/defaults", {})
        renders = want.get("outcome") not in ("both-fail", "known") and "zero-objects" not in want.get("rules", ())
        if renders and failures:
            problems.append(f"{entry['name']}: the defaults render in the differential, check says: {failures[0].message}")
        if not renders and not failures and not any(f.severity is Severity.ERROR for f in report.findings):
            problems.append(f"{entry['name']}: the defaults do not render, yet check reports nothing")
    assert not problems, "\n".join(problems)

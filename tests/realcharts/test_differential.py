"""Issue 14: every case of the real-chart corpus renders in gitops-cmp as the real Helm renders it.

For each case (a chart's defaults, or one of its authors' ci/*.yaml value files) exactly one of:
- `equal`: both render and Argo CD would read the same objects from both streams;
- `refused`: gitops-cmp refuses for a reason of the standard, and expected.yaml names the rule(s);
- `both-fail`: Helm cannot render it either (expected.yaml says why);
- `known`: a difference another engineer's open work fixes (expected.yaml names whose); once it
  renders equal, this test fails until the entry is removed.
Any other outcome, above all "Helm renders and gitops-cmp fails", fails the test. A rule's verdict
that moved (a case now refused, or no longer, or by other rules) is the rule owners' measurement,
not a rendering fault: it is printed with the figures, and `--update-expected` records it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from realcharts import corpus, differential, oracle

OUTCOMES = {"refused", "both-fail", "known"}
UPDATE = ("\nA rule's change of verdict is recorded with `PYTHONPATH=.:tests python tests/realcharts/differential.py"
          " --update-expected` (then review the diff of expected.yaml); a new difference from Helm is a bug to fix,"
          " or `known` with its owner.")


def test_the_reference_helm_is_the_pinned_one(helm_oracle: oracle.Oracle):
    assert oracle.version(helm_oracle) == oracle.HELM_VERSION


def test_expected_results_are_well_formed():
    for case, want in corpus.expected().items():
        assert want.get("outcome") in OUTCOMES, case
        assert str(want.get("reason", "")).strip(), f"{case}: every expected outcome says why"
        if want["outcome"] == "refused":
            assert want.get("rules"), f"{case}: a refusal names its rule(s)"
        if want["outcome"] == "known":
            assert want.get("owner"), f"{case}: a known difference names who fixes it"


def test_every_case_renders_as_helm_renders_it(helm_oracle: oracle.Oracle, corpus_root: Path):
    cases = corpus.cases(corpus_root)
    assert len({c.chart for c in cases}) >= 40
    started = time.monotonic()
    outcomes = differential.run_all(helm_oracle, cases)
    differential.FIGURES.append(differential.figures(outcomes, time.monotonic() - started))

    expected = corpus.expected()
    problems = [p for o in outcomes if (p := mismatch(o, expected.get(o.case)))]
    moved = [m for o in outcomes if (m := verdict_moved(o, expected.get(o.case)))]
    if moved:
        differential.FIGURES.append(f"real charts: {len(moved)} verdict(s) moved against expected.yaml"
                                    " (record with --update-expected):\n  " + "\n  ".join(moved))
    stale = sorted(set(expected) - {o.case for o in outcomes})
    assert not stale, f"expected.yaml names cases the corpus does not have: {stale}"
    assert not problems, "\n".join(problems) + UPDATE


def describe(outcome: differential.Outcome) -> str:
    return f"{outcome.case}: {outcome.kind}" + (f" ({', '.join(outcome.rules)})" if outcome.rules else "") \
        + (f": {outcome.detail}" if outcome.detail else "")


def mismatch(outcome: differential.Outcome, want: dict[str, Any] | None) -> str:
    """A rendering fault: what fails the test."""
    expected = (want or {}).get("outcome", "equal")
    if expected == "known":
        if outcome.kind in ("equal", "refused"):
            return f"{describe(outcome)}: fixed by {want['owner']}'s work; remove its entry in expected.yaml"
        return "" if outcome.kind in ("cmp-fails", "differs") else f"{describe(outcome)} (expected a known difference)"
    if outcome.kind in ("equal", "refused") and expected in ("equal", "refused"):
        return ""  # both render as Helm does; which rules refuse is verdict_moved's business
    if outcome.kind != expected:
        reason = f": {want['reason']}" if want else ""
        return f"{describe(outcome)} (expected {expected}{reason})"
    return ""


def verdict_moved(outcome: differential.Outcome, want: dict[str, Any] | None) -> str:
    """A rule's verdict that changed against expected.yaml: reported, not a failure."""
    before = tuple(sorted(want.get("rules") or ())) if want and want.get("outcome") == "refused" else ()
    if outcome.kind not in ("equal", "refused") or (want or {}).get("outcome", "refused") not in ("refused", "equal"):
        return ""
    now = outcome.rules
    if before == now:
        return ""
    return f"{outcome.case}: {', '.join(before) or 'equal'} -> {', '.join(now) or 'equal'}"

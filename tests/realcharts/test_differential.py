"""Issue 14: every case of the real-chart corpus renders in gitops-cmp as the real Helm renders it.

For each case (a chart's defaults, or one of its authors' ci/*.yaml value files) exactly one of:
- `equal`: both render and Argo CD would read the same objects from both streams;
- `refused`: gitops-cmp refuses for a reason of the standard, and expected.yaml names the rule(s);
- `both-fail`: Helm cannot render it either (expected.yaml says why);
- `known`: a difference another engineer's open work fixes (expected.yaml names whose); once it
  renders equal, this test fails until the entry is removed.
Any other outcome, above all "Helm renders and gitops-cmp fails", fails the test.
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
    stale = sorted(set(expected) - {o.case for o in outcomes})
    assert not stale, f"expected.yaml names cases the corpus does not have: {stale}"
    assert not problems, "\n".join(problems) + UPDATE


def mismatch(outcome: differential.Outcome, want: dict[str, Any] | None) -> str:
    got = f"{outcome.case}: {outcome.kind}" + (f" ({', '.join(outcome.rules)})" if outcome.rules else "") \
        + (f": {outcome.detail}" if outcome.detail else "")
    if want is None:
        return "" if outcome.kind == "equal" else f"{got} (expected equal)"
    if want["outcome"] == "known":
        if outcome.kind in ("equal", "refused"):
            return f"{got}: fixed by {want['owner']}'s work; remove or update its entry in expected.yaml"
        return "" if outcome.kind in ("cmp-fails", "differs") else f"{got} (expected a known difference)"
    if outcome.kind != want["outcome"]:
        return f"{got} (expected {want['outcome']}: {want['reason']})"
    if outcome.kind == "refused" and sorted(outcome.rules) != sorted(want["rules"]):
        return f"{got} (expected refusal by {', '.join(sorted(want['rules']))})"
    return ""

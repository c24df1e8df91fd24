"""SPEC "One verdict everywhere": check == render == generate == parity for the same input and config.

For every chart and environment `check` finds in a repository, `render` (the pipeline generate and
parity call) is run on its own; then:
- every finding a render reports is in check's report, and check reports nothing else but the
  repository rules' findings (and stale allow entries);
- a chart and env that does not render (input or Helm error) is an `inputs`/`render` finding;
- check blocks exactly when some render blocks or fails, or a repository rule finds an error.
The inputs: the example repo, every golden case under tests/cases/, and the real-chart corpus
(tests/realcharts/) when it is there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import EXAMPLE, ROOT

from cmp import config as repo_config
from cmp import verdict
from cmp.commands import check
from cmp.context import RenderRequest
from cmp.errors import CmpError
from cmp.findings import Finding, Severity
from cmp.pipeline import inputs
from cmp.pipeline.run import render
from cmp.rules import RULES

CASES = ROOT / "tests" / "cases"
REALCHARTS = ROOT / "tests" / "realcharts"
Row = tuple[str, str, str, int, int, str]


def _row(f: Finding | dict) -> Row:
    if isinstance(f, Finding):
        return (f.rule, f.severity.value, f.path, f.line, f.column, f.message)
    return (f["rule"], f["severity"], f["path"], f["line"], f["column"], f["message"])


def _strip_report(row: Row) -> bool:
    """Strip mode's what-stripping-changes warnings: check's extra advice, never a verdict."""
    return row[0] == "env-conditional" and row[1] == "warning" and row[5].startswith("strip changes the ")


def assert_one_verdict(root: Path, cli) -> None:
    result = cli("check", str(root), "--format", "json")
    assert result.code in (0, 1), result.err
    checked = {_row(f) for f in json.loads(result.out)["findings"]}
    cfg = repo_config.load(root)
    repo_rows = {_row(f) for f in verdict.judge(
        verdict.check_repo(root, cfg, RULES.values(), repo_config.CONFIG_NAME), cfg.allow).findings}
    rendered: set[Row] = set()
    failed: list[str] = []
    blocked = any(r[1] == "error" for r in repo_rows)
    for chart in check.charts_at(root, root):
        shown = inputs.display(chart, root)
        for env in check.environments(chart):
            request = RenderRequest(repo_root=root, chart_dir=chart, env=env, release=None, namespace=None)
            try:
                found = render(request, cfg).findings
            except CmpError:
                failed.append(shown)
                blocked = True
                continue
            rendered |= {_row(f) for f in found}
            blocked |= any(f.severity is Severity.ERROR for f in found)
    assert rendered <= checked, f"render reports what check does not: {rendered - checked}"
    extra = {r for r in checked - rendered - repo_rows if r[0] != verdict.STALE_RULE and not _strip_report(r)}
    unexplained = {r for r in extra if not (r[0] in ("inputs", "render", "env-conditional") and r[2] in failed)}
    assert not unexplained, f"check reports what no render does: {unexplained}"
    for shown in failed:
        assert any(r[0] in ("inputs", "render", "env-conditional") and r[2] == shown and r[1] == "error"
                   for r in checked), shown
    assert (result.code == 1) == blocked, result.out


def test_the_example_repo(cli, example_repo: Path):
    assert_one_verdict(example_repo, cli)


def test_the_example_repo_with_a_floating_prod_tag(cli, example_repo: Path):
    prod = example_repo / "charts" / "webapp" / "values" / "prod.yaml"
    prod.write_text(prod.read_text().replace("tag: ", "tag: latest # was ", 1))
    assert_one_verdict(example_repo, cli)
    assert cli("check", str(example_repo)).code == 1  # what blocks the sync blocks pre-commit


def _cases() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("**/case.yaml"))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.relative_to(CASES).as_posix())
def test_every_golden_case(case: Path, tmp_path: Path, cli):
    from cmp import yamlio

    spec = yamlio.load_one((case / "case.yaml").read_text(), "case.yaml")
    work = tmp_path / "repo"
    if spec.get("repo") == "example":
        shutil.copytree(EXAMPLE, work, symlinks=True)
    shutil.copytree(case, work, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("case.yaml", "expected*", "got*"))
    if not (work / ".gitops-cmp.yaml").exists():
        (work / ".gitops-cmp.yaml").write_text("{}\n")
    assert_one_verdict(work, cli)


def _realcharts() -> list[Path]:
    if not REALCHARTS.is_dir():
        return []
    return sorted(p.parent for p in REALCHARTS.glob("**/Chart.yaml") if "charts" not in p.parent.parent.parts[-1:])


@pytest.mark.skipif(not _realcharts(), reason="the real-chart corpus (tests/realcharts/) is not on this branch")
def test_the_real_chart_corpus(cli, tmp_path: Path):
    for chart in _realcharts():
        work = tmp_path / chart.name / "charts" / chart.name
        shutil.copytree(chart, work, symlinks=True)
        (work.parent.parent / ".gitops-cmp.yaml").write_text("{}\n")
        assert_one_verdict(work.parent.parent, cli)


def test_a_repo_without_git_or_config_still_checks_its_applications(cli, example_repo: Path):
    (example_repo / ".gitops-cmp.yaml").unlink()
    app = example_repo / "apps" / "webapp" / "prod.yaml"
    app.write_text(app.read_text().replace("selfHeal: true", "selfHeal: false"))
    for target in (example_repo, example_repo / "charts" / "webapp"):
        result = cli("check", str(target), "--format", "json")
        rules = {f["rule"] for f in json.loads(result.out)["findings"]}
        if target == example_repo:
            assert "app-sync-policy" in rules, result.out
            assert result.code == 1
    from cmp.context import find_repo_root
    assert find_repo_root(example_repo / "charts" / "webapp" / "templates") == example_repo.resolve()

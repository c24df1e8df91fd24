"""SPEC "One verdict everywhere": check == render == generate == parity for the same input and config.

For every chart and environment `check` finds in a repository, `render` (the pipeline generate and
parity call) is run on its own; then:
- every finding a render reports is in check's report, and check reports nothing else but the
  repository rules' findings (and stale allow entries);
- a chart and env that does not render (input or Helm error) is an `inputs`/`render` finding;
- check blocks exactly when some render blocks or fails, or a repository rule finds an error.
And for every Application, parity's status and findings are `render --app`'s, whose stdout and exit
code are `generate`'s. The inputs: the example repo (clean, and with a floating prod tag), every
golden case under tests/cases/, and the real-chart corpus (tests/realcharts/, every chart with its
ci/ value files as environments) when GITOPS_CMP_REALCHARTS points at it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from support import ROOT, golden_workspace

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
Row = tuple[str, str, str, int, int, str]


_FINGERPRINT = re.compile(r"\[fingerprint \w+\]")


def _row(f: Finding | dict) -> Row:
    """A finding as compared here. Fingerprints are left out of the message: a chart that generates
    a secret (randAlphaNum) renders a new value, so a new fingerprint, every time; the verdict is
    the same."""
    if isinstance(f, Finding):
        f = {"rule": f.rule, "severity": f.severity.value, "path": f.path, "line": f.line, "column": f.column,
             "message": f.message}
    return (f["rule"], f["severity"], f["path"], f["line"], f["column"], _FINGERPRINT.sub("[fingerprint]", f["message"]))


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


def assert_parity_agrees(root: Path, cli, argocd_env, monkeypatch) -> None:
    """parity's verdict per app is `render --app`'s and `generate`'s for that Application."""
    report = json.loads(cli("parity", "--repo", str(root), "--format", "json").out)
    assert report["apps"]
    for app in report["apps"]:
        rendered = cli("render", "--app", str(root / app["source"]), "--repo", str(root))
        assert (app["status"] == "failed") == (rendered.code != 0), (app, rendered.err)
        if rendered.code == 1:
            assert app["failure"] == "policy"
            lines = {line for line in rendered.err.splitlines() if not line.startswith(("{", "gitops-cmp:"))}
            assert lines == {Finding(f["path"], f["line"], f["column"], f["rule"], Severity(f["severity"]),
                                     f["message"]).format() for f in app["findings"]}
        doc = yaml.safe_load((root / app["source"]).read_text())
        env = next(e["value"] for e in doc["spec"]["source"].get("plugin", {}).get("env", [])
                   if e["name"] == "ENVIRONMENT") if "plugin" in doc["spec"]["source"] else None
        if env is None:
            continue
        path = doc["spec"]["source"]["path"]
        argocd_env(ARGOCD_APP_NAME=app["name"], ARGOCD_APP_NAMESPACE=doc["spec"]["destination"]["namespace"],
                   ARGOCD_ENV_ENVIRONMENT=env, ARGOCD_APP_PARAMETERS="null", ARGOCD_APP_SOURCE_PATH=path)
        monkeypatch.chdir(root / path)
        generated = cli("generate")
        assert (generated.code, generated.out) == (rendered.code, rendered.out), app["name"]


def test_the_example_repo(cli, example_repo: Path, argocd_env, monkeypatch):
    assert_one_verdict(example_repo, cli)
    assert_parity_agrees(example_repo, cli, argocd_env, monkeypatch)


def test_the_example_repo_with_a_floating_prod_tag(cli, example_repo: Path, argocd_env, monkeypatch):
    prod = example_repo / "charts" / "webapp" / "values" / "prod.yaml"
    prod.write_text(prod.read_text().replace("tag: ", "tag: latest # was ", 1))
    assert_one_verdict(example_repo, cli)
    assert cli("check", str(example_repo)).code == 1  # what blocks the sync blocks pre-commit
    assert_parity_agrees(example_repo, cli, argocd_env, monkeypatch)


def _cases() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("**/case.yaml"))


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.relative_to(CASES).as_posix())
def test_every_golden_case(case: Path, tmp_path: Path, cli):
    _, work = golden_workspace(case, tmp_path)
    assert_one_verdict(work, cli)


def _corpus_root() -> Path | None:
    from realcharts import corpus

    return corpus.root()


@pytest.mark.skipif(_corpus_root() is None, reason="the real-chart corpus is not on this machine"
                    " (GITOPS_CMP_REALCHARTS; see tests/realcharts/README.md)")
def test_the_real_chart_corpus(cli, tmp_path: Path):
    """Every chart of the corpus as a repo's chart, its ci/*.yaml value files as environments."""
    from realcharts import corpus

    base = _corpus_root()
    assert base is not None
    for entry in corpus.index():
        repo = tmp_path / entry["name"]
        chart = repo / "charts" / entry["name"]
        shutil.copytree(corpus.chart_dir(base, entry["name"]), chart, symlinks=True)
        (repo / ".gitops-cmp.yaml").write_text("{}\n")
        ci = chart / "ci"
        if ci.is_dir() and not (chart / "values").exists():
            (chart / "values").mkdir()
            for values in sorted(ci.iterdir()):
                if values.suffix in (".yaml", ".yml") and re.fullmatch(r"[A-Za-z0-9._-]+", values.stem):
                    shutil.copy(values, chart / "values" / f"{values.stem}.yaml")
        assert_one_verdict(repo, cli)


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

"""The one rule runner: repo-relative finding paths, one allow semantics, stale entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import tgz

from cmp import verdict
from cmp.config import AllowEntry, RepoConfig
from cmp.context import RenderRequest
from cmp.findings import Finding, Severity
from cmp.pipeline import inputs
from cmp.pipeline.run import render

SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n"
          "stringData: {password: {{ .Values.password | quote }}}\n")


@pytest.mark.parametrize(("display", "chart_shown", "expected"), [
    ("charts/web/templates/a.yaml", "charts/web", "web/templates/a.yaml"),
    ("charts/web/charts/sub/templates/a.yaml", "charts/web", "web/charts/sub/templates/a.yaml"),
    ("charts/web/charts/common-1.0.0.tgz:common/templates/a.yaml", "charts/web",
     "web/charts/common/templates/a.yaml"),
    ("charts/web/charts/a-1.tgz:a/charts/b-2.tgz:b/templates/x.yaml", "charts/web",
     "web/charts/a/charts/b/templates/x.yaml"),
    ("templates/a.yaml", ".", "web/templates/a.yaml"),
])
def test_helm_name_is_what_helm_calls_the_template(display: str, chart_shown: str, expected: str):
    assert verdict.helm_name(display, chart_shown, "web") == expected


def test_repo_path_for_files_that_are_not_templates():
    assert verdict.repo_path("charts/web", "web/crds/crd.yaml") == "charts/web/crds/crd.yaml"
    assert verdict.repo_path(".", "web/crds/crd.yaml") == "crds/crd.yaml"


def _repo(root: Path, allow: str = "[]") -> Path:
    chart = root / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "values").mkdir()
    (chart / "charts").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "secret.yaml").write_text(SECRET)
    (chart / "values" / "dev.yaml").write_text("password: hunter2hunter2\n")
    (chart / "charts" / "common-1.0.0.tgz").write_bytes(tgz({
        "common/Chart.yaml": b"apiVersion: v2\nname: common\nversion: 1.0.0\n",
        "common/templates/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
                                    b"data: {API_TOKEN: Xk9vB2mQ7pL4sR8t}\n",
    }))
    (root / ".gitops-cmp.yaml").write_text(f"allow: {allow}\n")
    return chart


def _request(root: Path) -> RenderRequest:
    return RenderRequest(repo_root=root, chart_dir=root / "charts" / "web", env="dev", release=None, namespace=None)


def test_rendered_findings_name_templates_by_their_repo_path(tmp_path: Path):
    _repo(tmp_path)
    result = render(_request(tmp_path))
    paths = {f.path for f in result.findings}
    assert "charts/web/templates/secret.yaml" in paths
    assert "charts/web/charts/common-1.0.0.tgz:common/templates/cm.yaml" in paths
    assert not any(p.startswith("web/") for p in paths)


def test_a_repo_relative_allow_entry_silences_the_render(tmp_path: Path):
    allow = ("[{path: charts/web/templates/secret.yaml, rule: secret-value, reason: dev only},"
             " {path: charts/web/values/dev.yaml, rule: secret-value, reason: dev only},"
             " {path: 'charts/web/charts/*.tgz:common/templates/*', rule: secret-value, reason: vendored}]")
    _repo(tmp_path, allow)
    result = render(_request(tmp_path))
    assert result.findings == ()
    assert result.objects == 2


def test_helms_name_is_not_an_allow_path(tmp_path: Path):
    _repo(tmp_path, "[{path: web/templates/secret.yaml, rule: secret-value, reason: old form}]")
    result = render(_request(tmp_path))
    assert "charts/web/templates/secret.yaml" in {f.path for f in result.findings}


def test_the_allow_list_is_an_input_not_read_from_config(tmp_path: Path):
    _repo(tmp_path, "[{path: 'charts/**', rule: secret-value, reason: everything}]")
    cfg = RepoConfig()._replace(allow=(AllowEntry("charts/**", "secret-value", "everything"),))
    assert render(_request(tmp_path), cfg).findings == ()
    assert render(_request(tmp_path), cfg, allow=()).findings != ()  # e.g. a platform's repoMayAllow


def _finding(path: str, rule: str = "secret-value", fingerprint: str | None = None,
             severity: Severity = Severity.ERROR) -> Finding:
    return Finding(path, 1, 0, rule, severity, "m", fingerprint)


def test_judge_matches_rule_glob_and_fingerprint():
    found = [_finding("charts/a/values/dev.yaml", fingerprint="f1"), _finding("charts/a/values/dev.yaml", fingerprint="f2"),
             _finding("charts/a/values/dev.yaml", rule="pinned-images")]
    judged = verdict.judge(found, (AllowEntry("charts/*/values/*.yaml", "secret-value", "r", "f1"),))
    assert [f.fingerprint for f, _ in judged.silenced] == ["f1"]
    assert len(judged.findings) == 2 and judged.blocked


def test_judge_deduplicates_and_sorts():
    one = _finding("b"), _finding("a"), _finding("b")
    assert verdict.judge(one, ()).findings == (_finding("a"), _finding("b"))


def test_warnings_alone_do_not_block():
    assert not verdict.judge([_finding("a", severity=Severity.WARNING)], ()).blocked


def test_stale_entries_name_what_matched_nothing_and_hint_at_helms_form():
    used = AllowEntry("charts/a/values/dev.yaml", "secret-value", "r")
    helm_form = AllowEntry("web/templates/secret.yaml", "secret-value", "r")
    judged = verdict.judge([_finding("charts/a/values/dev.yaml")], (used, helm_form))
    stale = verdict.stale_entries((used, helm_form), judged, ".gitops-cmp.yaml")
    assert [f.rule for f in stale] == ["stale-allow"]
    assert "'web/templates/secret.yaml' matched nothing" in stale[0].message
    assert "repo-relative" in stale[0].message


def test_tolerant_runs_report_a_rules_input_error_as_a_finding(tmp_path: Path):
    _repo(tmp_path)
    gathered = inputs.gather(_request(tmp_path), RepoConfig())

    def broken(_: object) -> list[Finding]:
        from cmp.errors import InputError
        raise InputError("cannot read\n  detail")

    from cmp.rules import Rule
    rule = Rule("broken", "doc", check_inputs=broken)
    assert verdict.check_inputs(gathered, [rule], tolerant=True) == [
        Finding("charts/web", 0, 0, "broken", Severity.ERROR, "cannot read; detail")]
    with pytest.raises(Exception, match="cannot read"):
        verdict.check_inputs(gathered, [rule])


def test_check_honours_the_same_entry_and_does_not_call_it_stale(tmp_path: Path, cli):
    """The issue's case: a repo-relative entry for a finding in a rendered template silences check
    too, and check no longer reports it as a stale entry to delete."""
    import json

    allow = ("[{path: charts/web/templates/secret.yaml, rule: secret-value, reason: dev only},"
             " {path: charts/web/values/dev.yaml, rule: secret-value, reason: dev only},"
             " {path: 'charts/web/charts/*.tgz:common/templates/*', rule: secret-value, reason: vendored}]")
    _repo(tmp_path, allow)
    result = cli("check", str(tmp_path), "--format", "json")
    assert result.code == 0, result.out
    assert json.loads(result.out)["findings"] == []
    assert render(_request(tmp_path)).findings == ()


def test_the_input_rules_run_without_a_collection_over_the_trees(tmp_path: Path):
    """A pass of the cycle collector while the parsed templates are alive visits every node (on
    kube-prometheus-stack a tenth of the input rules' time): none runs until they are dropped, and
    the collector is left as it was found, also when a rule raises."""
    import gc

    from cmp.rules import RENDER_RULES, Rule
    from cmp.templates.nodes import Tree

    _repo(tmp_path)
    gathered = inputs.gather(_request(tmp_path), RepoConfig())
    over_trees: list[bool] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":  # what this pass visits first: what was made since the last one
            over_trees.append(any(type(o) is Tree for o in gc.get_objects(generation=0)))

    gc.collect()
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 10**6, 10**6)  # with the collector on, any allocation starts a pass (of the young)
    gc.callbacks.append(seen)
    try:
        found = verdict.check_inputs(gathered, RENDER_RULES)
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
        gc.set_threshold(*thresholds)
    assert found and over_trees and not any(over_trees)

    def broken(_: object) -> list[Finding]:
        raise RuntimeError("rule bug")

    with pytest.raises(RuntimeError, match="rule bug"):
        verdict.check_inputs(gathered, [Rule("broken", "doc", check_inputs=broken)])
    assert gc.isenabled()
    gc.disable()
    try:
        verdict.check_inputs(gathered, RENDER_RULES)
        assert not gc.isenabled()
    finally:
        gc.enable()

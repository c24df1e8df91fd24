from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmp.exitcodes import ExitCode
from cmp.findings import Finding, Severity
from cmp.rules import RULES, Rule


def chart(root: Path, name: str, template: str, envs: tuple[str, ...] = ("dev", "prod"), under: str = "charts") -> Path:
    path = root / under / name
    (path / "templates").mkdir(parents=True)
    (path / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (path / "values.yaml").write_text("env: none\n")
    (path / "templates" / "cm.yaml").write_text(template)
    if envs:
        (path / "values").mkdir()
        for env in envs:
            (path / "values" / f"{env}.yaml").write_text(f"env: {env}\n")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".gitops-cmp.yaml").write_text("envConditionalMode: block\n")
    chart(tmp_path, "api", 'kind: ConfigMap\n{{- if eq .Values.env "prod" }}\nb: 2\n{{- end }}\n'
                           "apiVersion: v1\nmetadata: {name: api}\n")
    chart(tmp_path, "web", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {name: {{ .Values.env }}}\n")
    return tmp_path


def test_the_example_repo_is_clean(cli, example_repo, monkeypatch):
    monkeypatch.chdir(example_repo)
    result = cli("check")
    assert result.code == ExitCode.OK, result.out
    assert "env-conditional" not in result.out


def test_json_report_and_exit_code(cli, repo):
    result = cli("check", str(repo), "--format", "json")
    assert result.code == ExitCode.POLICY
    (finding,) = json.loads(result.out)["findings"]  # once, though both envs are checked
    assert list(finding) == ["rule", "severity", "path", "line", "column", "message"]
    assert finding["rule"] == "env-conditional" and finding["severity"] == "error"
    assert (finding["path"], finding["line"], finding["column"]) == ("charts/api/templates/cm.yaml", 2, 8)
    assert finding["message"].startswith('`eq .Values.env "prod"` branches on the environment')


def test_default_path_is_the_current_directory(cli, repo, monkeypatch):
    monkeypatch.chdir(repo / "charts")
    result = cli("check")
    assert result.code == ExitCode.POLICY
    assert result.out.splitlines()[-1] == "gitops-cmp check: 1 error(s), 0 warning(s) (2 chart(s) in 1 repo(s))"


def test_warn_mode_reports_but_passes(cli, repo):
    (repo / ".gitops-cmp.yaml").write_text("envConditionalMode: warn\n")
    result = cli("check", str(repo))
    assert result.code == ExitCode.OK
    assert "[warning]" in result.out


@pytest.mark.parametrize("target", [
    pytest.param("charts/api", id="chart-dir"),
    pytest.param("charts/api/templates/cm.yaml", id="file-in-chart"),
    pytest.param("charts/api/templates", id="dir-in-chart"),
])
def test_a_path_inside_a_chart_checks_that_chart(cli, repo, target):
    result = cli("check", str(repo / target))
    assert result.code == ExitCode.POLICY
    assert "1 chart(s)" in result.out


def test_a_clean_chart_alone_passes(cli, repo):
    assert cli("check", str(repo / "charts" / "web")).code == ExitCode.OK


def test_vendored_subcharts_are_checked_as_part_of_their_chart(cli, tmp_path):
    (tmp_path / ".gitops-cmp.yaml").write_text("{}\n")
    parent = chart(tmp_path, "app", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n")
    chart(parent, "dep", '{{ if eq .Values.env "prod" }}{{ end }}', envs=())
    result = cli("check", str(tmp_path))
    assert result.code == ExitCode.POLICY, result.out
    assert "1 chart(s)" in result.out  # not a chart of its own...
    assert "charts/app/charts/dep/templates/cm.yaml:1:7: [error]" in result.out  # ...but Helm renders it
    assert cli("check", str(parent / "charts" / "dep")).code == ExitCode.POLICY  # through app


def test_a_chart_without_env_values_is_checked_once_with_no_env(cli, tmp_path):
    (tmp_path / ".gitops-cmp.yaml").write_text("{}\n")
    chart(tmp_path, "lib", 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lib}\n'
                           '{{ if eq .Release.Namespace "prod" }}{{ end }}', envs=())
    result = cli("check", str(tmp_path), "--format", "json")
    assert [f["path"] for f in json.loads(result.out)["findings"]] == ["charts/lib/templates/cm.yaml"]


def test_a_broken_chart_is_a_finding_and_the_others_are_still_checked(cli, repo):
    (repo / "charts" / "web" / "Chart.yaml").write_text("name: [\n")
    result = cli("check", str(repo), "--format", "json")
    assert result.code == ExitCode.POLICY
    rules = sorted((f["rule"], f["path"]) for f in json.loads(result.out)["findings"])
    assert rules == [("env-conditional", "charts/api/templates/cm.yaml"), ("inputs", "charts/web")]


def test_missing_path_is_a_usage_error(cli, tmp_path):
    result = cli("check", str(tmp_path / "nope"))
    assert result.code == ExitCode.INPUT
    assert result.out == ""
    assert "no such file or directory" in result.err


def test_bad_format_is_a_usage_error(cli, repo):
    assert cli("check", str(repo), "--format", "xml").code == ExitCode.INPUT


def test_allowlist_silences_and_stale_entries_are_warned_on_a_whole_repo_check(cli, repo):
    (repo / ".gitops-cmp.yaml").write_text(
        "allow:\n"
        "  - {path: charts/api/templates/*.yaml, rule: env-conditional, reason: migrating}\n"
        "  - {path: charts/gone/*, rule: env-conditional, reason: old}\n"
    )
    whole = cli("check", str(repo), "--format", "json")
    assert whole.code == ExitCode.OK
    assert [(f["rule"], f["severity"]) for f in json.loads(whole.out)["findings"]] == [("stale-allow", "warning")]
    partial = cli("check", str(repo / "charts" / "api"), "--format", "json")
    assert json.loads(partial.out)["findings"] == []


def test_runs_every_registered_repo_rule_once_per_repo(cli, repo, monkeypatch):
    calls: list[Path] = []

    def check_repo(root, config):
        calls.append(root)
        yield Finding("apps/x.yaml", 3, 1, "test-repo-rule", Severity.WARNING, "seen")

    monkeypatch.setitem(RULES, "test-repo-rule", Rule("test-repo-rule", "test-repo-rule: a test", check_repo=check_repo))
    result = cli("check", str(repo / "charts" / "api"), str(repo / "charts" / "web"))
    assert calls == [repo.resolve()]
    assert "apps/x.yaml:3:1: [warning] seen (test-repo-rule)" in result.out


def test_strip_mode_reports_what_stripping_changes_per_env(cli, tmp_path):
    (tmp_path / ".gitops-cmp.yaml").write_text("envConditionalMode: strip\n")
    chart(tmp_path, "api", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
                           '  replicas: {{ if eq .Values.env "prod" }}"3"{{ else }}"1"{{ end }}\n'
                           '  owner: {{ if eq .Release.Namespace "api-dev" }}"me"{{ else }}"team"{{ end }}\n')
    result = cli("check", str(tmp_path))
    lines = result.out.splitlines()
    assert result.code == ExitCode.OK, result.out  # the namespace literal "api-dev" is no env name
    assert lines[:2] == [
        "charts/api/templates/cm.yaml: [warning] strip changes the prod render of v1/ConfigMap cm:"
        " replace /data/replicas; set this in values/prod.yaml instead of deriving it from the"
        " environment's name (env-conditional)",
        "charts/api/templates/cm.yaml:6:19: [warning] `eq .Values.env \"prod\"` branches on the environment:"
        " it compares env identity .Values.env with 'prod'; put what differs into values/<env>.yaml and"
        " branch on that setting (e.g. `replicaCount`, `ingress.enabled`), not on the environment's name"
        " (env-conditional)",
    ]
    assert "the dev render" not in result.out  # "" and "dev" take the same branch


def test_strip_mode_still_blocks_what_it_cannot_neutralise(cli, tmp_path):
    (tmp_path / ".gitops-cmp.yaml").write_text("envConditionalMode: strip\n")
    chart(tmp_path, "api", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
                           '{{ if hasSuffix "-prod" .Release.Namespace }}data: {a: b}{{ end }}\n')
    result = cli("check", str(tmp_path))
    assert result.code == ExitCode.POLICY
    assert "(strip mode cannot neutralise it)" in result.out


def test_strip_mode_reports_a_render_that_stripping_breaks(cli, tmp_path):
    (tmp_path / ".gitops-cmp.yaml").write_text("envConditionalMode: strip\n")
    chart(tmp_path, "api", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
                           '  r: {{ required "env must be set" .Values.env | quote }}\n', envs=("prod",))
    result = cli("check", str(tmp_path))
    assert result.code == ExitCode.POLICY
    assert "strip mode breaks the render of env 'prod'" in result.out


def test_pre_commit_hook_runs_check_on_the_files_it_reads():
    import re

    from support import ROOT

    from cmp import yamlio

    (hook,) = yamlio.load_one((ROOT / ".pre-commit-hooks.yaml").read_text(), ".pre-commit-hooks.yaml")
    assert hook["entry"] == "gitops-cmp check" and hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    for path in ("charts/a/templates/_helpers.tpl", "charts/a/values/prod.yaml", "charts/a/templates/NOTES.txt",
                 ".gitops-cmp.yaml", "apps/a/prod.yml"):
        assert pattern.search(path), path
    assert not pattern.search("README.md")


def test_a_reader_that_stops_early_is_not_an_internal_error(repo):
    import subprocess
    import sys

    many = "".join(f'{{{{ if eq .Values.env "prod" }}}}{i}{{{{ end }}}}\n' for i in range(1500))
    (repo / "charts" / "api" / "templates" / "cm.yaml").write_text(many)  # more than a pipe buffer
    pipeline = subprocess.run(
        f"{sys.executable} -m cmp check --format sarif {repo} | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=60,
    )
    assert pipeline.stdout.strip() == str(int(ExitCode.POLICY)), pipeline.stderr
    assert "Traceback" not in pipeline.stderr

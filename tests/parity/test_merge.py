"""`parity --merge`: the shards' JSON reports become the report one unsharded run gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from cmp.exitcodes import ExitCode

CLUSTER = ["--kube-version", "1.30.2", "--api-versions", "monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor"]


def parity(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cmp", "parity", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})


def without_run_facts(report: dict) -> dict:
    for app in report["apps"]:
        app.pop("timings_ms")
    return {k: v for k, v in report.items() if k not in ("seconds", "timings_ms", "shard")}


@pytest.fixture
def changed_repo(git_repo: Path) -> Path:
    service = git_repo / "charts" / "webapp" / "templates" / "service.yaml"
    service.write_text(service.read_text() + "  sessionAffinity: ClientIP\n")
    (git_repo / "apps" / "webapp" / "dev.yaml").unlink()
    return git_repo


def test_merged_shards_are_the_unsharded_report(changed_repo: Path, tmp_path: Path):
    whole = parity(changed_repo, "--base", "main", "--format", "json", *CLUSTER)
    files = []
    for index in (1, 2, 3):
        shard = parity(changed_repo, "--base", "main", "--format", "json", "--shard", f"{index}/3", *CLUSTER)
        files.append(tmp_path / f"shard-{index}.json")
        files[-1].write_text(shard.stdout)
    merged = parity(tmp_path, "--merge", *map(str, files), "--format", "json")
    assert merged.returncode == whole.returncode
    assert without_run_facts(json.loads(merged.stdout)) == without_run_facts(json.loads(whole.stdout))
    whole_md = parity(changed_repo, "--base", "main", "--format", "markdown", *CLUSTER).stdout
    merged_md = parity(tmp_path, "--merge", *map(str, files), "--format", "markdown").stdout
    assert "sessionAffinity" in merged_md  # the diffs travel in the JSON
    assert merged_md == whole_md


def test_a_missing_shard_is_refused(changed_repo: Path, tmp_path: Path):
    shard = parity(changed_repo, "--base", "main", "--format", "json", "--shard", "1/2", *CLUSTER)
    (tmp_path / "one.json").write_text(shard.stdout)
    merged = parity(tmp_path, "--merge", str(tmp_path / "one.json"))
    assert merged.returncode == ExitCode.INPUT
    assert merged.stdout == ""
    assert "shard(s) 2/2 missing" in merged.stderr


def test_reports_of_different_runs_are_refused(changed_repo: Path, tmp_path: Path, git):
    first = parity(changed_repo, "--base", "main", "--format", "json", "--shard", "1/2", *CLUSTER)
    git(changed_repo, "commit", "-qam", "next")
    second = parity(changed_repo, "--base", "main", "--format", "json", "--shard", "2/2", *CLUSTER)
    (tmp_path / "a.json").write_text(first.stdout)
    (tmp_path / "b.json").write_text(second.stdout)
    merged = parity(tmp_path, "--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert merged.returncode == ExitCode.INPUT
    assert "base differs" in merged.stderr


def test_a_file_that_is_not_a_report_is_one_clear_line(tmp_path: Path):
    (tmp_path / "x.json").write_text("not json")
    merged = parity(tmp_path, "--merge", str(tmp_path / "x.json"))
    assert merged.returncode == ExitCode.INPUT
    assert merged.stderr.strip().splitlines() == [f"gitops-cmp: error: --merge {tmp_path / 'x.json'}: not a JSON report (`parity --format json`)"]

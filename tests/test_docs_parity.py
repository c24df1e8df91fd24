"""docs/parity.md's workflow: its shell steps run against a real git repo of the example, its comment
script runs under node with GitHub's client stubbed, and the steps that must survive a failed comment
(fork PRs) or a failed render do."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import EXAMPLE, ROOT

DOC = (ROOT / "docs" / "parity.md").read_text()
WORKFLOW: dict[str, Any] = yaml.safe_load(re.search(r"```yaml\n(name: render parity.*?)```", DOC, re.S).group(1))
STEPS: list[dict[str, Any]] = WORKFLOW["jobs"]["parity"]["steps"]


def step(name_or_uses: str) -> dict[str, Any]:
    return next(s for s in STEPS if name_or_uses in (s.get("name", ""), s.get("uses", "")))


def test_ci_python_is_the_images():
    image = re.search(r"ARG BASE_IMAGE=python:(\d+\.\d+)", (ROOT / "Dockerfile").read_text())
    assert image and step("actions/setup-python@v5")["with"]["python-version"] == image.group(1)


def test_install_shows_the_source_path_today_and_pypi_once_published():
    install = next(s["run"] for s in STEPS if "pip install" in s.get("run", ""))
    assert install.startswith('pip install "gitops-cmp @ git+https://github.com/')
    assert "# Once it is on PyPI (or from your wheelhouse): pip install gitops-cmp==0.1.0" in DOC


def test_artifact_and_verdict_survive_a_failed_comment_or_render():
    comment = step("Post the report as a PR comment")
    assert comment["continue-on-error"] is True and "always()" in comment["if"]
    assert "always()" in step("actions/upload-artifact@v4")["if"]
    assert "always()" in step("Fail on a failed app")["if"]
    assert "always()" in step("The report for the pull request")["if"]


def _shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = script.replace("${{ github.base_ref }}", "main")
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _github_files(env: dict[str, str]) -> dict[str, str]:
    return {k: Path(env[k]).read_text() for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV")}


@pytest.fixture
def ci(tmp_path: Path, git) -> tuple[Path, dict[str, str]]:
    """The example as a git repo with origin/main, and the environment a runner gives the steps."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    runner = tmp_path / "runner"
    runner.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gitops-cmp").write_text(f"#!/bin/sh\nexec {sys.executable} -m cmp \"$@\"\n")
    (bin_dir / "gitops-cmp").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "RUNNER_TEMP": str(runner)}
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"):
        env[name] = str(runner / name)
        Path(env[name]).write_text("")
    return repo, env


def _run_steps(repo: Path, env: dict[str, str]) -> dict[str, str]:
    policy = _shell(step("Policy of the base branch")["run"], repo, env)
    assert policy.returncode == 0, policy.stderr
    env.update(line.split("=", 1) for line in Path(env["GITHUB_ENV"]).read_text().splitlines() if "=" in line)
    text = _shell(step("Render every app, head against base (every diff, in this log)")["run"], repo, env)
    assert text.returncode == 0, text.stderr
    report = _shell(step("The report for the pull request")["run"], repo, env)
    assert report.returncode == 0, report.stderr
    return {"log": text.stdout, **_github_files(env)}


def test_a_failing_pull_request_gets_a_log_a_report_and_a_failed_check(ci):
    repo, env = ci
    prod = repo / "charts" / "webapp" / "values" / "prod.yaml"
    prod.write_text(prod.read_text().replace("tag: ", "tag: latest # was ", 1))
    out = _run_steps(repo, env)
    assert "failed" in out["log"] and "webapp-prod" in out["log"] and "parity:" in out["log"]
    assert "exit=1" in out["GITHUB_OUTPUT"]
    assert "### gitops-cmp parity" in (repo / "parity.md").read_text()
    assert out["GITHUB_STEP_SUMMARY"] == (repo / "parity.md").read_text()
    assert (repo / "hydrated" / "webapp-dev.yaml").is_file() and not (repo / "hydrated" / "webapp-prod.yaml").exists()


def test_bad_input_posts_no_empty_comment(ci):
    repo, env = ci
    shutil.rmtree(repo / "apps")  # exit 2: nothing to report
    out = _run_steps(repo, env)
    assert "exit=2" in out["GITHUB_OUTPUT"]
    assert (repo / "parity.md").read_text() == ""
    assert _comment(repo) == []


def _comment(repo: Path) -> list[dict[str, Any]]:
    """Run the comment step's script under node with GitHub's client stubbed; the calls it made."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = step("Post the report as a PR comment")["with"]["script"]
    harness = f"""
const calls = [];
const github = {{
  paginate: async () => [],
  rest: {{issues: {{
    listComments: null,
    createComment: async (a) => calls.push({{create: a.body.length}}),
    updateComment: async (a) => calls.push({{update: a.body.length}}),
  }}}},
}};
const context = {{repo: {{owner: 'o', repo: 'r'}}, issue: {{number: 1}}}};
const core = {{info: () => {{}}}};
(async () => {{
{script}
}})().then(() => console.log(JSON.stringify(calls)));
"""
    done = subprocess.run(["node", "-e", harness], cwd=repo, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    calls: list[dict[str, Any]] = json.loads(done.stdout)
    return calls


def test_a_report_is_posted_once(ci):
    repo, env = ci
    _run_steps(repo, env)
    assert [list(c) for c in _comment(repo)] == [["create"]]

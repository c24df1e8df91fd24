"""parity judges a pull request with the base ref's config (and the platform's): a PR cannot
weaken its own gate. Real git repos, real Helm; every report format lists the config changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import write_web_repo

from cmp.exitcodes import ExitCode

PLAIN = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  a: "1"
"""
SNEAKY = PLAIN + """\
  password: {{ .Values.password | quote }}
{{- if eq .Values.env "prod" }}
  b: "2"
{{- end }}
"""
STRICT = "envConditionalMode: block\nstrictEnvironments: [prod]\n"
WEAK = """\
envConditionalMode: warn
strictEnvironments: []
allow:
  - {path: "*", rule: secret-value, reason: "temporary"}
  - {path: "*", rule: env-conditional, reason: "temporary"}
"""


@pytest.fixture
def repo(tmp_path: Path, git) -> Path:
    """main: a clean chart under a strict config."""
    root = write_web_repo(tmp_path / "repo", template=PLAIN, config=STRICT)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


def sneak(root: Path, git, config: str = WEAK) -> None:
    """The pull request: an env conditional and a password, and the config that would let them in."""
    git(root, "checkout", "-q", "-b", "pr")
    (root / "charts" / "web" / "templates" / "cm.yaml").write_text(SNEAKY)
    (root / "charts" / "web" / "values" / "prod.yaml").write_text("env: prod\npassword: hunter2-Sup3rS3cret\n")
    (root / ".gitops-cmp.yaml").write_text(config)
    git(root, "commit", "-qam", "pr")


def test_a_pr_that_weakens_its_own_gate_fails(cli, repo: Path, git):
    sneak(repo, git)
    result = cli("parity", "--repo", str(repo), "--base", "main", "--format", "json")
    data = json.loads(result.out)
    assert result.code == ExitCode.POLICY
    (app,) = data["apps"]
    assert app["status"] == "failed" and app["failure"] == "policy"
    assert {f["rule"] for f in app["findings"]} >= {"env-conditional", "secret-value"}
    assert "hunter2" not in result.out + result.err
    changes = {c["setting"]: c for c in data["config"]["changes"]}
    assert changes["envConditionalMode"] == {"setting": "envConditionalMode", "before": "block", "after": "warn",
                                             "weakening": True}
    assert changes["strictEnvironments"]["weakening"] and changes["allow"]["weakening"]
    assert "the base ref's .gitops-cmp.yaml" in data["config"]["judged_with"]


def test_the_same_change_passes_once_the_policy_change_is_merged(cli, repo: Path, git):
    """The workflow: the policy change lands first, in its own PR; then the change that needs it."""
    (repo / ".gitops-cmp.yaml").write_text(WEAK)
    git(repo, "commit", "-qam", "policy change, reviewed by its owners")
    sneak(repo, git)
    result = cli("parity", "--repo", str(repo), "--base", "main", "--format", "json")
    assert result.code == ExitCode.OK, result.out
    assert json.loads(result.out)["config"]["changes"] == []


def test_without_base_the_working_tree_config_judges(cli, repo: Path, git):
    sneak(repo, git)
    assert cli("parity", "--repo", str(repo)).code == ExitCode.OK


def test_the_platform_config_still_applies_to_the_base_config(cli, repo: Path, git, tmp_path: Path):
    (repo / ".gitops-cmp.yaml").write_text(WEAK)
    git(repo, "commit", "-qam", "a weak base")
    sneak(repo, git, config=WEAK)
    platform = tmp_path / "platform.yaml"
    platform.write_text("envConditionalMode: block\nrepoMayAllow: [secret-value]\n")
    result = cli("parity", "--repo", str(repo), "--base", "main", "--platform-config", str(platform),
                 "--format", "json")
    (app,) = json.loads(result.out)["apps"]
    assert result.code == ExitCode.POLICY
    assert {f["rule"] for f in app["findings"] if f["severity"] == "error"} == {"env-conditional"}


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_every_format_lists_config_changes_and_calls_a_weakening_one(cli, repo: Path, git, fmt: str):
    sneak(repo, git)
    result = cli("parity", "--repo", str(repo), "--base", "main", "--format", fmt)
    assert result.code == ExitCode.POLICY
    assert "judged with the base ref's .gitops-cmp.yaml" in result.out
    assert "envConditionalMode" in result.out and "strictEnvironments" in result.out
    weak = "WEAKENING: envConditionalMode" if fmt == "text" else "| ⚠️ weakening | `envConditionalMode` |"
    assert weak in result.out


def test_a_stricter_config_is_not_called_a_weakening(cli, repo: Path, git):
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / ".gitops-cmp.yaml").write_text(STRICT + "limits: {deadlineSeconds: 30}\n")
    git(repo, "commit", "-qam", "pr")
    result = cli("parity", "--repo", str(repo), "--base", "main")
    assert result.code == ExitCode.OK
    assert "stricter: limits.deadlineSeconds: 45.0 -> 30" in result.out and "WEAKENING" not in result.out


def test_an_invalid_head_config_fails_parity(cli, repo: Path, git):
    (repo / ".gitops-cmp.yaml").write_text("envConditionalMode: sometimes\n")
    result = cli("parity", "--repo", str(repo), "--base", "main")
    assert result.code == ExitCode.INPUT and result.out == ""
    assert "envConditionalMode: expected block, warn or strip" in result.err

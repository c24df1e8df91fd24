"""The platform owns the policy: end to end over real repos, real git and real Helm.

One repo, three places (laptop in a git checkout, laptop on a tarball without .git, the sidecar
with Argo CD's env) and every command: the same root, the same config, the same verdict.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import write_web_repo

from cmp.context import PLATFORM_CONFIG_ENV
from cmp.exitcodes import ExitCode

CONDITIONAL = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  a: "1"
{{- if eq .Values.env "prod" }}
  b: "2"
{{- end }}
"""
WEAK = "envConditionalMode: warn\nstrictEnvironments: []\nallow: [{path: '*', rule: env-conditional, reason: x}]\n"


def make_repo(root: Path, nested: str | None = WEAK) -> Path:
    write_web_repo(root, template=CONDITIONAL, config="envConditionalMode: block\n")
    if nested is not None:
        (root / "charts" / "web" / ".gitops-cmp.yaml").write_text(nested)
    return root


@pytest.fixture
def repo(tmp_path: Path, git) -> Path:
    root = make_repo(tmp_path / "repo")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def tarball(repo: Path, tmp_path: Path) -> Path:
    """The same files without .git, as a laptop that downloaded an archive has them."""
    dest = tmp_path / "unpacked"
    shutil.copytree(repo, dest, ignore=shutil.ignore_patterns(".git"))
    return dest


def sidecar(argocd_env, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    shutil.rmtree(root / ".git", ignore_errors=True)  # reposerver.plugin.tar.exclusions: .git/*
    argocd_env(ARGOCD_APP_NAME="web-prod", ARGOCD_APP_NAMESPACE="web-prod", ARGOCD_ENV_ENVIRONMENT="prod",
               ARGOCD_APP_SOURCE_PATH="charts/web")
    monkeypatch.chdir(root / "charts" / "web")


# ---- one root: a nested config has no effect anywhere --------------------------------------------


@pytest.mark.parametrize("where", ["git", "tarball"])
def test_render_ignores_a_nested_config(cli, repo: Path, tarball: Path, where: str):
    root = repo if where == "git" else tarball
    result = cli("render", str(root / "charts" / "web"), "--env", "prod")
    assert result.code == ExitCode.POLICY, result.err
    assert result.out == "" and "env-conditional" in result.err


@pytest.mark.parametrize("where", ["git", "tarball"])
def test_render_app_ignores_a_nested_config(cli, repo: Path, tarball: Path, where: str):
    root = repo if where == "git" else tarball
    assert cli("render", "--app", str(root / "apps" / "web-prod.yaml")).code == ExitCode.POLICY


def test_generate_ignores_a_nested_config(cli, repo: Path, argocd_env, monkeypatch):
    sidecar(argocd_env, monkeypatch, repo)
    result = cli("generate")
    assert result.code == ExitCode.POLICY, result.err
    assert "env-conditional" in result.err


def test_check_reports_the_nested_config_and_ignores_it(cli, repo: Path, monkeypatch):
    monkeypatch.chdir(repo / "charts" / "web")  # check run from inside the chart: same root
    result = cli("check", "--format", "json")
    findings = json.loads(result.out)["findings"]
    assert result.code == ExitCode.POLICY
    assert {(f["rule"], f["severity"], f["path"]) for f in findings} >= {
        ("nested-config", "warning", "charts/web/.gitops-cmp.yaml"),
        ("env-conditional", "error", "charts/web/templates/cm.yaml"),
    }


def test_parity_ignores_a_nested_config(cli, repo: Path):
    assert cli("parity", "--repo", str(repo)).code == ExitCode.POLICY


def test_a_directory_named_apps_below_the_root_does_not_move_it(cli, repo: Path, tarball: Path, git):
    """`charts/apps/` would make `charts/` look like a root: the outermost root inside git wins."""
    (repo / "charts" / "apps").mkdir()
    (repo / "charts" / "apps" / "README").write_text("x\n")
    (repo / "charts" / ".gitops-cmp.yaml").write_text(WEAK)
    assert cli("render", str(repo / "charts" / "web"), "--env", "prod").code == ExitCode.POLICY


# ---- the platform config on every command -------------------------------------------------------


@pytest.fixture
def weak_repo(tmp_path: Path, git) -> Path:
    """A repo whose own config allows everything it does wrong."""
    root = make_repo(tmp_path / "weak", nested=None)
    (root / ".gitops-cmp.yaml").write_text(WEAK)
    return root


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = tmp_path / "platform" / "platform.yaml"  # outside the repo: the platform's file lives anywhere
    path.parent.mkdir()
    path.write_text("envConditionalMode: block\nstrictEnvironments: [prod]\nrepoMayAllow: [pinned-images]\n")
    return path


def test_without_a_platform_config_the_repo_decides(cli, weak_repo: Path, monkeypatch):
    monkeypatch.delenv(PLATFORM_CONFIG_ENV, raising=False)
    assert cli("render", str(weak_repo / "charts" / "web"), "--env", "prod").code == ExitCode.OK


@pytest.mark.parametrize("how", ["flag", "env"])
def test_render_applies_the_platform_config(cli, weak_repo: Path, platform_file: Path, monkeypatch, how: str):
    argv = ["render", str(weak_repo / "charts" / "web"), "--env", "prod"]
    if how == "flag":
        argv += ["--platform-config", str(platform_file)]
    else:
        monkeypatch.setenv(PLATFORM_CONFIG_ENV, str(platform_file))
    result = cli(*argv)
    assert result.code == ExitCode.POLICY and result.out == ""
    assert "env-conditional" in result.err


def test_generate_applies_the_platform_config(cli, weak_repo: Path, platform_file: Path, argocd_env, monkeypatch):
    sidecar(argocd_env, monkeypatch, weak_repo)
    monkeypatch.setenv(PLATFORM_CONFIG_ENV, str(platform_file))
    assert cli("generate").code == ExitCode.POLICY


def test_check_applies_the_platform_config(cli, weak_repo: Path, platform_file: Path):
    result = cli("check", str(weak_repo), "--platform-config", str(platform_file), "--format", "json")
    findings = json.loads(result.out)["findings"]
    assert result.code == ExitCode.POLICY
    ignored = [f for f in findings if f["rule"] == "stale-allow"]
    assert ignored and "has no effect" in ignored[0]["message"] and "repoMayAllow" in ignored[0]["message"]


def test_parity_applies_the_platform_config(cli, weak_repo: Path, platform_file: Path):
    assert cli("parity", "--repo", str(weak_repo), "--platform-config", str(platform_file)).code == ExitCode.POLICY


def test_the_flag_wins_over_the_env(cli, weak_repo: Path, platform_file: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv(PLATFORM_CONFIG_ENV, str(tmp_path / "missing.yaml"))
    result = cli("render", str(weak_repo / "charts" / "web"), "--env", "prod", "--platform-config", str(platform_file))
    assert result.code == ExitCode.POLICY


@pytest.mark.parametrize("command", [["render", "x", "--env", "prod"], ["generate"], ["init"], ["check"],
                                     ["parity"], ["config"]])
def test_every_command_fails_closed_on_a_missing_platform_config(cli, tmp_path: Path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PLATFORM_CONFIG_ENV, str(tmp_path / "missing.yaml"))
    result = cli(*command)
    assert result.code == ExitCode.INPUT and result.out == ""
    assert "missing.yaml: file not found" in result.err


def test_an_invalid_platform_config_is_one_line(cli, tmp_path: Path):
    bad = tmp_path / "platform.yaml"
    bad.write_text("envConditionalMode: sometimes\n")
    result = cli("config", "--platform-config", str(bad), "--repo", str(tmp_path))
    assert result.code == ExitCode.INPUT
    assert result.err.strip() == (f"gitops-cmp: error: invalid config {bad}: envConditionalMode: expected block,"
                                  " warn or strip, got 'sometimes'")


def test_render_logs_the_policy_digest(cli, weak_repo: Path, platform_file: Path):
    from cmp import config

    chart = str(weak_repo / "charts" / "web")
    alone = cli("render", chart, "--env", "prod", "--log-format", "json")
    event = next(json.loads(ln) for ln in alone.err.splitlines() if ln.startswith("{") and '"render"' in ln)
    assert event["policy"] == config.digest(config.load(weak_repo))
    merged = cli("render", chart, "--env", "prod", "--log-format", "json", "--platform-config", str(platform_file))
    event = next(json.loads(ln) for ln in merged.err.splitlines() if ln.startswith("{") and '"render"' in ln)
    assert event["policy"] == config.digest(config.load(weak_repo, config.load_platform(platform_file)))
    assert event["policy"] != config.digest(config.load(weak_repo))


# ---- gitops-cmp config -------------------------------------------------------------------------


def test_config_shows_the_merged_policy_and_provenance(cli, weak_repo: Path, platform_file: Path):
    (weak_repo / "charts" / "web" / ".gitops-cmp.yaml").write_text("{}\n")
    result = cli("config", "--repo", str(weak_repo), "--platform-config", str(platform_file), "--format", "json")
    data = json.loads(result.out)
    assert result.code == ExitCode.OK
    assert data["platformConfig"] == str(platform_file) and data["repoMayAllow"] == ["pinned-images"]
    assert data["settings"]["envConditionalMode"] == {"value": "block", "from": "platform",
                                                      "merge": "block over strip over warn"}
    assert data["settings"]["strictEnvironments"]["value"] == ["prod"]
    assert data["settings"]["allow"]["value"] == []
    assert [e["rule"] for e in data["ignoredAllow"]] == ["env-conditional"]
    assert data["nestedConfigs"] == ["charts/web/.gitops-cmp.yaml"]
    text = cli("config", "--repo", str(weak_repo), "--platform-config", str(platform_file)).out
    assert "envConditionalMode" in text and "[platform]" in text and data["digest"] in text


def test_config_without_a_platform(cli, weak_repo: Path, monkeypatch):
    monkeypatch.delenv(PLATFORM_CONFIG_ENV, raising=False)
    monkeypatch.chdir(weak_repo / "charts" / "web")
    data = json.loads(cli("config", "--format", "json").out)
    assert data["repository"] == str(weak_repo.resolve())
    assert data["platformConfig"] is None and data["repoMayAllow"] is None
    assert data["settings"]["envConditionalMode"] == {"value": "warn", "from": "repo", "merge": "block over strip over warn"}


# ---- inline allow comments are the repo's too ------------------------------------------------------

COMMENTED = CONDITIONAL.replace('{{- if eq', '{{- /* gitops-cmp:allow env-conditional reason="legacy, JIRA-1" */}}\n{{- if eq')


@pytest.mark.parametrize(("platform", "code"), [
    pytest.param(None, ExitCode.OK, id="no-platform-the-comment-counts"),
    pytest.param("repoMayAllow: []\n", ExitCode.POLICY, id="not-in-repoMayAllow"),
    pytest.param("repoMayAllow: [env-conditional]\n", ExitCode.OK, id="in-repoMayAllow"),
])
def test_an_inline_allow_comment_counts_only_if_the_platform_lets_the_repo_allow(
        cli, tmp_path: Path, monkeypatch, platform: str | None, code: ExitCode):
    monkeypatch.delenv(PLATFORM_CONFIG_ENV, raising=False)
    root = make_repo(tmp_path / "repo", nested=None)
    (root / "charts" / "web" / "templates" / "cm.yaml").write_text(COMMENTED)
    argv = ["render", str(root / "charts" / "web"), "--env", "prod"]
    if platform is not None:
        (tmp_path / "platform.yaml").write_text(platform)
        argv += ["--platform-config", str(tmp_path / "platform.yaml")]
    result = cli(*argv)
    assert result.code == code, result.err
    assert ("allow comment has no effect" in result.err) == (code == ExitCode.POLICY)

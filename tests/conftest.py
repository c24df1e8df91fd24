from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings
from support import EXAMPLE, Run

from cmp.main import main

# Hypothesis' default 200 ms deadline per example is a timing assertion: on a loaded 2-core machine
# it fails tests whose properties hold. Tests bound their work by example counts, never by time.
settings.register_profile("gitops-cmp", deadline=None)
settings.load_profile("gitops-cmp")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run `gitops-cmp ARGV...` in-process; returns exit code, stdout and stderr."""

    def run(*argv: str) -> Run:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A private copy of examples/gitops-repo that a test may change."""
    dest = tmp_path / "gitops-repo"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def argocd_env(monkeypatch: pytest.MonkeyPatch):
    """Set exactly the given Argo CD build env (and nothing else of it) for an in-process generate."""

    def apply(**env: str) -> None:
        for key in list(os.environ):
            if key.startswith(("ARGOCD_", "KUBE_")):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)

    return apply


@pytest.fixture
def git():
    """Run git in a directory with a fixed identity and no user config; returns stdout."""

    def run(cwd: Path, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                              check=True, timeout=60).stdout

    return run

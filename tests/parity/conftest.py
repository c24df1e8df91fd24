from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import EXAMPLE

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def git():
    """Run git in a directory with a fixed identity and no user config; returns stdout."""

    def run(cwd: Path, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                              check=True, timeout=60).stdout

    return run


@pytest.fixture
def git_repo(tmp_path: Path, git) -> Path:
    """A git repository whose `main` holds a copy of the example repo, nested one level down
    (as in a monorepo) to prove parity finds its subdirectory in the base tree."""
    top = tmp_path / "top"
    repo = top / "gitops"
    shutil.copytree(EXAMPLE, repo)
    git(top, "init", "-q", "-b", "main")
    git(top, "add", ".")
    git(top, "commit", "-q", "-m", "base")
    return repo

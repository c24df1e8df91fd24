from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLE


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

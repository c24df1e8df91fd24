"""The base ref, read from git objects into a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmp.errors import InputError
from cmp.parity import gittree


def test_extracts_the_subdirectory_as_committed(git_repo: Path, git, tmp_path: Path):
    (git_repo / "apps" / "webapp" / "dev.yaml").write_text("changed in the working tree\n")
    (git_repo / "charts" / "webapp" / "link.yaml").symlink_to("values.yaml")
    (git_repo / "run.sh").write_text("#!/bin/sh\n")
    (git_repo / "run.sh").chmod(0o755)
    git(git_repo.parent, "add", "gitops/charts", "gitops/run.sh")  # not the working-tree change
    git(git_repo.parent, "commit", "-q", "-m", "link")
    dest = tmp_path / "base"
    dest.mkdir()

    assert gittree.extract(git_repo, gittree.resolve(git_repo, "HEAD"), dest)

    assert (dest / "apps" / "webapp" / "dev.yaml").read_text().startswith("apiVersion")  # committed, not working tree
    assert (dest / "charts" / "webapp" / "link.yaml").is_symlink()
    assert (dest / "run.sh").stat().st_mode & 0o111
    assert (dest / ".gitops-cmp.yaml").is_file()
    assert not (dest / "gitops").exists()  # the subdirectory is the root


def test_a_directory_new_in_head_extracts_nothing(git_repo: Path, git, tmp_path: Path):
    new = git_repo.parent / "later"
    new.mkdir()
    (new / "x.yaml").write_text("a: 1\n")
    dest = tmp_path / "base"
    dest.mkdir()
    assert not gittree.extract(new, gittree.resolve(new, "HEAD"), dest)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("ref", ["nope", "HEAD~5", "-x", "main:apps"])
def test_unknown_refs_are_input_errors(git_repo: Path, ref):
    with pytest.raises(InputError, match="--base"):
        gittree.resolve(git_repo, ref)


def test_outside_git(tmp_path: Path):
    with pytest.raises(InputError, match="not a commit in the git repository"):
        gittree.resolve(tmp_path, "HEAD")

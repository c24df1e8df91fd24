"""Shared attacker fixtures for tests/security/ (helpers in security/attack.py): the repo is hostile.

- `planted()` mints secrets that cannot occur by chance (an upper, a lower and a digit in every 4
  characters), so any 8-character window of one found in an output is a leak, not a coincidence;
- `assert_no_leak(secrets, *texts)` / `assert_no_leak_in(secrets, directory)` (security.attack): no
  part of a planted secret in stdout, stderr, logs or files: whole or any 8-character window, in any
  case, raw, base64 (standard and URL-safe, at every alignment inside a longer text) or hex;
- `hostile_repo`: a repository shaped as an attacker with push access would (charts, value files,
  raw files, symlinks, Applications, `.gitops-cmp.yaml`, git commits);
- `gitops_cmp(*argv, cwd=, env=, memory_bytes=)`: `python -m cmp` as a real process (this tree's
  code, a clean environment, an optional address-space limit), for attacks on the process itself.

The in-process `cli` and `git` fixtures of tests/conftest.py work here too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from security.attack import HostileRepo, mint, run_process
from support import Run


@pytest.fixture
def planted(request: pytest.FixtureRequest) -> Callable[[], str]:
    """`planted()` -> a fresh secret; a test gets the same ones on every run (seeded by its id)."""
    rng = random.Random(request.node.nodeid)
    return lambda: mint(rng)


@pytest.fixture
def hostile_repo(tmp_path: Path) -> HostileRepo:
    return HostileRepo(tmp_path / "repo")


@pytest.fixture
def gitops_cmp() -> Callable[..., Run]:
    return run_process

"""nested-config: one `.gitops-cmp.yaml` per repository, at its root; one anywhere below has no effect.

The repository root is the git top level (in the Argo CD sidecar, the source root), or the
outermost directory in it that holds apps/ or charts/. Only the config there counts: the
laptop, CI and the sidecar find the same root, so they apply the same policy, and a config a
change adds inside a chart directory cannot loosen that chart's checks. A nested config is
reported (a warning) so nobody believes it does something; move its settings to the root
config, or to the platform config.

PASS: `.gitops-cmp.yaml` at the root only.
FAIL: `charts/webapp/.gitops-cmp.yaml` (warning: it has no effect).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cmp.config import CONFIG_NAME, RepoConfig
from cmp.findings import Finding, Severity
from cmp.walk import is_git, walk

ID = "nested-config"


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    for shown in nested(repo_root):
        yield Finding(shown, 0, 0, ID, Severity.WARNING,
                      f"this {CONFIG_NAME} has no effect: only the one at the repository root counts"
                      f" ({CONFIG_NAME}); move its settings there")


def nested(repo_root: Path) -> list[str]:
    """Repo-relative paths of every `.gitops-cmp.yaml` below the root (not the root's own)."""
    found: list[str] = []
    for dirpath, _, filenames in walk(repo_root, skip=is_git):
        if CONFIG_NAME in filenames and dirpath != repo_root:
            found.append((dirpath / CONFIG_NAME).relative_to(repo_root).as_posix())
    return found

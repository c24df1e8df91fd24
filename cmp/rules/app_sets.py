"""applicationset: every ApplicationSet under apps/ is checked, or reported as not checked.

An ApplicationSet whose generators are static (`list`, or `git` directories/files of this
repository) is expanded here as the ApplicationSet controller would: the Applications it
generates are checked by `app-source` and `app-sync-policy` and rendered by `parity`, findings
naming the ApplicationSet's file. One that depends on state outside the repository (clusters,
SCM providers, pull requests, plugins), combines generators (matrix, merge), uses Go templates
or a templatePatch cannot be expanded from the repository: this rule warns, naming the reason,
so its Applications are never silently unchecked.

PASS: `generators: [{list: {elements: [{env: dev}, {env: prod}]}}]`
WARN: `generators: [{clusters: {}}]`, `goTemplate: true`
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cmp.config import RepoConfig
from cmp.findings import Finding, Severity

ID = "applicationset"


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.appdocs import scan

    for skip in scan(repo_root).skipped:
        yield Finding(skip.display, skip.line, 0, ID, Severity.WARNING,
                      f"ApplicationSet {skip.name!r} is not checked: {skip.reason}; the Applications it"
                      " generates are neither checked nor rendered by parity")

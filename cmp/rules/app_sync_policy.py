"""app-sync-policy: every Application syncs automatically, prunes, self-heals, and retries with a limit and backoff.

The standard makes Git the single source of truth: Argo CD applies every commit on its own
(`automated`), deletes what Git no longer has (`prune: true`), reverts manual changes in the
cluster (`selfHeal: true`), and retries a failed sync a bounded number of times with backoff
(`retry.limit`, `retry.backoff.duration`, `retry.backoff.maxDuration`). Checked for every
Application under apps/, the app-of-apps root included (`gitops-cmp check`).

PASS:
    syncPolicy:
      automated: {prune: true, selfHeal: true}
      retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
FAIL: no `syncPolicy.automated`; `prune: false` or missing; `selfHeal` missing; no `retry`;
    `retry: {limit: 5}` without backoff; `limit: -1` (unbounded); `duration: 5 seconds`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmp import yamlio
from cmp.config import RepoConfig
from cmp.findings import Finding, Severity

if TYPE_CHECKING:  # Application discovery is imported when a repo is checked, not by every render
    from cmp.appdocs import AppDoc

ID = "app-sync-policy"
# Argo CD reads backoff durations as Go durations ("5s", "1m30s") or as a number of seconds.
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.appdocs import application_docs

    docs, _ = application_docs(repo_root)  # unreadable files are app-source's findings
    for app in docs:
        yield from check_application(app)


def check_application(app: AppDoc) -> Iterator[Finding]:
    policy = _mapping(app.doc.get("spec"), "syncPolicy")
    yield from _automated(app, policy)
    yield from _retry(app, policy)


def _automated(app: AppDoc, policy: dict[str, Any]) -> Iterator[Finding]:
    automated = policy.get("automated")
    if not isinstance(automated, dict):
        yield _finding(app, ("spec", "syncPolicy"), "no spec.syncPolicy.automated: sync must be automated"
                       " (with prune: true and selfHeal: true) so Git stays the single source of truth")
        return
    if automated.get("enabled") is False:
        yield _finding(app, ("spec", "syncPolicy", "automated", "enabled"),
                       "syncPolicy.automated.enabled is false: sync must be automated")
    for key, why in (("prune", "resources removed from Git must be deleted from the cluster"),
                     ("selfHeal", "manual changes in the cluster must be reverted")):
        if automated.get(key) is not True:
            yield _finding(app, ("spec", "syncPolicy", "automated", key),
                           f"syncPolicy.automated.{key} must be true ({why}); found {yamlio.spelled(automated.get(key))}")


def _retry(app: AppDoc, policy: dict[str, Any]) -> Iterator[Finding]:
    retry = policy.get("retry")
    where = ("spec", "syncPolicy", "retry")
    if not isinstance(retry, dict):
        yield _finding(app, ("spec", "syncPolicy"), "no spec.syncPolicy.retry: a failed sync must be"
                       " retried with a limit and backoff (e.g. limit: 5, backoff: {duration: 5s, maxDuration: 3m})")
        return
    limit = retry.get("limit")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        yield _finding(app, (*where, "limit"), f"syncPolicy.retry.limit must be a positive number of retries,"
                       f" found {yamlio.spelled(limit)} (-1 would retry forever)")
    backoff = retry.get("backoff")
    if not isinstance(backoff, dict):
        yield _finding(app, where, "syncPolicy.retry has no backoff (duration and maxDuration)")
        return
    yield from _backoff(app, backoff, (*where, "backoff"))


def _backoff(app: AppDoc, backoff: dict[str, Any], where: tuple[str, ...]) -> Iterator[Finding]:
    seconds: dict[str, float] = {}
    for key in ("duration", "maxDuration"):
        value = duration_seconds(backoff.get(key))
        if value is None:
            yield _finding(app, (*where, key), f"syncPolicy.retry.backoff.{key} must be a duration such as 5s or 3m,"
                           f" found {yamlio.spelled(backoff.get(key))}")
        else:
            seconds[key] = value
    if len(seconds) == 2 and seconds["duration"] > seconds["maxDuration"]:
        yield _finding(app, (*where, "maxDuration"), "syncPolicy.retry.backoff.maxDuration is shorter than duration")
    factor = backoff.get("factor")
    if factor is not None and (isinstance(factor, bool) or not isinstance(factor, int) or factor < 1):
        yield _finding(app, (*where, "factor"), f"syncPolicy.retry.backoff.factor must be a whole number >= 1, found {yamlio.spelled(factor)}")


def duration_seconds(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def _mapping(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _finding(app: AppDoc, keys: tuple[str, ...], message: str) -> Finding:
    from cmp.appdocs import locate

    line, column = locate(app, *keys)
    return Finding(app.display, line, column, ID, Severity.ERROR, f"Application {app.name!r}: {message}")

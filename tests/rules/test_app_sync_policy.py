"""app-sync-policy: automated sync with prune and selfHeal; retry with a limit and backoff."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import EXAMPLE

from cmp.config import RepoConfig
from cmp.findings import Finding, Severity
from cmp.rules import RULES, app_sync_policy

HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  destination: {namespace: web}
"""
GOOD = """\
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    retry:
      limit: 5
      backoff:
        duration: 5s
        factor: 2
        maxDuration: 3m
"""


def check(tmp_path: Path, sync: str) -> list[Finding]:
    (tmp_path / "apps").mkdir(exist_ok=True)
    (tmp_path / "apps" / "web.yaml").write_text(HEAD + sync)
    return list(app_sync_policy.check_repo(tmp_path, RepoConfig()))


@pytest.mark.parametrize(
    "sync",
    [
        pytest.param(GOOD, id="the-standard"),
        pytest.param(GOOD.replace("duration: 5s", "duration: '5'"), id="seconds-as-number"),
        pytest.param(GOOD.replace("maxDuration: 3m", "maxDuration: 1h30m"), id="compound-duration"),
        pytest.param(GOOD.replace("        factor: 2\n", ""), id="no-factor"),
        pytest.param(GOOD.replace("      prune: true\n", "      enabled: true\n      prune: true\n"), id="enabled"),
    ],
)
def test_noop(tmp_path: Path, sync: str):
    assert check(tmp_path, sync) == []


@pytest.mark.parametrize(
    ("sync", "line", "message"),
    [
        pytest.param(GOOD.replace("prune: true", "prune: false"), 9, "syncPolicy.automated.prune must be true", id="prune-false"),
        pytest.param(GOOD.replace("      selfHeal: true\n", ""), 8, "syncPolicy.automated.selfHeal must be true", id="no-self-heal"),
        pytest.param(GOOD.replace("      prune: true\n", "      prune: true\n      enabled: false\n"), 10,
                     "automated.enabled is false", id="disabled"),
        pytest.param(GOOD.replace("limit: 5", "limit: -1"), 12, "retry.limit must be a positive number", id="unbounded"),
        pytest.param(GOOD.replace("limit: 5", "limit: '5'"), 12, 'found "5"', id="limit-string"),
        pytest.param(GOOD.replace("duration: 5s", "duration: 5 seconds"), 14, "backoff.duration must be a duration",
                     id="bad-duration"),
        pytest.param(GOOD.replace("maxDuration: 3m", "maxDuration: 1s"), 16, "maxDuration is shorter than duration",
                     id="max-below-duration"),
        pytest.param(GOOD.replace("factor: 2", "factor: 0"), 15, "factor must be a whole number >= 1", id="factor"),
    ],
)
def test_flags(tmp_path: Path, sync: str, line: int, message: str):
    findings = check(tmp_path, sync)
    assert [(f.line, f.rule, f.severity) for f in findings] == [(line, "app-sync-policy", Severity.ERROR)]
    assert message in findings[0].message
    assert findings[0].message.startswith("Application 'web': ")


def test_no_sync_policy_at_all(tmp_path: Path):
    assert [(f.line, f.column, f.message.split(":")[1].strip()) for f in check(tmp_path, "")] == [
        (5, 1, "no spec.syncPolicy.automated"), (5, 1, "no spec.syncPolicy.retry")]


def test_missing_retry_and_backoff(tmp_path: Path):
    no_retry = GOOD.split("    retry:")[0]
    assert [f.message for f in check(tmp_path, no_retry)] == [
        "Application 'web': no spec.syncPolicy.retry: a failed sync must be retried with a limit and backoff"
        " (e.g. limit: 5, backoff: {duration: 5s, maxDuration: 3m})"]
    no_backoff = GOOD.split("      backoff:")[0]
    assert [f.message for f in check(tmp_path, no_backoff)] == [
        "Application 'web': syncPolicy.retry has no backoff (duration and maxDuration)"]


def test_every_application_in_a_multi_document_file(tmp_path: Path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "two.yaml").write_text(HEAD + GOOD + "---\n" + HEAD.replace("name: web", "name: api"))
    findings = list(app_sync_policy.check_repo(tmp_path, RepoConfig()))
    assert {(f.path, f.line) for f in findings} == {("apps/two.yaml", 22)}  # the second document's spec:
    assert all("'api'" in f.message for f in findings)


def test_the_example_repo_passes():
    assert list(app_sync_policy.check_repo(EXAMPLE, RepoConfig())) == []


def test_registered_as_a_repo_check():
    assert RULES["app-sync-policy"].check_repo is app_sync_policy.check_repo
    assert "PASS" in RULES["app-sync-policy"].doc and "FAIL" in RULES["app-sync-policy"].doc


def test_messages_speak_yaml_not_python(tmp_path: Path):
    sync = GOOD.replace("      prune: true\n", "").replace("selfHeal: true", "selfHeal: false")
    messages = " ".join(f.message for f in check(tmp_path, sync))
    assert "prune must be true" in messages and "found nothing" in messages and "found false" in messages
    assert "None" not in messages and "False" not in messages

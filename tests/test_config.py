"""The platform config and the stricter-of-both merge: one table row per merge rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cmp import config
from cmp.config import AllowEntry, EnvConditionalMode, Limits, RepoConfig
from cmp.errors import InputError


def platform(**data: Any) -> RepoConfig:
    return config.parse(data, "/etc/gitops-cmp/platform.yaml", platform=True)


def repo(**data: Any) -> RepoConfig:
    return config.parse(data, config.CONFIG_NAME)


ENTRY = {"path": "charts/a/*", "rule": "env-conditional", "reason": "migrating"}
SECRET = {"path": "charts/a/values/dev.yaml", "rule": "secret-value", "reason": "dev only"}

# (setting, platform's, repo's, the effective value, where it came from)
MERGES = [
    pytest.param("envConditionalMode", "block", "warn", EnvConditionalMode.BLOCK, "platform", id="mode-block-over-warn"),
    pytest.param("envConditionalMode", "warn", "block", EnvConditionalMode.BLOCK, "repo", id="mode-repo-stricter"),
    pytest.param("envConditionalMode", "strip", "warn", EnvConditionalMode.STRIP, "platform", id="mode-strip-over-warn"),
    pytest.param("envConditionalMode", "block", "strip", EnvConditionalMode.BLOCK, "platform", id="mode-block-over-strip"),
    pytest.param("envConditionalMode", "warn", None, EnvConditionalMode.WARN, "platform", id="mode-unset-inherits"),
    pytest.param("envConditionalMode", None, "warn", EnvConditionalMode.BLOCK, "default", id="mode-default-block"),
    pytest.param("strictEnvironments", ["prod"], [], ("prod",), "platform", id="strict-emptied-by-repo"),
    pytest.param("strictEnvironments", ["prod"], ["live"], ("prod", "live"), "platform+repo", id="strict-union"),
    pytest.param("environments", ["dev", "prod"], ["prod", "qa"], ("prod",), "platform+repo", id="envs-common"),
    pytest.param("environments", ["dev", "prod"], [], ("dev", "prod"), "platform", id="envs-repo-any"),
    pytest.param("environments", None, ["dev"], ("dev",), "repo", id="envs-platform-any"),
    pytest.param("envWords", ["live"], ["canary"], ("live", "canary"), "platform+repo", id="words-union"),
    pytest.param("envWords", ["live"], [], ("live",), "platform", id="words-emptied-by-repo"),
    pytest.param("envIdentityKeys", ["tier"], ["env"], ("tier", "env"), "platform+repo", id="identity-union"),
    pytest.param("repoURLs", ["https://g/x"], ["https://g/y.git"], frozenset({"g/x", "g/y"}),
                 "platform+repo", id="urls-union"),
]


@pytest.mark.parametrize(("key", "mine", "theirs", "expected", "origin"), MERGES)
def test_merge_rule(key: str, mine: Any, theirs: Any, expected: Any, origin: str):
    plat = platform(**({key: mine} if mine is not None else {}))
    mine_repo = repo(**({key: theirs} if theirs is not None else {}))
    merged = config.effective(plat, mine_repo)
    field = {k: f for f, k in config.KEYS.items()}[key]
    assert config.same(getattr(merged, field), expected)
    assert dict(merged.provenance)[key] == origin


# (limit, platform's, repo's, effective, from)
LIMIT_MERGES = [
    pytest.param("maxFileBytes", 1000, 5000, 1000, "platform", id="file-repo-raises"),
    pytest.param("maxFileBytes", 5000, 1000, 1000, "repo", id="file-repo-lowers"),
    pytest.param("maxChartBytes", None, 10**9, Limits().max_chart_bytes, "default", id="chart-over-default"),
    pytest.param("deadlineSeconds", 30, 600, 30, "platform", id="deadline-repo-raises"),
    pytest.param("deadlineSeconds", 120, None, 120, "platform", id="deadline-unset-inherits"),
]


@pytest.mark.parametrize(("key", "mine", "theirs", "expected", "origin"), LIMIT_MERGES)
def test_limit_merge(key: str, mine: Any, theirs: Any, expected: Any, origin: str):
    plat = platform(limits={key: mine} if mine is not None else {})
    merged = config.effective(plat, repo(limits={key: theirs} if theirs is not None else {}))
    field = {k: f for f, k in config.LIMIT_KEYS.items()}[key]
    assert getattr(merged.limits, field) == expected
    assert dict(merged.provenance)[f"limits.{key}"] == origin


# (repoMayAllow, platform's allow, repo's allow, entries that count, repo entries ignored)
ALLOWS = [
    pytest.param(None, [], [ENTRY], 0, 1, id="repo-allow-ignored-by-default"),
    pytest.param(["secret-value"], [], [ENTRY, SECRET], 1, 1, id="only-listed-rules"),
    pytest.param(["env-conditional", "secret-value"], [], [ENTRY, SECRET], 2, 0, id="all-listed"),
    pytest.param([], [ENTRY], [SECRET], 1, 1, id="platform-entries-always"),
]


@pytest.mark.parametrize(("may", "mine", "theirs", "counted", "ignored"), ALLOWS)
def test_allow_merge(may: list[str] | None, mine: list[dict[str, str]], theirs: list[dict[str, str]],
                     counted: int, ignored: int):
    plat = platform(allow=mine, **({"repoMayAllow": may} if may is not None else {}))
    merged = config.effective(plat, repo(allow=theirs))
    assert len(merged.allow) == counted
    assert len(merged.ignored_allow) == ignored
    assert all(e.origin == plat.source for e in merged.allow if e in plat.allow)


def test_every_setting_and_limit_declares_its_merge_rule():
    settings = {f for f in RepoConfig._fields if f not in config.NOT_SETTINGS}
    assert settings == set(config.SETTINGS), "a RepoConfig setting without a merge rule in config.SETTINGS"
    assert set(Limits._fields) == set(config.LIMITS), "a limit without a merge rule in config.LIMITS"
    assert settings == set(config.KEYS) and set(Limits._fields) == set(config.LIMIT_KEYS)


def test_a_weakened_repo_config_cannot_weaken_the_platform():
    """Everything a PR can loosen at once: the effective policy is the platform's."""
    plat = platform(envConditionalMode="block", strictEnvironments=["prod"], limits={"deadlineSeconds": 30},
                    envWords=["prod"], envIdentityKeys=["env"], environments=["dev", "prod"])
    weak = repo(envConditionalMode="warn", strictEnvironments=[], allow=[{**ENTRY, "path": "*"}],
                limits={"deadlineSeconds": 3000, "maxFileBytes": 2**30}, envWords=[], envIdentityKeys=[])
    merged = config.effective(plat, weak)
    assert merged.env_conditional_mode is EnvConditionalMode.BLOCK
    assert merged.strict_environments == ("prod",)
    assert merged.allow == ()
    assert merged.limits.deadline_seconds == 30 and merged.limits.max_file_bytes == Limits().max_file_bytes
    assert "prod" in merged.env_words and "env" in merged.env_identity_keys
    assert config.digest(merged) == config.digest(config.effective(plat, repo()))


def test_without_a_platform_the_repo_config_is_the_policy():
    weak = repo(envConditionalMode="warn", allow=[ENTRY])
    assert config.effective(None, weak)._replace(provenance=()) == weak
    assert config.effective(None, weak).repo_may_allow is None


def test_disjoint_environments_are_an_error():
    with pytest.raises(InputError, match="no environment is accepted by both"):
        config.effective(platform(environments=["prod"]), repo(environments=["dev"]))


def test_repo_may_not_set_repo_may_allow():
    with pytest.raises(InputError, match="repoMayAllow belongs in the platform config"):
        repo(repoMayAllow=["env-conditional"])


def test_load_platform_from_anywhere(tmp_path: Path):
    path = tmp_path / "elsewhere" / "platform.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"repoMayAllow": ["secret-value"], "envConditionalMode": "block"}))
    loaded = config.load_platform(path)
    assert loaded.repo_may_allow == {"secret-value"} and loaded.platform == str(path)


def test_repo_config_symlink_out_of_the_repo_is_refused(tmp_path: Path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("envConditionalMode: warn\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / config.CONFIG_NAME).symlink_to(outside)
    with pytest.raises(InputError, match="resolves outside the repository"):
        config.load(root)


# (setting, base, head, weakening)
CHANGES = [
    pytest.param({"envConditionalMode": "block"}, {"envConditionalMode": "warn"}, "envConditionalMode", True, id="mode-weaker"),
    pytest.param({"envConditionalMode": "warn"}, {"envConditionalMode": "strip"}, "envConditionalMode", False, id="mode-stricter"),
    pytest.param({}, {"allow": [ENTRY]}, "allow", True, id="allow-added"),
    pytest.param({"allow": [ENTRY]}, {}, "allow", False, id="allow-removed"),
    pytest.param({"strictEnvironments": ["prod"]}, {"strictEnvironments": []}, "strictEnvironments", True, id="strict-emptied"),
    pytest.param({"environments": ["dev"]}, {"environments": ["prod"]}, "environments", True, id="envs-swapped"),
    pytest.param({"limits": {"deadlineSeconds": 30}}, {"limits": {"deadlineSeconds": 60}}, "limits.deadlineSeconds", True,
                 id="deadline-raised"),
    pytest.param({}, {"limits": {"maxFileBytes": 10}}, "limits.maxFileBytes", False, id="file-lowered"),
    pytest.param({}, {"repoURLs": ["https://elsewhere.invalid/x"]}, "repoURLs", True, id="urls-replace-inference"),
    pytest.param({"repoURLs": ["https://g/x"]}, {"repoURLs": ["https://g/x", "https://g/y"]}, "repoURLs", False,
                 id="urls-added"),
    pytest.param({"repoURLs": ["https://g/x"]}, {"repoURLs": ["https://g/y"]}, "repoURLs", True, id="urls-swapped"),
]


@pytest.mark.parametrize(("before", "after", "setting", "weakening"), CHANGES)
def test_changes_call_a_weakening_a_weakening(before: dict[str, Any], after: dict[str, Any], setting: str,
                                              weakening: bool):
    found = config.changes(repo(**before), repo(**after))
    assert [(c.setting, c.weakening) for c in found] == [(setting, weakening)]


def test_no_change_no_report():
    assert config.changes(repo(envConditionalMode="block"), repo()) == []


def test_allow_entry_origin_names_the_platform():
    plat = platform(allow=[ENTRY])
    assert plat.allow == (AllowEntry(**ENTRY, origin=plat.source),)


def test_eso_settings_default_to_the_standard_and_merge_to_what_both_allow():
    assert (RepoConfig().eso_store_kinds, RepoConfig().eso_providers) == (("ClusterSecretStore",), ("aws/SecretsManager",))
    repo = config.parse({"esoStoreKinds": ["ClusterSecretStore", "SecretStore"],
                         "esoProviders": ["aws/SecretsManager", "vault"]}, "repo")
    platform = config.parse({"esoStoreKinds": ["ClusterSecretStore"]}, "platform", platform=True)
    merged = config.effective(platform, repo)
    assert (merged.eso_store_kinds, merged.eso_providers) == (("ClusterSecretStore",), ("aws/SecretsManager",))
    with pytest.raises(InputError, match="nothing is allowed by both"):
        config.effective(platform, config.parse({"esoProviders": ["vault"]}, "repo"))
    with pytest.raises(InputError, match="esoStoreKinds: an empty list allows nothing"):
        config.parse({"esoStoreKinds": []}, "repo")
    assert [c.setting for c in config.changes(RepoConfig(), repo) if c.weakening] == ["esoStoreKinds", "esoProviders"]


def test_a_digest_is_kept_for_its_config_object_only():
    """parity's renders share one config: its digest is kept, by identity: an equal config may
    still be another policy's JSON (1 == True, and a limit of `true` is not a limit of 1)."""
    digest = config.digest
    one = RepoConfig(limits=Limits(deadline_seconds=1))
    true = RepoConfig(limits=Limits(deadline_seconds=True))  # type: ignore[arg-type]
    assert one == true
    first = digest(one)
    assert digest(one) is first
    assert digest(true) != first
    assert digest(one) == first == digest(RepoConfig(limits=Limits(deadline_seconds=1)))

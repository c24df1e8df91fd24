"""`.gitops-cmp.yaml` at the repo root: the team's standard, as data. Validated once, then frozen."""

from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from cmp import yamlio
from cmp.errors import InputError

CONFIG_NAME = ".gitops-cmp.yaml"
DEFAULT_ENV_WORDS = ("prod", "production", "staging", "stage", "dev", "development", "qa",
                     "uat", "preprod", "test", "sandbox")
DEFAULT_IDENTITY_KEYS = ("env", "environment", "stage", "global.env", "global.environment")


class EnvConditionalMode(str, Enum):
    BLOCK = "block"
    WARN = "warn"
    STRIP = "strip"


class AllowEntry(NamedTuple):
    """Silences findings of `rule` at `path` (a repo-relative path or glob); `reason` is mandatory."""

    path: str
    rule: str
    reason: str
    fingerprint: str | None = None


class Limits(NamedTuple):
    max_file_bytes: int = 1024 * 1024
    max_chart_bytes: int = 32 * 1024 * 1024
    deadline_seconds: float = 45.0


class RepoConfig(NamedTuple):
    environments: tuple[str, ...] = ()
    env_words: tuple[str, ...] = DEFAULT_ENV_WORDS
    env_identity_keys: tuple[str, ...] = DEFAULT_IDENTITY_KEYS
    env_conditional_mode: EnvConditionalMode = EnvConditionalMode.BLOCK
    strict_environments: tuple[str, ...] = ("prod", "production")
    allow: tuple[AllowEntry, ...] = ()
    repo_urls: frozenset[str] = frozenset()  # this repository's URLs: Applications elsewhere are skipped
    limits: Limits = Limits()
    source: str = "(defaults)"


_KEYS = {"environments", "envWords", "envIdentityKeys", "envConditionalMode",
         "strictEnvironments", "allow", "limits", "repoURLs"}


def load(repo_root: Path) -> RepoConfig:
    path = repo_root / CONFIG_NAME
    if not path.is_file():
        return RepoConfig()
    data = yamlio.load_one(yamlio.read_text(path, CONFIG_NAME, 1024 * 1024), CONFIG_NAME)
    return parse(data or {}, CONFIG_NAME)


def parse(data: Any, source: str) -> RepoConfig:
    if not isinstance(data, dict):
        raise _invalid(source, "the file must be a mapping")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise _invalid(source, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    defaults = RepoConfig()
    mode = data.get("envConditionalMode", defaults.env_conditional_mode.value)
    try:
        env_mode = EnvConditionalMode(mode)
    except ValueError:
        raise _invalid(source, f"envConditionalMode: expected block, warn or strip, got {mode!r}") from None
    return RepoConfig(
        environments=_names(data, "environments", (), source),
        env_words=_names(data, "envWords", defaults.env_words, source),
        env_identity_keys=_names(data, "envIdentityKeys", defaults.env_identity_keys, source),
        env_conditional_mode=env_mode,
        strict_environments=_names(data, "strictEnvironments", defaults.strict_environments, source),
        allow=tuple(_allow_entry(e, i, source) for i, e in enumerate(_list(data, "allow", source))),
        repo_urls=frozenset(normalize_repo_url(u) for u in _names(data, "repoURLs", (), source)),
        limits=_limits(data.get("limits") or {}, source),
        source=source,
    )


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _invalid(source, f"{key}: expected a list")
    return value


def normalize_repo_url(url: str) -> str:
    """How Application repoURLs are compared: case, a trailing slash and `.git` do not matter."""
    return url.strip().rstrip("/").removesuffix(".git").lower()


def _names(data: dict[str, Any], key: str, default: tuple[str, ...], source: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _invalid(source, f"{key}: expected a list of non-empty strings")
    return tuple(value)


def _allow_entry(entry: Any, index: int, source: str) -> AllowEntry:
    where = f"allow[{index}]"
    if not isinstance(entry, dict):
        raise _invalid(source, f"{where}: expected a mapping with path, rule and reason")
    for key in ("path", "rule", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _invalid(source, f"{where}: {key!r} is required (a non-empty string)")
    fingerprint = entry.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise _invalid(source, f"{where}: fingerprint must be a string")
    return AllowEntry(entry["path"], entry["rule"], entry["reason"], fingerprint)


def _limits(data: Any, source: str) -> Limits:
    if not isinstance(data, dict):
        raise _invalid(source, "limits: expected a mapping")
    names = {"maxFileBytes": "max_file_bytes", "maxChartBytes": "max_chart_bytes",
             "deadlineSeconds": "deadline_seconds"}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise _invalid(source, f"limits: unknown key {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2**31:
            raise _invalid(source, f"limits.{key}: expected a positive number")
        values[names[key]] = value
    return Limits(**values)


def _invalid(source: str, message: str) -> InputError:
    return InputError(f"invalid config {source}: {message}")

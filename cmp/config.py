"""`.gitops-cmp.yaml` at the repo root: the team's standard, as data. Validated once, then frozen.

A platform config (`GITOPS_CMP_PLATFORM_CONFIG` / `--platform-config`, same schema plus
`repoMayAllow`) can only make it stricter: `effective` merges the two, setting by setting, with
the rule SETTINGS declares for each (LIMITS for each limit). A new setting must declare its rule.
"""

import json
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from cmp import confine, yamlio
from cmp.errors import InputError

CONFIG_NAME = ".gitops-cmp.yaml"
# The bound on one YAML file nobody configures per repo (the config itself, Applications): 1 MiB.
# Chart files have their own default, `limits.maxFileBytes` (Limits).
MAX_FILE_BYTES = 1024 * 1024
DEFAULT_ENV_WORDS = ("prod", "production", "staging", "stage", "dev", "development", "qa",
                     "uat", "preprod", "test", "sandbox")
DEFAULT_IDENTITY_KEYS = ("env", "environment", "stage", "global.env", "global.environment")
DEFAULT_ESO_STORE_KINDS = ("ClusterSecretStore",)
DEFAULT_ESO_PROVIDERS = ("aws/SecretsManager",)


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
    origin: str = ""  # "": the repo's config; else the platform config's path


# The config keys of the limits, as over-limit errors name them.
FILE_LIMIT = "limits.maxFileBytes"
CHART_LIMIT = "limits.maxChartBytes"


class Limits(NamedTuple):
    # Real charts hold generated CRDs of several MB (argo-cd: 1.4 MB, kyverno: 1.4 MB, argo-workflows'
    # full CRDs: 2.7 MB); hostile input stays bounded at a few times that.
    max_file_bytes: int = 8 * 1024 * 1024
    max_chart_bytes: int = 32 * 1024 * 1024
    deadline_seconds: float = 45.0
    # Helm's output, checked as soon as Helm returns it: real charts render 2-5 MB (argo-cd,
    # kube-prometheus-stack with its CRDs); parsing and checking it costs about 12x its size.
    max_output_bytes: int = 32 * 1024 * 1024
    # The process's resident memory, watched while it renders; the lower of this and 85% of the
    # container's memory limit, so the render fails with a message before the kernel kills it.
    max_memory_bytes: int = 2 * 1024**3


class RepoConfig(NamedTuple):
    environments: tuple[str, ...] = ()
    env_words: tuple[str, ...] = DEFAULT_ENV_WORDS
    env_identity_keys: tuple[str, ...] = DEFAULT_IDENTITY_KEYS
    env_conditional_mode: EnvConditionalMode = EnvConditionalMode.BLOCK
    strict_environments: tuple[str, ...] = ("prod", "production")
    allow: tuple[AllowEntry, ...] = ()
    repo_urls: frozenset[str] = frozenset()  # this repository's URLs: Applications elsewhere are skipped
    limits: Limits = Limits()
    # The ESO standard (eso-standard): which store kinds ExternalSecrets may reference and which
    # providers a store may read ("aws/SecretsManager": the aws provider with that service).
    eso_store_kinds: tuple[str, ...] = DEFAULT_ESO_STORE_KINDS
    eso_providers: tuple[str, ...] = DEFAULT_ESO_PROVIDERS
    source: str = "(defaults)"
    # Bookkeeping, not settings (NOT_SETTINGS):
    repo_may_allow: frozenset[str] | None = None  # rules whose repo allow entries count; None: every rule
    explicit: frozenset[str] = frozenset()  # the settings the file sets: field names, "limits.<field>"
    provenance: tuple[tuple[str, str], ...] = ()  # (setting key, default|repo|platform|platform+repo)
    ignored_allow: tuple[AllowEntry, ...] = ()  # repo entries for rules not in the platform's repoMayAllow
    platform: str = ""  # the platform config's path; "" without one


# YAML key of each setting, and of each limit.
KEYS = {"environments": "environments", "env_words": "envWords", "env_identity_keys": "envIdentityKeys",
        "env_conditional_mode": "envConditionalMode", "strict_environments": "strictEnvironments",
        "allow": "allow", "repo_urls": "repoURLs", "limits": "limits", "eso_store_kinds": "esoStoreKinds",
        "eso_providers": "esoProviders"}
LIMIT_KEYS = {"max_file_bytes": "maxFileBytes", "max_chart_bytes": "maxChartBytes",
              "deadline_seconds": "deadlineSeconds", "max_output_bytes": "maxOutputBytes",
              "max_memory_bytes": "maxMemoryBytes"}
PLATFORM_KEY = "repoMayAllow"
NOT_SETTINGS = frozenset({"source", "repo_may_allow", "explicit", "provenance", "ignored_allow", "platform"})
_KEYS = set(KEYS.values())


# ---- loading -----------------------------------------------------------------------------------


def load(repo_root: Path, platform: RepoConfig | None = None) -> RepoConfig:
    """The effective policy for the repository at `repo_root`: its config, made stricter by the
    platform config when there is one."""
    return effective(platform, load_repo(repo_root))


def load_repo(repo_root: Path) -> RepoConfig:
    """`<root>/.gitops-cmp.yaml` alone. The repo is hostile: a symlink out of it is refused."""
    path = repo_root / CONFIG_NAME
    if not path.is_file():
        if path.is_symlink():
            raise _invalid(CONFIG_NAME, "a symlink to nothing in the repository")
        return effective(None, RepoConfig())
    real = confine.inside(path, repo_root.resolve())
    if real is None:
        raise _invalid(CONFIG_NAME, "a symlink that resolves outside the repository (or into .git/)")
    return parse_text(yamlio.read_text(real, CONFIG_NAME, MAX_FILE_BYTES), CONFIG_NAME)


def parse_text(text: str, source: str, platform: bool = False) -> RepoConfig:
    return parse(yamlio.load_one(text, source) or {}, source, platform)


def load_platform(path: Path) -> RepoConfig:
    """The platform config: trusted (it is not in the repo), so it may live anywhere."""
    source = str(path)
    data = yamlio.load_one(yamlio.read_text(path, source, MAX_FILE_BYTES), source)
    return parse(data or {}, source, platform=True)


def parse(data: Any, source: str, platform: bool = False) -> RepoConfig:
    if not isinstance(data, dict):
        raise _invalid(source, "the file must be a mapping")
    known = _KEYS | {PLATFORM_KEY} if platform else _KEYS
    unknown = sorted(set(map(str, data)) - known)
    if unknown == [PLATFORM_KEY]:
        raise _invalid(source, f"{PLATFORM_KEY} belongs in the platform config, not in the repository's")
    if unknown:
        raise _invalid(source, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    defaults = RepoConfig()
    mode = data.get("envConditionalMode", defaults.env_conditional_mode.value)
    try:
        env_mode = EnvConditionalMode(mode)
    except ValueError:
        raise _invalid(source, f"envConditionalMode: expected block, warn or strip, got {mode!r}") from None
    limits, limits_set = _limits(data.get("limits") or {}, source)
    origin = source if platform else ""
    fields = {field for field, key in KEYS.items() if data.get(key) is not None and field != "limits"}
    return RepoConfig(
        environments=_names(data, "environments", (), source),
        env_words=_names(data, "envWords", defaults.env_words, source),
        env_identity_keys=_names(data, "envIdentityKeys", defaults.env_identity_keys, source),
        env_conditional_mode=env_mode,
        strict_environments=_names(data, "strictEnvironments", defaults.strict_environments, source),
        allow=tuple(_allow_entry(e, i, source, origin) for i, e in enumerate(_list(data, "allow", source))),
        repo_urls=frozenset(normalize_repo_url(u) for u in _names(data, "repoURLs", (), source)),
        limits=limits,
        eso_store_kinds=_allowed(data, "esoStoreKinds", defaults.eso_store_kinds, source),
        eso_providers=_allowed(data, "esoProviders", defaults.eso_providers, source),
        source=source,
        repo_may_allow=frozenset(_names(data, PLATFORM_KEY, (), source)) if platform else None,
        explicit=frozenset(fields | {f"limits.{name}" for name in limits_set}),
        platform=source if platform else "",
    )


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _invalid(source, f"{key}: expected a list")
    return value


def normalize_repo_url(url: str) -> str:
    """How Application repoURLs are compared: by host and path, as the repository Argo CD fetches.
    Case, the scheme (https, ssh, git), a user, a port, scp-like `git@host:path`, a trailing slash
    and `.git` do not matter: each spelling fetches the same repository."""
    text = url.strip().lower()
    scheme, sep, rest = text.partition("://")
    if not sep:
        rest = scheme.replace(":", "/", 1) if ":" in scheme.split("/", 1)[0] else scheme  # scp-like
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2].partition(":")[0]
    path = path.strip("/").removesuffix(".git").rstrip("/")
    return f"{host}/{path}" if path else host


def _names(data: dict[str, Any], key: str, default: tuple[str, ...], source: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _invalid(source, f"{key}: expected a list of non-empty strings")
    return tuple(value)


def _allowed(data: dict[str, Any], key: str, default: tuple[str, ...], source: str) -> tuple[str, ...]:
    """A list of what the standard allows: set, it may not be empty (that would allow nothing)."""
    names = _names(data, key, default, source)
    if not names:
        raise _invalid(source, f"{key}: an empty list allows nothing; leave it out for the standard's default")
    return names


def _allow_entry(entry: Any, index: int, source: str, origin: str) -> AllowEntry:
    where = f"allow[{index}]"
    if not isinstance(entry, dict):
        raise _invalid(source, f"{where}: expected a mapping with path, rule and reason")
    for key in ("path", "rule", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _invalid(source, f"{where}: {key!r} is required (a non-empty string)")
    fingerprint = entry.get("fingerprint")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise _invalid(source, f"{where}: fingerprint must be a string")
    return AllowEntry(entry["path"], entry["rule"], entry["reason"], fingerprint, origin)


def _limits(data: Any, source: str) -> tuple[Limits, frozenset[str]]:
    if not isinstance(data, dict):
        raise _invalid(source, "limits: expected a mapping")
    names = {key: field for field, key in LIMIT_KEYS.items()}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise _invalid(source, f"limits: unknown key {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2**40:
            raise _invalid(source, f"limits.{key}: expected a positive number")
        values[names[key]] = value
    return Limits(**values), frozenset(values)


def _invalid(source: str, message: str) -> InputError:
    return InputError(f"invalid config {source}: {message}")


# ---- the stricter of two values, per setting -----------------------------------------------------


class Merge(NamedTuple):
    rule: str  # how the stricter value is chosen, in words (`gitops-cmp config`, the README)
    stricter: Callable[[Any, Any], Any]  # (platform's or base's, repo's or head's) -> the stricter


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _both_accept(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """Environments: empty accepts any name, so the stricter is the one set, or their common names."""
    if not first or not second:
        return first or second
    common = tuple(env for env in first if env in second)
    if not common:
        raise InputError(f"invalid config: the platform accepts environments {', '.join(first)} and the"
                         f" repository {', '.join(second)}: no environment is accepted by both")
    return common


_MODE_ORDER = (EnvConditionalMode.WARN, EnvConditionalMode.STRIP, EnvConditionalMode.BLOCK)


def _both_allow(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """ESO store kinds and providers: what both allow (a setting never left empty)."""
    common = tuple(name for name in first if name in second)
    if not common:
        raise InputError(f"invalid config: the platform allows {', '.join(first)} and the repository"
                         f" {', '.join(second)}: nothing is allowed by both")
    return common


def _strictest_mode(first: EnvConditionalMode, second: EnvConditionalMode) -> EnvConditionalMode:
    # warn lets an env conditional decide what is deployed; strip takes that decision away from it
    # (identity keys are blanked, and what cannot be blanked still blocks); block refuses the chart.
    return max(first, second, key=_MODE_ORDER.index)


def _common(first: tuple[AllowEntry, ...], second: tuple[AllowEntry, ...]) -> tuple[AllowEntry, ...]:
    """Two allowlists' stricter: the entries in both (a new entry is a weakening)."""
    kept = {_entry_key(e) for e in first}
    return tuple(e for e in second if _entry_key(e) in kept)


def _entry_key(entry: AllowEntry) -> tuple[str, str, str | None]:
    return entry.path, entry.rule, entry.fingerprint


def _lower(first: float, second: float) -> float:
    return min(first, second)


def _lower_limits(first: Limits, second: Limits) -> Limits:
    return Limits(**{name: LIMITS[name].stricter(getattr(first, name), getattr(second, name))
                     for name in Limits._fields})


LOWER = Merge("the lower", _lower)
UNION = Merge("union (more words, keys or environments: more is checked)", _union)

# Every setting of RepoConfig, and every limit of Limits, with its rule. A test fails when one has none.
SETTINGS: dict[str, Merge] = {
    "environments": Merge("the names both accept (unset: any name)", _both_accept),
    "env_words": UNION,
    "env_identity_keys": UNION,
    "env_conditional_mode": Merge("block over strip over warn", _strictest_mode),
    "strict_environments": UNION,
    "allow": Merge("the platform's entries, and the repo's for rules in repoMayAllow", _common),
    "repo_urls": Merge("union (more URLs: fewer Applications skipped as another repo's)",
                       lambda first, second: first | second),
    "limits": Merge("each limit: the lower", _lower_limits),
    "eso_store_kinds": Merge("the kinds both allow", _both_allow),
    "eso_providers": Merge("the providers both allow", _both_allow),
}
LIMITS: dict[str, Merge] = {"max_file_bytes": LOWER, "max_chart_bytes": LOWER, "deadline_seconds": LOWER,
                            "max_output_bytes": LOWER, "max_memory_bytes": LOWER}


def effective(platform: RepoConfig | None, repo: RepoConfig) -> RepoConfig:
    """The policy a render applies. Without a platform config it is the repo's. With one, a setting
    the repo leaves unset is the platform's, and one it sets is the stricter of the two."""
    if platform is None:
        mine = {key: ("repo" if _field_of(key) in repo.explicit else "default") for key in _setting_keys()}
        return repo._replace(provenance=_provenance(mine))
    may_allow = platform.repo_may_allow or frozenset()
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for field in RepoConfig._fields:
        if field in NOT_SETTINGS:
            continue
        merge = SETTINGS[field]  # a KeyError here: a setting was added without its merge rule
        if field == "allow":
            values[field] = platform.allow + tuple(e for e in repo.allow if e.rule in may_allow)
            origin[KEYS[field]] = _allow_origin(bool(platform.allow), any(e.rule in may_allow for e in repo.allow))
        elif field == "limits":
            values[field] = _merge_limits(platform, repo, origin)
        else:
            values[field], origin[KEYS[field]] = _merge_one(
                merge, field, getattr(platform, field), getattr(repo, field), platform, repo)
    return RepoConfig(
        **values, source=f"{platform.source} + {repo.source}", repo_may_allow=may_allow,
        explicit=platform.explicit | repo.explicit, provenance=_provenance(origin),
        ignored_allow=tuple(e for e in repo.allow if e.rule not in may_allow), platform=platform.platform,
    )


def _merge_one(merge: Merge, field: str, mine: Any, theirs: Any, platform: RepoConfig,
               repo: RepoConfig) -> tuple[Any, str]:
    by = "platform" if field in platform.explicit else "default"
    if field not in repo.explicit:
        return mine, by
    value = merge.stricter(mine, theirs)
    from_platform, from_repo = same(value, mine), same(value, theirs)
    if from_repo and not from_platform:
        return value, "repo"
    if from_platform and not from_repo:
        return value, by
    return value, f"{by}+repo" if by == "platform" or not from_platform else "repo"


def _merge_limits(platform: RepoConfig, repo: RepoConfig, origin: dict[str, str]) -> Limits:
    values: dict[str, Any] = {}
    for name in Limits._fields:
        key = f"limits.{name}"
        values[name], origin[f"limits.{LIMIT_KEYS[name]}"] = _merge_one(
            LIMITS[name], key, getattr(platform.limits, name), getattr(repo.limits, name), platform, repo)
    return Limits(**values)


def _allow_origin(from_platform: bool, from_repo: bool) -> str:
    return "+".join(n for n, used in (("platform", from_platform), ("repo", from_repo)) if used) or "default"


def same(first: Any, second: Any) -> bool:
    """Equal as settings: the order of a list of names does not matter."""
    if isinstance(first, tuple) and not isinstance(first, (Limits, AllowEntry)):
        return set(first) == set(second)
    return bool(first == second)


def _setting_keys() -> list[str]:
    keys: list[str] = []
    for field in RepoConfig._fields:
        if field == "limits":
            keys.extend(f"limits.{LIMIT_KEYS[name]}" for name in Limits._fields)
        elif field not in NOT_SETTINGS:
            keys.append(KEYS[field])
    return keys


def _field_of(key: str) -> str:
    """The `explicit` name of a setting key: envWords -> env_words, limits.maxFileBytes -> limits.max_file_bytes."""
    fields = {k: f for f, k in KEYS.items()} | {f"limits.{k}": f"limits.{f}" for f, k in LIMIT_KEYS.items()}
    return fields[key]


def _provenance(origin: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((key, origin.get(key, "default")) for key in _setting_keys())


# ---- showing and comparing policies -------------------------------------------------------------


def as_dict(cfg: RepoConfig) -> dict[str, Any]:
    """The settings as `.gitops-cmp.yaml` spells them (JSON-ready)."""
    return {
        "environments": list(cfg.environments),
        "envWords": list(cfg.env_words),
        "envIdentityKeys": list(cfg.env_identity_keys),
        "envConditionalMode": cfg.env_conditional_mode.value,
        "strictEnvironments": list(cfg.strict_environments),
        "allow": [_entry_dict(e) for e in cfg.allow],
        "repoURLs": sorted(cfg.repo_urls),
        "limits": {LIMIT_KEYS[name]: getattr(cfg.limits, name) for name in Limits._fields},
        "esoStoreKinds": list(cfg.eso_store_kinds),
        "esoProviders": list(cfg.eso_providers),
    }


def _entry_dict(entry: AllowEntry) -> dict[str, Any]:
    data = {"path": entry.path, "rule": entry.rule, "reason": entry.reason}
    if entry.fingerprint is not None:
        data["fingerprint"] = entry.fingerprint
    data["from"] = f"platform ({entry.origin})" if entry.origin else "repo"
    return data


def digest(cfg: RepoConfig) -> str:
    """A short hash of the effective policy: two renders with the same digest applied the same policy.
    The last one is kept with its config: parity's renders share one config object (per job in a
    worker), and a RepoConfig is immutable all the way down (tuples, frozensets, NamedTuples)."""
    global _LAST_DIGEST
    last = _LAST_DIGEST
    if last is not None and last[0] is cfg:
        return last[1]
    value = _digest(cfg)
    _LAST_DIGEST = (cfg, value)
    return value


_LAST_DIGEST: tuple[RepoConfig, str] | None = None


def _digest(cfg: RepoConfig) -> str:
    data = {**as_dict(cfg), "repoMayAllow": None if cfg.repo_may_allow is None else sorted(cfg.repo_may_allow)}
    for entry in data["allow"]:
        del entry["from"]
    from cmp.pipeline.emit import digest as sha256  # CPython's own SHA-256: no OpenSSL on the render path

    return sha256(json.dumps(data, sort_keys=True, separators=(",", ":")))


class Change(NamedTuple):
    setting: str  # the YAML key (limits as limits.<key>)
    before: Any  # JSON-ready
    after: Any
    weakening: bool  # the new value is not at least as strict as the old one


def changes(before: RepoConfig, after: RepoConfig) -> list[Change]:
    """What a change to `.gitops-cmp.yaml` changes, setting by setting, and whether it weakens it."""
    found: list[Change] = []
    old, new = as_dict(before), as_dict(after)
    for field in RepoConfig._fields:
        if field in NOT_SETTINGS:
            continue
        if field == "limits":
            for name in Limits._fields:
                a, b = getattr(before.limits, name), getattr(after.limits, name)
                if a != b:
                    found.append(Change(f"limits.{LIMIT_KEYS[name]}", a, b, _weakens(LIMITS[name], a, b)))
            continue
        a, b = getattr(before, field), getattr(after, field)
        if field == "allow":
            a, b = tuple(map(_entry_key, a)), tuple(map(_entry_key, b))
        if not same(a, b):
            key = KEYS[field]
            weakening = bool(set(b) - set(a)) if field == "allow" else _weakens(SETTINGS[field], a, b)
            if field == "repo_urls" and not a:  # unset infers them from the app-of-apps: a list may skip more
                weakening = True
            found.append(Change(key, old[key], new[key], weakening))
    return found


def _weakens(merge: Merge, before: Any, after: Any) -> bool:
    try:
        return not same(merge.stricter(before, after), after)
    except InputError:  # nothing in common: the new value accepts what the old one refused
        return True

"""`gitops-cmp config`: the effective policy for a repository, and where each setting came from."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmp.commands.common import add_repo_flag, reader_may_close
from cmp.context import find_repo_root
from cmp.exitcodes import ExitCode

if TYPE_CHECKING:
    from cmp.config import RepoConfig

HELP = "show the effective policy (the repo's .gitops-cmp.yaml made stricter by the platform config)"
DESCRIPTION = """\
Print the policy every render of the repository applies: each setting, its value, where it came
from (default, repo, platform, or both merged) and the merge rule; the allow entries that count
and those that do not; nested configs (which have no effect); and the policy's digest, which
each render logs.

  gitops-cmp config
  GITOPS_CMP_PLATFORM_CONFIG=platform.yaml gitops-cmp config --repo . --format json
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help=HELP, description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_repo_flag(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = Path(args.repo).resolve() if args.repo else find_repo_root(Path.cwd())
    data = describe(root, args.platform)
    with reader_may_close():
        sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.format == "json" else to_text(data))
    return ExitCode.OK


def describe(root: Path, platform: RepoConfig | None) -> dict[str, Any]:
    from cmp import config
    from cmp.rules.nested_config import nested

    policy = config.load(root, platform)
    values = config.as_dict(policy)
    settings: dict[str, Any] = {}
    for key, origin in policy.provenance:
        field = key.removeprefix("limits.")
        value = values["limits"][field] if key.startswith("limits.") else values[key]
        merge = _merge_rule(key)
        settings[key] = {"value": value, "from": origin, "merge": merge}
    repo_file = root / config.CONFIG_NAME
    return {
        "repository": str(root),
        "repoConfig": str(repo_file) if repo_file.is_file() else None,
        "platformConfig": policy.platform or None,
        "repoMayAllow": None if policy.repo_may_allow is None else sorted(policy.repo_may_allow),
        "digest": config.digest(policy),
        "settings": settings,
        "ignoredAllow": [{"path": e.path, "rule": e.rule, "reason": e.reason} for e in policy.ignored_allow],
        "nestedConfigs": nested(root),
    }


def _merge_rule(key: str) -> str:
    from cmp import config

    if key.startswith("limits."):
        name = {k: f for f, k in config.LIMIT_KEYS.items()}[key.removeprefix("limits.")]
        return config.LIMITS[name].rule
    return config.SETTINGS[{k: f for f, k in config.KEYS.items()}[key]].rule


def to_text(data: dict[str, Any]) -> str:
    platform = data["platformConfig"]
    lines = [
        f"repository:      {data['repository']}",
        f"repo config:     {data['repoConfig'] or '(none: the defaults)'}",
        f"platform config: {platform or '(none: the repo config is the policy)'}",
    ]
    if platform:
        lines.append(f"repoMayAllow:    {', '.join(data['repoMayAllow']) or '(none: only the platform allows)'}")
    lines.append(f"policy digest:   {data['digest']}")
    lines.append("")
    width = max(len(k) for k in data["settings"])
    for key, setting in data["settings"].items():
        if key == "allow":
            continue
        lines.append(f"{key:<{width}}  {json.dumps(setting['value'])}  [{setting['from']}]")
    allow = data["settings"]["allow"]
    lines.append(f"allow  [{allow['from']}]" + ("" if allow["value"] else ": (none)"))
    lines.extend(f"  - {e['rule']} at {e['path']}: {e['reason']}  [{e['from']}]" for e in allow["value"])
    if data["ignoredAllow"]:
        lines.append("repo allow entries with no effect (their rule is not in the platform's repoMayAllow):")
        lines.extend(f"  - {e['rule']} at {e['path']}: {e['reason']}" for e in data["ignoredAllow"])
    if data["nestedConfigs"]:
        lines.append("nested configs with no effect (only the root's counts):")
        lines.extend(f"  - {path}" for path in data["nestedConfigs"])
    if platform:
        lines.append("")
        lines.append("a setting the repo sets is merged with the platform's, the stricter kept:")
        width = max(len(k) for k in data["settings"])
        lines.extend(f"  {k:<{width}}  {s['merge']}" for k, s in data["settings"].items())
    return "\n".join(lines) + "\n"

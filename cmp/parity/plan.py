"""Pair head's Applications with base's by name, into one job per app; pick this shard's share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cmp import application
from cmp.config import RepoConfig
from cmp.errors import CmpError, InputError
from cmp.parity.discover import Broken, Entry
from cmp.parity.worker import AppJob, Side

_SHARD = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Cluster:
    kube_version: str | None
    api_versions: tuple[str, ...]


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


@dataclass(frozen=True)
class Plan:
    jobs: tuple[AppJob, ...]
    skipped: tuple[application.Skipped, ...]


def parse_shard(value: str | None) -> Shard | None:
    if value is None:
        return None
    match = _SHARD.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise InputError(f"--shard {value!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def in_shard(names: list[str], shard: Shard | None) -> set[str]:
    """Round-robin over the sorted names: each name in exactly one shard, shards within one app
    of each other in size, the same split on every runner."""
    ordered = sorted(set(names))
    if shard is None:
        return set(ordered)
    return {name for i, name in enumerate(ordered) if i % shard.total == shard.index - 1}


def build(head: dict[str, Entry], head_root: Path, base: dict[str, Entry], base_root: Path | None,
          cluster: Cluster, shard: Shard | None, policy: RepoConfig | None = None) -> Plan:
    chosen = in_shard([*head, *base], shard)
    jobs: list[AppJob] = []
    skipped: list[application.Skipped] = []
    for name in sorted(chosen):
        now, before = head.get(name), base.get(name)
        if isinstance(now, application.Skipped):
            skipped.append(now)
            continue
        head_side = _side(now, head_root, cluster, policy)
        base_side = _side(before, base_root, cluster, policy) if base_root is not None else Side()
        if head_side.present or base_side.present:
            source = next(e.display for e in (now, before) if e is not None)
            jobs.append(AppJob(name, source, head_side, base_side))
    return Plan(tuple(jobs), tuple(skipped))


def _side(entry: Entry | None, root: Path | None, cluster: Cluster, policy: RepoConfig | None) -> Side:
    if entry is None or root is None or isinstance(entry, application.Skipped):
        return Side()
    if isinstance(entry, Broken):
        return Side(reason=entry.reason, code=entry.code)
    try:
        return Side(application.to_request(entry, root, cluster.kube_version, cluster.api_versions), policy=policy)
    except CmpError as exc:
        return Side(reason=str(exc), code=exc.exit_code)

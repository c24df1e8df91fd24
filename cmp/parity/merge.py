"""`parity --merge`: the JSON reports of a CI matrix's shards (`--shard I/N --format json`) as one
report, in any format: the one PR comment. Each app is in exactly one shard, so the merged report
is the one an unsharded run would give (timings aside); shards that disagree on the base or the
policy, repeat an app, or leave a shard out are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmp import config
from cmp.application import Skipped
from cmp.errors import InputError
from cmp.exitcodes import ExitCode
from cmp.findings import Finding, Severity
from cmp.parity.diff import Change
from cmp.parity.report import Report
from cmp.parity.worker import AppResult, Status


def merge(paths: list[Path]) -> Report:
    reports = [_load(p) for p in paths]
    first = reports[0]
    for path, data in zip(paths, reports):
        for key in ("base", "config"):
            if data.get(key) != first.get(key):
                raise InputError(f"--merge {path}: its {key} differs from {paths[0]}'s: not shards of one run")
    _check_shards(paths, [r.get("shard") for r in reports])
    apps: dict[str, AppResult] = {}
    skipped: list[Skipped] = []
    for path, data in zip(paths, reports):
        for entry in data["apps"]:
            app = _app(entry, path)
            if app.name in apps:
                raise InputError(f"--merge {path}: app {app.name!r} is in two reports")
            apps[app.name] = app
        skipped += [Skipped(s["name"], s["reason"], s["source"]) for s in data.get("skipped", [])]
    cfg = first.get("config") or {}
    return Report(
        apps=tuple(apps[name] for name in sorted(apps)),
        skipped=tuple(sorted(skipped, key=lambda s: s.name)),
        base=first.get("base"),
        shard=None,
        seconds=max(float(r.get("seconds", 0)) for r in reports),
        timings_ms={},
        judged_by=cfg.get("judged_with", ""),
        policy=cfg.get("policy", ""),
        config_changes=tuple(config.Change(c["setting"], c["before"], c["after"], bool(c["weakening"]))
                             for c in cfg.get("changes", [])),
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--merge {path}: cannot read it: {exc.strerror}") from None
    except ValueError:
        raise InputError(f"--merge {path}: not a JSON report (`parity --format json`)") from None
    if not isinstance(data, dict) or not isinstance(data.get("apps"), list):
        raise InputError(f"--merge {path}: not a JSON report (`parity --format json`)")
    return data


def _check_shards(paths: list[Path], shards: list[Any]) -> None:
    if len(paths) == 1 and shards[0] is None:
        return
    try:
        pairs = [tuple(int(x) for x in str(s).split("/")) for s in shards]
    except ValueError:
        pairs = []
    totals = {total for _, total in pairs}
    if len(pairs) != len(shards) or len(totals) != 1:
        raise InputError("--merge: every report must be one shard (--shard I/N) of the same N")
    (total,) = totals
    seen = sorted(index for index, _ in pairs)
    if seen != list(range(1, total + 1)):
        missing = sorted(set(range(1, total + 1)) - set(seen))
        what = f"shard(s) {', '.join(f'{m}/{total}' for m in missing)} missing" if missing else "a shard given twice"
        raise InputError(f"--merge: {what}; a merged report must cover every app")


def _app(entry: dict[str, Any], path: Path) -> AppResult:
    try:
        failure = entry.get("failure", "")
        codes = {"policy": ExitCode.POLICY, "input": ExitCode.INPUT, "render": ExitCode.RENDER,
                 "internal": ExitCode.INTERNAL}
        return AppResult(
            name=entry["name"],
            status=Status(entry["status"]),
            source=entry.get("source", ""),
            changes=tuple(Change(c["resource"], c["change"], tuple(c["patch"]), c.get("diff", ""))
                          for c in entry.get("changes", [])),
            reason=entry.get("reason", ""),
            failure=failure,
            code=codes.get(failure, ExitCode.OK),
            findings=tuple(Finding(f["path"], f["line"], f["column"], f["rule"], Severity(f["severity"]),
                                   f["message"], f.get("fingerprint")) for f in entry.get("findings", [])),
            base_reason=entry.get("base_reason", ""),
            base_failure=entry.get("base_failure", ""),
            timings_ms=entry.get("timings_ms", {}),
        )
    except (KeyError, TypeError, ValueError):
        raise InputError(f"--merge {path}: app entry {entry.get('name', '?')!r} is not as parity writes it") from None

"""The parity report, and its text and JSON forms (markdown lives in cmp.parity.markdown)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cmp import config
from cmp.application import Skipped
from cmp.exitcodes import ExitCode
from cmp.parity.diff import Change
from cmp.parity.worker import AppResult, Status

STATUS_ORDER = (Status.FAILED, Status.CHANGED, Status.REMOVED, Status.ADDED, Status.UNCHANGED)
CHANGE_MARKS = {"added": "+", "removed": "-", "modified": "~"}


@dataclass(frozen=True)
class Report:
    apps: tuple[AppResult, ...]
    skipped: tuple[Skipped, ...]
    base: str | None  # the base commit, None without --base
    shard: str | None
    seconds: float
    timings_ms: dict[str, float] = field(default_factory=dict)  # phases: base_tree, discover, render
    judged_by: str = ""  # the configs every app was judged with, in words
    policy: str = ""  # their effective policy's digest
    config_changes: tuple[config.Change, ...] = ()  # what the head changes in .gitops-cmp.yaml

    def config_lines(self) -> list[str]:
        """The head's config changes, weakenings called so: they take effect only once merged."""
        if not self.config_changes:
            return []
        weak = sum(c.weakening for c in self.config_changes)
        head = (f"config: this change edits {config.CONFIG_NAME} ({len(self.config_changes)} setting(s),"
                f" {weak} weakening(s)); every app was judged with {self.judged_by}: the new config"
                " takes effect once merged, so land a policy change in its own pull request first")
        return [head, *(f"  {change_text(c)}" for c in self.config_changes)]

    @property
    def exit_code(self) -> ExitCode:
        """The most serious failure: 4 internal, 3 render, 2 input, 1 policy; 0 when none failed."""
        return max((a.code for a in self.apps if a.status is Status.FAILED), default=ExitCode.OK)

    def counts(self) -> Counter[Status]:
        return Counter(a.status for a in self.apps)

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{len(self.apps)} apps"] + [f"{counts[s]} {s.value}" for s in STATUS_ORDER]
        parts.append(f"{len(self.skipped)} skipped")
        base = f"base {self.base[:12]}" if self.base else "no base (every app is added)"
        shard = f", shard {self.shard}" if self.shard else ""
        return f"{' · '.join(parts)} ({base}{shard})"


def change_text(change: config.Change) -> str:
    kind = "WEAKENING" if change.weakening else "stricter"
    return f"{kind}: {change.setting}: {short(change.before)} -> {short(change.after)}"


def short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} chars)"


def change_counts(changes: tuple[Change, ...]) -> str:
    kinds = Counter(c.change for c in changes)
    return ", ".join(f"{kinds[k]} {k}" for k in ("modified", "added", "removed") if kinds[k]) or "none"


def to_json(report: Report) -> str:
    data = {
        "apps": [_app_json(a) for a in report.apps],
        "skipped": [{"name": s.name, "source": s.display, "reason": s.reason} for s in report.skipped],
        "summary": {s.value: report.counts()[s] for s in STATUS_ORDER} | {"skipped": len(report.skipped)},
        "base": report.base,
        "shard": report.shard,
        "exit_code": int(report.exit_code),
        "seconds": round(report.seconds, 3),
        "timings_ms": report.timings_ms,
        "config": {
            "judged_with": report.judged_by,
            "policy": report.policy,
            "changes": [{"setting": c.setting, "before": c.before, "after": c.after, "weakening": c.weakening}
                        for c in report.config_changes],
        },
    }
    return json.dumps(data, indent=2) + "\n"


def _app_json(app: AppResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": app.name,
        "status": app.status.value,
        "source": app.source,
        "changes": [{"resource": c.resource, "change": c.change, "patch": list(c.patch), "diff": c.diff}
                    for c in app.changes],
        "timings_ms": app.timings_ms,
    }
    if app.status is Status.FAILED:
        data |= {"reason": app.reason, "failure": app.failure}
    if app.findings:
        data["findings"] = [f.as_dict() for f in app.findings]
    if app.base_reason:
        data |= {"base_reason": app.base_reason, "base_failure": app.base_failure}
    return data


# ---- one change in many apps ------------------------------------------------------------------


class SharedChanges:
    """A diff that several apps' resources show alike (a chart change reaching every env) is
    printed once, where it first appears; the later ones point there."""

    def __init__(self, apps: tuple[AppResult, ...]) -> None:
        self.apps: dict[str, list[str]] = {}  # diff body -> the apps that show it, in report order
        self.first: dict[str, str] = {}  # diff body -> "<app>: <resource>" where it is shown
        for app in apps:
            for change in _diffed(app):
                names = self.apps.setdefault(body(change), [])
                if app.name not in names:
                    names.append(app.name)

    def shown_at(self, app: AppResult, change: Change) -> str:
        """"" when this change's diff is to be shown here, else where it was shown."""
        key = body(change)
        if len(self.apps.get(key, ())) < 2:
            return ""
        if key not in self.first:
            self.first[key] = f"{app.name}: {change.resource}"
            return ""
        return self.first[key]

    def others(self, app: AppResult, change: Change) -> list[str]:
        return [name for name in self.apps.get(body(change), ()) if name != app.name]


def body(change: Change) -> str:
    """The diff without its two header lines (which name the resource, so differ per app)."""
    return "\n".join(change.diff.splitlines()[2:])


def _diffed(app: AppResult) -> list[Change]:
    if app.status in (Status.ADDED, Status.REMOVED):
        return []
    return [c for c in app.changes if c.diff]


def same_as(shown: str) -> str:
    return f"the same change as {shown}"


def also_in(others: list[str]) -> str:
    names = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    return f"the same change in {len(others)} other app(s): {names}"


# ---- text --------------------------------------------------------------------------------------


class Paint:
    """ANSI colours for a terminal; the identity when off (pipes, CI logs, NO_COLOR)."""

    CODES = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}
    STATUS = {Status.FAILED: "red", Status.CHANGED: "yellow", Status.ADDED: "green", Status.REMOVED: "red",
              Status.UNCHANGED: "dim"}

    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, colour: str) -> str:
        return f"\x1b[{self.CODES[colour]}m{text}\x1b[0m" if self.on and text else text

    def diff_line(self, line: str) -> str:
        if line.startswith(("+++", "---")):
            return self(line, "bold")
        if line.startswith("+"):
            return self(line, "green")
        if line.startswith("-"):
            return self(line, "red")
        if line.startswith("@@"):
            return self(line, "cyan")
        return line


def to_text(report: Report, colour: bool = False) -> str:
    paint = Paint(colour)
    shared = SharedChanges(report.apps)
    lines: list[str] = []
    width = max((len(a.name) for a in report.apps), default=0)
    for app in report.apps:
        status = paint(f"{app.status.value:<9}", Paint.STATUS[app.status])
        lines.append(f"{status} {app.name:<{width}}  {_text_note(app)}".rstrip())
        lines.extend(_text_details(app, shared, paint))
    for skip in report.skipped:
        label = paint(f"{'skipped':<9}", "dim")
        lines.append(f"{label} {skip.name:<{width}}  {skip.reason}")
    lines.extend(report.config_lines())
    lines.append(f"parity: {report.summary()}")
    return "\n".join(lines) + "\n"


def base_note(app: AppResult) -> str:
    if app.base_failure == "policy":
        return "base failed policy, so no diff is shown (it could print the values that failed)"
    return "base did not render, so every resource shows as added"


def _text_note(app: AppResult) -> str:
    if app.status is Status.FAILED:
        return f"{app.failure}: {app.reason.splitlines()[0] if app.reason else ''}"
    if app.status is Status.UNCHANGED:
        return ""
    return f"resources: {change_counts(app.changes)}"


def _text_details(app: AppResult, shared: SharedChanges, paint: Paint) -> list[str]:
    lines: list[str] = []
    if app.status is Status.FAILED:
        lines.extend(f"    {ln}" for ln in app.reason.splitlines()[1:])
        lines.extend(f"    {f.format()}" for f in app.findings)
    if app.base_reason:
        lines.append(f"    {base_note(app)}: {app.base_reason.splitlines()[0]}")
    whole_app = app.status in (Status.ADDED, Status.REMOVED)
    for change in app.changes:
        title = f"  {CHANGE_MARKS[change.change]} {change.resource}"
        if whole_app:
            lines.append(title)
            continue
        shown = shared.shown_at(app, change)
        if shown:
            lines.append(f"{title}: {same_as(shown)} (diff above)")
            continue
        others = shared.others(app, change)
        lines.append(f"{title}" + (f" ({also_in(others)})" if others else ""))
        lines.extend(f"    {paint.diff_line(ln)}" for ln in change.diff.splitlines())
    return lines

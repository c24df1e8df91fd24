"""The report as a pull-request comment: a summary table, then one collapsible section per app.

GitHub rejects a comment over 65,536 characters. The comment is built within a budget below
that: the table first (every app that is not unchanged), then sections by priority (failed,
changed, removed, added). A resource diff is included whole or replaced by a one-line summary,
never cut in the middle; what does not fit is named in a closing note.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from cmp.parity.diff import Change
from cmp.parity.report import (CHANGE_MARKS, STATUS_ORDER, Report, SharedChanges, also_in, base_note, change_counts,
                               same_as)
from cmp.parity.report import short as short_value
from cmp.parity.worker import AppResult, Status

GITHUB_COMMENT_LIMIT = 65_536
# Room for what the workflow adds around the report (a marker, a heading, a link to the run).
DEFAULT_BUDGET = GITHUB_COMMENT_LIMIT - 2_536
MAX_REASON_CHARS = 3_000
NOTE_RESERVE = 120  # a section's closing "… and N more resources" line
CLOSING_RESERVE = 700
ICONS = {Status.FAILED: "❌", Status.CHANGED: "✏️", Status.ADDED: "➕", Status.REMOVED: "➖",
         Status.UNCHANGED: "✅"}


@dataclass
class Budget:
    left: int

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def to_markdown(report: Report, budget: int = DEFAULT_BUDGET) -> str:
    room = Budget(budget - CLOSING_RESERVE)
    parts = [_heading(report) + _config(report)]
    room.take(parts[0])
    table, hidden_rows = _table(report, room)
    parts.append(table)
    omitted: list[str] = []
    shared = SharedChanges(report.apps)
    for app in _by_priority(report.apps):
        section = _section(app, room, shared)
        if section:
            parts.append(section)
        else:
            omitted.append(app.name)
    parts.append(_closing(report, omitted, hidden_rows))
    return "".join(parts)


def _heading(report: Report) -> str:
    return f"### gitops-cmp parity\n\n{report.summary()}\n\n"


def _config(report: Report) -> str:
    """The head's `.gitops-cmp.yaml` changes: a few settings, each cell bounded, always shown."""
    lines = report.config_lines()
    if not lines:
        return ""
    rows = "".join(f"| {'⚠️ weakening' if c.weakening else 'stricter'} | `{c.setting}` | {_cell(short_value(c.before))}"
                   f" | {_cell(short_value(c.after))} |\n" for c in report.config_changes)
    return f"{_cell(lines[0], 600)}\n\n| change | setting | base | head |\n|---|---|---|---|\n{rows}\n"


def _by_priority(apps: tuple[AppResult, ...]) -> list[AppResult]:
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    return sorted((a for a in apps if a.status is not Status.UNCHANGED), key=lambda a: (rank[a.status], a.name))


def _table(report: Report, room: Budget) -> tuple[str, int]:
    rows = [_row(a) for a in _by_priority(report.apps)]
    rows += [f"| {_name(s.name)} | skipped | | {_cell(s.reason)} |\n" for s in report.skipped]
    unchanged = report.counts()[Status.UNCHANGED]
    if unchanged:
        rows.append(f"| {unchanged} more | {ICONS[Status.UNCHANGED]} unchanged | | |\n")
    table = "| app | status | resources | note |\n|---|---|---|---|\n"
    limit = room.left // 2  # the table may take half; the diffs are the point
    shown = 0
    for row in rows:
        if len(table) + len(row) > limit:
            break
        table += row
        shown += 1
    hidden = len(rows) - shown
    if hidden:
        table += f"| … {hidden} more rows | | | see the job log (`--format text`) |\n"
    room.take(table + "\n")
    return table + "\n", hidden


def _row(app: AppResult) -> str:
    note = f"{app.failure}: {app.reason.splitlines()[0]}" if app.status is Status.FAILED and app.reason else ""
    if app.base_reason:
        note = (note + "; " if note else "") + base_note(app).split(",")[0]
    return f"| {_name(app.name)} | {ICONS[app.status]} {app.status.value} | {change_counts(app.changes)} | {_cell(note)} |\n"


def _name(name: str) -> str:
    """An app name as inline code; a broken app's name may be anything, so it cannot break out."""
    return f"<code>{html.escape(name).replace('|', '&#124;')}</code>"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(app: AppResult, room: Budget, shared: SharedChanges) -> str:
    opening = f"<details{' open' if app.status is Status.FAILED else ''}><summary><code>{html.escape(app.name)}</code>" \
              f" {ICONS[app.status]} {app.status.value} ({change_counts(app.changes)})</summary>\n\n"
    closing = "</details>\n\n"
    if not room.take(opening + closing + " " * NOTE_RESERVE):
        return ""
    body = [opening]
    for block in _failure_blocks(app):
        if room.take(block):
            body.append(block)
    body.extend(_change_blocks(app, room, shared))
    body.append(closing)
    return "".join(body)


def _failure_blocks(app: AppResult) -> list[str]:
    blocks: list[str] = []
    if app.status is Status.FAILED:
        detail = "\n".join([app.reason, *(f.format() for f in app.findings)])
        blocks.append(_fenced(_shorten(detail), "text"))
    if app.base_reason:
        blocks.append(f"The {base_note(app)}:\n\n" + _fenced(_shorten(app.base_reason), "text"))
    return blocks


def _change_blocks(app: AppResult, room: Budget, shared: SharedChanges) -> list[str]:
    whole_app = app.status in (Status.ADDED, Status.REMOVED)
    blocks: list[str] = []
    left_out = 0
    for change in app.changes:
        shown = "" if whole_app else shared.shown_at(app, change)
        others = [] if whole_app or shown else shared.others(app, change)
        if shown:
            if room.take(line := f"{_title(change)}: {html.escape(same_as(shown))}\n\n"):
                blocks.append(line)
            else:
                left_out += 1
            continue
        title = _title(change) + (f" ({html.escape(also_in(others))})" if others else "")
        full = f"{title}\n\n{_fenced(change.diff, 'diff')}"
        short = f"{_title(change)}\n\n" if whole_app else f"{_title(change)} (diff not shown: {_size(change)})\n\n"
        if not whole_app and room.take(full):
            blocks.append(full)
        elif room.take(short):
            blocks.append(short)
        else:
            left_out += 1
    room.left += NOTE_RESERVE
    if left_out:
        note = f"… and {left_out} more resources (see the job log or `--format json`)\n\n"
        room.take(note)
        blocks.append(note)
    return blocks


def _title(change: Change) -> str:
    return f"**{CHANGE_MARKS[change.change]} {change.change}** `{change.resource}`"


def _size(change: Change) -> str:
    plus, minus = change.counts
    return f"+{plus} −{minus} lines"


def _fenced(text: str, language: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n\n"


def _shorten(text: str) -> str:
    if len(text) <= MAX_REASON_CHARS:
        return text
    return text[:MAX_REASON_CHARS].rsplit("\n", 1)[0] + "\n… (truncated; the full message is in the job log)"


def _closing(report: Report, omitted: list[str], hidden_rows: int) -> str:
    lines = []
    if omitted:
        names = ""
        for count, name in enumerate(omitted):
            if len(names) + len(name) > 300:
                names += f" and {len(omitted) - count} more"
                break
            names += (", " if names else "") + _name(name)
        lines.append(f"**{len(omitted)} app section(s) left out** to stay under GitHub's comment limit: {names}.")
    if omitted or hidden_rows:
        lines.append("The full report is in the job log (`--format text`) and as JSON (`--format json`).")
    if report.exit_code:
        lines.append("**Parity failed**: fix the failed apps before merging.")
    return "\n\n".join(lines) + "\n"

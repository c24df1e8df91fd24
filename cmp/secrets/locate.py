"""The line of a JSON path in YAML text, found by reading the text the way a person would.

Findings on value files must name a line, and the YAML loader keeps no positions; a second parse
just for lines would double the cost of every render for the rare case of a finding. So this walks
the lines once per finding: each key of the path is looked for below its parent, more indented,
and list indexes count the parent's `- ` items. Flow-style YAML falls back to the nearest line found.
"""

from __future__ import annotations

import re

_DASH = re.compile(r"^(\s*)-(?:\s|$)")


def line_of(text: str, path: tuple[str | int, ...], first_line: int = 1) -> int:
    """1-based line of `path` in `text` (whose first line is `first_line` of its file); 0 if unknown."""
    lines = text.splitlines()
    row, indent, found = 0, -1, 0
    for part in path:
        where = _item(lines, row, indent, part) if isinstance(part, int) else _key(lines, row, indent, part)
        if where is None:
            break
        row, indent = where
        found = row + 1
        if not isinstance(part, int):
            row += 1
    return found + first_line - 1 if found else 0


def _key(lines: list[str], start: int, parent: int, key: str) -> tuple[int, int] | None:
    pattern = re.compile(r"^(\s*(?:-\s+)*)([\"']?)" + re.escape(key) + r"\2\s*:(?:\s|$)")
    for row in range(start, len(lines)):
        line = lines[row]
        match = pattern.match(line)
        if match and len(match.group(1)) > parent:
            return row, len(match.group(1))
        if _ends_block(line, parent) and row > start:
            return None
    return None


def _item(lines: list[str], start: int, parent: int, index: int) -> tuple[int, int] | None:
    seen, dash_indent = -1, None
    for row in range(start, len(lines)):
        line = lines[row]
        match = _DASH.match(line)
        if match and (dash_indent is None or len(match.group(1)) == dash_indent) and len(match.group(1)) >= parent:
            dash_indent = len(match.group(1))
            seen += 1
            if seen == index:
                # The item's own keys sit after the dash: `- name: x` is at indent dash + 2.
                return row, dash_indent
        elif _ends_block(line, parent if dash_indent is None else dash_indent - 1):
            return None
    return None


def _ends_block(line: str, parent: int) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return False
    return len(line) - len(line.lstrip()) <= parent

"""The files of a chart, read once, confined: what the rules scan and what Helm renders.

Walked as Helm's directory loader walks a chart (names in order, symlinks followed, `.helmignore`
and its default `templates/.?*` applied, irregular files refused), except that every symlink hop
must stay inside the repository and nothing under `.git/` is read (cmp.confine). Helm is then
handed these bytes as an in-memory archive (`archive`), with the chart's values.yaml replaced by
the values the rules parsed, so Helm cannot re-read anything from disk.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from cmp import confine
from cmp.chartmodel import is_archive
from cmp.errors import InputError

HELMIGNORE = ".helmignore"
BOM = b"\xef\xbb\xbf"


class ChartFile(NamedTuple):
    rel: str  # the path inside the chart, `/`-separated, as Helm names it
    path: Path  # where it was read (symlinks resolved), for messages
    data: bytes


def collect(chart_dir: Path, root: Path, max_bytes: int, check_name: Callable[[str, Path], None]) -> list[ChartFile]:
    """Every file Helm would load from `chart_dir` (resolved, inside `root`), at most `max_bytes` in all."""
    rules = _Ignore.read(chart_dir, root)
    found: list[ChartFile] = []
    budget = [max_bytes]
    _walk(chart_dir, "", root, rules, check_name, found, budget, {_inode(chart_dir)}, chart_dir)
    return found


def _walk(directory: Path, prefix: str, root: Path, rules: _Ignore, check_name: Callable[[str, Path], None],
          found: list[ChartFile], budget: list[int], ancestors: set[tuple[int, int]], chart_dir: Path) -> None:
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=_name)
    for entry in entries:
        name = entry.name
        here = directory / name
        check_name(name, here)
        if name.lower() == ".git":
            continue  # nothing under .git/ is read, even when Helm would
        rel = prefix + name
        link = entry.is_symlink()
        real = confine.resolve(here, root, "chart file") if link else here
        try:
            info = os.stat(real) if link else entry.stat()  # the entry's: the same stat, once
        except OSError:
            raise InputError(f"{confine.display(here, root)}: chart file is a dangling symlink") from None
        if stat.S_ISDIR(info.st_mode):
            if rules.ignored(rel, is_dir=True):
                continue
            inode = (info.st_dev, info.st_ino)
            if inode in ancestors:
                raise InputError(f"{confine.display(here, root)}: chart directory is a symlink loop")
            _walk(real, rel + "/", root, rules, check_name, found, budget, ancestors | {inode}, chart_dir)
            continue
        if rules.ignored(rel, is_dir=False):
            continue
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{confine.display(here, root)}: not a regular file (Helm refuses devices, fifos"
                             " and sockets in a chart)")
        budget[0] -= info.st_size
        if budget[0] < 0:
            raise InputError(f"{confine.display(chart_dir, root)}: chart is over the byte limit"
                             " (limits.maxChartBytes)")
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise InputError(f"{confine.display(here, root)}: cannot read: {exc.strerror}") from None
        found.append(ChartFile(rel, real, data))


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _inode(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino)


class _Rule(NamedTuple):
    pattern: re.Pattern[str]
    negate: bool
    must_dir: bool
    base_only: bool  # a pattern without `/`: matched against the last path component


class _Ignore:
    """Helm's pkg/ignore: gitignore-like lines, `filepath.Match` globs, `!` negation, `dir/` for
    directories, no `**`."""

    def __init__(self, rules: list[_Rule]) -> None:
        self.rules = rules

    @classmethod
    def read(cls, chart_dir: Path, root: Path) -> _Ignore:
        lines: list[str] = []
        path = chart_dir / HELMIGNORE
        if os.path.lexists(path):
            real = confine.resolve(path, root, HELMIGNORE)
            if real.is_file():
                lines = real.read_text(encoding="utf-8", errors="replace").splitlines()
        shown = confine.display(path, root)
        rules = [rule for line in lines if (rule := _parse(line, shown)) is not None]
        default = _Rule(_glob("templates/.?*", HELMIGNORE), False, False, False)  # Helm's AddDefaults
        return cls([*rules, default])

    def ignored(self, rel: str, is_dir: bool) -> bool:
        for rule in self.rules:
            if rule.negate:
                # Helm's own logic: a negated rule ignores everything it does not match
                if rule.must_dir and not is_dir:
                    return True
                if not _matches(rule, rel):
                    return True
                continue
            if rule.must_dir and not is_dir:
                continue
            if _matches(rule, rel):
                return True
        return False


def _matches(rule: _Rule, rel: str) -> bool:
    return bool(rule.pattern.fullmatch(rel.rsplit("/", 1)[-1] if rule.base_only else rel))


def _parse(line: str, shown: str) -> _Rule | None:
    rule = line.strip()
    if not rule or rule.startswith("#"):
        return None
    if "**" in rule:
        raise InputError(f"{shown}: double-star (**) syntax is not supported (Helm refuses it too)")
    negate = rule.startswith("!")
    rule = rule[1:] if negate else rule
    must_dir = rule.endswith("/")
    rule = rule.rstrip("/") if must_dir else rule
    anchored = rule.startswith("/")
    rule = rule.lstrip("/") if anchored else rule
    return _Rule(_glob(rule, shown), negate, must_dir, not anchored and "/" not in rule)


def _glob(pattern: str, shown: str) -> re.Pattern[str]:
    """Go's filepath.Match as a regular expression: `*` and `?` never match `/`."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                raise InputError(f"{shown}: syntax error in pattern {pattern!r}")
            body = pattern[i + 1:end]
            negated = body.startswith("^")
            body = body[1:] if negated else body
            out.append("[" + ("^" if negated else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def archive(files: list[ChartFile], values: dict[str, Any] | None, max_bytes: int = 0) -> bytes:
    """A chart archive of `files` for Helm's in-memory loader; values.yaml replaced by `values` as
    JSON (which Go's YAML reads as exactly that), and BOMs stripped as Helm's directory loader does;
    a packaged subchart rewritten from the scan's reading of it (archives.canonical; `max_bytes`:
    the most it may unpack to, limits.maxChartBytes)."""
    entries: list[tuple[str, bytes]] = []
    for chart_file in files:
        data = chart_file.data
        if chart_file.rel == "values.yaml" and values is not None:
            data = json.dumps(values, ensure_ascii=False, allow_nan=False).encode()
        elif chart_file.rel.endswith(".tgz") and is_archive(PurePosixPath(chart_file.rel)):
            from cmp.pipeline import archives

            data = archives.canonical(data, str(chart_file.path), max_bytes)
        entries.append((f"chart/{chart_file.rel}", data.removeprefix(BOM)))
    return pack(entries)


def pack(entries: list[tuple[str, bytes]]) -> bytes:
    """A gzipped tar of (name, bytes) entries, as Go's and Python's tar read alike.
    Written by hand (ustar, a PAX record for a long name, gzip of stored deflate blocks: nothing to
    compress in memory): tarfile, gzip and zlib cost 5-7 ms of start-up (cmp/__init__.py)."""
    parts: list[bytes] = []
    for text, data in entries:
        name = text.encode("utf-8", "surrogateescape")
        if len(name) > 100:
            record = _pax_record(b"path", name)
            parts += (_header(b"././@PaxHeader", len(record), b"x"), _padded(record))
            name = name[:100]
        parts += (_header(name, len(data), b"0"), _padded(data))
    parts.append(b"\0" * 1024)  # two zero blocks end a tar archive
    return _gzip_stored(b"".join(parts))


def _gzip_stored(data: bytes) -> bytes:
    """RFC 1952 around RFC 1951 stored blocks (at most 65535 bytes each)."""
    import binascii
    import struct

    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"]
    block = 65535
    for start in range(0, max(len(data), 1), block):
        chunk = data[start:start + block]
        final = 1 if start + block >= len(data) else 0
        out.append(struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    out.append(struct.pack("<II", binascii.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))
    return b"".join(out)


def _header(name: bytes, size: int, kind: bytes) -> bytes:
    header = bytearray(512)
    header[0:len(name)] = name
    header[100:108] = b"0000644\0"
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = b"%011o\0" % size
    header[136:148] = b"00000000000\0"
    header[148:156] = b" " * 8
    header[156:157] = kind
    header[257:265] = b"ustar\x0000"
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


def _pax_record(key: bytes, value: bytes) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length).encode()) + len(body) != length:
        length += 1
    return str(length).encode() + body

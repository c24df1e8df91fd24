"""Files of subcharts vendored as `charts/<name>-<version>.tgz`, read in memory, bounded.

`helm dependency build` packages each dependency; Helm renders what is inside, so the scanners must
read it too: the render its templates, `check`'s secret scan its YAML files. A file inside an
archive is named `<archive path>:<member path>`, the member path as `tar tzf` lists it
(`chart/charts/common-1.0.0.tgz:common/templates/_helpers.tpl`); an archive inside an archive
chains the same way. Imported only when a chart holds such an archive: tarfile
and gzip are start-up cost (cmp/__init__.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from cmp import yamlio
from cmp.config import CHART_LIMIT, FILE_LIMIT, Limits
from cmp.errors import InputError
from cmp.chartmodel import UNSAFE_NAME, SourceFile, is_archive, is_template

if TYPE_CHECKING:
    import tarfile

MAX_DEPTH = 4  # an archive in an archive in ...: Helm has no bound, a hostile chart would need one
GZIP_MAGIC = b"\x1f\x8b"
_RENAMING = frozenset({"path", "linkpath", "size"})  # PAX records that change what a member is


class Member(NamedTuple):
    where: str  # `<archive path>:<member path>`, chained for an archive inside an archive
    text: str


Wanted = Callable[[PurePosixPath], bool]  # which members to read, by their path inside their chart


class _Unpacked(io.RawIOBase):
    """The decompressed stream, refusing to yield more than `budget` bytes: the bound holds for tar
    headers and padding too, which member sizes do not count (a gzip bomb of empty members)."""

    def __init__(self, stream: io.BufferedIOBase, budget: int, overflow: str) -> None:
        super().__init__()
        self.stream = stream
        self.left = budget
        self.overflow = overflow

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(self.left + 1 if size < 0 else min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise InputError(self.overflow)
        return data


def templates(path: Path, shown: str, limits: Limits, budget: int,
              data: bytes | None = None) -> tuple[list[SourceFile], int]:
    """The templates in the chart archive at `path` (its bytes: `data`, when already read) and in
    its subcharts, and the bytes it unpacked to."""
    if data is None:
        found, unpacked = _open(path, shown, limits, budget, is_template)
    else:
        overflow = f"{shown}: chart is over the {limits.max_chart_bytes}-byte limit once unpacked"
        found, left = _read(data, shown, is_template, limits, budget, overflow, depth=1)
        unpacked = budget - left
    return [SourceFile(path, member.where, member.text) for member in found], unpacked


def members(data: bytes, shown: str, limits: Limits, wanted: Wanted) -> list[Member]:
    """The `wanted` members of the chart archive `data` (already read), within maxChartBytes."""
    overflow = f"{shown}: chart is over the {limits.max_chart_bytes}-byte limit once unpacked ({CHART_LIMIT})"
    return _read(data, shown, wanted, limits, limits.max_chart_bytes, overflow, depth=1)[0]


def yaml_files(path: Path, shown: str, limits: Limits, suffixes: tuple[str, ...]) -> list[Member]:
    """Every file with one of `suffixes` (the repository scan's) in the chart archive at `path` and
    in its subcharts (values.yaml, values/*.yaml, Chart.yaml, templates)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror}") from None
    if size > limits.max_chart_bytes:
        raise InputError(f"{shown}: chart is over the {limits.max_chart_bytes}-byte limit ({CHART_LIMIT})")
    found, _ = _open(path, shown, limits, limits.max_chart_bytes - size,
                     lambda rel: rel.name.endswith(suffixes))
    return found


def _open(path: Path, shown: str, limits: Limits, budget: int, wanted: Wanted) -> tuple[list[Member], int]:
    try:
        data = path.read_bytes()  # the caller counted its size against maxChartBytes
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror}") from None
    overflow = f"{shown}: chart is over the {limits.max_chart_bytes}-byte limit once unpacked ({CHART_LIMIT})"
    found, left = _read(data, shown, wanted, limits, budget, overflow, depth=1)
    return found, budget - left


def _read(data: bytes, shown: str, wanted: Wanted, limits: Limits, budget: int, overflow: str,
          depth: int) -> tuple[list[Member], int]:
    """(wanted members, bytes of the budget left) of one archive held in memory."""
    found: list[Member] = []
    unpacked = _unpacked(data, shown, budget, overflow)
    for archive, member in _members(unpacked, shown):
        found.extend(_member(archive, member, shown, wanted, limits, unpacked, depth))
    return sorted(found, key=lambda f: f.where), unpacked.left


def _unpacked(data: bytes, shown: str, budget: int, overflow: str) -> _Unpacked:
    import gzip

    if not data.startswith(GZIP_MAGIC):
        raise InputError(f"{shown}: not a packaged chart (a gzip-compressed tar archive)")
    return _Unpacked(gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb"), budget, overflow)


def _members(unpacked: _Unpacked, shown: str) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """Each member of one archive as Python's tar reads it, from its bounded stream."""
    import tarfile
    import zlib

    corrupt = (tarfile.TarError, EOFError, zlib.error, OSError)
    try:
        # "r|": one pass over the stream, each member read as it comes, nothing written to disk
        archive = tarfile.open(fileobj=unpacked, mode="r|")
    except tarfile.ReadError as exc:
        if not str(exc).startswith("zlib error"):  # tarfile's wording for a decompression failure
            raise InputError(f"{shown}: not a packaged chart (no tar archive inside the gzip: {exc})") from None
        raise InputError(f"{shown}: corrupt archive: {exc}") from None
    except corrupt as exc:
        raise InputError(f"{shown}: corrupt archive: {exc or type(exc).__name__}") from None
    try:
        with archive:
            for member in archive:
                if _RENAMING.intersection(archive.pax_headers):
                    # Python applies a PAX global header's path to every later member, Go's tar (Helm)
                    # ignores it: the scan would read other names than Helm renders.
                    raise InputError(f"{shown}: a PAX global header renames members; Helm would read"
                                     " other names than the scan: repackage the chart with `helm package`")
                yield archive, member
    except corrupt as exc:
        raise InputError(f"{shown}: corrupt archive: {exc or type(exc).__name__}") from None


def canonical(data: bytes, shown: str, budget: int, depth: int = 1) -> bytes:
    """The archive rewritten from Python's reading of it, for Helm: every regular member under the
    name the scan read it by, its packaged subcharts rewritten the same way. Go's tar reads tar
    headers otherwise than Python's in places (a GNU long name beside a PAX path, a ustar prefix
    in a pre-POSIX header, PAX GNU.sparse.name, a header whose checksum only Go accepts, which
    ends Python's reading), so Helm never reads the packager's headers: it reads ours, which
    both read alike."""
    from cmp.pipeline import chartfiles

    overflow = f"{shown}: chart is over the {budget}-byte limit once unpacked ({CHART_LIMIT})"
    entries: list[tuple[str, bytes]] = []
    for archive, member in _members(_unpacked(data, shown, budget, overflow), shown):
        where = f"{shown}:{member.name}"
        rel = chart_path(member.name, where)
        if member.isdir():
            continue
        if not member.isreg():
            raise InputError(f"{where}: is a {_kind(member)}; a packaged chart holds only files and directories")
        content = _data(archive, member)
        if is_archive(rel):
            if depth >= MAX_DEPTH:
                raise InputError(f"{where}: subchart archives nested more than {MAX_DEPTH} deep")
            content = canonical(content, where, budget, depth + 1)
        entries.append((member.name, content))
    return chartfiles.pack(entries)


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo, shown: str, wanted: Wanted, limits: Limits,
            unpacked: _Unpacked, depth: int) -> list[Member]:
    where = f"{shown}:{member.name}"
    rel = chart_path(member.name, where)
    if member.isdir():
        return []
    if not member.isreg():
        raise InputError(f"{where}: is a {_kind(member)}; a packaged chart holds only files and directories")
    if member.size > unpacked.left:
        raise InputError(unpacked.overflow)
    if wanted(rel):
        if member.size > limits.max_file_bytes:
            raise InputError(f"{where}: {member.size} bytes is over the {limits.max_file_bytes}-byte limit"
                             f" ({FILE_LIMIT})")
        return [Member(where, yamlio.decode(_data(archive, member), where))]
    if is_archive(rel):
        if depth >= MAX_DEPTH:
            raise InputError(f"{where}: subchart archives nested more than {MAX_DEPTH} deep")
        inner = _data(archive, member)
        found, unpacked.left = _read(inner, where, wanted, limits, unpacked.left, unpacked.overflow, depth + 1)
        return found
    return []


def chart_path(name: str, where: str) -> PurePosixPath:
    """A member's path inside its chart: Helm strips the first component (`<chartname>/`)."""
    parts = name.split("\\" if "\\" in name else "/")  # Helm reads Windows-made archives this way too
    if name.startswith(("/", "\\")) or parts[0].endswith(":"):
        raise InputError(f"{where}: archive member has an absolute path")
    if ".." in parts:
        raise InputError(f"{where}: archive member path leads outside the chart (`..`)")
    if UNSAFE_NAME.search(name):
        raise InputError(f"{where.encode('unicode_escape').decode('ascii')}: a control character or line break"
                         " in an archive member name")
    return PurePosixPath(*[p for p in parts[1:] if p not in ("", ".")])


def _data(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = archive.extractfile(member)
    assert stream is not None  # a regular file
    return stream.read()


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"symlink (to {member.linkname})"
    if member.islnk():
        return f"hard link (to {member.linkname})"
    return "device or fifo" if member.isdev() else "special file"

"""The base ref's files, read from git objects into a temporary directory.

`git ls-tree` + `git cat-file --batch`: read-only, so the working tree, the index and HEAD are
never touched (no checkout, no worktree, no stash), and unlike `git archive` no export-ignore
attribute can hide a file. Symlinks are recreated as they are in the tree; the render pipeline's
confinement then treats them exactly as it treats the working tree's.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, NamedTuple

from cmp.config import Limits
from cmp.errors import InputError

GIT_TIMEOUT_SECONDS = 120
SYMLINK = "120000"
_EXECUTABLE = "100755"


@dataclass(frozen=True)
class Blob:
    mode: str
    oid: str
    path: PurePosixPath
    size: int = 0


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise InputError("--base needs git, which is not installed (not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took over {GIT_TIMEOUT_SECONDS} s") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip()
        raise InputError(f"git {' '.join(args[:2])} failed in {repo}", detail)
    return proc.stdout


def resolve(repo: Path, ref: str) -> str:
    """The commit `ref` names, as a full sha; InputError when `repo` is not in git or `ref` is unknown."""
    if ref.startswith("-"):
        raise InputError(f"--base {ref!r}: not a git ref")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except InputError as exc:
        raise InputError(f"--base {ref!r}: not a commit in the git repository at {repo}", exc.detail) from None


class Extracted(NamedTuple):
    blobs: list[Blob]  # every blob of the directory at the commit
    left_out: list[Blob]  # those not written


def extract(repo: Path, commit: str, dest: Path, max_blob_bytes: int = Limits().max_chart_bytes) -> bool:
    """Write `repo`'s directory as it is at `commit` into `dest`; False when it did not exist there.
    Every blob's size is known before any is read: one over `max_blob_bytes` refuses the base, and
    blobs stream to disk one at a time, so a hostile ref cannot fill the memory."""
    return extract_except(repo, commit, dest, lambda blobs: [], max_blob_bytes) is not None


def extract_except(repo: Path, commit: str, dest: Path, leave_out: Callable[[list[Blob]], list[Blob]],
                   max_blob_bytes: int = Limits().max_chart_bytes) -> Extracted | None:
    """`extract`, but the blobs `leave_out` picks from the list are not written: they are returned
    (for `write_blobs` later, if they turn out to be needed); None when the directory did not exist."""
    prefix = git(repo, "rev-parse", "--show-prefix").decode().strip().rstrip("/")
    treeish = f"{commit}:{prefix}"
    if subprocess.run(["git", "-C", str(repo), "cat-file", "-e", treeish], capture_output=True,
                      timeout=GIT_TIMEOUT_SECONDS, check=False).returncode != 0:
        return None
    blobs = list_blobs(repo, treeish)
    for blob in blobs:
        if blob.size > max_blob_bytes:
            raise InputError(f"--base {commit[:12]}: {blob.path} is {blob.size} bytes, over the"
                             f" {max_blob_bytes}-byte limit (limits.maxChartBytes); refusing to read it")
    left = leave_out(blobs)
    skipped = {id(b) for b in left}
    write_blobs(repo, [b for b in blobs if id(b) not in skipped], dest)
    return Extracted(blobs, left)


def write_blobs(repo: Path, blobs: list[Blob], dest: Path) -> None:
    for directory in sorted({dest.joinpath(*b.path.parts[:-1]) for b in blobs}):
        directory.mkdir(parents=True, exist_ok=True)
    for blob, data in zip(blobs, read_blobs(repo, [b.oid for b in blobs]), strict=True):
        write(dest, blob, data)


def list_blobs(repo: Path, treeish: str) -> list[Blob]:
    # --full-tree: run from a subdirectory, ls-tree would otherwise keep only paths under it.
    blobs: list[Blob] = []
    for record in git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", treeish).split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()
        if kind != "blob":  # submodules (commit) have no content here
            continue
        path = PurePosixPath(os.fsdecode(name))
        if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
            raise InputError(f"git tree {treeish} holds an unsafe path {path}")
        blobs.append(Blob(mode, oid, path, int(size) if size.isdigit() else 0))
    return blobs


def read_blobs(repo: Path, oids: list[str]) -> Iterator[bytes]:
    """Each blob's content in turn, read from one `git cat-file --batch` as it streams."""
    if not oids:
        return
    with subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        feeder = threading.Thread(target=_feed, args=(proc.stdin, oids), daemon=True)
        feeder.start()
        for _ in oids:
            header = proc.stdout.readline().split()
            if len(header) != 3:
                raise InputError(f"git cat-file: unexpected answer {b' '.join(header)[:80]!r}")
            data = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the content is followed by one newline
            yield data
        feeder.join()


def _feed(stdin: IO[bytes], oids: list[str]) -> None:
    try:
        for oid in oids:
            stdin.write(f"{oid}\n".encode())
        stdin.close()
    except OSError:  # git stopped reading: the reader reports it
        pass


def write(dest: Path, blob: Blob, data: bytes) -> None:
    target = dest.joinpath(*blob.path.parts)
    if blob.mode == SYMLINK:
        os.symlink(os.fsdecode(data), target)
        return
    target.write_bytes(data)
    if blob.mode == _EXECUTABLE:
        target.chmod(0o755)

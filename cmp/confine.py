"""The one repository confinement: every path gitops-cmp reads from a checkout is resolved here.

A path is followed one component at a time and every symlink hop is checked, not only where the
chain ends: each link's target must stay inside the repository root and outside `.git/` (where CI
checkouts keep the job's token), so a link to a folder that holds a second link to `/etc`,
`/proc/self/environ` or another checkout is refused even when a later hop would come back. The
result has no symlink left in it: reading it reads exactly what was checked.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from cmp.errors import InputError

MAX_HOPS = 40  # Linux's own bound on the links followed in one path (ELOOP)


def resolve(path: Path, root: Path, what: str) -> Path:
    """`path` with every symlink followed, each hop inside `root` (resolved) and outside `.git/`."""
    absolute = path.absolute()
    rest = _below_root(absolute, root)

    def shown() -> str:  # for the error messages only: most calls never need it
        return display(absolute, root)

    if rest is None:
        raise InputError(f"{shown()}: {what} path leads outside the repository ({root.name}/)")
    current, hops, missing = root, 0, False
    stack = list(reversed(rest))
    while stack:
        part = stack.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if current == root:
                raise InputError(f"{shown()}: {what} path leads outside the repository ({root.name}/)")
            current = current.parent
            continue
        if part.lower() == ".git":
            raise InputError(f"{shown()}: {what} path leads into .git/, which gitops-cmp never reads")
        candidate = current / part
        if missing:
            current = candidate
            continue
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            missing, current = True, candidate  # the caller reports what is absent
            continue
        except OSError as exc:
            raise InputError(f"{shown()}: {what}: cannot read: {exc.strerror}") from None
        if not stat.S_ISLNK(mode):
            current = candidate
            continue
        hops += 1
        if hops > MAX_HOPS:
            raise InputError(f"{shown()}: {what} is a symlink loop (more than {MAX_HOPS} links)")
        target = os.readlink(candidate)
        if os.path.isabs(target):
            inner = _below_root(Path(target), root, lexical_only=True)
            if inner is None:
                raise InputError(f"{shown()}: {what} is a symlink that resolves outside the repository")
            current = root
            stack.extend(reversed(inner))
        else:
            stack.extend(reversed(PurePosixPath(target).parts))
    return current


def inside(path: Path, root: Path) -> Path | None:
    """`resolve`, or None where it would refuse."""
    try:
        return resolve(path, root, "path")
    except InputError:
        return None


def display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.fspath(path)


def _below_root(path: Path, root: Path, lexical_only: bool = False) -> tuple[str, ...] | None:
    """The components of absolute `path` after `root`: lexically, or (the repo reached through a
    link, /tmp -> /private/tmp) after the longest leading part that resolves to `root`."""
    parts = path.parts
    if parts[: len(root.parts)] == root.parts:
        return parts[len(root.parts):]
    if lexical_only:
        return None
    for end in range(len(parts), 0, -1):
        if Path(*parts[:end]).resolve() == root:
            return parts[end:]
    return None

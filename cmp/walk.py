"""The one directory walk of the code base: os.walk top-down, directory and file names sorted (so
every report lists paths in the same order everywhere), symlinked directories never entered (a
link may lead anywhere; whether a linked file may be read is cmp.confine's call), and directory
names the caller skips pruned. The caller may prune `dirnames` further in place, as with os.walk.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path


def _nothing(name: str) -> bool:
    return False


def walk(top: Path, skip: Callable[[str], bool] = _nothing) -> Iterator[tuple[Path, list[str], list[str]]]:
    """(directory, its subdirectory names, its file names) for `top` and every directory below it."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not skip(d))
        yield Path(dirpath), dirnames, sorted(filenames)


def is_git(name: str) -> bool:
    return name == ".git"

"""The YAML files of a repository for `gitops-cmp check`: each read bounded, split into documents.

A file that is not YAML data (a Helm template) comes back unparsed, for a line-based scan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from cmp import yamlio
from cmp.errors import InputError

SUFFIXES = (".yaml", ".yml")
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})
_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$")


class Document(NamedTuple):
    data: Any
    text: str  # the document's own lines
    first_line: int  # 1-based line of `text` in its file


class RepoFile(NamedTuple):
    path: str  # repo-relative, as findings name it
    text: str
    documents: tuple[Document, ...]  # empty when the file is not YAML data
    parsed: bool
    too_large: bool = False


def repo_files(root: Path, max_bytes: int) -> Iterator[RepoFile]:
    for path in yaml_paths(root):
        shown = path.relative_to(root).as_posix()
        if path.stat().st_size > max_bytes:
            yield RepoFile(shown, "", (), parsed=False, too_large=True)
            continue
        try:
            text = yamlio.read_text(path, shown, max_bytes)
        except InputError:
            continue  # not UTF-8: not a file a person writes YAML in
        yield read(shown, text)


def yaml_paths(root: Path) -> Iterator[Path]:
    """Every .yaml/.yml file under root, sorted, not following symlinks out of it."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.endswith(SUFFIXES) and not path.is_symlink() and path.is_file():
                yield path


def read(shown: str, text: str) -> RepoFile:
    try:
        docs = yamlio.load_all(text, shown)
    except InputError:
        return RepoFile(shown, text, (), parsed=False)
    chunks = split(text)
    if len(chunks) != len(docs):
        chunks = [(text, 1)] * len(docs)  # unusual separators: every document searched from the top
    return RepoFile(shown, text, tuple(Document(d, t, n) for d, (t, n) in zip(docs, chunks)), parsed=True)


def split(text: str) -> list[tuple[str, int]]:
    """(text, first line) per document, as libyaml counts them: every `---` opens one, and what comes
    before the first `---` is one only if it holds more than comments."""
    lines = text.splitlines()
    starts = [row + 1 for row, line in enumerate(lines) if _SEPARATOR.match(line)]
    head = lines[: starts[0] - 1] if starts else lines
    if any(line.strip() and not line.lstrip().startswith("#") for line in head):
        starts.insert(0, 0)
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return [("\n".join(lines[s:e]), s + 1) for s, e in zip(starts, ends)]

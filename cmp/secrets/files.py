"""The YAML files of a repository for `gitops-cmp check`: each read bounded, split into documents.

A file that is not YAML data (a Helm template) comes back unparsed, for a line-based scan. The YAML
files inside subcharts packaged as `charts/<name>-<version>.tgz` are files of the repository too:
`archive_files` reads them in memory (cmp/pipeline/archives.py), named `<archive>:<member>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp import yamlio
from cmp.errors import InputError
from cmp.walk import walk

if TYPE_CHECKING:
    from cmp.config import Limits

SUFFIXES = (".yaml", ".yml")
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})


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
    unreadable: str = ""  # why a packaged subchart could not be read (refused or corrupt)


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


def archive_files(root: Path, limits: Limits) -> Iterator[RepoFile]:
    """The YAML files inside every `charts/*.tgz` under root (and inside archives in those), each
    archive bounded as a chart is; one that cannot be read comes back as a RepoFile saying why."""
    for path in _paths(root, lambda name, parent: name.endswith(".tgz") and parent == "charts"):
        from cmp.pipeline import archives  # tarfile and gzip: only for a repo that vendors a package

        shown = path.relative_to(root).as_posix()
        try:
            members = archives.yaml_files(path, shown, limits, SUFFIXES)
        except InputError as exc:
            yield RepoFile(shown, "", (), parsed=False, unreadable=exc.message)
            continue
        for member in members:
            yield read(member.where, member.text)


def yaml_paths(root: Path) -> Iterator[Path]:
    """Every .yaml/.yml file under root, sorted, not following symlinks out of it."""
    return _paths(root, lambda name, parent: name.endswith(SUFFIXES))


def _paths(root: Path, wanted: Callable[[str, str], bool]) -> Iterator[Path]:
    """The regular files under root whose (name, parent directory name) are wanted, sorted."""
    for dirpath, _, filenames in walk(root, skip=_SKIP_DIRS.__contains__):
        for name in filenames:
            path = dirpath / name
            if wanted(name, path.parent.name) and not path.is_symlink() and path.is_file():
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
    return [("\n".join(lines[s:e]), s + 1) for s, e in yamlio.document_spans(text, keep_empty=True, end_markers=False)]

"""Argo CD Application documents in a repository: every Application under `apps/` (nested
directories, multi-document files) and those static ApplicationSets there generate
(cmp.appsets), where each sits in its file, and which repoURLs name this repository.

The model below the rules (`app-source`, `app-sync-policy`, `applicationset`) and parity: both read
the documents from here; cmp.application turns one into what `generate` would see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cmp import application, yamlio
from cmp.config import MAX_FILE_BYTES, normalize_repo_url
from cmp.errors import CmpError, InputError
from cmp.pipeline.inputs import confine, display
from cmp.walk import walk

APPS_DIR = "apps"
MANIFEST_SUFFIXES = (".yaml", ".yml")
@dataclass(frozen=True)
class AppDoc:
    display: str  # repo-relative file
    text: str
    doc: dict[str, Any]
    start: int = 0  # 0-based first line of this document in `text`
    end: int | None = None  # the line after its last (None: the end of `text`)

    @property
    def name(self) -> str:
        """metadata.name, or "" when there is no such string."""
        metadata = self.doc.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else ""


@dataclass(frozen=True)
class FileError:
    display: str
    message: str


@dataclass(frozen=True)
class SkippedSet:
    """An ApplicationSet whose Applications are not generated here (cmp.appsets says why)."""

    name: str
    display: str
    reason: str
    line: int = 0


@dataclass(frozen=True)
class Scan:
    docs: list[AppDoc]  # Applications, those that static ApplicationSets generate included
    errors: list[FileError]
    skipped: list[SkippedSet]


def manifest_files(root: Path, top: str = APPS_DIR) -> list[Path]:
    """Every YAML file under root/top, sorted by path, symlinked directories not followed."""
    base = root / top
    found: list[Path] = []
    for dirpath, _, filenames in walk(base):
        found.extend(dirpath / f for f in filenames if f.endswith(MANIFEST_SUFFIXES))
    return sorted(found)


def application_docs(root: Path) -> tuple[list[AppDoc], list[FileError]]:
    """Every Application document under apps/ (generated ones included), and the files that could not be read."""
    found = scan(root)
    return found.docs, found.errors


@dataclass(frozen=True)
class FileDocs:
    """One manifest file as `scan` reads it: its Applications and ApplicationSets, or why not."""

    display: str
    apps: tuple[AppDoc, ...] = ()
    sets: tuple[AppDoc, ...] = ()
    error: FileError | None = None


def read_files(root: Path) -> list[FileDocs]:
    """Every manifest file under apps/, read and parsed, in path order."""
    root = root.resolve()
    return [read_file(path, root) for path in manifest_files(root)]


def read_file(path: Path, root: Path) -> FileDocs:
    """`path`'s documents; `root` resolved. A pure function of the file's name and bytes."""
    from cmp import appsets

    shown = display(path, root)
    try:
        text = yamlio.read_text(confine(path, root, "Application file"), shown, MAX_FILE_BYTES)
        parsed = [d for d in yamlio.load_all(text, shown) if d is not None]
    except InputError as exc:
        return FileDocs(shown, error=FileError(shown, str(exc)))
    apps: list[AppDoc] = []
    sets: list[AppDoc] = []
    for doc, (start, end) in zip(parsed, document_lines(text, len(parsed)), strict=True):
        if application.is_application(doc):
            apps.append(AppDoc(shown, text, doc, start, end))
        elif appsets.is_appset(doc):
            sets.append(AppDoc(shown, text, doc, start, end))
    return FileDocs(shown, tuple(apps), tuple(sets))


def scan(root: Path, configured: frozenset[str] | None = None, judged: frozenset[str] | None = None,
         files: list[FileDocs] | None = None) -> Scan:
    """Every Application under apps/, the Applications its static ApplicationSets generate (named
    by the ApplicationSet's file), the ApplicationSets not expanded, and unreadable files.
    `configured`: the judging policy's repoURLs (default: the config at `root`); `judged`: this
    repository's URLs as parity judged them (default: inferred from `root`'s Applications);
    `files`: `read_files(root)`, when already read."""
    from cmp import appsets

    root = root.resolve()
    files = read_files(root) if files is None else files
    docs = [app for file in files for app in file.apps]
    sets = [appset for file in files for appset in file.sets]
    errors = [file.error for file in files if file.error is not None]
    skipped: list[SkippedSet] = []
    if configured is None and sets:
        configured = configured_urls(root)
    urls = (this_repo_urls(docs, configured or frozenset()) if judged is None else judged) if sets else frozenset()
    for appset in sets:
        expanded = appsets.expand(appset.doc, root, urls)
        if expanded.skipped:
            skipped.append(SkippedSet(expanded.name, appset.display, expanded.skipped, appset.start + 1))
        docs += [AppDoc(appset.display, appset.text, app, appset.start, appset.end) for app in expanded.apps]
    return Scan(docs, errors, skipped)


def document_lines(text: str, count: int) -> list[tuple[int, int | None]]:
    """(first line, line after the last) of each of the `count` documents yamlio.load_all found.

    Only for pointing findings at lines: yamlio parses, but returns no positions. Documents end at
    `---`/`...` marker lines; when that count disagrees with the loader's, a finding points at the
    file's first line rather than risk pointing into another document.
    """
    spans: list[tuple[int, int | None]] = [*yamlio.document_spans(text, keep_empty=False, end_markers=True)]
    if len(spans) == count:
        return spans
    return [(0, None)] if count == 1 else [(0, 0)] * count


def locate(app: AppDoc, *keys: str) -> tuple[int, int]:
    """(line, column), 1-based, of the deepest of `keys` (a path like spec, syncPolicy) found in
    the document; the document's first line when none is. Good enough for editors and SARIF."""
    lines = app.text.splitlines()[: app.end]
    found = (app.start + 1, 1)
    number = app.start
    indent = -1
    for key in keys:
        pattern = re.compile(rf"^(\s*)(- )?{re.escape(key)}\s*:")
        for number in range(number, len(lines)):
            match = pattern.match(lines[number])
            if match and len(match.group(1)) > indent:
                indent = len(match.group(1))
                found = (number + 1, indent + 1)
                break
        else:
            return found
    return found


def configured_urls(root: Path) -> frozenset[str]:
    """The config's `repoURLs`. An invalid config names none here: every render reports it."""
    from cmp import config

    try:
        return config.load(root).repo_urls
    except CmpError:
        return frozenset()


def this_repo_urls(docs: list[AppDoc], configured: frozenset[str]) -> frozenset[str]:
    """The URLs that name this repository: the config's `repoURLs`, else the repoURLs of the
    app-of-apps roots (Applications whose source path is apps/). None: every source is this repo."""
    if configured:
        return configured
    return frozenset(normalize_repo_url(s["repoURL"]) for app in docs for s in _sources(app.doc)
                     if isinstance(s.get("repoURL"), str) and _is_apps_dir(s.get("path")))


def _sources(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The Application's source mappings (spec.source, or each of spec.sources)."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return []
    many = spec.get("sources")
    return [s for s in (many if isinstance(many, list) else [spec.get("source")]) if isinstance(s, dict)]


def is_elsewhere(source: dict[str, Any], urls: frozenset[str]) -> bool:
    """The source names another repository (as cmp.application.parse judges it)."""
    url = source.get("repoURL")
    return bool(urls) and isinstance(url, str) and normalize_repo_url(url) not in urls


def _is_apps_dir(path: Any) -> bool:
    return isinstance(path, str) and PurePosixPath(path).parts == (APPS_DIR,)


def source_is_directory(source: dict[str, Any]) -> bool:
    """A path source with no plugin, helm, kustomize or chart: Argo CD reads it as plain manifests."""
    if not isinstance(source.get("path"), str):
        return False
    return not any(key in source for key in ("plugin", "helm", "kustomize", "chart"))

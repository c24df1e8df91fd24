"""Find every Argo CD Application under `apps/`: nested directories, multi-document files.

The rules (`app-sync-policy`, `app-source`) read the raw documents; parity turns them into
render requests (or a reason why an app is skipped or broken) through cmp.application.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmp import application, yamlio
from cmp.errors import InputError
from cmp.exitcodes import ExitCode
from cmp.pipeline.inputs import confine, display

APPS_DIR = "apps"
MANIFEST_SUFFIXES = (".yaml", ".yml")
MAX_APP_FILE_BYTES = 1024 * 1024
_SEPARATOR = re.compile(r"^---(\s|$)")
# Argo CD Application names are DNS-1123 subdomains; parity also uses them as file names (--out).
_APP_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


@dataclass(frozen=True)
class AppDoc:
    display: str  # repo-relative file
    text: str
    doc: dict[str, Any]
    start: int  # 0-based line where this document starts in `text`

    @property
    def name(self) -> str:
        return str((self.doc.get("metadata") or {}).get("name") or "")


@dataclass(frozen=True)
class FileError:
    display: str
    message: str


@dataclass(frozen=True)
class Broken:
    """An Application (or a file of them) that cannot become a render request: the app fails."""

    name: str
    display: str
    reason: str
    code: ExitCode = ExitCode.INPUT


Entry = application.AppSource | application.Skipped | Broken


def manifest_files(root: Path, top: str = APPS_DIR) -> list[Path]:
    """Every YAML file under root/top, sorted by path, symlinked directories not followed."""
    base = root / top
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames.sort()
        found.extend(Path(dirpath) / f for f in filenames if f.endswith(MANIFEST_SUFFIXES))
    return sorted(found)


def application_docs(root: Path) -> tuple[list[AppDoc], list[FileError]]:
    """Every Application document under apps/, and the files that could not be read."""
    root = root.resolve()
    docs: list[AppDoc] = []
    errors: list[FileError] = []
    for path in manifest_files(root):
        shown = display(path, root)
        try:
            text = yamlio.read_text(confine(path, root, "Application file"), shown, MAX_APP_FILE_BYTES)
            parsed = yamlio.load_all(text, shown)
        except InputError as exc:
            errors.append(FileError(shown, str(exc)))
            continue
        starts = document_starts(text)
        for index, doc in enumerate(d for d in parsed if d is not None):
            if application.is_application(doc):
                docs.append(AppDoc(shown, text, doc, starts[min(index, len(starts) - 1)]))
    return docs, errors


def document_starts(text: str) -> list[int]:
    """0-based first line of each non-empty document (a heuristic: `---` lines split documents)."""
    lines = text.splitlines()
    starts: list[int] = []
    begin = 0
    for number, line in enumerate([*lines, "---"]):
        if _SEPARATOR.match(line):
            body = [ln for ln in lines[begin:number] if ln.strip() and not ln.lstrip().startswith("#")]
            if body:
                starts.append(begin)
            begin = number + 1
    return starts or [0]


def locate(app: AppDoc, *keys: str) -> tuple[int, int]:
    """(line, column), 1-based, of the deepest of `keys` (a path like spec, syncPolicy) found in
    the document; the document's first line when none is. Good enough for editors and SARIF."""
    lines = app.text.splitlines()
    found = (app.start + 1, 1)
    number = app.start
    indent = -1
    for key in keys:
        pattern = re.compile(rf"^(\s*)(- )?{re.escape(key)}\s*:")
        for number in range(number, len(lines)):
            if number > app.start and _SEPARATOR.match(lines[number]):
                return found
            match = pattern.match(lines[number])
            if match and len(match.group(1)) > indent:
                indent = len(match.group(1))
                found = (number + 1, indent + 1)
                break
        else:
            return found
    return found


def entries(root: Path) -> dict[str, Entry]:
    """name -> what parity does with that Application, in file order. A file that cannot be
    parsed is one Broken entry named after the file."""
    docs, errors = application_docs(root)
    found: dict[str, Entry] = {e.display: Broken(e.display, e.display, e.message) for e in errors}
    for app in docs:
        entry = _entry(app)
        first = found.get(entry.name)
        if first is not None:  # which one Argo CD applies is undefined: neither is trusted
            entry = Broken(entry.name, first.display,
                           f"{app.display}: duplicate Application name {entry.name!r} (also in {first.display})")
        found[entry.name] = entry
    return found


def is_valid_name(name: str) -> bool:
    return bool(_APP_NAME.fullmatch(name)) and ".." not in name


def _entry(app: AppDoc) -> Entry:
    if app.name and not is_valid_name(app.name):
        return Broken(app.name, app.display, f"{app.display}: Application name {app.name!r} is not a valid"
                      " Argo CD name (lowercase letters, digits, '-' and '.')")
    try:
        parsed = application.parse(app.doc, app.display)
    except InputError as exc:
        return Broken(app.name or app.display, app.display, str(exc))
    if isinstance(parsed, application.Skipped) and is_directory_source(app.doc):
        return application.Skipped(parsed.name, "directory source: plain manifests (or the app-of-apps"
                                   " root, whose children are the Applications under apps/), not a chart",
                                   parsed.display)
    return parsed


def is_directory_source(doc: dict[str, Any]) -> bool:
    source = (doc.get("spec") or {}).get("source")
    return isinstance(source, dict) and source_is_directory(source)


def source_is_directory(source: dict[str, Any]) -> bool:
    """A path source with no plugin, helm, kustomize or chart: Argo CD reads it as plain manifests."""
    if not isinstance(source.get("path"), str):
        return False
    return not any(key in source for key in ("plugin", "helm", "kustomize", "chart"))

"""Parity's view of the repository's Applications: name -> a render request to build, a reason
it is skipped, or why it is broken. The documents come from cmp.appdocs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cmp import application
from cmp.appdocs import AppDoc, FileDocs, configured_urls, is_elsewhere, scan, source_is_directory, this_repo_urls
from cmp.errors import CmpError
from cmp.exitcodes import ExitCode

# Argo CD Application names are DNS-1123 subdomains; parity also uses them as file names (--out).
_APP_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


@dataclass(frozen=True)
class Broken:
    """An Application (or a file of them) that cannot become a render request: the app fails."""

    name: str
    display: str
    reason: str
    code: ExitCode = ExitCode.INPUT


Entry = application.AppSource | application.Skipped | Broken


def entries(root: Path, configured: frozenset[str] | None = None, urls: frozenset[str] | None = None,
            files: list[FileDocs] | None = None) -> dict[str, Entry]:
    """name -> what parity does with that Application, in file order. A file that cannot be
    parsed is one Broken entry named after the file. `configured`: the judging policy's repoURLs
    (default: the config at `root`); `urls`: this repository's URLs as already judged (judged_urls;
    default: inferred from `root`'s own Applications); `files`: appdocs.read_files(root), if read."""
    if configured is None:
        configured = configured_urls(root)
    scanned = scan(root, configured, urls, files)
    docs, errors = scanned.docs, scanned.errors
    urls = this_repo_urls(docs, configured) if urls is None else urls
    found: dict[str, Entry] = {e.display: Broken(e.display, e.display, e.message) for e in errors}
    for skip in scanned.skipped:
        name = f"ApplicationSet {skip.name}"
        found[name] = application.Skipped(name, f"not expanded: {skip.reason}", skip.display)
    for app in docs:
        entry = _entry(app, urls)
        first = found.get(entry.name)
        if first is not None:  # which one Argo CD applies is undefined: neither is trusted
            entry = Broken(entry.name, first.display,
                           f"{app.display}: duplicate Application name {entry.name!r} (also in {first.display})")
        found[entry.name] = entry
    return found


def judged_urls(head: Path, base: Path | None, configured: frozenset[str], head_files: list[FileDocs] | None = None,
                base_files: list[FileDocs] | None = None) -> frozenset[str]:
    """This repository's URLs for a pull request: the judging config's, else those the base's
    app-of-apps roots name, to which the head may add its own; none (every path source is this
    repository) when the base names none. The head alone never decides: a head whose root names a
    decoy URL would make every app "another repository", skipped. `head_files`, `base_files`: each
    side's appdocs.read_files, if read."""
    if configured:
        return configured
    if base is None:
        return this_repo_urls(scan(head, configured, files=head_files).docs, configured)
    before = this_repo_urls(scan(base, configured, files=base_files).docs, configured)
    return before | this_repo_urls(scan(head, configured, files=head_files).docs, configured) if before else frozenset()


def is_valid_name(name: str) -> bool:
    return bool(_APP_NAME.fullmatch(name)) and ".." not in name


def _entry(app: AppDoc, urls: frozenset[str]) -> Entry:
    # A nameless document is named by where it is, so that two of them are not "duplicates".
    name = app.name or f"{app.display}:{app.start + 1}"
    if app.name and not is_valid_name(app.name):
        return Broken(name, app.display, f"{app.display}: Application name {name!r} is not a valid"
                      " Argo CD name (lowercase letters, digits, '-' and '.')")
    try:
        parsed = application.parse(app.doc, app.display, urls)
    except CmpError as exc:
        return Broken(name, app.display, str(exc), exc.exit_code)
    spec = app.doc.get("spec")
    source = spec.get("source") if isinstance(spec, dict) else None  # the one parse read
    if isinstance(parsed, application.Skipped) and isinstance(source, dict) and source_is_directory(source) \
            and not is_elsewhere(source, urls):
        return application.Skipped(parsed.name, "directory source: plain manifests (or the app-of-apps"
                                   " root, whose children are the Applications under apps/), not a chart",
                                   parsed.display)
    return parsed

"""app-source: every Application points at things that exist in this repository.

For each Application under apps/ (`gitops-cmp check`):
- `spec.destination.namespace` is set (the plugin renders into it; Argo CD passes it as
  ARGOCD_APP_NAMESPACE);
- each source's `path` is a directory inside the repository;
- every value file it references exists: `values/<ENVIRONMENT>.yaml` and `VALUE_FILES` /
  `valueFiles` of the plugin shape, `helm.valueFiles` of the native shape (relative to the path);
- a `plugin.name` is a declared plugin's `<name>-<version>` (`gitops-helm-v1` for this plugin, or
  a plugin.yaml in the repo): Argo CD dials `<plugin.name>.sock`, so `gitops-helm` alone fails;
- a directory source under apps/ (the app-of-apps root) finds at least one child Application,
  and any other directory source at least one manifest.

PASS: `path: charts/webapp` with `plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: prod}]}`
    and charts/webapp/values/prod.yaml present.
FAIL: `path: charts/webap` (typo); `helm: {valueFiles: [values/staging.yaml]}` with no such file;
    `plugin: {name: gitops-helm}`; no `destination.namespace`; `path: apps` with no Application under it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cmp import yamlio
from cmp.config import RepoConfig
from cmp.context import split_list
from cmp.errors import InputError
from cmp.findings import Finding, Severity

if TYPE_CHECKING:  # Application discovery is imported when a repo is checked, not by every render
    from cmp.parity.discover import AppDoc

ID = "app-source"
PLUGIN_FILES = ("plugin.yaml", "platform")  # where a repo declares its ConfigManagementPlugins
_BRACES = re.compile(r"\{([^{}]*)\}")


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.parity.discover import application_docs

    root = repo_root.resolve()
    docs, errors = application_docs(root)
    for error in errors:
        yield Finding(error.display, 0, 0, ID, Severity.ERROR, f"cannot read Applications: {error.message}")
    plugins = declared_plugins(root)
    for app in docs:
        yield from check_application(app, root, plugins)


def check_application(app: AppDoc, root: Path, plugins: set[str]) -> Iterator[Finding]:
    spec = _dict(app.doc.get("spec"))
    if not _dict(spec.get("destination")).get("namespace"):
        yield _finding(app, ("spec", "destination"), "no spec.destination.namespace: the render needs"
                       " the namespace Argo CD deploys into")
    many = spec.get("sources")
    sources: list[Any] = many if isinstance(many, list) else [spec.get("source")]
    key = "sources" if isinstance(many, list) else "source"
    if not any(isinstance(s, dict) for s in sources):
        yield _finding(app, ("spec",), "no spec.source")
    for source in sources:
        if isinstance(source, dict):
            yield from _source(app, root, plugins, source, ("spec", key))


def _source(app: AppDoc, root: Path, plugins: set[str], source: dict[str, Any],
            where: tuple[str, ...]) -> Iterator[Finding]:
    from cmp.parity.discover import source_is_directory

    if source.get("chart") or ("ref" in source and "path" not in source):
        return  # a chart from a Helm repository, or a multi-source values ref: nothing in this tree
    path = source.get("path")
    if not isinstance(path, str) or not path.strip():
        yield _finding(app, where, "the source has no path (and no chart)")
        return
    directory = inside(root, root / path)
    if directory is None or not directory.is_dir():
        yield _finding(app, (*where, "path"), f"source path {path!r} is not a directory in the repository")
        return
    if isinstance(source.get("plugin"), dict):
        yield from _plugin(app, root, directory, plugins, source["plugin"], (*where, "plugin"))
    helm = source.get("helm")
    if isinstance(helm, dict):
        for entry in helm.get("valueFiles") or []:
            yield from _value_file(app, root, directory, str(entry), (*where, "helm", "valueFiles"))
    if source_is_directory(source):
        yield from _directory(app, root, directory, source, (*where, "path"))


def _plugin(app: AppDoc, root: Path, directory: Path, plugins: set[str], plugin: dict[str, Any],
            where: tuple[str, ...]) -> Iterator[Finding]:
    name = plugin.get("name")
    if name not in plugins:
        yield _finding(app, (*where, "name"), f"plugin name {name!r} matches no declared plugin"
                       f" ({', '.join(sorted(plugins))}); Argo CD dials <plugin.name>.sock, so it must be"
                       " plugin.yaml's <metadata.name>-<spec.version>")
    env = {str(e.get("name")): str(e.get("value") or "") for e in plugin.get("env") or [] if isinstance(e, dict)}
    files = list(split_list(env.get("VALUE_FILES", "")))
    for param in plugin.get("parameters") or []:
        if isinstance(param, dict) and param.get("name") == "valueFiles":
            files.extend(str(v) for v in param.get("array") or split_list(str(param.get("string") or "")))
    if env.get("ENVIRONMENT"):
        files.insert(0, f"values/{env['ENVIRONMENT']}.yaml")
    elif not files:
        yield _finding(app, (*where, "env"), "the plugin has no ENVIRONMENT env entry and no value files")
    for entry in files:
        yield from _value_file(app, root, directory, entry, (*where, "env"))


def _value_file(app: AppDoc, root: Path, directory: Path, entry: str, where: tuple[str, ...]) -> Iterator[Finding]:
    if entry.startswith("$") or "://" in entry:
        return  # another source's ref, or a URL: not a file of this tree
    target = inside(root, directory / entry)
    if target is None:
        yield _finding(app, where, f"value file {entry!r} resolves outside the repository")
    elif not target.is_file():
        yield _finding(app, where, f"value file {entry!r} does not exist"
                       f" (looked for {target.relative_to(root).as_posix()})")


def _directory(app: AppDoc, root: Path, directory: Path, source: dict[str, Any],
               where: tuple[str, ...]) -> Iterator[Finding]:
    from cmp import application
    from cmp.parity.discover import APPS_DIR

    options = _dict(source.get("directory"))
    files = directory_files(directory, options)
    rel = directory.relative_to(root).as_posix()
    if rel == APPS_DIR or rel.startswith(APPS_DIR + "/"):
        children = [d for f in files for d in _documents(f) if application.is_application(d)
                    and (d.get("metadata") or {}).get("name") != app.name]
        if not children:
            yield _finding(app, where, f"app-of-apps: no child Application under {rel}/"
                           f" (recurse: {bool(options.get('recurse'))}, exclude: {options.get('exclude') or 'none'})")
    elif not files:
        yield _finding(app, where, f"directory source {rel}/ holds no manifest; with prune: true Argo CD"
                       " would delete everything the app deployed")


def directory_files(directory: Path, options: dict[str, Any]) -> list[Path]:
    """The files Argo CD's directory source reads: YAML/JSON, recursing only with `recurse: true`,
    filtered by `include`/`exclude` globs (`{a,b}` alternatives allowed)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        if not options.get("recurse"):
            dirnames.clear()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(directory).as_posix()
            if path.suffix not in (".yaml", ".yml", ".json"):
                continue
            if options.get("include") and not _glob(str(options["include"]), rel):
                continue
            if options.get("exclude") and _glob(str(options["exclude"]), rel):
                continue
            found.append(path)
    return sorted(found)


def _glob(pattern: str, rel: str) -> bool:
    return any(fnmatchcase(rel, p) or fnmatchcase(PurePosixPath(rel).name, p) for p in expand_braces(pattern))


def expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if not match:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end():]
    return [p for alt in match.group(1).split(",") for p in expand_braces(head + alt.strip() + tail)]


def _documents(path: Path) -> list[Any]:
    try:
        return yamlio.load_all(yamlio.read_text(path, path.name, 1024 * 1024), path.name)
    except InputError:
        return []  # an unreadable child is reported on its own (when it is under apps/)


def declared_plugins(root: Path) -> set[str]:
    """`<name>-<version>` (or `<name>`) of this plugin and of every ConfigManagementPlugin the repo
    declares in plugin.yaml or under platform/ (raw, or as a ConfigMap's `plugin.yaml` key)."""
    from cmp import application

    names = {application.PLUGIN_NAME}
    candidates = [root / PLUGIN_FILES[0]]
    candidates += sorted((root / PLUGIN_FILES[1]).rglob("*.y*ml")) if (root / PLUGIN_FILES[1]).is_dir() else []
    for path in candidates:
        if path.is_file():
            for doc in _documents(path):
                names.update(_plugin_names(doc, path.name))
    return names


def _plugin_names(doc: Any, shown: str) -> set[str]:
    if not isinstance(doc, dict):
        return set()
    if doc.get("kind") == "ConfigManagementPlugin":
        name = str((doc.get("metadata") or {}).get("name") or "")
        version = str((doc.get("spec") or {}).get("version") or "")
        return {f"{name}-{version}" if version else name} if name else set()
    embedded = (doc.get("data") or {}).get("plugin.yaml") if doc.get("kind") == "ConfigMap" else None
    if isinstance(embedded, str):
        try:
            return _plugin_names(yamlio.load_one(embedded, shown), shown)
        except InputError:
            return set()
    return set()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def inside(root: Path, path: Path) -> Path | None:
    resolved = path.resolve()
    return resolved if resolved == root or root in resolved.parents else None


def _finding(app: AppDoc, keys: tuple[str, ...], message: str) -> Finding:
    from cmp.parity.discover import locate

    line, column = locate(app, *keys)
    return Finding(app.display, line, column, ID, Severity.ERROR, f"Application {app.name!r}: {message}")

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
  and any other directory source at least one manifest;
- every field has the shape Argo CD expects (`plugin.name` a string, `plugin.env` a list of
  `{name, value}`, `helm.valueFiles` a list of strings, ...): any other shape is a finding;
- `ENVIRONMENT`, `VALUE_FILES` and the `valueFiles` parameter are read exactly as `generate` reads
  them (cmp/valuefiles.py): each `valueFiles` holds one `array` or one `string`, no entry is blank
  or holds a NUL byte, the environment name is valid. What makes a render fail is a finding here.

A source in another Git repository is not checked: this repository's URLs are the config's
`repoURLs`, else the `repoURL` of the app-of-apps root (as `gitops-cmp parity` decides what it skips).

PASS: `path: charts/webapp` with `plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: prod}]}`
    and charts/webapp/values/prod.yaml present.
FAIL: `path: charts/webap` (typo); `helm: {valueFiles: [values/staging.yaml]}` with no such file;
    `plugin: {name: gitops-helm}`; no `destination.namespace`; `path: apps` with no Application under it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cmp import confine, valuefiles, yamlio
from cmp.config import MAX_FILE_BYTES, RepoConfig
from cmp.errors import CmpError, InputError
from cmp.findings import Finding, Severity
from cmp.walk import walk

if TYPE_CHECKING:  # Application discovery is imported when a repo is checked, not by every render
    from cmp.appdocs import AppDoc

ID = "app-source"
PLUGIN_FILES = ("plugin.yaml", "platform")  # where a repo declares its ConfigManagementPlugins
_BRACES = re.compile(r"\{([^{}]*)\}")
_SHAPES: dict[valuefiles.Fault, str] = {  # as this rule worded them before renders refused the same
    "not-a-list": "plugin.parameters must be a list, found {kind}",
    "not-a-mapping": "plugin.parameters entries must be mappings",
    **dict.fromkeys(("not-strings", "odd-array", "odd-string"),
                    "parameter valueFiles: array must be a list of strings (string: one string)"),
}


def check_repo(repo_root: Path, config: RepoConfig) -> Iterator[Finding]:
    from cmp.appdocs import application_docs, this_repo_urls

    root = repo_root.resolve()
    docs, errors = application_docs(root)
    for error in errors:
        yield Finding(error.display, 0, 0, ID, Severity.ERROR, f"cannot read Applications: {error.message}")
    plugins = declared_plugins(root)
    urls = this_repo_urls(docs, config.repo_urls)
    for app in docs:
        yield from check_application(app, root, plugins, urls)


def check_application(app: AppDoc, root: Path, plugins: set[str],
                      urls: frozenset[str] = frozenset()) -> Iterator[Finding]:
    """Every field read here may hold any YAML shape: each odd one is a finding, never an exception.
    Sources in another repository (`urls`, see cmp.appdocs.this_repo_urls) are not checked."""
    from cmp.appdocs import is_elsewhere

    if not app.name:
        yield _finding(app, ("metadata",), "no metadata.name (a string): Argo CD names every Application")
    spec = app.doc.get("spec")
    if not isinstance(spec, dict):
        yield _finding(app, ("spec",), f"spec must be a mapping, found {yamlio.kind(spec)}")
        return
    key = "source" if spec.get("sources") is None else "sources"
    sources = spec[key] if key == "sources" else [spec.get("source")]
    if not isinstance(sources, list):
        yield _finding(app, ("spec", key), f"spec.sources must be a list, found {yamlio.kind(sources)}")
        return
    found = [s for s in sources if isinstance(s, dict)]
    if found and all(is_elsewhere(s, urls) for s in found):
        return  # rendered (or not) from another repository: nothing here to check
    if not _text(_dict(spec.get("destination")).get("namespace")):
        yield _finding(app, ("spec", "destination"), "no spec.destination.namespace: the render needs"
                       " the namespace Argo CD deploys into")
    if not found:
        yield _finding(app, ("spec",), f"no spec.{key} mapping")
    for index, source in enumerate(sources):
        if isinstance(source, dict) and not is_elsewhere(source, urls):
            yield from _source(app, root, plugins, source, ("spec", key))
        elif source is not None and not isinstance(source, dict):
            label = f"spec.sources[{index}]" if key == "sources" else "spec.source"
            yield _finding(app, ("spec", key), f"{label} is not a mapping (found {yamlio.kind(source)})")


def _source(app: AppDoc, root: Path, plugins: set[str], source: dict[str, Any],
            where: tuple[str, ...]) -> Iterator[Finding]:
    from cmp.appdocs import source_is_directory

    if source.get("chart") or ("ref" in source and "path" not in source):
        return  # a chart from a Helm repository, or a multi-source values ref: nothing in this tree
    path = source.get("path")
    if not isinstance(path, str) or not _text(path):
        yield _finding(app, where, "the source has no path (and no chart)")
        return
    directory = inside(root, root / path)
    if directory is None or not directory.is_dir():
        yield _finding(app, (*where, "path"), f"source path {path!r} is not a directory in the repository")
        return
    for field in ("plugin", "helm"):
        if source.get(field) is not None and not isinstance(source[field], dict):
            yield _finding(app, (*where, field), f"{field} must be a mapping, found {yamlio.kind(source[field])}")
    if isinstance(source.get("plugin"), dict):
        yield from _plugin(app, root, directory, plugins, source["plugin"], (*where, "plugin"))
    helm = source.get("helm")
    if isinstance(helm, dict):
        files = helm.get("valueFiles") or []
        if not _strings(files):
            yield _finding(app, (*where, "helm", "valueFiles"), "helm.valueFiles must be a list of strings")
            files = []
        for entry in files:
            yield from _value_file(app, root, directory, entry, (*where, "helm", "valueFiles"))
    if source_is_directory(source):
        yield from _directory(app, root, directory, source, (*where, "path"))


def _plugin(app: AppDoc, root: Path, directory: Path, plugins: set[str], plugin: dict[str, Any],
            where: tuple[str, ...]) -> Iterator[Finding]:
    name = plugin.get("name")
    if not isinstance(name, str):
        yield _finding(app, (*where, "name"), f"plugin.name must be a string, found {yamlio.kind(name)}")
    elif name not in plugins:
        yield _finding(app, (*where, "name"), f"plugin name {name!r} matches no declared plugin"
                       f" ({', '.join(sorted(plugins))}); Argo CD dials <plugin.name>.sock, so it must be"
                       " plugin.yaml's <metadata.name>-<spec.version>")
    from cmp.application import PLUGIN_NAME

    if name != PLUGIN_NAME:  # another plugin reads its env its own way; renders and parity skip its apps
        return
    env, problems = valuefiles.plugin_env(plugin.get("env"))
    for problem in problems:
        yield _finding(app, (*where, "env"), problem)
    found = valuefiles.read(env.get("VALUE_FILES", ""), plugin.get("parameters"))
    for bad in found.problems:
        yield _finding(app, (*where, bad.input), _problem(bad))
    files = list(found.files)
    environment = env.get("ENVIRONMENT", "")
    refused = _refused_environment(environment, files)
    if refused:
        yield _finding(app, (*where, "env"), refused)
    elif environment:
        files.insert(0, f"values/{environment}.yaml")
    elif not files and not problems and not found.problems:  # else the fault flagged above is the one to fix
        yield _finding(app, (*where, "env"), "the plugin has no ENVIRONMENT env entry and no value files")
    for entry in files:
        yield from _value_file(app, root, directory, entry, (*where, "env"))


def _problem(problem: valuefiles.Problem) -> str:
    if problem.fault in _SHAPES:
        return _SHAPES[problem.fault].format(kind=yamlio.kind(problem.found))
    where = "plugin.parameters" if problem.input == "parameters" else "plugin env VALUE_FILES"
    return f"{where}: {valuefiles.reason(problem)}"


def _refused_environment(environment: str, files: list[str]) -> str | None:
    """Why a render refuses the environment of a plugin source (ENVIRONMENT, else read off its value files)."""
    from cmp.context import check_env_name, env_from_value_files

    try:
        if environment:
            check_env_name(environment, "plugin env ENVIRONMENT")
        else:
            env_from_value_files(files, "plugin value files")
    except InputError as error:
        return error.message
    return None


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
    from cmp.appdocs import APPS_DIR

    options = source.get("directory")
    if options is not None and not isinstance(options, dict):
        yield _finding(app, (*where[:-1], "directory"), f"directory must be a mapping, found {yamlio.kind(options)}")
    options = _dict(options)
    for key, wanted in (("include", str), ("exclude", str), ("recurse", bool)):
        if options.get(key) is not None and not isinstance(options[key], wanted):
            yield _finding(app, (*where[:-1], "directory", key), f"directory.{key} must be a"
                           f" {'boolean' if wanted is bool else 'string (a glob)'}, found {yamlio.kind(options[key])}")
            options = {k: v for k, v in options.items() if k != key}
    files = directory_files(directory, options)
    rel = directory.relative_to(root).as_posix()
    if rel == APPS_DIR or rel.startswith(APPS_DIR + "/"):
        children = [d for f in files for d in _documents(f) if application.is_application(d)
                    and _dict(d.get("metadata")).get("name") != app.name]
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
    for dirpath, dirnames, filenames in walk(directory):
        if not options.get("recurse"):
            dirnames.clear()
        for name in filenames:
            path = dirpath / name
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
        return yamlio.load_all(yamlio.read_text(path, path.name, MAX_FILE_BYTES), path.name)
    except CmpError:
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
        name = str(_dict(doc.get("metadata")).get("name") or "")
        version = str(_dict(doc.get("spec")).get("version") or "")
        return {f"{name}-{version}" if version else name} if name else set()
    embedded = _dict(doc.get("data")).get("plugin.yaml") if doc.get("kind") == "ConfigMap" else None
    if isinstance(embedded, str):
        try:
            return _plugin_names(yamlio.load_one(embedded, shown), shown)
        except CmpError:
            return set()
    return set()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> bool:
    """A non-blank string."""
    return isinstance(value, str) and bool(value.strip())


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)



def inside(root: Path, path: Path) -> Path | None:
    """`path` resolved if every symlink hop stays in `root` and out of .git/ (cmp.confine), else None."""
    try:
        return confine.inside(path, root)
    except (OSError, ValueError):  # a NUL byte: no such path here
        return None


def _finding(app: AppDoc, keys: tuple[str, ...], message: str) -> Finding:
    from cmp.appdocs import locate

    line, column = locate(app, *keys)
    name = repr(app.name) if app.name else "(no name)"
    return Finding(app.display, line, column, ID, Severity.ERROR, f"Application {name}: {message}")

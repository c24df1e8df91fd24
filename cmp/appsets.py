"""Argo CD ApplicationSets -> the Applications they generate, when that needs no cluster state.

Static generators are expanded the way the ApplicationSet controller does: `list` (its
`elements`), and `git` `directories` / `files` of this repository (read from the tree being
checked). The template is filled in with fasttemplate's rules (`{{ name }}`, unknown names left as
they are). Anything that depends on state outside the repository (clusters, SCM providers, pull
requests, plugins, cluster decision resources), combines generators (matrix, merge), uses Go
templates (`goTemplate: true`) or a `templatePatch` is not expanded: `expand` says why, and
check and parity report it as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

from cmp import yamlio
from cmp.config import MAX_FILE_BYTES, normalize_repo_url
from cmp.errors import CmpError
from cmp.walk import is_git, walk

KIND = "ApplicationSet"
MAX_APPS = 1000  # per ApplicationSet: a glob over a hostile tree must not become a million renders
_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_UNSAFE = re.compile(r"[^a-z0-9.-]+")
STATE_GENERATORS = {
    "clusters": "the clusters registered in Argo CD",
    "clusterDecisionResource": "a cluster decision resource in the cluster",
    "scmProvider": "an SCM provider's repositories",
    "pullRequest": "open pull requests",
    "plugin": "a generator plugin's answer",
}


@dataclass(frozen=True)
class Expansion:
    name: str
    apps: tuple[dict[str, Any], ...] = ()
    skipped: str = ""  # why nothing was generated (not expanded here)
    params: tuple[dict[str, str], ...] = field(default=(), repr=False)


def is_appset(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == KIND and str(doc.get("apiVersion", "")).startswith(
        "argoproj.io/")


def name_of(doc: dict[str, Any]) -> str:
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else "(unnamed)"


def expand(doc: dict[str, Any], root: Path, urls: frozenset[str]) -> Expansion:
    """The Applications `doc` generates from this repository at `root`, or why it is skipped.
    `urls` name this repository (empty: every repoURL is taken to be this one)."""
    name = name_of(doc)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return Expansion(name, skipped="no spec")
    if spec.get("goTemplate"):
        return Expansion(name, skipped="goTemplate: true (Go templates in ApplicationSets are not expanded)")
    if "templatePatch" in spec:
        return Expansion(name, skipped="templatePatch is not expanded")
    template = spec.get("template")
    generators = spec.get("generators")
    if not isinstance(template, dict) or not isinstance(generators, list) or not generators:
        return Expansion(name, skipped="needs spec.template and a list of spec.generators")
    params: list[dict[str, str]] = []
    for generator in generators:
        found = _generate(generator, root, urls)
        if isinstance(found, str):
            return Expansion(name, skipped=found)
        params += found
        if len(params) > MAX_APPS:
            return Expansion(name, skipped=f"generates more than {MAX_APPS} Applications")
    apps = tuple(_application(template, p) for p in params)
    return Expansion(name, apps, params=tuple(params))


def _generate(generator: Any, root: Path, urls: frozenset[str]) -> list[dict[str, str]] | str:
    if not isinstance(generator, dict) or len(generator) != 1:
        if isinstance(generator, dict) and "selector" in generator:
            return "generator selectors are not expanded"
        return "a generator must be a mapping with one generator kind"
    ((kind, body),) = generator.items()
    if kind in STATE_GENERATORS:
        return f"the {kind} generator depends on {STATE_GENERATORS[kind]}, not on this repository"
    if kind in ("matrix", "merge"):
        return f"{kind} generators are not expanded"
    if kind == "list" and isinstance(body, dict):
        return _list(body)
    if kind == "git" and isinstance(body, dict):
        return _git(body, root, urls)
    return f"unknown or malformed generator {kind!r}"


def _list(body: dict[str, Any]) -> list[dict[str, str]] | str:
    if "elementsYaml" in body:
        return "list generator elementsYaml is not expanded"
    elements = body.get("elements")
    if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
        return "list generator: elements must be a list of mappings"
    return [flatten(e) for e in elements]


def _git(body: dict[str, Any], root: Path, urls: frozenset[str]) -> list[dict[str, str]] | str:
    url = body.get("repoURL")
    if not isinstance(url, str) or (urls and normalize_repo_url(url) not in urls):
        return f"git generator reads another repository ({url})"
    directories, files = body.get("directories"), body.get("files")
    if directories is not None and files is None:
        return _directories(directories, root)
    if files is not None and directories is None:
        return _files(files, root)
    return "git generator needs either directories or files"


def _patterns(entries: Any, what: str) -> list[tuple[str, bool]] | str:
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("path"), str)
                                                 for e in entries):
        return f"git generator: {what} must be a list of mappings with a path"
    found = [(e["path"].strip("/"), bool(e.get("exclude"))) for e in entries]
    if any(".." in PurePosixPath(p).parts for p, _ in found):
        return f"git generator: a {what} path leads outside the repository"
    return found


def _directories(entries: Any, root: Path) -> list[dict[str, str]] | str:
    patterns = _patterns(entries, "directories")
    if isinstance(patterns, str):
        return patterns
    chosen = [d for d in _walk(root, dirs=True)
              if any(_match(d, p) for p, ex in patterns if not ex) and not any(_match(d, p) for p, ex in patterns if ex)]
    return [path_params(d) for d in chosen]


def _files(entries: Any, root: Path) -> list[dict[str, str]] | str:
    patterns = _patterns(entries, "files")
    if isinstance(patterns, str):
        return patterns
    params: list[dict[str, str]] = []
    for rel in _walk(root, dirs=False):
        if not any(_match(rel, p) for p, ex in patterns if not ex) or any(_match(rel, p) for p, ex in patterns if ex):
            continue
        try:
            text = yamlio.read_text(root / rel, rel, MAX_FILE_BYTES)
            data = yamlio.load_one(text, rel)
        except CmpError as exc:
            return f"git generator: {exc}".splitlines()[0]
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict):
                return f"git generator: {rel} must hold a mapping or a list of mappings"
            params.append({**flatten(item), **path_params(str(PurePosixPath(rel).parent), rel)})
    return params


def _walk(root: Path, dirs: bool) -> Iterator[str]:
    """Repo-relative paths of directories (or files), sorted, symlinks not followed, no .git."""
    for dirpath, dirnames, filenames in walk(root, skip=is_git):
        dirnames[:] = [d for d in dirnames if not (dirpath / d).is_symlink()]
        here = dirpath.relative_to(root).as_posix()
        names = dirnames if dirs else [f for f in filenames if not (dirpath / f).is_symlink()]
        for name in names:
            yield name if here == "." else f"{here}/{name}"


def _match(path: str, pattern: str) -> bool:
    """Go's path.Match per segment (`*` stays within a segment); `**` spans any number of them."""
    return _match_parts(path.split("/"), pattern.split("/"))


def _match_parts(path: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_match_parts(path[i:], pattern[1:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(path[0], pattern[0]) and _match_parts(path[1:], pattern[1:])


def path_params(directory: str, file: str = "") -> dict[str, str]:
    """The git generator's path parameters (`path`, `path.basename`, `path[N]`, ...)."""
    parts = [p for p in directory.split("/") if p not in ("", ".")]
    base = parts[-1] if parts else ""
    params = {"path": "/".join(parts), "path.path": "/".join(parts), "path.basename": base,
              "path.basenameNormalized": normalized(base)}
    params |= {f"path[{i}]": part for i, part in enumerate(parts)}
    if file:
        filename = PurePosixPath(file).name
        params |= {"path.filename": filename, "path.filenameNormalized": normalized(filename)}
    return params


def normalized(name: str) -> str:
    return _UNSAFE.sub("-", name.lower()).strip("-.")


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested keys joined with '.', every value as the text fasttemplate substitutes."""
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flatten(value, name + ".")
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif value is None:
            out[name] = ""
        elif not isinstance(value, list):
            out[name] = str(value)
    return out


def _application(template: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    filled = fill(template, params)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": filled.get("metadata") or {}, "spec": filled.get("spec") or {}}


def fill(node: Any, params: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _TAG.sub(lambda m: params.get(m.group(1).strip(), m.group(0)) if m.group(1).strip() else m.group(0),
                        node)
    if isinstance(node, dict):
        return {fill(k, params): fill(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, params) for v in node]
    return node

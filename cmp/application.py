"""Argo CD Application manifests -> RenderRequest, exactly as `generate` would see that app.

Two shapes render through the same pipeline:
- plugin: `source.plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: prod}]}`
  (optional env VALUE_FILES and parameter valueFiles add value files);
- native Helm (the seed's shape): `source.helm.valueFiles: [values/prod.yaml, ...]`; the env is the
  name of the `values/<env>.yaml` entry, the other entries are extra value files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cmp import yamlio
from cmp.context import RenderRequest, check_env_name, split_list
from cmp.errors import InputError

PLUGIN_NAME = "gitops-helm-v1"


@dataclass(frozen=True)
class AppSource:
    name: str
    namespace: str
    path: str  # spec.source.path, repo-relative
    env: str
    value_files: tuple[str, ...]  # relative to the source path, as Argo CD reads them
    shape: str  # "plugin" | "helm"
    display: str  # the file that declared it


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str
    display: str


def read(path: Path, shown: str) -> list[Any]:
    return [d for d in yamlio.load_all(yamlio.read_text(path, shown, 1024 * 1024), shown) if d is not None]


def is_application(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "Application" and str(
        doc.get("apiVersion", "")).startswith("argoproj.io/")


def parse(doc: dict[str, Any], shown: str) -> AppSource | Skipped:
    name = str((doc.get("metadata") or {}).get("name") or "")
    if not name:
        raise InputError(f"{shown}: Application has no metadata.name")
    spec = doc.get("spec") or {}
    source = spec.get("source")
    if not isinstance(source, dict):
        return Skipped(name, "no single spec.source (multi-source apps are not rendered)", shown)
    path = source.get("path")
    if not isinstance(path, str) or not path:
        return Skipped(name, f"source is not a path in this repo ({source.get('chart') or source.get('repoURL')})", shown)
    namespace = str((spec.get("destination") or {}).get("namespace") or "")
    if not namespace:
        raise InputError(f"{shown}: Application {name!r} has no spec.destination.namespace")
    if isinstance(source.get("plugin"), dict):
        return _plugin_source(name, namespace, path, source["plugin"], shown)
    helm = source.get("helm")
    if isinstance(helm, dict) and helm.get("valueFiles"):
        return _helm_source(name, namespace, path, helm["valueFiles"], shown)
    return Skipped(name, "neither a gitops-helm plugin source nor helm.valueFiles", shown)


def _plugin_source(name: str, namespace: str, path: str, plugin: dict[str, Any], shown: str) -> AppSource | Skipped:
    if plugin.get("name") != PLUGIN_NAME:
        return Skipped(name, f"plugin {plugin.get('name')!r} is not {PLUGIN_NAME}", shown)
    env_vars = {str(e.get("name")): str(e.get("value") or "") for e in plugin.get("env") or [] if isinstance(e, dict)}
    files = list(split_list(env_vars.get("VALUE_FILES", "")))
    for param in plugin.get("parameters") or []:
        if isinstance(param, dict) and param.get("name") == "valueFiles":
            files.extend(param.get("array") or split_list(str(param.get("string") or "")))
    env = env_vars.get("ENVIRONMENT", "")
    if env:
        check_env_name(env, f"{shown}: plugin env ENVIRONMENT")
    return AppSource(name, namespace, path, env, tuple(files), "plugin", shown)


def _helm_source(name: str, namespace: str, path: str, value_files: Any, shown: str) -> AppSource:
    if not isinstance(value_files, list) or not all(isinstance(v, str) for v in value_files):
        raise InputError(f"{shown}: spec.source.helm.valueFiles must be a list of strings")
    env = ""
    extra: list[str] = []
    for entry in value_files:
        pure = PurePosixPath(entry)
        if not env and pure.parent == PurePosixPath("values") and pure.suffix == ".yaml":
            env = check_env_name(pure.stem, f"{shown}: valueFiles entry {entry!r}")
        else:
            extra.append(entry)
    return AppSource(name, namespace, path, env, tuple(extra), "helm", shown)


def to_request(app: AppSource, repo_root: Path, kube_version: str | None,
               api_versions: tuple[str, ...]) -> RenderRequest:
    chart_dir = repo_root / app.path
    if not app.env and not app.value_files:
        raise InputError(f"{app.display}: Application {app.name!r} names no environment and no value files")
    return RenderRequest(
        repo_root=repo_root,
        chart_dir=chart_dir,
        env=app.env,
        release=app.name,
        namespace=app.namespace,
        value_files=tuple(chart_dir / f for f in app.value_files),
        kube_version=kube_version,
        api_versions=api_versions,
        app=app.name,
    )

"""Argo CD Application manifests -> RenderRequest, exactly as `generate` would see that app.

Two shapes render through the same pipeline:
- plugin: `source.plugin: {name: gitops-helm-v1, env: [{name: ENVIRONMENT, value: prod}]}`
  (optional env VALUE_FILES and parameter valueFiles add value files);
- native Helm (the seed's shape): `source.helm.valueFiles: [values/prod.yaml, ...]`; the env is the
  name of the `values/<env>.yaml` entry, the other entries are extra value files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmp import valuefiles, yamlio
from cmp.context import RenderRequest, check_env_name, env_from_value_files
from cmp.valuefiles import check_path_entry
from cmp.config import MAX_FILE_BYTES, normalize_repo_url
from cmp.errors import InputError

PLUGIN_NAME = "gitops-helm-v1"


@dataclass(frozen=True)
class AppSource:
    name: str
    namespace: str
    path: str  # spec.source.path, repo-relative
    env: str
    value_files: tuple[str, ...]  # relative to the source path, in order, as Argo CD reads them
    shape: str  # "plugin" | "helm"
    display: str  # the file that declared it
    env_file: bool = True  # False: value_files already hold values/<env>.yaml, in Argo CD's order


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str
    display: str


def read(path: Path, shown: str) -> list[Any]:
    return [d for d in yamlio.load_all(yamlio.read_text(path, shown, MAX_FILE_BYTES), shown) if d is not None]


def is_application(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("kind") == "Application" and str(
        doc.get("apiVersion", "")).startswith("argoproj.io/")


# helm.* fields Argo CD's native Helm source applies but the plugin (and so a gitops-cmp render) cannot:
# rendering such an app would not be what Argo CD renders.
UNSUPPORTED_HELM = ("releaseName", "namespace", "values", "valuesObject", "parameters", "fileParameters",
                    "skipCrds", "skipSchemaValidation", "skipTests", "apiVersions", "kubeVersion", "version",
                    "ignoreMissingValueFiles")


def parse(doc: dict[str, Any], shown: str, repo_urls: frozenset[str] = frozenset()) -> AppSource | Skipped:
    """What `generate` would see for this Application, or why gitops-cmp does not render it.

    `repo_urls` names this repository (config `repoURLs`); an app whose source is elsewhere is skipped.
    """
    name = _mapping(doc, "metadata", shown).get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{shown}: Application has no metadata.name")
    spec = _mapping(doc, "spec", shown)
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:  # Argo CD renders spec.sources and ignores spec.source
        return _multi_source(name, sources, repo_urls, shown)
    source = spec.get("source")
    if not isinstance(source, dict):
        return Skipped(name, "no single spec.source (multi-source apps are not rendered)", shown)
    url = source.get("repoURL")
    if repo_urls and isinstance(url, str) and normalize_repo_url(url) not in repo_urls:
        return Skipped(name, f"source is another repository ({url})", shown)
    path = source.get("path")
    if not isinstance(path, str) or not path:
        return Skipped(name, f"source is not a path in this repo ({source.get('chart') or url})", shown)
    check_path_entry(path, f"{shown}: spec.source.path")
    namespace = _mapping(spec, "destination", shown).get("namespace")
    if not isinstance(namespace, str) or not namespace:
        raise InputError(f"{shown}: Application {name!r} has no spec.destination.namespace")
    if isinstance(source.get("plugin"), dict):
        return _plugin_source(name, namespace, path, source["plugin"], shown)
    helm = source.get("helm")
    if isinstance(helm, dict) and helm.get("valueFiles"):
        return _helm_source(name, namespace, path, helm, shown)
    return Skipped(name, "neither a gitops-helm plugin source nor helm.valueFiles", shown)


def _multi_source(name: str, sources: list[Any], repo_urls: frozenset[str], shown: str) -> Skipped:
    """Skipped, unless a source is this repository through the plugin: the sidecar renders that one,
    so a render here that skips it (or reads a spec.source beside it) would pass what Argo CD
    deploys unjudged."""
    for source in sources:
        plugin = source.get("plugin") if isinstance(source, dict) else None
        url = source.get("repoURL") if isinstance(source, dict) else None
        here = not repo_urls or not isinstance(url, str) or normalize_repo_url(url) in repo_urls
        if here and isinstance(plugin, dict) and plugin.get("name") == PLUGIN_NAME:
            raise InputError(f"{shown}: Application {name!r} renders a {PLUGIN_NAME} source of this repository"
                             " through spec.sources, which gitops-cmp does not render as Argo CD does; use a"
                             " single spec.source")
    return Skipped(name, "no single spec.source (multi-source apps are not rendered)", shown)


def _mapping(parent: dict[str, Any], key: str, shown: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{shown}: {key} must be a mapping, found {yamlio.kind(value)}")
    return value


def _plugin_source(name: str, namespace: str, path: str, plugin: dict[str, Any], shown: str) -> AppSource | Skipped:
    if plugin.get("name") != PLUGIN_NAME:
        return Skipped(name, f"plugin {plugin.get('name')!r} is not {PLUGIN_NAME}", shown)
    env_vars, problems = valuefiles.plugin_env(plugin.get("env"))
    if problems:  # Argo CD's CRD refuses such an Application too; app-source reports every fault
        raise InputError(f"{shown}: {problems[0]}")
    where = f"{shown}: plugin"
    found = valuefiles.read(env_vars.get("VALUE_FILES", ""), plugin.get("parameters"))
    files = valuefiles.files_or_raise(found, {"env": f"{where} env VALUE_FILES", "parameters": f"{where} parameters"})
    environment = env_vars.get("ENVIRONMENT", "")
    if environment:
        return AppSource(name, namespace, path, check_env_name(environment, f"{where} env ENVIRONMENT"),
                         files, "plugin", shown)
    # As generate does with an empty ENVIRONMENT.
    return AppSource(name, namespace, path, env_from_value_files(files, f"{where} value files"),
                     files, "plugin", shown, env_file=False)


def _helm_source(name: str, namespace: str, path: str, helm: dict[str, Any], shown: str) -> AppSource | Skipped:
    unsupported = [key for key in UNSUPPORTED_HELM if helm.get(key) not in (None, "", [], {}, False)]
    if unsupported:
        fields = ", ".join(f"helm.{key}" for key in unsupported)
        return Skipped(name, f"uses {fields}, which the gitops-helm plugin does not apply; move it into"
                             " values/<env>.yaml (or Chart.yaml) so every render agrees", shown)
    value_files = helm["valueFiles"]
    if not isinstance(value_files, list) or not all(isinstance(v, str) for v in value_files):
        raise InputError(f"{shown}: spec.source.helm.valueFiles must be a list of strings")
    files = [check_path_entry(v, f"{shown}: helm.valueFiles") for v in value_files]
    env = env_from_value_files(files, f"{shown}: helm.valueFiles")
    return AppSource(name, namespace, path, env, tuple(files), "helm", shown, env_file=False)


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
        env_file=app.env_file,
        kube_version=kube_version,
        api_versions=api_versions,
        app=app.name,
    )

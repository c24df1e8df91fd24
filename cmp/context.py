"""The render request: everything one render needs, parsed once at the edge and frozen.

Three edges build it: CLI flags (`render CHART --env`), an Application manifest (`render --app`,
`parity`) and the Argo CD plugin environment (`generate`). The pipeline sees only RenderRequest.
"""

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from cmp.config import CONFIG_NAME
from cmp.errors import InputError

PLATFORM_CONFIG_ENV = "GITOPS_CMP_PLATFORM_CONFIG"

ENV_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?")
KUBE_VERSION = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?")
API_VERSION = re.compile(r"(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v\d+[a-z0-9]*(?:/[A-Za-z][A-Za-z0-9]*)?")


class RenderRequest(NamedTuple):
    repo_root: Path
    chart_dir: Path
    env: str
    release: str | None  # None: `<chart name>-<env>`, known once Chart.yaml is read
    namespace: str | None  # None: same as the release default
    value_files: tuple[Path, ...] = ()  # extra files after values/<env>.yaml, in order
    env_file: bool = True  # False: `env` was read off value_files, which already hold its values file
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()
    app: str = ""  # what logs call this render (the Application name when there is one)


def find_repo_root(start: Path, bound: Path | None = None) -> Path:
    """The repository `start` is in: where its one `.gitops-cmp.yaml` lives.

    Inside a git checkout (or, in the sidecar, the Argo CD source root: `bound`), the outermost
    directory up to the top level that holds apps/ or charts/ and is not a chart, else the top
    level itself: a directory the repo adds below its root (`charts/team/apps/`) never makes a
    nested config count. Outside git, the nearest such directory or one holding the config, else
    `start`. The same answer for the laptop, CI and the sidecar (which gets no .git).
    """
    start = start.resolve()
    chain = (start, *start.parents)
    top = bound.resolve() if bound is not None else next((d for d in chain if (d / ".git").exists()), None)
    if top is not None and (top == start or top in start.parents):
        inside = chain[: chain.index(top) + 1]
        return next((d for d in reversed(inside) if has_repo_layout(d)), top)
    return next((d for d in chain if has_repo_layout(d) or _holds_config(d)), start)


def _holds_config(directory: Path) -> bool:
    return not (directory / "Chart.yaml").is_file() and (directory / CONFIG_NAME).is_file()


def platform_config(flag: str | None, environ: Mapping[str, str]) -> Path | None:
    """The platform config's path: --platform-config, else GITOPS_CMP_PLATFORM_CONFIG (empty: none)."""
    value = flag if flag is not None else environ.get(PLATFORM_CONFIG_ENV, "")
    if flag is not None and not flag.strip():
        raise InputError("--platform-config: expected a path")
    return Path(value) if value.strip() else None


def is_repo_root(directory: Path) -> bool:
    return _has_config(directory) or _has_git(directory) or has_repo_layout(directory)


def _has_config(directory: Path) -> bool:
    return (directory / CONFIG_NAME).is_file()


def _has_git(directory: Path) -> bool:
    return (directory / ".git").exists()


def has_repo_layout(directory: Path) -> bool:
    """apps/ or charts/ beside no Chart.yaml: a chart's own charts/ holds its dependencies."""
    return ((directory / "apps").is_dir() or (directory / "charts").is_dir()) \
        and not (directory / "Chart.yaml").exists()


def check_env_name(env: str, source: str) -> str:
    # Env names become file names (values/<env>.yaml): never a path, never shell syntax.
    if not ENV_NAME.fullmatch(env) or ".." in env:
        raise InputError(
            f"{source}: invalid environment name {env!r}: use letters, digits, '.', '_' or '-'"
        )
    return env


def parse_kube_version(value: str | None, source: str) -> str | None:
    if not value:
        return None
    if not KUBE_VERSION.fullmatch(value.strip()):
        raise InputError(f"{source}: {value!r} is not a Kubernetes version (expected e.g. 1.30.2)")
    return value.strip()


def parse_api_versions(value: str | None, source: str) -> tuple[str, ...]:
    if not value:
        return ()
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    for item in items:
        if not API_VERSION.fullmatch(item):
            raise InputError(
                f"{source}: {item!r} is not an API version (expected group/version or group/version/Kind)"
            )
    return items


def from_argocd_env(environ: Mapping[str, str], cwd: Path) -> RenderRequest:
    """The request `generate` serves: cwd is the app dir inside the copy of the repo Argo CD sent."""
    app_name = environ.get("ARGOCD_APP_NAME", "")
    if not app_name:
        raise InputError(
            "ARGOCD_APP_NAME is not set: `gitops-cmp generate` runs inside the Argo CD sidecar;"
            " on a laptop use `gitops-cmp render --app apps/<svc>/<env>.yaml`"
        )
    namespace = environ.get("ARGOCD_APP_NAMESPACE", "")
    if not namespace:
        raise InputError("ARGOCD_APP_NAMESPACE is not set or empty: the Application needs spec.destination.namespace")
    env = environ.get("ARGOCD_ENV_ENVIRONMENT", "")
    extra = _extra_value_files(environ)
    if env:
        check_env_name(env, "ARGOCD_ENV_ENVIRONMENT")
    elif not extra:
        raise InputError(
            "ARGOCD_ENV_ENVIRONMENT is empty and no value files were given: set"
            " spec.source.plugin.env [{name: ENVIRONMENT, value: <env>}] in the Application"
            + _misspelled_environment(environ)
        )
    else:
        env = env_from_value_files(extra, "ARGOCD_ENV_VALUE_FILES/valueFiles")
    return RenderRequest(
        repo_root=_repo_root_from_source_path(cwd, environ.get("ARGOCD_APP_SOURCE_PATH")),
        chart_dir=cwd,
        env=env,
        release=release_name(app_name),
        namespace=namespace,
        value_files=tuple(cwd / f for f in extra),
        env_file=bool(environ.get("ARGOCD_ENV_ENVIRONMENT")),
        kube_version=parse_kube_version(environ.get("KUBE_VERSION"), "KUBE_VERSION"),
        api_versions=parse_api_versions(environ.get("KUBE_API_VERSIONS"), "KUBE_API_VERSIONS"),
        app=app_name,
    )


def _misspelled_environment(environ: Mapping[str, str]) -> str:
    """A hint when the Application set the env under another spelling (`environment`, `ENV`)."""
    near = sorted(key for key in environ if key.startswith("ARGOCD_ENV_") and key != "ARGOCD_ENV_ENVIRONMENT"
                  and key[len("ARGOCD_ENV_"):].upper() in ("ENVIRONMENT", "ENV"))
    if not near:
        return ""
    names = ", ".join(key[len("ARGOCD_ENV_"):] for key in near)
    return (f"; it sets {names} instead (Argo CD passes plugin env names as written, and the name"
            " is case-sensitive: use ENVIRONMENT)")


def release_name(app_name: str) -> str:
    """Argo CD names apps outside its own namespace `<namespace>_<name>`; Helm gets `<name>`."""
    return app_name.rpartition("_")[2]


def _repo_root_from_source_path(cwd: Path, source_path: str | None) -> Path:
    # Argo CD unpacks the repo and runs us in <root>/<source path>: strip that many components.
    cwd = cwd.resolve()
    parts = [p for p in Path(source_path or ".").parts if p not in ("", ".", "/")]
    if source_path is None or ".." in parts or tuple(cwd.parts[len(cwd.parts) - len(parts):]) != tuple(parts):
        return find_repo_root(cwd)
    return find_repo_root(cwd, bound=cwd.parents[len(parts) - 1] if parts else cwd)


def _extra_value_files(environ: Mapping[str, str]) -> tuple[str, ...]:
    # VALUE_FILES is read before ARGOCD_APP_PARAMETERS is decoded: its errors come first, as its files do.
    listed = environ.get("ARGOCD_ENV_VALUE_FILES", "")
    files = _read_value_files(env=listed) if listed.strip() else ()
    parameters = _app_parameters(environ)
    return files if parameters is None else files + _read_value_files(parameters=parameters)


def _read_value_files(env: str = "", parameters: list[Any] | None = None) -> tuple[str, ...]:
    from cmp import valuefiles  # on first use: a typical sync names no extra value files

    found = valuefiles.read(env, parameters)
    return valuefiles.files_or_raise(found, {"env": "ARGOCD_ENV_VALUE_FILES", "parameters": "ARGOCD_APP_PARAMETERS"})


def _app_parameters(environ: Mapping[str, str]) -> list[Any] | None:
    raw = environ.get("ARGOCD_APP_PARAMETERS", "")
    if not raw.strip():
        return None
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"ARGOCD_APP_PARAMETERS: not valid JSON ({exc.msg} at char {exc.pos})") from None
    if params is not None and not isinstance(params, list):  # Argo CD marshals "no parameters" as null
        raise InputError("ARGOCD_APP_PARAMETERS: expected a JSON array of parameters")
    return params


def env_from_value_files(files: Sequence[str], source: str) -> str:
    """The environment a list of value files is for: the last `values/<env>.yaml` entry, else "".

    Both Application shapes and `generate` without ENVIRONMENT use this, so an environment's rules
    (strictEnvironments, environments) apply however its values file was named. The files keep
    their order: that is the order Helm merges them in.
    """
    for entry in reversed(files):
        pure = PurePosixPath(entry)
        if pure.parent == PurePosixPath("values") and pure.suffix == ".yaml":
            return check_env_name(pure.stem, f"{source}: value file {entry!r}")
    return ""

"""Stage 1: read the chart and every value file, confined to the repo, bounded, strictly parsed."""

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NamedTuple

from cmp import confine as _confine
from cmp import yamlio
from cmp.chartmodel import UNSAFE_NAME, SourceFile, ValueFile, is_archive, is_template
from cmp.config import FILE_LIMIT, RepoConfig
from cmp.context import RenderRequest
from cmp.errors import InputError
from cmp.pipeline import chartfiles

if TYPE_CHECKING:
    from cmp.templates.nodes import Tree


class Inputs(NamedTuple):
    request: RenderRequest
    config: RepoConfig
    chart_dir: Path
    chart_name: str
    chart_meta: dict[str, Any]
    release: str
    namespace: str
    base_values: ValueFile | None  # the chart's values.yaml, which Helm applies itself
    value_files: tuple[ValueFile, ...]  # values/<env>.yaml, then extra files, in order
    templates: tuple[SourceFile, ...]  # templates/ of the chart and of its subcharts (dirs and .tgz), by path
    trees: "tuple[Tree, ...]" = ()  # `templates` parsed: set by the rule runner for its rules only
    files: tuple[chartfiles.ChartFile, ...] = ()  # every file Helm is handed, confined (chartfiles)

    @property
    def user_values(self) -> dict[str, Any]:
        """The value files merged as `helm template -f a -f b` merges them."""
        merged: dict[str, Any] = {}
        for value_file in self.value_files:
            merged = merge_values(merged, value_file.data)
        return merged


def gather(request: RenderRequest, config: RepoConfig) -> Inputs:
    root = request.repo_root.resolve()
    limit = config.limits.max_file_bytes
    _known_env(request.env, config)
    chart_dir = confine(request.chart_dir, root, "chart directory")
    if not chart_dir.is_dir():
        shown = display(chart_dir, root) if chart_dir != root else os.fspath(chart_dir)  # not "."
        raise InputError(f"{shown}: chart directory not found")
    files = chartfiles.collect(chart_dir, root, config.limits.max_chart_bytes,
                               lambda name, path: check_name(name, path, root))
    by_rel = {f.rel: f for f in files}
    meta = _chart_meta(chart_dir, by_rel.get("Chart.yaml"), root, limit)
    name = str(meta["name"])
    value_paths = [*_env_values(request, chart_dir), *request.value_files]
    value_files = tuple(read_values(f, root, limit) for f in value_paths)
    request = request._replace(env=judged_env(request.env, value_files, config))
    _known_env(request.env, config)
    default = f"{name}-{request.env}" if request.env else name
    base = by_rel.get("values.yaml")
    return Inputs(
        request=request,
        config=config,
        chart_dir=chart_dir,
        chart_name=name,
        chart_meta=meta,
        release=request.release or default,
        namespace=request.namespace or default,
        base_values=_parse_values(chart_dir / "values.yaml", display(chart_dir / "values.yaml", root),
                                  yamlio.decode(_bounded(base, root, limit), display(base.path, root)))
        if base else None,
        value_files=value_files,
        templates=tuple(_templates(chart_dir, files, root, config)),
        files=tuple(files),
    )


def _known_env(env: str, config: RepoConfig) -> None:
    if config.environments and env and env not in config.environments:
        raise InputError(
            f"environment {env!r} is not one of {', '.join(config.environments)}"
            f" (environments in {config.source})"
        )


def judged_env(env: str, value_files: tuple[ValueFile, ...], config: RepoConfig) -> str:
    """The environment a render is judged as: the one whose values it reads. A file that is, once
    every link and `..` is resolved, `values/<x>.yaml` (or `.yml`) holds environment x's values.
    When x has rules of its own (a strict environment, or one of `environments`), the render is for
    x or it is refused; any other x is an overlay (`values/canary.yaml`). With no environment named,
    the render is for x (the ruled one, else the last)."""
    found = [(value_file, x) for value_file in value_files if (x := env_of(value_file.path)) is not None]
    ruled = {x for _, x in found if x in config.strict_environments or x in config.environments}
    if not env and found:
        from cmp.context import check_env_name

        value_file, env = next(((f, x) for f, x in found if x in ruled), found[-1])
        check_env_name(env, f"{value_file.display}: values file")
    for value_file, x in found:
        if x != env and x in ruled:
            raise InputError(
                f"{value_file.display}: the values file of environment {x!r}, but the render is for"
                f" {env!r}: a render is judged as the environment whose values it uses; set the"
                f" environment to {x!r} or drop the file")
    return env


def env_of(resolved: Path) -> str | None:
    """x when `resolved` (a resolved path) is a values/<x>.yaml file, else None. The directory's name
    and the suffix are compared in any case (a case-insensitive file system opens `Values/PROD.YAML`
    as values/prod.yaml); x is spelled as the directory lists it."""
    if resolved.parent.name.lower() != "values" or resolved.suffix.lower() not in (".yaml", ".yml"):
        return None
    try:
        with os.scandir(resolved.parent) as entries:
            for entry in entries:
                if entry.name.lower() == resolved.name.lower() and os.path.samefile(entry.path, resolved):
                    return Path(entry.name).stem
    except OSError:
        pass
    return resolved.stem


def _env_values(request: RenderRequest, chart_dir: Path) -> list[Path]:
    if not request.env or not request.env_file:
        return []
    path = chart_dir / "values" / f"{request.env}.yaml"
    if not path.exists():
        raise InputError(
            f"no values file for environment {request.env!r}: expected"
            f" {display(chart_dir, request.repo_root.resolve())}/values/{request.env}.yaml"
        )
    return [path]


def confine(path: Path, root: Path, what: str) -> Path:
    """`path` resolved, every symlink hop inside `root` and outside .git/ (cmp.confine)."""
    return _confine.resolve(path, root, what)


def check_name(name: str, path: Path, root: Path) -> None:
    if UNSAFE_NAME.search(name):
        shown = display(path.parent, root) + "/" + name.encode("unicode_escape").decode("ascii")
        raise InputError(f"{shown}: a control character or line break in a chart file or directory name;"
                         " rename it (Helm writes names into the manifest stream)")
    if "\\" in name:
        # Helm's archive loader takes `\` for a Windows path separator: `x\templates\y.yaml` would
        # become a template the scan never saw as one.
        raise InputError(f"{display(path, root)}: a backslash in a chart file or directory name; rename it")


display = _confine.display


def read_values(path: Path, root: Path, limit: int) -> ValueFile:
    resolved = confine(path, root, "value file")
    shown = display(resolved, root)
    return _parse_values(resolved, shown, yamlio.read_text(resolved, shown, limit, FILE_LIMIT))


def _parse_values(path: Path, shown: str, text: str) -> ValueFile:
    data = yamlio.load_one(text, shown)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{shown}: a values file must be a mapping, found {yamlio.kind(data)}")
    return ValueFile(path, shown, text, data)


def _bounded(chart_file: chartfiles.ChartFile, root: Path, limit: int) -> bytes:
    if len(chart_file.data) > limit:
        raise InputError(f"{display(chart_file.path, root)}: {len(chart_file.data)} bytes is over the {limit}-byte limit"
                         f" ({FILE_LIMIT})")
    return chart_file.data


def _chart_meta(chart_dir: Path, chart_yaml: chartfiles.ChartFile | None, root: Path, limit: int) -> dict[str, Any]:
    shown = display(chart_dir / "Chart.yaml", root)
    if chart_yaml is None:
        raise InputError(f"{shown}: missing; {display(chart_dir, root)} is not a Helm chart")
    meta = yamlio.load_one(yamlio.decode(_bounded(chart_yaml, root, limit), shown), shown)
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InputError(f"{shown}: must be a mapping with a 'name'")
    if UNSAFE_NAME.search(meta["name"]):
        raise InputError(f"{shown}: the chart name holds a control character or line break")
    if meta.get("type") == "library":
        raise InputError(f"{shown}: {meta['name']!r} is a library chart; library charts cannot be rendered")
    return meta


def _templates(chart_dir: Path, files: list[chartfiles.ChartFile], root: Path, config: RepoConfig) -> list[SourceFile]:
    """templates/ files of the chart and its subchart directories, and those inside subcharts packaged
    as .tgz (their unpacked bytes count towards the limit): exactly the files Helm is handed."""
    found: list[SourceFile] = []
    budget = config.limits.max_chart_bytes - sum(len(f.data) for f in files)
    # display(chart_dir / rel, root), the chart's display computed once: a file's `rel` is plain
    # names joined by `/` (chartfiles' walk), so the two are the same text.
    prefix = "" if chart_dir == root else display(chart_dir, root) + "/"
    for chart_file in files:
        if "templates/" not in chart_file.rel and not chart_file.rel.endswith(".tgz"):
            continue  # neither a template nor a packaged subchart (what each test below needs)
        rel = PurePath(chart_file.rel)
        path = chart_dir / chart_file.rel
        shown = prefix + chart_file.rel
        if is_template(rel):
            text = yamlio.decode(_bounded(chart_file, root, config.limits.max_file_bytes), shown)
            found.append(SourceFile(path, shown, text))
        elif is_archive(rel):
            from cmp.pipeline import archives

            packaged, unpacked = archives.templates(path, shown, config.limits, budget, chart_file.data)
            found.extend(packaged)
            budget -= unpacked
    return found


def merge_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: maps merge key by key, anything else in `override` replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out

"""Stage 3: Helm, in-process, as Argo CD's native Helm source runs it.

The only module that imports helm_python. `Chart.render` does not expose kube_version and
api_versions, so `render` calls the library's native render entry point with the full options;
tests/pipeline/helm_test.py pins that behaviour against the pinned wheel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmp.errors import InputError, RenderError

# Statuses `helm dependency list` reports for a dependency whose chart is present in charts/.
_PRESENT = {"ok", "unpacked"}
# Present, but not the version Chart.yaml asks for: `helm template` renders it all the same (and
# so does a chart loaded from memory, which is checked by name only, as Helm checks).
_RENDERED_ANYWAY = {"wrong version"}


def warm_up() -> None:
    """Start loading the Helm engine in the background, so that the start of its Go runtime (about
    30 ms, mostly outside the GIL) overlaps the caller's imports and input checks. `render` imports
    it as before and waits for this load only if it has not finished. Off after `defer_loading`."""
    if _DEFERRED:
        return
    import threading

    threading.Thread(target=_load_engine, name="gitops-cmp-helm-load", daemon=True).start()


_DEFERRED = False


def defer_loading() -> None:
    """A worker's render process that takes a request before loading the engine (one was waiting as
    it started: a burst): the engine loads when a render needs it, so a result the worker kept is
    answered without it."""
    global _DEFERRED
    _DEFERRED = True


def _load_engine() -> None:
    try:
        import helm_python  # noqa: F401
    except Exception:  # noqa: S110 - render's own import raises it again, where errors are reported
        pass


def render(
    chart: Path | bytes,
    values: dict[str, Any],
    *,
    release: str,
    namespace: str,
    kube_version: str | None,
    api_versions: tuple[str, ...],
    shown: str,
    max_output_bytes: int = 0,
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(template path -> rendered text, CRDs from crds/ of the chart and its subcharts). `chart`: the
    chart's archive bytes (the render: cmp.pipeline.chartfiles, nothing read from disk), or its
    directory (tools and tests). An output over `max_output_bytes` fails before Python parses any of
    it (that costs about 12x its size)."""
    import helm_python
    from helm_python import _native

    check_release_name(release)
    if isinstance(chart, Path):
        check_dependencies(chart, shown)
    options: dict[str, Any] = {"name": release, "namespace": namespace}
    if kube_version:
        options["kube_version"] = kube_version
    if api_versions:
        options["api_versions"] = list(api_versions)
    try:
        payload = json.dumps(values, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"values for {shown} cannot be passed to Helm: {exc}") from None
    try:
        loaded = helm_python.Chart.load(chart) if isinstance(chart, Path) else helm_python.Chart.load_archive(chart)
        with loaded:
            if not isinstance(chart, Path):
                check_loaded_dependencies(loaded, shown)
            rendered = _native.call_string("helm_render", loaded._raw(), payload, json.dumps(options))
            crds: list[dict[str, str]] = loaded.crds
    except helm_python.HelmChartLoadError as exc:
        raise InputError(f"{shown}: Helm cannot load the chart", exc.detail) from None
    except helm_python.HelmInvalidArgError as exc:
        raise InputError(f"{shown}: Helm rejected the render options", exc.detail) from None
    except helm_python.HelmValuesError as exc:
        raise InputError(f"{shown}: Helm rejected the values", exc.detail) from None
    except helm_python.HelmError as exc:
        raise RenderError(f"{shown}: Helm failed to render the chart", exc.detail) from None
    if max_output_bytes and len(rendered) > max_output_bytes:
        raise RenderError(f"{shown}: Helm rendered {len(rendered) // 2**20} MiB, over the"
                          f" {max_output_bytes // 2**20} MiB output limit (limits.maxOutputBytes); nothing"
                          " was emitted. Look for a template loop that renders a huge output")
    templates: dict[str, str] = json.loads(rendered)
    return templates, crds


def check_release_name(release: str) -> None:
    import helm_python

    try:
        helm_python.validate_release_name(release)
    except helm_python.HelmError as exc:
        raise InputError(f"invalid release name {release!r}", exc.detail) from None


def check_dependencies(chart_dir: Path, shown: str) -> None:
    """Every declared dependency must be in charts/: `helm template` (so Argo CD) fails without one,
    the SDK's render would silently go on. One error names them all. A vendored version outside
    the Chart.yaml constraint renders, as with Helm."""
    import helm_python

    try:
        deps = helm_python.dependency_list(chart_dir)
    except helm_python.HelmError as exc:
        raise InputError(f"{shown}: cannot read the chart's dependencies", exc.detail) from None
    _refuse_absent([d for d in deps if d.get("status") not in _PRESENT | _RENDERED_ANYWAY], len(deps), shown)


def _refuse_absent(absent: list[dict[str, Any]], declared: int, shown: str) -> None:
    if absent:
        listed = ", ".join(f"{d.get('name')!r} ({d.get('repository') or 'no repository'}, version"
                           f" {d.get('version')}) is {d.get('status') or 'missing'}" for d in absent)
        raise RenderError(
            f"{shown}: {len(absent)} of {declared} dependencies not vendored in {shown}/charts/: {listed};"
            " vendor them with `gitops-cmp init` (or `helm dependency build`) and commit charts/"
        )


def check_loaded_dependencies(chart: Any, shown: str) -> None:
    """check_dependencies on a chart loaded from memory: every dependency Chart.yaml declares is a
    subchart Helm loaded from charts/ (by name, as `helm template` checks)."""
    declared = chart.metadata.get("dependencies") or []
    if not declared:
        return  # nothing to look for among the loaded subcharts (a call into Helm fewer)
    present = {dep.get("name") for dep in chart.dependencies}
    _refuse_absent([d for d in declared if d.get("name") not in present], len(declared), shown)


def vendor_dependencies(chart_dir: Path, shown: str) -> list[str]:
    """`helm dependency build` (or `update` when there is no Chart.lock); the names vendored."""
    import helm_python

    if not (chart_dir / "Chart.yaml").is_file():
        raise InputError(f"{shown}: no Chart.yaml; run init in the chart directory")
    try:
        deps = helm_python.dependency_list(chart_dir)
    except helm_python.HelmError as exc:
        raise InputError(f"{shown}: cannot read the chart's dependencies", exc.detail) from None
    absent = [d for d in deps if d.get("status") not in _PRESENT]
    if not absent:
        return []
    try:
        if (chart_dir / "Chart.lock").is_file():
            helm_python.dependency_build(chart_dir)
        else:
            helm_python.dependency_update(chart_dir)
    except helm_python.HelmError:
        # Helm's words name its scratch repositories and suggest `helm repo` commands the sidecar
        # has no use for: say which repository failed and what the user can do.
        raise _cannot_vendor(shown, absent) from None
    check_dependencies(chart_dir, shown)
    return [str(d["name"]) for d in absent]


def _cannot_vendor(shown: str, absent: list[dict[str, Any]]) -> RenderError:
    where = "Chart.yaml" if shown in ("", ".") else f"{shown}/Chart.yaml"
    lines: list[str] = []
    for dep in absent:
        repository = str(dep.get("repository") or "")
        what = f"{dep.get('name')} {dep.get('version') or ''}".strip()
        if repository.startswith(("@", "alias:")):
            lines.append(f"{what}: repository {repository!r} is a local `helm repo add` alias;"
                         " write the repository's URL in Chart.yaml")
        elif repository:
            lines.append(f"{what} from {repository}: unreachable from here, needs credentials,"
                         " or does not serve that version")
        else:
            lines.append(f"{what}: no repository; put the chart in charts/")
    return RenderError(f"{where}: cannot download the chart's dependencies into charts/; vendor them where"
                       " the repository is reachable (`gitops-cmp init` on a laptop or in CI) and commit"
                       " charts/, so the plugin renders without network or credentials", "\n".join(lines))

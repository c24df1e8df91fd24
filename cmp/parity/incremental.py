"""Apps whose inputs are the same at the base ref and in the working tree: unchanged, not rendered.

A render reads the chart's directory, its value files, the Application that declares it and the
repo config, and within one parity run both sides use the same engine, cluster and judging
policy. So when git reports no difference between the base commit and the working tree under any
of those paths (tracked changes, and every untracked file, ignored ones included), and the chart
holds no symlink (which could reach a file elsewhere in the repository), both renders are the same
bytes: the app is reported unchanged without rendering either side. `--render-all` (and `--out`,
which needs every manifest) renders every app.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from cmp.appdocs import APPS_DIR
from cmp.config import CONFIG_NAME
from cmp.context import RenderRequest
from cmp.parity import gittree
from cmp.parity.gittree import Blob, git
from cmp.parity.worker import AppJob
from cmp.walk import walk


def changed_paths(root: Path, commit: str) -> set[PurePosixPath]:
    """Paths under `root`, relative to it, that differ between `commit` and the working tree."""
    tracked = git(root, "diff", "--name-only", "-z", "--no-renames", "--relative", commit, "--")
    untracked = git(root, "ls-files", "--others", "-z")  # ignored files too: Helm reads those as well
    return {PurePosixPath(os.fsdecode(p)) for p in (*tracked.split(b"\0"), *untracked.split(b"\0")) if p}


def unchanged(root: Path, changed: set[PurePosixPath], jobs: Sequence[AppJob]) -> set[str]:
    """The names of the jobs whose inputs are identical on both sides."""
    if any(p.name == CONFIG_NAME for p in changed):
        return set()
    dirs = {parent for p in changed for parent in p.parents}
    same: set[str] = set()
    for job in jobs:
        head, base = job.head.request, job.base.request
        if head is None or base is None or job.head.policy != job.base.policy:
            continue
        try:
            if _moved(base, base.repo_root, root) != head:
                continue  # another chart, value file, env, release or namespace: a different render
            chart = _relative(head.chart_dir, root)
            inputs = {PurePosixPath(job.source), *(_relative(f, root) for f in head.value_files)}
        except ValueError:  # a path outside the repository: the render refuses it; let it
            continue
        if chart in dirs or chart in changed or inputs & changed or changed & set(chart.parents):
            continue
        if _has_symlink(head.chart_dir):
            continue
        same.add(job.name)
    return same


def _relative(path: Path, root: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(root).as_posix())


def _moved(request: RenderRequest, old: Path, new: Path) -> RenderRequest:
    """`request` as it would read the same files under `new` instead of `old`."""
    return request._replace(repo_root=new, chart_dir=new / request.chart_dir.relative_to(old),
                            value_files=tuple(new / f.relative_to(old) for f in request.value_files))


def _has_symlink(directory: Path) -> bool:
    for parent, dirs, files in walk(directory):
        if any((parent / name).is_symlink() for name in (*dirs, *files)):
            return True
    return False


def unchanged_charts(changed: set[PurePosixPath]) -> Callable[[list[Blob]], list[Blob]]:
    """For extracting the base tree: the blobs of every chart directory (a directory with a
    Chart.yaml, outermost) that has no changed path, which are the working tree's files as they
    are. Left out, they are written only if an app that renders needs them (`needed`). Nothing is
    left out when the base holds a symlink (a render may follow it anywhere in the repository) or
    an ApplicationSet (its git generators read the tree), or for a .gitops-cmp.yaml."""

    def pick(blobs: list[Blob]) -> list[Blob]:
        if any(b.mode == gittree.SYMLINK for b in blobs):
            return []
        charts = {b.path.parent for b in blobs if b.path.name == "Chart.yaml"}
        outermost = {c for c in charts if not any(p in charts for p in c.parents)}
        touched = {p for c in changed for p in (c, *c.parents)}
        leave = outermost - touched
        return [b for b in blobs if b.path.name != CONFIG_NAME and leave & set(b.path.parents)]

    return pick


def has_applicationsets(base_root: Path) -> bool:
    apps = base_root / APPS_DIR
    for parent, _, files in walk(apps):
        for name in files:
            with open(parent / name, "rb") as handle:
                if b"ApplicationSet" in handle.read():
                    return True
    return False


def needed(jobs: Sequence[AppJob], same: set[str], left_out: list[Blob], base_root: Path) -> list[Blob]:
    """The left-out blobs that the base renders still to run read: under their charts or value files."""
    dirs: set[PurePosixPath] = set()
    for job in jobs:
        request = job.base.request
        if job.name in same or request is None:
            continue
        try:
            dirs.add(_relative(request.chart_dir, base_root))
            dirs.update(_relative(f, base_root) for f in request.value_files)
        except ValueError:
            continue
    return [b for b in left_out if b.path in dirs or dirs & set(b.path.parents)]

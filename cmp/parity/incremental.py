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
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cmp.appdocs import APPS_DIR, MANIFEST_SUFFIXES
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
        except ValueError:  # outside the repository (the render refuses it; let it) or through `..`
            continue
        if chart in dirs or chart in changed or inputs & changed or changed & set(chart.parents):
            continue
        if _has_symlink(head.chart_dir) or any(_linked(p, root) for p in (head.chart_dir, *head.value_files)):
            continue
        same.add(job.name)
    return same


def _relative(path: Path, root: Path) -> PurePosixPath:
    """`path` below `root`, as git names it; ValueError when outside it or spelled with `..` (which
    git's paths never are: `charts/a/../b` is charts/b, unless charts/a is a link)."""
    relative = PurePosixPath(path.relative_to(root).as_posix())
    if ".." in relative.parts:
        raise ValueError(f"{relative}: not a plain path")
    return relative


def _linked(path: Path, root: Path) -> bool:
    """`path` is reached through a symlink (a directory on its way, or itself): git's report on
    the path says nothing about what it reads."""
    return os.path.realpath(path) != os.path.join(os.path.realpath(root), path.relative_to(root))


def _moved(request: RenderRequest, old: Path, new: Path) -> RenderRequest:
    """`request` as it would read the same files under `new` instead of `old`."""
    return request._replace(repo_root=new, chart_dir=new / request.chart_dir.relative_to(old),
                            value_files=tuple(new / f.relative_to(old) for f in request.value_files))


def _has_symlink(directory: Path) -> bool:
    for parent, dirs, files in walk(directory):
        if any((parent / name).is_symlink() for name in (*dirs, *files)):
            return True
    return False


class LeaveOut:
    """For extracting the base tree: which blobs not to write, because git reports them the same as
    the working tree's. The blobs of every chart directory (a directory with a Chart.yaml, outermost)
    that has no changed path (`charts`), and every unchanged manifest file under apps/ outside a
    chart (discovery reuses the working tree's reading of it). A base render whose chart and value
    files are all left out reads them from the working tree (`from_working_tree`); the others get
    theirs written (`needed`). Nothing is left out when the base holds a symlink (a render may follow
    it anywhere in the repository), or for a .gitops-cmp.yaml."""

    def __init__(self, changed: set[PurePosixPath]) -> None:
        self.changed = changed
        self.charts: set[PurePosixPath] = set()

    def __call__(self, blobs: list[Blob]) -> list[Blob]:
        if any(b.mode == gittree.SYMLINK for b in blobs):
            return []
        charts = {b.path.parts[:-1] for b in blobs if b.path.name == "Chart.yaml"}
        outermost = {c for c in charts if not any(c[:i] in charts for i in range(len(c)))}
        touched = {c.parts[:i] for c in self.changed for i in range(len(c.parts) + 1)}
        unchanged = outermost - touched
        self.charts = {PurePosixPath(*c) for c in unchanged}
        return [b for b in blobs if b.path.name != CONFIG_NAME and self._leave(b.path, charts, unchanged)]

    def _leave(self, path: PurePosixPath, charts: set[tuple[str, ...]], unchanged: set[tuple[str, ...]]) -> bool:
        above = [path.parts[:i] for i in range(len(path.parts))]  # every directory the file is in
        if unchanged.intersection(above):
            return True
        return (path.parts[0] == APPS_DIR and path.name.endswith(MANIFEST_SUFFIXES) and path not in self.changed
                and not charts.intersection(above))


def from_working_tree(jobs: Sequence[AppJob], left: LeaveOut, changed: set[PurePosixPath], base_root: Path,
                      root: Path) -> tuple[AppJob, ...]:
    """`jobs`, each base render whose chart lies in a chart directory left out of the base tree and
    whose value files git reports unchanged reading those same files from the working tree."""
    return tuple(_base_from(job, left, changed, base_root, root) for job in jobs)


def _base_from(job: AppJob, left: LeaveOut, changed: set[PurePosixPath], base_root: Path, root: Path) -> AppJob:
    request = job.base.request
    if request is None or request.repo_root != base_root:
        return job
    try:
        chart = _relative(request.chart_dir, base_root)
        files = [_relative(f, base_root) for f in request.value_files]
    except ValueError:  # a path outside the repository: the render refuses it; let it, from the base
        return job
    if not left.charts.intersection((chart, *chart.parents)):
        return job
    if any(f in changed or changed & set(f.parents) for f in files):
        return job
    return replace(job, base=replace(job.base, request=_moved(request, base_root, root)))


def needed(jobs: Sequence[AppJob], same: set[str], left_out: list[Blob], base_root: Path) -> list[Blob]:
    """The left-out blobs that the base renders still to run read: under their charts or value files."""
    dirs: set[tuple[str, ...]] = set()
    for job in jobs:
        request = job.base.request
        if job.name in same or request is None or request.repo_root != base_root:
            continue  # no base render, or one that reads the working tree (from_working_tree)
        try:
            dirs.add(_relative(request.chart_dir, base_root).parts)
            dirs.update(_relative(f, base_root).parts for f in request.value_files)
        except ValueError:  # through `..` (or outside, which the render refuses): write them all
            return left_out
    if not dirs:
        return []
    return [b for b in left_out if any(b.path.parts[:i] in dirs for i in range(len(b.path.parts) + 1))]
